// Package-version operations: the reads (list, describe, assets, readme, dependencies) and the
// lifecycle (status, delete, dispose, copy) with CodeArtifact's per-version batch results.
import { validation } from '../../errors.js';
import { copyVersions } from '../../core/copy.js';
import { dependencies, describeVersion, listAssets, listVersions, readme, type VersionSort } from '../../core/listing.js';
import { batchRequest, checkStatus, deleteVersions, disposeVersions, updateVersionsStatus } from '../../core/versions.js';
import { check } from '../../core/names.js';
import type { VersionStatus } from '../../core/packages.js';
import { body, op, type Operation } from '../operation.js';
import { repoNames, repositoryFor } from '../resolve.js';
import { PAGE_Q, PKG_Q, VERSION_Q, coordinates, packageArn, packageTarget, pageOf, version } from './package-input.js';

const ORIGIN_TYPES = ['INTERNAL', 'EXTERNAL', 'UNKNOWN'];

function batchBody(b: Record<string, unknown>, revisions: boolean) {
  return batchRequest(body.strList(b, 'versions', true), revisions ? b.versionRevisions : undefined, body.str(b, 'expectedStatus'));
}

export const versionReadOps: Operation[] = [
  op({
    name: 'ListPackageVersions',
    method: 'POST',
    path: '/v1/package/versions',
    query: { ...PKG_Q, status: {}, sortBy: {}, originType: {}, ...PAGE_Q },
    body: 'json',
    async authorize(input) {
      const { q } = input;
      const status = q.status === undefined ? undefined : (checkStatus('status', q.status as string) as VersionStatus);
      const originType = q.originType as string | undefined;
      if (originType !== undefined && !ORIGIN_TYPES.includes(originType))
        throw validation(
          `1 validation error detected: Value '${originType}' at 'originType' failed to satisfy constraint: Member must satisfy enum value set: [${ORIGIN_TYPES.join(', ')}]`,
        );
      const sortBy = q.sortBy as string | undefined;
      if (sortBy !== undefined && sortBy !== 'PUBLISHED_TIME')
        throw validation(
          `1 validation error detected: Value '${sortBy}' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: [PUBLISHED_TIME]`,
        );
      const p = pageOf(q);
      const { repo, coords } = await packageTarget(input, 'codeartifact:ListPackageVersions');
      return {
        repo,
        coords,
        opts: { filter: { status, originType }, sort: (sortBy ?? 'DEFAULT') as VersionSort, max: p.max, nextToken: p.token },
      };
    },
    run: ({ svc }, { repo, coords, opts }) => listVersions(svc.packages, repo, coords, opts),
  }),
  {
    name: 'DescribePackageVersion',
    method: 'GET',
    path: '/v1/package/version',
    query: VERSION_Q,
    body: 'none',
    async run(input) {
      const v = version(input.q);
      const { repo, coords } = await packageTarget(input, 'codeartifact:DescribePackageVersion');
      return { packageVersion: await describeVersion(input.svc.packages, repo, coords, v) };
    },
  },
  op({
    name: 'ListPackageVersionAssets',
    method: 'POST',
    path: '/v1/package/version/assets',
    query: { ...VERSION_Q, ...PAGE_Q },
    body: 'json',
    async authorize(input) {
      const v = version(input.q);
      const p = pageOf(input.q);
      return { v, p, ...(await packageTarget(input, 'codeartifact:ListPackageVersionAssets')) };
    },
    run: ({ svc }, { v, p, repo, coords }) => listAssets(svc.packages, repo, coords, v, p.max, p.token),
  }),
  {
    name: 'GetPackageVersionReadme',
    method: 'GET',
    path: '/v1/package/version/readme',
    query: VERSION_Q,
    body: 'none',
    async run(input) {
      const v = version(input.q);
      const { repo, coords } = await packageTarget(input, 'codeartifact:GetPackageVersionReadme');
      return readme(input.svc.packages, repo, coords, v);
    },
  },
  op({
    name: 'ListPackageVersionDependencies',
    method: 'POST',
    path: '/v1/package/version/dependencies',
    query: { ...VERSION_Q, 'next-token': {} },
    body: 'json',
    async authorize(input) {
      const v = version(input.q);
      // The whole list comes in one page, so no token this server issued can be presented.
      if (input.q['next-token'] !== undefined)
        throw validation('The pagination token is not valid; pass the nextToken of the previous page unchanged.', 'CANNOT_PARSE');
      return { v, ...(await packageTarget(input, 'codeartifact:ListPackageVersionDependencies')) };
    },
    run: ({ svc }, { v, repo, coords }) => dependencies(svc.packages, repo, coords, v),
  }),
];

export const versionLifecycleOps: Operation[] = [
  op({
    name: 'UpdatePackageVersionsStatus',
    method: 'POST',
    path: '/v1/package/versions/update_status',
    query: PKG_Q,
    body: 'json',
    authorize: (input) => packageTarget(input, 'codeartifact:UpdatePackageVersionsStatus'),
    async run(input, { repo, coords }) {
      const req = batchBody(input.body, true);
      const target = body.str(input.body, 'targetStatus', true)!;
      return updateVersionsStatus(input.svc.packages, repo, coords, req, target);
    },
  }),
  op({
    name: 'DeletePackageVersions',
    method: 'POST',
    path: '/v1/package/versions/delete',
    query: PKG_Q,
    body: 'json',
    authorize: (input) => packageTarget(input, 'codeartifact:DeletePackageVersions'),
    run: (input, { repo, coords }) => deleteVersions(input.svc.packages, repo, coords, batchBody(input.body, false)),
  }),
  op({
    name: 'DisposePackageVersions',
    method: 'POST',
    path: '/v1/package/versions/dispose',
    query: PKG_Q,
    body: 'json',
    authorize: (input) => packageTarget(input, 'codeartifact:DisposePackageVersions'),
    run: (input, { repo, coords }) => disposeVersions(input.svc.packages, repo, coords, batchBody(input.body, true)),
  }),
  op({
    name: 'CopyPackageVersions',
    method: 'POST',
    path: '/v1/package/versions/copy',
    query: {
      domain: { required: true },
      'domain-owner': {},
      'source-repository': { required: true },
      'destination-repository': { required: true },
      format: { required: true },
      namespace: {},
      package: { required: true },
    },
    body: 'json',
    async authorize(input) {
      const { q } = input;
      const { domain, owner } = repoNames(input);
      const sourceName = check('repository', 'sourceRepository', q['source-repository'] as string);
      const destName = check('repository', 'destinationRepository', q['destination-repository'] as string);
      const coords = coordinates(q);
      // ReadFromRepository on the source, CopyPackageVersions on the destination's package: each
      // against its own repository's policy.
      const source = await repositoryFor(input, 'codeartifact:ReadFromRepository', { domain, owner, repository: sourceName });
      const dest = await repositoryFor(
        input,
        'codeartifact:CopyPackageVersions',
        { domain, owner, repository: destName },
        { resource: packageArn(input, destName, coords) },
      );
      return { source: source.repo, dest: dest.repo, coords };
    },
    async run({ svc, body: b }, { source, dest, coords }) {
      const req = {
        versions: body.strList(b, 'versions'),
        versionRevisions: b.versionRevisions,
        allowOverwrite: body.bool(b, 'allowOverwrite') ?? false,
        includeFromUpstream: body.bool(b, 'includeFromUpstream') ?? false,
      };
      return copyVersions(svc.packages, source, dest, coords, req);
    },
  }),
];
