// Package operations: ListPackages, DescribePackage, DeletePackage, PutPackageOriginConfiguration.
import { validation } from '../../errors.js';
import { check, checkFormat } from '../../core/names.js';
import { describePackage, listPackages } from '../../core/listing.js';
import { deletePackage, putOriginConfiguration } from '../../core/versions.js';
import { op, type Operation } from '../operation.js';
import { repoNames, repositoryFor } from '../resolve.js';
import { PAGE_Q, PKG_Q, allowBlock, packageTarget, pageOf } from './package-input.js';

export const packageOps: Operation[] = [
  op({
    name: 'ListPackages',
    method: 'POST',
    path: '/v1/packages',
    query: {
      domain: { required: true },
      'domain-owner': {},
      repository: { required: true },
      format: {},
      namespace: {},
      'package-prefix': {},
      publish: {},
      upstream: {},
      ...PAGE_Q,
    },
    body: 'json',
    async authorize(input) {
      const { q } = input;
      const format = q.format === undefined ? undefined : checkFormat('format', q.format as string);
      const namespacePrefix = q.namespace === undefined ? undefined : check('packageName', 'namespace', q.namespace as string);
      const namePrefix = q['package-prefix'] === undefined ? undefined : check('packageName', 'packagePrefix', q['package-prefix'] as string);
      const publish = q.publish === undefined ? undefined : allowBlock('publish', q.publish);
      const upstream = q.upstream === undefined ? undefined : allowBlock('upstream', q.upstream);
      const p = pageOf(q);
      const { repo } = await repositoryFor(input, 'codeartifact:ListPackages', repoNames(input));
      return { repo, p, filter: { format, namespacePrefix, namePrefix, publish, upstream } };
    },
    async run({ svc }, { repo, p, filter }) {
      const r = await listPackages(svc.packages, repo, filter, p.max, p.token);
      return { packages: r.items, nextToken: r.nextToken };
    },
  }),
  {
    name: 'DescribePackage',
    method: 'GET',
    path: '/v1/package',
    query: PKG_Q,
    body: 'none',
    async run(input) {
      const { repo, coords } = await packageTarget(input, 'codeartifact:DescribePackage');
      return { package: await describePackage(input.svc.packages, repo, coords) };
    },
  },
  {
    name: 'DeletePackage',
    method: 'DELETE',
    path: '/v1/package',
    query: PKG_Q,
    body: 'none',
    async run(input) {
      const { repo, coords } = await packageTarget(input, 'codeartifact:DeletePackage');
      return { deletedPackage: await deletePackage(input.svc.packages, repo, coords) };
    },
  },
  op({
    name: 'PutPackageOriginConfiguration',
    method: 'POST',
    path: '/v1/package',
    query: PKG_Q,
    body: 'json',
    authorize: (input) => packageTarget(input, 'codeartifact:PutPackageOriginConfiguration'),
    async run(input, { repo, coords }) {
      const r = input.body.restrictions;
      if (r === undefined || r === null)
        throw validation("1 validation error detected: Value null at 'restrictions' failed to satisfy constraint: Member must not be null");
      if (typeof r !== 'object' || Array.isArray(r)) throw validation("'restrictions' must be an object {publish, upstream}.");
      const rr = r as Record<string, unknown>;
      const restrictions = { publish: allowBlock('restrictions.publish', rr.publish), upstream: allowBlock('restrictions.upstream', rr.upstream) };
      return putOriginConfiguration(input.svc.packages, repo, coords, restrictions);
    },
  }),
];
