// The generic format through @aws-sdk/client-codeartifact: PublishPackageVersion (streamed,
// verified against x-amz-content-sha256, unfinished flag, immutability, dedup per domain) and
// GetPackageVersionAsset, plus the error each bad input gets.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateDomainCommand,
  DeleteDomainCommand,
  DeleteRepositoryCommand,
  CreateRepositoryCommand,
  DescribePackageVersionCommand,
  GetPackageVersionAssetCommand,
  ListPackageVersionAssetsCommand,
  ListPackageVersionDependenciesCommand,
  GetPackageVersionReadmeCommand,
  PublishPackageVersionCommand,
  UpdatePackageVersionsStatusCommand,
  type CodeartifactClient,
  type PublishPackageVersionCommandInput,
} from '@aws-sdk/client-codeartifact';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { blobObjects, failure, sha256 } from '../support/versions.js';

describe('generic format through the SDK', () => {
  let h: TestHoard;
  let sdk: CodeartifactClient;
  const base = { domain: 'gen', repository: 'bin', format: 'generic' as const, namespace: 'tools' };
  const publish = (pkg: string, version: string, asset: string, bytes: Buffer, extra: Partial<PublishPackageVersionCommandInput> = {}) =>
    sdk.send(
      new PublishPackageVersionCommand({
        ...base,
        package: pkg,
        packageVersion: version,
        assetName: asset,
        assetContent: bytes,
        assetSHA256: sha256(bytes),
        ...extra,
      }),
    );
  const get = async (pkg: string, version: string, asset: string, revision?: string) => {
    const r = await sdk.send(new GetPackageVersionAssetCommand({ ...base, package: pkg, packageVersion: version, asset, packageVersionRevision: revision }));
    return { bytes: Buffer.from(await r.asset!.transformToByteArray()), r };
  };

  beforeAll(async () => {
    h = await startHoard();
    sdk = h.sdk();
    await sdk.send(new CreateDomainCommand({ domain: 'gen' }));
    await sdk.send(new CreateRepositoryCommand({ domain: 'gen', repository: 'bin' }));
  });
  afterAll(async () => h?.stop());

  it('publishes a multi-asset version with unfinished, then finishes it', async () => {
    const a = Buffer.from('first asset\n');
    const b = Buffer.from('second asset\n');
    const r1 = await publish('cli', '1.0.0', 'cli-linux.tar.gz', a, { unfinished: true });
    expect(r1).toMatchObject({ format: 'generic', namespace: 'tools', package: 'cli', version: '1.0.0', status: 'Unfinished' });
    expect(r1.asset).toEqual({
      name: 'cli-linux.tar.gz',
      size: a.length,
      hashes: {
        MD5: createHash('md5').update(a).digest('hex'),
        'SHA-1': createHash('sha1').update(a).digest('hex'),
        'SHA-256': sha256(a),
        'SHA-512': createHash('sha512').update(a).digest('hex'),
      },
    });
    // Unfinished: listed to the control plane, not downloadable.
    expect(await failure(get('cli', '1.0.0', 'cli-linux.tar.gz'))).toMatchObject({ name: 'ConflictException', status: 409 });
    const r2 = await publish('cli', '1.0.0', 'cli mac (arm64).zip', b);
    expect(r2.status).toBe('Published');
    expect(r2.versionRevision).not.toBe(r1.versionRevision);

    const assets = await sdk.send(new ListPackageVersionAssetsCommand({ ...base, package: 'cli', packageVersion: '1.0.0' }));
    expect(assets.assets?.map((x) => x.name)).toEqual(['cli mac (arm64).zip', 'cli-linux.tar.gz']);
    expect(assets.versionRevision).toBe(r2.versionRevision);
    expect(assets.assets?.[0].hashes?.['SHA-256']).toBe(sha256(b));

    const got = await get('cli', '1.0.0', 'cli-linux.tar.gz', r2.versionRevision);
    expect(got.bytes.equals(a)).toBe(true);
    expect(got.r).toMatchObject({ assetName: 'cli-linux.tar.gz', packageVersion: '1.0.0', packageVersionRevision: r2.versionRevision });

    const d = await sdk.send(new DescribePackageVersionCommand({ ...base, package: 'cli', packageVersion: '1.0.0' }));
    expect(d.packageVersion).toMatchObject({
      format: 'generic',
      namespace: 'tools',
      packageName: 'cli',
      version: '1.0.0',
      status: 'Published',
      revision: r2.versionRevision,
      origin: { domainEntryPoint: { repositoryName: 'bin' }, originType: 'INTERNAL' },
    });
    expect(d.packageVersion?.publishedTime).toBeInstanceOf(Date);
    expect(d.packageVersion?.summary).toBeUndefined();
    // Generic packages never have a readme or dependencies.
    const readme = await sdk.send(new GetPackageVersionReadmeCommand({ ...base, package: 'cli', packageVersion: '1.0.0' }));
    expect(readme.readme).toBeUndefined();
    const deps = await sdk.send(new ListPackageVersionDependenciesCommand({ ...base, package: 'cli', packageVersion: '1.0.0' }));
    expect(deps.dependencies).toEqual([]);
  });

  it('is idempotent for the same bytes and immutable otherwise', async () => {
    const a = Buffer.from('first asset\n');
    const again = await publish('cli', '1.0.0', 'cli-linux.tar.gz', a);
    expect(again.status).toBe('Published');
    // Other bytes under a published name: 409; a new asset after Published: 409.
    expect(await failure(publish('cli', '1.0.0', 'cli-linux.tar.gz', Buffer.from('changed')))).toMatchObject({
      name: 'ConflictException',
      status: 409,
    });
    expect(await failure(publish('cli', '1.0.0', 'extra.txt', Buffer.from('late')))).toMatchObject({ name: 'ConflictException', status: 409 });
    const { bytes } = await get('cli', '1.0.0', 'cli-linux.tar.gz');
    expect(bytes.equals(a)).toBe(true);
  });

  it('refuses a body that does not match its SHA-256 and keeps nothing', async () => {
    const before = await blobObjects(h, 'gen');
    const body = Buffer.from('the real bytes');
    const e = await failure(publish('bad', '1.0.0', 'x.bin', body, { assetSHA256: sha256(Buffer.from('other bytes')) }));
    expect(e).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(e.message).toContain('The provided content hashes do not match the calculated content hashes');
    expect(await blobObjects(h, 'gen')).toEqual(before);
    expect(await failure(sdk.send(new DescribePackageVersionCommand({ ...base, package: 'bad', packageVersion: '1.0.0' })))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('stores identical content once per domain', async () => {
    const content = Buffer.from('shared build output');
    const before = (await blobObjects(h, 'gen')).length;
    await publish('one', '1.0.0', 'out.bin', content);
    await publish('two', '2.0.0', 'renamed.bin', content);
    expect((await blobObjects(h, 'gen')).length).toBe(before + 1);
    expect((await get('two', '2.0.0', 'renamed.bin')).bytes.equals(content)).toBe(true);
  });

  it('serves Unlisted assets but not Archived ones', async () => {
    const content = Buffer.from('status checks');
    await publish('st', '1.0.0', 'a.txt', content);
    const status = (targetStatus: 'Unlisted' | 'Archived' | 'Published') =>
      sdk.send(new UpdatePackageVersionsStatusCommand({ ...base, package: 'st', versions: ['1.0.0'], targetStatus }));
    await status('Unlisted');
    expect((await get('st', '1.0.0', 'a.txt')).bytes.equals(content)).toBe(true);
    await status('Archived');
    expect(await failure(get('st', '1.0.0', 'a.txt'))).toMatchObject({ name: 'ConflictException', status: 409 });
    await status('Published');
    expect((await get('st', '1.0.0', 'a.txt')).bytes.equals(content)).toBe(true);
    // A revision that is not the current one, and an asset that does not exist: 404.
    expect(await failure(get('st', '1.0.0', 'a.txt', 'not-the-revision'))).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    expect(await failure(get('st', '1.0.0', 'nope.txt'))).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
  });

  it('refuses names that break the generic rules', async () => {
    const x = Buffer.from('x');
    const bad = async (p: Promise<unknown>, re: RegExp) => {
      const e = await failure(p);
      expect(e).toMatchObject({ name: 'ValidationException', status: 400 });
      expect(e.message).toMatch(re);
    };
    // Namespace required.
    await bad(publish('cli', '1.0.0', 'a', x, { namespace: undefined }), /namespace is required/);
    // Asset names: '.', '..', double or edge spaces, slashes, control characters, other symbols.
    for (const name of ['.', '..', 'a  b', ' a', 'a ', 'a/b', 'tab\there', 'dollar$', 'x#y'])
      await bad(publish('cli', '9.9.9', name, x), /asset name|assetName/);
    // Package and version names: no '#', '/', whitespace.
    await bad(publish('a/b', '1.0.0', 'a', x), /at 'package'/);
    await bad(publish('cli', '1 0', 'a', x), /at 'packageVersion'/);
    await bad(publish('cli', '1.0.0', 'a', x, { namespace: 'has#hash' }), /at 'namespace'/);
    // Other formats publish through their package managers; unknown formats are not formats.
    await bad(publish('cli', '1.0.0', 'a', x, { format: 'npm' }), /supports only the generic format/);
    await bad(publish('cli', '1.0.0', 'a', x, { format: 'bogus' as 'npm' }), /enum value set/);
    // A SHA-256 that is not 64 lowercase hex characters.
    await bad(publish('cli', '1.0.0', 'a', x, { assetSHA256: sha256(x).toUpperCase() }), /assetSHA256/);
  });

  it('deleting the emptied domain removes its content from the blob store', async () => {
    await sdk.send(new CreateDomainCommand({ domain: 'gone' }));
    await sdk.send(new CreateRepositoryCommand({ domain: 'gone', repository: 'r1' }));
    const bytes = Buffer.from('content that outlives nothing');
    const one = { domain: 'gone', repository: 'r1', format: 'generic' as const, namespace: 'n', package: 'p', packageVersion: '1' };
    await sdk.send(new PublishPackageVersionCommand({ ...one, assetName: 'f', assetContent: bytes, assetSHA256: sha256(bytes) }));
    expect(await blobObjects(h, 'gone')).toEqual([sha256(bytes)]);
    const id = (await h.server.services.domains.findDomain(h.accountId, 'gone'))!.id;
    await sdk.send(new DeleteRepositoryCommand({ domain: 'gone', repository: 'r1' }));
    await sdk.send(new DeleteDomainCommand({ domain: 'gone' }));
    const left: string[] = [];
    for await (const k of h.server.services.blobs.list(`d${id}`)) left.push(k);
    expect(left).toEqual([]);
  });
});
