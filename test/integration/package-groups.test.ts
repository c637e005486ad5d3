// The ten package-group operations through @aws-sdk/client-codeartifact, with the error each bad
// input gets, and the group origin guard on the publishes the API itself serves (generic
// PublishPackageVersion, CopyPackageVersions).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CopyPackageVersionsCommand,
  CreateDomainCommand,
  CreatePackageGroupCommand,
  CreateRepositoryCommand,
  DeletePackageGroupCommand,
  DescribePackageCommand,
  DescribePackageGroupCommand,
  GetAssociatedPackageGroupCommand,
  ListAllowedRepositoriesForGroupCommand,
  ListAssociatedPackagesCommand,
  ListPackageGroupsCommand,
  ListPackagesCommand,
  ListSubPackageGroupsCommand,
  ListTagsForResourceCommand,
  PublishPackageVersionCommand,
  PutPackageOriginConfigurationCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdatePackageGroupCommand,
  UpdatePackageGroupOriginConfigurationCommand,
  paginateListPackageGroups,
  type CodeartifactClient,
} from '@aws-sdk/client-codeartifact';
import { failure, sha256 } from '../support/versions.js';
import { startHoard, type TestHoard } from '../support/hoard.js';

const D = 'groups';

describe('package groups through @aws-sdk/client-codeartifact', () => {
  let h: TestHoard;
  let sdk: CodeartifactClient;
  const arn = (enc: string) => `arn:aws:codeartifact:us-east-1:${h.accountId}:package-group/${D}${enc}`;
  const create = (packageGroup: string, extra: object = {}) => sdk.send(new CreatePackageGroupCommand({ domain: D, packageGroup, ...extra }));
  const describeGroup = async (packageGroup: string) => (await sdk.send(new DescribePackageGroupCommand({ domain: D, packageGroup }))).packageGroup!;
  const subGroups = async (packageGroup: string) =>
    (await sdk.send(new ListSubPackageGroupsCommand({ domain: D, packageGroup }))).packageGroups!.map((g) => g.pattern);
  const origin = (packageGroup: string, input: object) =>
    sdk.send(new UpdatePackageGroupOriginConfigurationCommand({ domain: D, packageGroup, ...input }));
  const putPackage = (format: string, namespace: string | undefined, pkg: string) =>
    sdk.send(
      new PutPackageOriginConfigurationCommand({
        domain: D,
        repository: 'internal',
        format: format as 'npm',
        namespace,
        package: pkg,
        restrictions: { publish: 'ALLOW', upstream: 'BLOCK' },
      }),
    );
  const publishGeneric = (repository: string, namespace: string, name: string, version = '1.0.0') => {
    const bytes = Buffer.from(`${namespace}/${name}@${version}`);
    return sdk.send(
      new PublishPackageVersionCommand({
        domain: D,
        repository,
        format: 'generic',
        namespace,
        package: name,
        packageVersion: version,
        assetName: 'a.bin',
        assetContent: bytes,
        assetSHA256: sha256(bytes),
      }),
    );
  };

  beforeAll(async () => {
    h = await startHoard();
    sdk = h.sdk();
    await sdk.send(new CreateDomainCommand({ domain: D }));
    for (const repository of ['internal', 'scratch']) await sdk.send(new CreateRepositoryCommand({ domain: D, repository }));
  });
  afterAll(async () => h?.stop());

  it('has the root group /* in every domain, allowing everything, with no parent', async () => {
    const root = await describeGroup('/*');
    expect(root).toMatchObject({ pattern: '/*', arn: arn('/%2a'), domainName: D, domainOwner: h.accountId });
    expect(root.parent).toBeUndefined();
    expect(root.createdTime).toBeInstanceOf(Date);
    for (const t of ['PUBLISH', 'EXTERNAL_UPSTREAM', 'INTERNAL_UPSTREAM'])
      expect(root.originConfiguration?.restrictions?.[t as 'PUBLISH']).toEqual({ mode: 'ALLOW', effectiveMode: 'ALLOW', repositoriesCount: 0 });
  });

  it('creates groups that inherit from their parent, with ARNs encoding * and $', async () => {
    const npm = (await create('/npm/*', { description: 'all npm', contactInfo: 'platform@example.invalid', tags: [{ key: 'team', value: 'platform' }] })).packageGroup!;
    expect(npm).toMatchObject({ pattern: '/npm/*', arn: arn('/npm/%2a'), description: 'all npm', contactInfo: 'platform@example.invalid', parent: { pattern: '/*', arn: arn('/%2a') } });
    expect(npm.originConfiguration?.restrictions?.PUBLISH).toEqual({
      mode: 'INHERIT',
      effectiveMode: 'ALLOW',
      inheritedFrom: { pattern: '/*', arn: arn('/%2a') },
      repositoriesCount: 0,
    });
    for (const p of ['/npm/acme/*', '/npm/acme/ui~', '/maven/com.acme~', '/pypi//acme-lib$', '/generic/team/*']) await create(p);
    expect((await describeGroup('/pypi//acme-lib$')).arn).toBe(arn('/pypi//acme-lib%24'));
    expect((await describeGroup('/npm/acme/ui~')).parent?.pattern).toBe('/npm/acme/*');
    expect(await subGroups('/*')).toEqual(['/generic/team/*', '/maven/com.acme~', '/npm/*', '/pypi//acme-lib$']);
    expect(await subGroups('/npm/*')).toEqual(['/npm/acme/*']);
  });

  it('refuses duplicate and malformed patterns, naming the fault', async () => {
    for (const p of ['/npm/*', '/*']) expect(await failure(create(p)), p).toMatchObject({ name: 'ConflictException', status: 409 });
    const cases: [string, RegExp][] = [
      ['/npm/space', /must end with '\*'/],
      ['/foo/*', /'foo' is not a package format/],
      ['/pypi/ns/requests$', /pypi packages have no namespace/],
      ['/pypi//My_Lib$', /use 'my-lib'/],
      ['npm/*', /must start with '\/'/],
      ['/', /length between 2 and 520/],
    ];
    for (const [p, msg] of cases) {
      const e = await failure(create(p));
      expect(e, p).toMatchObject({ name: 'ValidationException', status: 400 });
      expect(e.message, p).toMatch(msg);
    }
    expect(await failure(sdk.send(new CreatePackageGroupCommand({ domain: 'nope', packageGroup: '/npm/*' })))).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    expect(await failure(describeGroup('/npm/missing/*'))).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    expect(await failure(sdk.send(new UpdatePackageGroupCommand({ domain: D, packageGroup: '/npm/missing/*', description: 'x' })))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('lists groups with a prefix and pages through them', async () => {
    const all = (await sdk.send(new ListPackageGroupsCommand({ domain: D }))).packageGroups!.map((g) => g.pattern);
    expect(all).toEqual(['/*', '/generic/team/*', '/maven/com.acme~', '/npm/*', '/npm/acme/*', '/npm/acme/ui~', '/pypi//acme-lib$']);
    const npm = (await sdk.send(new ListPackageGroupsCommand({ domain: D, prefix: '/npm/' }))).packageGroups!.map((g) => g.pattern);
    expect(npm).toEqual(['/npm/*', '/npm/acme/*', '/npm/acme/ui~']);
    const paged: string[] = [];
    for await (const page of paginateListPackageGroups({ client: sdk, pageSize: 2 }, { domain: D })) {
      expect(page.packageGroups!.length).toBeLessThanOrEqual(2);
      paged.push(...page.packageGroups!.map((g) => g.pattern!));
    }
    expect(paged).toEqual(all);
    expect(await failure(sdk.send(new ListPackageGroupsCommand({ domain: D, nextToken: 'not-a-token' })))).toMatchObject({ name: 'ValidationException' });
  });

  it('updates description and contact information', async () => {
    const g = (await sdk.send(new UpdatePackageGroupCommand({ domain: D, packageGroup: '/npm/acme/*', description: 'acme scope', contactInfo: 'acme@example.invalid' }))).packageGroup!;
    expect(g).toMatchObject({ description: 'acme scope', contactInfo: 'acme@example.invalid' });
    const e = await failure(sdk.send(new UpdatePackageGroupCommand({ domain: D, packageGroup: '/npm/acme/*', description: 'bad\u0007' })));
    expect(e).toMatchObject({ name: 'ValidationException' });
  });

  it('sets origin restrictions with per-restriction allow lists; children see the effective mode and where it comes from', async () => {
    const r = await origin('/npm/*', {
      restrictions: { EXTERNAL_UPSTREAM: 'BLOCK', PUBLISH: 'ALLOW_SPECIFIC_REPOSITORIES' },
      addAllowedRepositories: [{ repositoryName: 'internal', originRestrictionType: 'PUBLISH' }],
    });
    expect(r.allowedRepositoryUpdates).toEqual({ PUBLISH: { ADDED: ['internal'] } });
    expect(r.packageGroup?.originConfiguration?.restrictions).toMatchObject({
      PUBLISH: { mode: 'ALLOW_SPECIFIC_REPOSITORIES', effectiveMode: 'ALLOW_SPECIFIC_REPOSITORIES', repositoriesCount: 1 },
      EXTERNAL_UPSTREAM: { mode: 'BLOCK', effectiveMode: 'BLOCK', repositoriesCount: 0 },
      INTERNAL_UPSTREAM: { mode: 'INHERIT', effectiveMode: 'ALLOW', inheritedFrom: { pattern: '/*' } },
    });
    const child = await describeGroup('/npm/acme/*');
    expect(child.originConfiguration?.restrictions?.PUBLISH).toEqual({
      mode: 'INHERIT',
      effectiveMode: 'ALLOW_SPECIFIC_REPOSITORIES',
      inheritedFrom: { pattern: '/npm/*', arn: arn('/npm/%2a') },
      repositoriesCount: 0,
    });
    const allowed = (type: 'PUBLISH' | 'EXTERNAL_UPSTREAM') =>
      sdk.send(new ListAllowedRepositoriesForGroupCommand({ domain: D, packageGroup: '/npm/*', originRestrictionType: type }));
    expect((await allowed('PUBLISH')).allowedRepositories).toEqual(['internal']);
    expect((await allowed('EXTERNAL_UPSTREAM')).allowedRepositories).toEqual([]);
    // Adding what is there and removing what is not change nothing and say so.
    const again = await origin('/npm/*', {
      addAllowedRepositories: [{ repositoryName: 'internal', originRestrictionType: 'PUBLISH' }],
      removeAllowedRepositories: [{ repositoryName: 'scratch', originRestrictionType: 'PUBLISH' }],
    });
    expect(again.allowedRepositoryUpdates).toEqual({});

    expect(await failure(origin('/*', { restrictions: { PUBLISH: 'INHERIT' } }))).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/root package group \/\* has no parent/) });
    expect(await failure(origin('/npm/*', { restrictions: { PUBLISH: 'SOMETIMES' } }))).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/ALLOW, ALLOW_SPECIFIC_REPOSITORIES, BLOCK, INHERIT/) });
    expect(await failure(origin('/npm/*', { restrictions: { DOWNLOAD: 'BLOCK' } }))).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/EXTERNAL_UPSTREAM, INTERNAL_UPSTREAM, PUBLISH/) });
    expect(await failure(origin('/npm/*', { addAllowedRepositories: [{ repositoryName: 'ghost', originRestrictionType: 'PUBLISH' }] }))).toMatchObject({
      name: 'ResourceNotFoundException',
      message: expect.stringMatching(/Repository ghost not found/),
    });
    expect(await failure(sdk.send(new ListAllowedRepositoriesForGroupCommand({ domain: D, packageGroup: '/npm/*', originRestrictionType: 'NOPE' as 'PUBLISH' })))).toMatchObject({
      name: 'ValidationException',
    });
  });

  it('tells which group a package belongs to, stored anywhere or not, and how strongly', async () => {
    const assoc = (format: string, namespace: string | undefined, pkg: string) =>
      sdk.send(new GetAssociatedPackageGroupCommand({ domain: D, format: format as 'npm', namespace, package: pkg }));
    expect(await assoc('npm', 'acme', 'ui-kit')).toMatchObject({ packageGroup: { pattern: '/npm/acme/ui~' }, associationType: 'WEAK' });
    expect(await assoc('npm', 'acme', 'x')).toMatchObject({ packageGroup: { pattern: '/npm/acme/*' }, associationType: 'WEAK' });
    expect(await assoc('npm', undefined, 'react')).toMatchObject({ packageGroup: { pattern: '/npm/*' } });
    expect(await assoc('pypi', undefined, 'Acme_Lib')).toMatchObject({ packageGroup: { pattern: '/pypi//acme-lib$' }, associationType: 'STRONG' });
    expect(await assoc('maven', 'com.acme.tools', 'core')).toMatchObject({ packageGroup: { pattern: '/maven/com.acme~' } });
    expect(await assoc('cargo', undefined, 'serde')).toMatchObject({ packageGroup: { pattern: '/*' } });
    expect(await failure(assoc('maven', undefined, 'core'))).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/namespace is required/) });
    expect(await failure(assoc('pip', undefined, 'x'))).toMatchObject({ name: 'ValidationException' });
  });

  it('lists the packages of the domain each group holds, and previews a pattern not yet created', async () => {
    await putPackage('npm', 'acme', 'x');
    await putPackage('npm', 'acme', 'ui-kit');
    await putPackage('npm', undefined, 'react');
    await putPackage('pypi', undefined, 'acme-lib');
    const list = async (packageGroup: string, preview?: boolean) =>
      (await sdk.send(new ListAssociatedPackagesCommand({ domain: D, packageGroup, preview }))).packages;
    expect(await list('/npm/acme/*')).toEqual([{ format: 'npm', namespace: 'acme', package: 'x', associationType: 'WEAK' }]);
    expect(await list('/npm/*')).toEqual([{ format: 'npm', package: 'react', associationType: 'WEAK' }]);
    expect(await list('/pypi//acme-lib$')).toEqual([{ format: 'pypi', package: 'acme-lib', associationType: 'STRONG' }]);
    expect(await list('/npm/acme/x$', true)).toEqual([{ format: 'npm', namespace: 'acme', package: 'x', associationType: 'STRONG' }]);
    expect(await list('/npm/acme/zzz~', true)).toEqual([]);
    expect(await failure(list('/npm/acme/x$'))).toMatchObject({ name: 'ResourceNotFoundException', message: expect.stringMatching(/preview=true/) });
    // Pages of one.
    const first = await sdk.send(new ListAssociatedPackagesCommand({ domain: D, packageGroup: '/npm/acme/*', preview: false, maxResults: 1 }));
    expect(first.nextToken).toBeUndefined();
    await putPackage('npm', 'acme', 'y');
    const p1 = await sdk.send(new ListAssociatedPackagesCommand({ domain: D, packageGroup: '/npm/acme/*', maxResults: 1 }));
    expect(p1.packages!.map((p) => p.package)).toEqual(['x']);
    const p2 = await sdk.send(new ListAssociatedPackagesCommand({ domain: D, packageGroup: '/npm/acme/*', maxResults: 1, nextToken: p1.nextToken }));
    expect(p2.packages!.map((p) => p.package)).toEqual(['y']);
    expect(p2.nextToken).toBeUndefined();
    // Package origin configuration and ListPackages filters are the package's own, unchanged by groups.
    const described = await sdk.send(new DescribePackageCommand({ domain: D, repository: 'internal', format: 'npm', namespace: 'acme', package: 'x' }));
    expect(described.package?.originConfiguration?.restrictions).toEqual({ publish: 'ALLOW', upstream: 'BLOCK' });
    const blocked = await sdk.send(new ListPackagesCommand({ domain: D, repository: 'internal', upstream: 'BLOCK' }));
    expect(blocked.packages!.length).toBe(5);
  });

  it('tags package groups by their ARN', async () => {
    const resourceArn = arn('/npm/%2a');
    expect((await sdk.send(new ListTagsForResourceCommand({ resourceArn }))).tags).toEqual([{ key: 'team', value: 'platform' }]);
    await sdk.send(new TagResourceCommand({ resourceArn, tags: [{ key: 'tier', value: '1' }] }));
    await sdk.send(new UntagResourceCommand({ resourceArn, tagKeys: ['team'] }));
    expect((await sdk.send(new ListTagsForResourceCommand({ resourceArn }))).tags).toEqual([{ key: 'tier', value: '1' }]);
    expect(await failure(sdk.send(new ListTagsForResourceCommand({ resourceArn: arn('/npm/%2A') })))).toMatchObject({ name: 'ValidationException' });
    expect(await failure(sdk.send(new ListTagsForResourceCommand({ resourceArn: arn('/npm/nothing/%2a') })))).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('enforces PUBLISH on generic PublishPackageVersion and on CopyPackageVersions, naming the group', async () => {
    await origin('/generic/team/*', {
      restrictions: { PUBLISH: 'ALLOW_SPECIFIC_REPOSITORIES' },
      addAllowedRepositories: [{ repositoryName: 'internal', originRestrictionType: 'PUBLISH' }],
    });
    expect((await publishGeneric('internal', 'team', 'tool')).status).toBe('Published');
    const refused = await failure(publishGeneric('scratch', 'team', 'tool'));
    expect(refused).toMatchObject({ name: 'AccessDeniedException', status: 403 });
    expect(refused.message).toBe(
      'Publishing team:tool to repository scratch is not allowed: package group /generic/team/* sets PUBLISH to ALLOW_SPECIFIC_REPOSITORIES; scratch is not on its allowed repositories list.',
    );
    expect((await publishGeneric('scratch', 'other', 'tool')).status).toBe('Published');
    const copy = await failure(
      sdk.send(
        new CopyPackageVersionsCommand({ domain: D, sourceRepository: 'internal', destinationRepository: 'scratch', format: 'generic', namespace: 'team', package: 'tool', versions: ['1.0.0'] }),
      ),
    );
    expect(copy).toMatchObject({ name: 'AccessDeniedException', message: expect.stringMatching(/package group \/generic\/team\/\* sets PUBLISH/) });
    // A more specific group overrides; an inherited BLOCK names where it comes from.
    await create('/generic/team/open~');
    await origin('/generic/team/open~', { restrictions: { PUBLISH: 'ALLOW' } });
    expect((await publishGeneric('scratch', 'team', 'open-tool')).status).toBe('Published');
    await origin('/generic/team/*', { restrictions: { PUBLISH: 'BLOCK' } });
    await create('/generic/team/closed~');
    expect((await failure(publishGeneric('internal', 'team', 'closed-tool'))).message).toMatch(
      /package group \/generic\/team\/closed~ sets PUBLISH to BLOCK, inherited from \/generic\/team\/\*\.$/,
    );
  });

  it('deletes groups (never the root); children re-parent to the deleted group\'s parent', async () => {
    const deleted = (await sdk.send(new DeletePackageGroupCommand({ domain: D, packageGroup: '/npm/*' }))).packageGroup!;
    expect(deleted).toMatchObject({ pattern: '/npm/*', parent: { pattern: '/*' } });
    expect((await describeGroup('/npm/acme/*')).parent).toEqual({ pattern: '/*', arn: arn('/%2a') });
    expect(await subGroups('/*')).toContain('/npm/acme/*');
    // Its tags went with it.
    expect(await failure(sdk.send(new ListTagsForResourceCommand({ resourceArn: arn('/npm/%2a') })))).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(await failure(sdk.send(new DeletePackageGroupCommand({ domain: D, packageGroup: '/*' })))).toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/root package group \/\* cannot be deleted/),
    });
    expect(await failure(sdk.send(new DeletePackageGroupCommand({ domain: D, packageGroup: '/npm/*' })))).toMatchObject({ name: 'ResourceNotFoundException' });
    // Created again, it has no memory of its old settings.
    expect((await create('/npm/*')).packageGroup?.originConfiguration?.restrictions?.PUBLISH?.mode).toBe('INHERIT');
  });

  it('checks access on the package group ARN', async () => {
    const { identity } = h.server.services;
    await identity.createUser(h.accountId, 'reader');
    const key = await identity.createAccessKey(h.accountId, 'reader');
    await identity.putUserPolicy(
      h.accountId,
      'reader',
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'codeartifact:DescribePackageGroup', Resource: arn('/npm/acme/%2a') }] }),
    );
    const reader = h.sdk({ accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey });
    expect((await reader.send(new DescribePackageGroupCommand({ domain: D, packageGroup: '/npm/acme/*' }))).packageGroup?.pattern).toBe('/npm/acme/*');
    const denied = await failure(reader.send(new DescribePackageGroupCommand({ domain: D, packageGroup: '/*' })));
    expect(denied).toMatchObject({ name: 'AccessDeniedException', status: 403 });
    expect(denied.message).toContain(`codeartifact:DescribePackageGroup on resource: ${arn('/%2a')}`);
    expect(await failure(reader.send(new CreatePackageGroupCommand({ domain: D, packageGroup: '/npm/acme/new~' })))).toMatchObject({ name: 'AccessDeniedException' });
    expect(await failure(reader.send(new ListPackageGroupsCommand({ domain: D })))).toMatchObject({ name: 'AccessDeniedException' });
  });
});
