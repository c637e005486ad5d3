// A scripted `aws codeartifact` session on generic packages: a 50 MB asset published with
// publish-package-version and fetched back byte-identical with get-package-version-asset, a wrong
// SHA-256 refused with nothing stored, then list, describe, unlist, archive, restore, copy, delete,
// dispose, and the blob count going down after collection.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, startHoard, tempHome, type TestHoard } from '../support/hoard.js';
import { blobObjects, collect } from '../support/versions.js';

const run = promisify(execFile);
const hasAws = await run('aws', ['--version']).then(
  () => true,
  () => false,
);

async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

describe.skipIf(!hasAws)('aws codeartifact with generic packages', () => {
  let h: TestHoard;
  let home: string;
  beforeAll(async () => {
    h = await startHoard();
    home = tempHome();
  });
  afterAll(async () => h?.stop());

  const aws = async (args: string[]) => {
    const r = await run('aws', ['codeartifact', ...args, '--endpoint-url', h.url, '--output', 'json'], {
      env: cliEnv(h, home),
      maxBuffer: 16 * 1024 * 1024,
    });
    return r.stdout.trim() ? JSON.parse(r.stdout) : {};
  };
  const pkgArgs = (repo = 'builds') => ['--domain', 'ci', '--repository', repo, '--format', 'generic', '--namespace', 'pipeline', '--package', 'bundle'];

  it('publishes a 50 MB asset and fetches it back byte-identical; a wrong SHA-256 stores nothing', async () => {
    await aws(['create-domain', '--domain', 'ci']);
    await aws(['create-repository', '--domain', 'ci', '--repository', 'builds']);
    await aws(['create-repository', '--domain', 'ci', '--repository', 'release']);
    const file = path.join(home, 'bundle.bin');
    writeFileSync(file, randomBytes(50 * 1024 * 1024));
    const sha = await fileSha256(file);

    // A wrong hash first: refused, and nothing is left behind.
    const wrong = createHash('sha256').update('not the content').digest('hex');
    await expect(
      aws(['publish-package-version', ...pkgArgs(), '--package-version', '1.0.0', '--asset-content', file, '--asset-name', 'bundle.bin', '--asset-sha256', wrong]),
    ).rejects.toThrow(/ValidationException.*content hashes do not match/s);
    expect(await blobObjects(h, 'ci')).toEqual([]);
    await expect(aws(['list-package-versions', ...pkgArgs()])).rejects.toThrow(/ResourceNotFoundException/);

    const t0 = Date.now();
    const pub = await aws([
      'publish-package-version',
      ...pkgArgs(),
      '--package-version',
      '1.0.0',
      '--asset-content',
      file,
      '--asset-name',
      'bundle.bin',
      '--asset-sha256',
      sha,
    ]);
    const publishMs = Date.now() - t0;
    expect(pub).toMatchObject({ format: 'generic', namespace: 'pipeline', package: 'bundle', version: '1.0.0', status: 'Published' });
    expect(pub.asset).toMatchObject({ name: 'bundle.bin', size: 50 * 1024 * 1024 });
    expect(pub.asset.hashes['SHA-256']).toBe(sha);
    expect(await blobObjects(h, 'ci')).toEqual([sha]);

    const out = path.join(home, 'fetched.bin');
    const t1 = Date.now();
    const meta = await aws(['get-package-version-asset', ...pkgArgs(), '--package-version', '1.0.0', '--asset', 'bundle.bin', out]);
    const fetchMs = Date.now() - t1;
    expect(meta).toEqual({ assetName: 'bundle.bin', packageVersion: '1.0.0', packageVersionRevision: pub.versionRevision });
    expect(await fileSha256(out)).toBe(sha);
    expect(readFileSync(out).equals(readFileSync(file))).toBe(true);
    console.log(`aws cli 50 MB generic asset: publish ${publishMs} ms, get ${fetchMs} ms`);
  });

  it('lists, describes, unlists, archives, restores, copies, deletes and disposes with the CLI', async () => {
    const small = path.join(home, 'notes.txt');
    writeFileSync(small, 'release notes\n');
    const sha = await fileSha256(small);
    const publish = (v: string) =>
      aws(['publish-package-version', ...pkgArgs(), '--package-version', v, '--asset-content', small, '--asset-name', 'notes.txt', '--asset-sha256', sha]);
    await publish('2.0.0');

    const listed = await aws(['list-packages', '--domain', 'ci', '--repository', 'builds']);
    expect(listed.packages).toEqual([
      { format: 'generic', namespace: 'pipeline', package: 'bundle', originConfiguration: { restrictions: { publish: 'ALLOW', upstream: 'BLOCK' } } },
    ]);
    const versions = await aws(['list-package-versions', ...pkgArgs()]);
    expect(versions.versions.map((v: { version: string }) => v.version)).toEqual(['1.0.0', '2.0.0']);
    expect(versions.defaultDisplayVersion).toBe('2.0.0');
    const described = await aws(['describe-package-version', ...pkgArgs(), '--package-version', '1.0.0']);
    expect(described.packageVersion).toMatchObject({ packageName: 'bundle', status: 'Published' });
    expect(typeof described.packageVersion.publishedTime).toBe('number');
    const assets = await aws(['list-package-version-assets', ...pkgArgs(), '--package-version', '1.0.0']);
    expect(Object.keys(assets.assets[0].hashes).sort()).toEqual(['MD5', 'SHA-1', 'SHA-256', 'SHA-512']);

    const setStatus = (target: string, extra: string[] = []) =>
      aws(['update-package-versions-status', ...pkgArgs(), '--versions', '1.0.0', '--target-status', target, ...extra]);
    expect((await setStatus('Unlisted')).successfulVersions['1.0.0'].status).toBe('Unlisted');
    expect((await setStatus('Archived', ['--expected-status', 'Unlisted'])).successfulVersions['1.0.0'].status).toBe('Archived');
    const mismatch = await setStatus('Published', ['--expected-status', 'Unlisted']);
    expect(mismatch.failedVersions['1.0.0']).toEqual({ errorCode: 'MISMATCHED_STATUS', errorMessage: 'current status: Archived, expected status: Unlisted' });
    await expect(setStatus('Disposed')).rejects.toThrow(/ValidationException/);
    expect((await setStatus('Published')).successfulVersions['1.0.0'].status).toBe('Published');

    const before = (await blobObjects(h, 'ci')).length;
    const copied = await aws([
      'copy-package-versions',
      '--domain',
      'ci',
      '--source-repository',
      'builds',
      '--destination-repository',
      'release',
      '--format',
      'generic',
      '--namespace',
      'pipeline',
      '--package',
      'bundle',
      '--versions',
      '1.0.0',
      '2.0.0',
    ]);
    expect(Object.keys(copied.successfulVersions).sort()).toEqual(['1.0.0', '2.0.0']);
    expect((await blobObjects(h, 'ci')).length).toBe(before);
    const fromRelease = path.join(home, 'release.bin');
    await aws(['get-package-version-asset', ...pkgArgs('release'), '--package-version', '1.0.0', '--asset', 'bundle.bin', fromRelease]);
    expect(await fileSha256(fromRelease)).toBe(await fileSha256(path.join(home, 'bundle.bin')));

    const deleted = await aws(['delete-package-versions', ...pkgArgs(), '--versions', '2.0.0']);
    expect(deleted.successfulVersions['2.0.0'].status).toBe('Deleted');
    const disposed = await aws(['dispose-package-versions', ...pkgArgs(), '--versions', '1.0.0']);
    expect(disposed.successfulVersions['1.0.0'].status).toBe('Disposed');
    // Both blobs are still referenced by the copies in release: nothing goes. (The collector may
    // drop the lease row the refused upload took, which never had an object.)
    await collect(h, 0);
    expect((await blobObjects(h, 'ci')).length).toBe(2);
    await aws(['delete-package', '--domain', 'ci', '--repository', 'release', '--format', 'generic', '--namespace', 'pipeline', '--package', 'bundle']);
    expect((await blobObjects(h, 'ci')).length).toBe(2);
    const r = await collect(h, 0);
    expect(r.blobs).toBe(2);
    expect(await blobObjects(h, 'ci')).toEqual([]);
    // The disposed record is still there.
    const after = await aws(['list-package-versions', ...pkgArgs()]);
    expect(after.versions).toEqual([expect.objectContaining({ version: '1.0.0', status: 'Disposed' })]);
  });
});
