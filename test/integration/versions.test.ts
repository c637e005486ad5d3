// Packages and package versions through @aws-sdk/client-codeartifact, on generic packages (which
// need no package manager): list/describe, origin configuration, status changes with CodeArtifact's
// all-or-nothing batch semantics, delete, dispose, copy, and the error each bad input gets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CopyPackageVersionsCommand,
  CreateDomainCommand,
  CreateRepositoryCommand,
  DeletePackageCommand,
  DeletePackageVersionsCommand,
  DescribePackageCommand,
  DescribePackageVersionCommand,
  DisposePackageVersionsCommand,
  ListPackagesCommand,
  ListPackageVersionAssetsCommand,
  ListPackageVersionsCommand,
  PublishPackageVersionCommand,
  PutPackageOriginConfigurationCommand,
  UpdatePackageVersionsStatusCommand,
  type CodeartifactClient,
} from '@aws-sdk/client-codeartifact';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { blobObjects, events, failure, sha256 } from '../support/versions.js';

describe('package versions through the SDK', () => {
  let h: TestHoard;
  let sdk: CodeartifactClient;
  const repo = { domain: 'life', repository: 'main' };
  const pkg = (name: string) => ({ ...repo, format: 'generic' as const, namespace: 'team', package: name });
  const publish = (name: string, version: string, body = `${name}@${version}`, repository = 'main', unfinished = false) => {
    const bytes = Buffer.from(body);
    return sdk.send(
      new PublishPackageVersionCommand({
        ...pkg(name),
        repository,
        packageVersion: version,
        assetName: `${name}.bin`,
        assetContent: bytes,
        assetSHA256: sha256(bytes),
        unfinished,
      }),
    );
  };
  const versions = async (name: string, extra: Record<string, unknown> = {}, repository = 'main') =>
    sdk.send(new ListPackageVersionsCommand({ ...pkg(name), repository, ...extra }));
  const status = (name: string, vs: string[], targetStatus: string, extra: Record<string, unknown> = {}) =>
    sdk.send(new UpdatePackageVersionsStatusCommand({ ...pkg(name), versions: vs, targetStatus: targetStatus as 'Published', ...extra }));

  beforeAll(async () => {
    h = await startHoard();
    sdk = h.sdk();
    await sdk.send(new CreateDomainCommand({ domain: 'life' }));
    for (const r of ['up', 'main', 'dest', 'locked']) await sdk.send(new CreateRepositoryCommand({ domain: 'life', repository: r }));
    await sdk.send(new CreateRepositoryCommand({ domain: 'life', repository: 'down', upstreams: [{ repositoryName: 'up' }] }));
  });
  afterAll(async () => h?.stop());

  it('lists and describes packages with their origin configuration', async () => {
    await publish('alpha', '1.0.0');
    await publish('beta', '1.0.0');
    const described = await sdk.send(new DescribePackageCommand(pkg('alpha')));
    expect(described.package).toEqual({
      format: 'generic',
      namespace: 'team',
      name: 'alpha',
      originConfiguration: { restrictions: { publish: 'ALLOW', upstream: 'BLOCK' } },
    });
    // PutPackageOriginConfiguration on a missing package creates it with no versions.
    const put = await sdk.send(new PutPackageOriginConfigurationCommand({ ...pkg('gamma'), restrictions: { publish: 'BLOCK', upstream: 'ALLOW' } }));
    expect(put.originConfiguration?.restrictions).toEqual({ publish: 'BLOCK', upstream: 'ALLOW' });
    expect((await versions('gamma')).versions).toEqual([]);
    // ... and from then on a publish into it is refused.
    expect(await failure(publish('gamma', '1.0.0'))).toMatchObject({ name: 'AccessDeniedException', status: 403 });

    const all = await sdk.send(new ListPackagesCommand(repo));
    expect(all.packages?.map((p) => p.package)).toEqual(['alpha', 'beta', 'gamma']);
    const page1 = await sdk.send(new ListPackagesCommand({ ...repo, maxResults: 2 }));
    const page2 = await sdk.send(new ListPackagesCommand({ ...repo, maxResults: 2, nextToken: page1.nextToken }));
    expect([...page1.packages!, ...page2.packages!].map((p) => p.package)).toEqual(['alpha', 'beta', 'gamma']);
    expect(page2.nextToken).toBeUndefined();
    const names = async (f: Record<string, unknown>) => (await sdk.send(new ListPackagesCommand({ ...repo, ...f }))).packages!.map((p) => p.package);
    expect(await names({ packagePrefix: 'al' })).toEqual(['alpha']);
    expect(await names({ publish: 'BLOCK' })).toEqual(['gamma']);
    expect(await names({ upstream: 'BLOCK', format: 'generic', namespace: 'te' })).toEqual(['alpha', 'beta']);
    expect(await names({ format: 'npm' })).toEqual([]);
    expect(await names({ namespace: 'other' })).toEqual([]);
  });

  it('lists versions with filters, sort and defaultDisplayVersion', async () => {
    await publish('multi', '1.0.0');
    await publish('multi', '2.0.0');
    await publish('multi', '1.5.0');
    await publish('multi', '3.0.0-rc', undefined, 'main', true);
    const all = await versions('multi');
    expect(all.versions?.map((v) => `${v.version}:${v.status}`)).toEqual([
      '1.0.0:Published',
      '1.5.0:Published',
      '2.0.0:Published',
      '3.0.0-rc:Unfinished',
    ]);
    expect(all.versions?.[0].origin).toEqual({ domainEntryPoint: { repositoryName: 'main' }, originType: 'INTERNAL' });
    // The most recently published Published version.
    expect(all.defaultDisplayVersion).toBe('1.5.0');
    const byTime = await versions('multi', { sortBy: 'PUBLISHED_TIME' });
    expect(byTime.versions?.map((v) => v.version)).toEqual(['1.5.0', '2.0.0', '1.0.0', '3.0.0-rc']);
    expect((await versions('multi', { status: 'Unfinished' })).versions?.map((v) => v.version)).toEqual(['3.0.0-rc']);
    expect((await versions('multi', { originType: 'EXTERNAL' })).versions).toEqual([]);
    await status('multi', ['1.5.0'], 'Unlisted');
    expect((await versions('multi')).defaultDisplayVersion).toBe('2.0.0');
  });

  it('changes status all-or-nothing, with expectedStatus and revisions', async () => {
    await publish('st', '1.0.0');
    await publish('st', '2.0.0');
    const r1 = (await versions('st')).versions!.find((v) => v.version === '1.0.0')!.revision!;
    const ok = await status('st', ['1.0.0', '2.0.0'], 'Unlisted', { expectedStatus: 'Published' });
    expect(ok.successfulVersions).toEqual({
      '1.0.0': { revision: r1, status: 'Unlisted' },
      '2.0.0': { revision: expect.any(String), status: 'Unlisted' },
    });
    expect(ok.failedVersions).toEqual({});
    // expectedStatus mismatch on one version: it fails, the other is skipped, nothing changes.
    await status('st', ['2.0.0'], 'Published');
    const mixed = await status('st', ['1.0.0', '2.0.0', '9.9.9'], 'Archived', { expectedStatus: 'Unlisted' });
    expect(mixed.successfulVersions).toEqual({});
    expect(mixed.failedVersions).toEqual({
      '1.0.0': { errorCode: 'SKIPPED', errorMessage: 'Version 1.0.0 was skipped' },
      '2.0.0': { errorCode: 'MISMATCHED_STATUS', errorMessage: 'current status: Published, expected status: Unlisted' },
      '9.9.9': { errorCode: 'NOT_FOUND', errorMessage: 'Could not find version 9.9.9' },
    });
    expect((await versions('st')).versions!.map((v) => v.status)).toEqual(['Unlisted', 'Published']);
    // versionRevisions: a stale revision fails the version.
    const rev = await status('st', ['1.0.0'], 'Archived', { versionRevisions: { '1.0.0': 'stale-revision' } });
    expect(rev.failedVersions?.['1.0.0']).toEqual({ errorCode: 'MISMATCHED_REVISION', errorMessage: `current revision: ${r1}, expected revision: stale-revision` });
    const revOk = await status('st', ['1.0.0'], 'Archived', { versionRevisions: { '1.0.0': r1 } });
    expect(revOk.successfulVersions?.['1.0.0']).toEqual({ revision: r1, status: 'Archived' });
    // Archived restores to Published; the event rows record every change.
    await status('st', ['1.0.0'], 'Published');
    const ev = await events(h, 'st', '1.0.0');
    expect(ev.map((e) => `${e.operationType}:${e.packageVersionState}`)).toEqual([
      'Created:Published',
      'Updated:Unlisted',
      'Updated:Archived',
      'Updated:Published',
    ]);
    expect(ev[1]).toMatchObject({ repositoryName: 'main', packageFormat: 'generic', packageNamespace: 'team', changes: { statusChanged: true } });
  });

  it('refuses bad status transitions with the error AWS gives', async () => {
    await publish('tr', '1.0.0');
    const bad = async (target: string, re: RegExp) => {
      const e = await failure(status('tr', ['1.0.0'], target));
      expect(e).toMatchObject({ name: 'ValidationException', status: 400 });
      expect(e.message).toMatch(re);
    };
    await bad('Disposed', /DisposePackageVersions/);
    await bad('Unfinished', /not allowed/);
    await bad('Deleted', /not allowed/);
    await bad('Gone', /enum value set/);
    // Disposed is terminal: reported per version as NOT_ALLOWED.
    await sdk.send(new DisposePackageVersionsCommand({ ...pkg('tr'), versions: ['1.0.0'] }));
    const r = await status('tr', ['1.0.0'], 'Published');
    expect(r.failedVersions?.['1.0.0']).toMatchObject({ errorCode: 'NOT_ALLOWED' });
    // Bad expectedStatus values, version names, missing package.
    expect(await failure(status('tr', ['1.0.0'], 'Published', { expectedStatus: 'Bogus' }))).toMatchObject({ name: 'ValidationException' });
    expect(await failure(status('tr', ['bad version'], 'Published'))).toMatchObject({ name: 'ValidationException' });
    expect(await failure(status('tr', ['1.0.0'], 'Published', { versionRevisions: { '2.0.0': 'x' } }))).toMatchObject({
      name: 'ValidationException',
    });
    expect(await failure(status('nothere', ['1.0.0'], 'Published'))).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    expect(
      await failure(sdk.send(new ListPackageVersionsCommand({ ...pkg('tr'), format: 'wheel' as 'npm' }))),
    ).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(await failure(sdk.send(new ListPackageVersionsCommand({ ...pkg('tr'), namespace: undefined })))).toMatchObject({
      name: 'ValidationException',
    });
  });

  it('deletes versions (republishable) and disposes them (record kept, assets gone)', async () => {
    await publish('del', '1.0.0');
    await publish('del', '2.0.0');
    const d = await sdk.send(new DeletePackageVersionsCommand({ ...pkg('del'), versions: ['1.0.0'], expectedStatus: 'Published' }));
    expect(d.successfulVersions?.['1.0.0']).toMatchObject({ status: 'Deleted' });
    expect((await versions('del')).versions?.map((v) => v.version)).toEqual(['2.0.0']);
    expect((await events(h, 'del', '1.0.0')).at(-1)).toMatchObject({ operationType: 'Deleted', packageVersionState: 'Deleted' });
    // Deleted versions can be published again, even with other content.
    expect((await publish('del', '1.0.0', 'new content')).status).toBe('Published');

    const before = (await versions('del')).versions!.find((v) => v.version === '2.0.0')!;
    const disp = await sdk.send(new DisposePackageVersionsCommand({ ...pkg('del'), versions: ['2.0.0'], expectedStatus: 'Published' }));
    expect(disp.successfulVersions?.['2.0.0'].status).toBe('Disposed');
    expect(disp.successfulVersions?.['2.0.0'].revision).not.toBe(before.revision);
    const after = await sdk.send(new DescribePackageVersionCommand({ ...pkg('del'), packageVersion: '2.0.0' }));
    expect(after.packageVersion?.status).toBe('Disposed');
    const assets = await sdk.send(new ListPackageVersionAssetsCommand({ ...pkg('del'), packageVersion: '2.0.0' }));
    expect(assets.assets).toEqual([]);
    expect((await events(h, 'del', '2.0.0')).at(-1)).toMatchObject({ packageVersionState: 'Disposed', changes: { assetsRemoved: 1 } });
    // Disposed cannot be published over (the record is kept) and expectedStatus guards dispose too.
    expect(await failure(publish('del', '2.0.0'))).toMatchObject({ name: 'ConflictException' });
    const guarded = await sdk.send(new DisposePackageVersionsCommand({ ...pkg('del'), versions: ['1.0.0'], expectedStatus: 'Archived' }));
    expect(guarded.failedVersions?.['1.0.0']).toMatchObject({ errorCode: 'MISMATCHED_STATUS' });
  });

  it('deletes a package with one event per version', async () => {
    await publish('gone', '1.0.0');
    await publish('gone', '2.0.0');
    const r = await sdk.send(new DeletePackageCommand(pkg('gone')));
    expect(r.deletedPackage).toEqual({
      format: 'generic',
      namespace: 'team',
      package: 'gone',
      originConfiguration: { restrictions: { publish: 'ALLOW', upstream: 'BLOCK' } },
    });
    expect((await events(h, 'gone')).filter((e) => e.operationType === 'Deleted').map((e) => e.packageVersion).sort()).toEqual([
      '1.0.0',
      '2.0.0',
    ]);
    expect(await failure(sdk.send(new DescribePackageCommand(pkg('gone'))))).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    expect(await failure(sdk.send(new DeletePackageCommand(pkg('gone'))))).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('copies versions between repositories without copying bytes', async () => {
    const a = await publish('cp', '1.0.0');
    await publish('cp', '2.0.0');
    await status('cp', ['2.0.0'], 'Unlisted');
    const objects = (await blobObjects(h, 'life')).length;
    const copy = (extra: Record<string, unknown>, src = 'main', dst = 'dest') =>
      sdk.send(new CopyPackageVersionsCommand({ domain: 'life', sourceRepository: src, destinationRepository: dst, format: 'generic', namespace: 'team', package: 'cp', ...extra }));
    const r = await copy({ versions: ['1.0.0', '2.0.0'] });
    expect(r.successfulVersions).toEqual({
      '1.0.0': { revision: a.versionRevision, status: 'Published' },
      '2.0.0': { revision: expect.any(String), status: 'Unlisted' },
    });
    expect((await blobObjects(h, 'life')).length).toBe(objects);
    const copied = await sdk.send(new DescribePackageVersionCommand({ ...pkg('cp'), repository: 'dest', packageVersion: '1.0.0' }));
    // The origin is where the version first entered the domain.
    expect(copied.packageVersion?.origin).toEqual({ domainEntryPoint: { repositoryName: 'main' }, originType: 'INTERNAL' });
    expect((await sdk.send(new DescribePackageCommand({ ...pkg('cp'), repository: 'dest' }))).package?.originConfiguration?.restrictions).toEqual({
      publish: 'ALLOW',
      upstream: 'BLOCK',
    });
    expect((await events(h, 'cp', '1.0.0')).at(-1)).toMatchObject({ repositoryName: 'dest', operationType: 'Created', changes: { assetsAdded: 1 } });
    // Copying the same thing again is a no-op success; a different copy needs allowOverwrite.
    expect((await copy({ versions: ['1.0.0'] })).successfulVersions?.['1.0.0']).toBeDefined();
    await sdk.send(new DeletePackageVersionsCommand({ ...pkg('cp'), versions: ['1.0.0'] }));
    await publish('cp', '1.0.0', 'different bytes');
    const clash = await copy({ versions: ['1.0.0', '2.0.0'], allowOverwrite: false }, 'main', 'dest');
    expect(clash.failedVersions).toEqual({
      '1.0.0': { errorCode: 'ALREADY_EXISTS', errorMessage: 'Version 1.0.0 already exists' },
      '2.0.0': { errorCode: 'SKIPPED', errorMessage: 'Version 2.0.0 was skipped' },
    });
    const back = await copy({ versions: ['1.0.0'] }, 'dest', 'main');
    expect(back.failedVersions?.['1.0.0']).toEqual({ errorCode: 'ALREADY_EXISTS', errorMessage: 'Version 1.0.0 already exists' });
    const over = await copy({ versions: ['1.0.0'], allowOverwrite: true }, 'dest', 'main');
    expect(over.successfulVersions?.['1.0.0']).toMatchObject({ status: 'Published' });
    // versionRevisions instead of versions; a stale revision fails; missing versions are NOT_FOUND.
    const rev = (await versions('cp')).versions!.find((v) => v.version === '2.0.0')!.revision!;
    expect((await copy({ versionRevisions: { '2.0.0': rev } }, 'main', 'locked')).successfulVersions?.['2.0.0']).toBeDefined();
    expect((await copy({ versionRevisions: { '2.0.0': 'stale' } }, 'main', 'up')).failedVersions?.['2.0.0']).toMatchObject({
      errorCode: 'MISMATCHED_REVISION',
    });
    const missing = await copy({ versions: ['1.0.0', '7.0.0'] }, 'main', 'up');
    expect(missing.failedVersions).toEqual({
      '1.0.0': { errorCode: 'SKIPPED', errorMessage: 'Version 1.0.0 was skipped' },
      '7.0.0': { errorCode: 'NOT_FOUND', errorMessage: 'Could not find version 7.0.0' },
    });
    expect(await failure(sdk.send(new DescribePackageCommand({ ...pkg('cp'), repository: 'up' })))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('checks each action against the package ARN; copy needs ReadFromRepository on the source and CopyPackageVersions on the destination', async () => {
    await publish('acl', '1.0.0');
    await publish('other', '1.0.0');
    const { identity } = h.server.services;
    await identity.createUser(h.accountId, 'operator');
    const key = await identity.createAccessKey(h.accountId, 'operator');
    const arn = (repository: string, name: string) => `arn:aws:codeartifact:us-east-1:${h.accountId}:package/life/${repository}/generic/team/${name}`;
    await identity.putUserPolicy(
      h.accountId,
      'operator',
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['codeartifact:Describe*', 'codeartifact:List*', 'codeartifact:UpdatePackageVersionsStatus'], Resource: arn('main', 'acl') },
          { Effect: 'Allow', Action: 'codeartifact:CopyPackageVersions', Resource: arn('dest', 'acl') },
        ],
      }),
    );
    const op = h.sdk({ accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey });
    expect((await op.send(new DescribePackageVersionCommand({ ...pkg('acl'), packageVersion: '1.0.0' }))).packageVersion?.status).toBe('Published');
    expect((await op.send(new UpdatePackageVersionsStatusCommand({ ...pkg('acl'), versions: ['1.0.0'], targetStatus: 'Unlisted' }))).successfulVersions).toBeDefined();
    const denied = await failure(op.send(new UpdatePackageVersionsStatusCommand({ ...pkg('other'), versions: ['1.0.0'], targetStatus: 'Unlisted' })));
    expect(denied).toMatchObject({ name: 'AccessDeniedException', status: 403 });
    expect(denied.message).toContain(`codeartifact:UpdatePackageVersionsStatus on resource: ${arn('main', 'other')}`);
    expect(await failure(op.send(new DisposePackageVersionsCommand({ ...pkg('acl'), versions: ['1.0.0'] })))).toMatchObject({ name: 'AccessDeniedException' });
    const copy = () =>
      op.send(new CopyPackageVersionsCommand({ domain: 'life', sourceRepository: 'main', destinationRepository: 'dest', format: 'generic', namespace: 'team', package: 'acl', versions: ['1.0.0'] }));
    const noRead = await failure(copy());
    expect(noRead.message).toContain('codeartifact:ReadFromRepository');
    await identity.putUserPolicy(
      h.accountId,
      'operator',
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 'codeartifact:ReadFromRepository', Resource: `arn:aws:codeartifact:us-east-1:${h.accountId}:repository/life/main` },
          { Effect: 'Allow', Action: 'codeartifact:CopyPackageVersions', Resource: arn('dest', 'acl') },
        ],
      }),
    );
    expect((await copy()).successfulVersions?.['1.0.0']).toMatchObject({ status: 'Unlisted' });
  });

  it('copies from upstreams only with includeFromUpstream, and refuses blocked destinations', async () => {
    await publish('upc', '1.0.0', 'from upstream', 'up');
    const copy = (extra: Record<string, unknown>, dst = 'dest') =>
      sdk.send(new CopyPackageVersionsCommand({ domain: 'life', sourceRepository: 'down', destinationRepository: dst, format: 'generic', namespace: 'team', package: 'upc', ...extra }));
    expect(await failure(copy({ versions: ['1.0.0'] }))).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    expect((await copy({ versions: ['1.0.0'], includeFromUpstream: true })).successfulVersions?.['1.0.0']).toMatchObject({ status: 'Published' });
    // A destination package whose origin controls block publishing refuses the copy.
    await sdk.send(new PutPackageOriginConfigurationCommand({ ...pkg('upc'), repository: 'locked', restrictions: { publish: 'BLOCK', upstream: 'ALLOW' } }));
    const e = await failure(copy({ versions: ['1.0.0'], includeFromUpstream: true }, 'locked'));
    expect(e).toMatchObject({ name: 'AccessDeniedException', status: 403 });
    expect(e.message).toMatch(/origin controls/);
    expect((await versions('upc', {}, 'locked')).versions).toEqual([]);
    // Both or neither of versions/versionRevisions, same source and destination: 400.
    expect(await failure(copy({}))).toMatchObject({ name: 'ValidationException' });
    expect(await failure(copy({ versions: ['1.0.0'], versionRevisions: { '1.0.0': 'x' } }))).toMatchObject({ name: 'ValidationException' });
    expect(await failure(copy({ versions: ['1.0.0'] }, 'down'))).toMatchObject({ name: 'ValidationException' });
    // Unfinished and Disposed versions cannot be copied.
    await publish('upc', '2.0.0', 'wip', 'up', true);
    expect((await copy({ versions: ['2.0.0'], includeFromUpstream: true })).failedVersions?.['2.0.0']).toMatchObject({ errorCode: 'NOT_ALLOWED' });
  });
});
