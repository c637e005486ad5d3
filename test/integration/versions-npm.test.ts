// A scripted `aws codeartifact` session over packages the real npm publishes: list, describe,
// readme, dependencies, unlist (npm stops resolving the version by range, while a lockfile that
// pins it still installs with `npm ci`), archive (no longer downloadable), restore, copy to a
// second repository (npm installs it from there, dist-tag included), delete, dispose, and the
// blob count going down after collection.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, startHoard, tempHome, type TestHoard } from '../support/hoard.js';
import { blobObjects, collect } from '../support/versions.js';
import { Client, out, project, setupDomain, tmpDir, writePackage } from './npm-support.js';

const run = promisify(execFile);
const hasAws = await run('aws', ['--version']).then(
  () => true,
  () => false,
);

describe.skipIf(!hasAws)('aws codeartifact over npm packages', () => {
  let h: TestHoard;
  let home: string;
  let app: Client;
  let token: string;
  let endpoint: (repo: string) => string;
  let pinnedDir: string;
  beforeAll(async () => {
    h = await startHoard();
    home = tempHome();
    ({ token, endpoint } = await setupDomain(h, 'shop', [{ name: 'app' }, { name: 'promoted' }]));
    app = new Client(h, tmpDir('hoard-npm-cache-'));
    app.configure(endpoint('app'), token);
  });
  afterAll(async () => h?.stop());

  const aws = async (args: string[]) => {
    const r = await run('aws', ['codeartifact', ...args, '--endpoint-url', h.url, '--output', 'json'], { env: cliEnv(h, home) });
    return r.stdout.trim() ? JSON.parse(r.stdout) : {};
  };
  const lib = (repo = 'app') => ['--domain', 'shop', '--repository', repo, '--format', 'npm', '--package', 'lib'];
  const setStatus = (version: string, target: string) =>
    aws(['update-package-versions-status', ...lib(), '--versions', version, '--target-status', target]);
  /** A client with its own empty cache, so every tarball really comes from the server. */
  const fresh = (repo = 'app') => {
    const c = new Client(h, tmpDir('hoard-npm-cache-'));
    c.configure(endpoint(repo), token);
    return c;
  };
  const installed = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'node_modules', 'lib', 'package.json'), 'utf8')).version as string;
  const install = async (c: Client, spec: string) => {
    const p = project();
    const r = await c.npm(['install', spec], p);
    return { p, r };
  };

  it('publishes with npm and inspects with the CLI', async () => {
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) {
      const dir = writePackage(
        {
          name: 'lib',
          version: v,
          description: `The lib, version ${v}`,
          homepage: 'https://lib.example.test/',
          repository: { type: 'git', url: 'git+https://git.example.test/lib.git' },
          license: 'Apache-2.0',
          devDependencies: { tester: '3.x' },
        },
        { 'README.md': `# lib ${v}\n\nUse it.\n` },
      );
      const r = await app.npm(['publish'], dir);
      expect(r.code, out(r)).toBe(0);
    }
    // Every dependency kind, on a package nobody installs (its dependencies do not exist here).
    const meta = writePackage({
      name: '@acme/meta',
      version: '0.1.0',
      dependencies: { left: '^1.0.0', '@acme/right': '~2.1.0' },
      devDependencies: { tester: '3.x' },
      peerDependencies: { host: '>=4' },
      optionalDependencies: { extra: '*' },
    });
    const m = await app.npm(['publish'], meta);
    expect(m.code, out(m)).toBe(0);
    const pkgs = await aws(['list-packages', '--domain', 'shop', '--repository', 'app', '--format', 'npm']);
    const restrictions = { publish: 'ALLOW', upstream: 'BLOCK' };
    expect(pkgs.packages).toEqual([
      { format: 'npm', package: 'lib', originConfiguration: { restrictions } },
      { format: 'npm', namespace: 'acme', package: 'meta', originConfiguration: { restrictions } },
    ]);
    expect((await aws(['list-packages', '--domain', 'shop', '--repository', 'app', '--namespace', 'ac'])).packages).toHaveLength(1);
    const versions = await aws(['list-package-versions', ...lib()]);
    expect(versions.versions.map((v: { version: string; status: string }) => `${v.version}:${v.status}`)).toEqual([
      '1.0.0:Published',
      '1.1.0:Published',
      '1.2.0:Published',
    ]);
    expect(versions.defaultDisplayVersion).toBe('1.2.0');
    const d = (await aws(['describe-package-version', ...lib(), '--package-version', '1.2.0'])).packageVersion;
    expect(d).toMatchObject({
      format: 'npm',
      packageName: 'lib',
      displayName: 'lib',
      version: '1.2.0',
      summary: 'The lib, version 1.2.0',
      homePage: 'https://lib.example.test/',
      sourceCodeRepository: 'git+https://git.example.test/lib.git',
      licenses: [{ name: 'Apache-2.0' }],
      status: 'Published',
      origin: { domainEntryPoint: { repositoryName: 'app' }, originType: 'INTERNAL' },
    });
    const readme = await aws(['get-package-version-readme', ...lib(), '--package-version', '1.2.0']);
    expect(readme.readme).toContain('# lib 1.2.0');
    const metaArgs = ['--domain', 'shop', '--repository', 'app', '--format', 'npm', '--namespace', 'acme', '--package', 'meta'];
    const deps = await aws(['list-package-version-dependencies', ...metaArgs, '--package-version', '0.1.0']);
    expect((await aws(['describe-package-version', ...metaArgs, '--package-version', '0.1.0'])).packageVersion.displayName).toBe('@acme/meta');
    expect(deps.dependencies).toEqual(
      expect.arrayContaining([
        { package: 'left', dependencyType: 'regular', versionRequirement: '^1.0.0' },
        { namespace: 'acme', package: 'right', dependencyType: 'regular', versionRequirement: '~2.1.0' },
        { package: 'tester', dependencyType: 'dev', versionRequirement: '3.x' },
        { package: 'host', dependencyType: 'peer', versionRequirement: '>=4' },
        { package: 'extra', dependencyType: 'optional', versionRequirement: '*' },
      ]),
    );
    const assets = await aws(['list-package-version-assets', ...lib(), '--package-version', '1.2.0']);
    expect(assets.assets).toHaveLength(1);
    // CodeArtifact names an npm version's one asset package.tgz.
    expect(assets.assets[0].name).toBe('package.tgz');
    expect(Object.keys(assets.assets[0].hashes).sort()).toEqual(['MD5', 'SHA-1', 'SHA-256', 'SHA-512']);
  });

  it('unlists: npm stops resolving the version by range, but a pinned lockfile still installs', async () => {
    const pinned = await install(app, 'lib@^1.0.0');
    pinnedDir = pinned.p;
    expect(pinned.r.code, out(pinned.r)).toBe(0);
    expect(installed(pinned.p)).toBe('1.2.0');

    expect((await setStatus('1.2.0', 'Unlisted')).successfulVersions['1.2.0'].status).toBe('Unlisted');
    const view = await fresh().npm(['view', 'lib', 'versions', '--json']);
    expect(JSON.parse(view.stdout)).toEqual(['1.0.0', '1.1.0']);
    const ranged = await install(fresh(), 'lib@^1.0.0');
    expect(ranged.r.code, out(ranged.r)).toBe(0);
    expect(installed(ranged.p)).toBe('1.1.0');
    // The lockfile pins 1.2.0: npm ci with an empty cache still downloads its tarball.
    const ci = await fresh().npm(['ci'], pinned.p);
    expect(ci.code, out(ci)).toBe(0);
    expect(installed(pinned.p)).toBe('1.2.0');
    expect((await aws(['list-package-versions', ...lib()])).defaultDisplayVersion).toBe('1.1.0');
  });

  it('archives (not downloadable) and restores', async () => {
    await setStatus('1.2.0', 'Archived');
    // The lockfile that pins 1.2.0, with an empty cache: the Archived version's tarball is refused.
    const ci = await fresh().npm(['ci'], pinnedDir);
    expect(ci.code, out(ci)).not.toBe(0);
    expect(out(ci)).toMatch(/lib-1\.2\.0\.tgz/);
    await expect(aws(['get-package-version-asset', ...lib(), '--package-version', '1.2.0', '--asset', 'package.tgz', path.join(home, 'x.tgz')])).rejects.toThrow(
      /ConflictException/,
    );
    // Nor does it resolve by exact version any more.
    const exact = await fresh().npm(['install', 'lib@1.2.0'], project());
    expect(exact.code).not.toBe(0);

    await setStatus('1.2.0', 'Published');
    const again = await install(fresh(), 'lib@^1.0.0');
    expect(again.r.code, out(again.r)).toBe(0);
    expect(installed(again.p)).toBe('1.2.0');
  });

  it('copies to a second repository, where npm installs it (with its dist-tag)', async () => {
    const r = await aws([
      'copy-package-versions',
      '--domain',
      'shop',
      '--source-repository',
      'app',
      '--destination-repository',
      'promoted',
      '--format',
      'npm',
      '--package',
      'lib',
      '--versions',
      '1.2.0',
    ]);
    expect(r.successfulVersions['1.2.0']).toMatchObject({ status: 'Published' });
    const c = fresh('promoted');
    const tags = await c.npm(['view', 'lib', 'dist-tags', '--json']);
    expect(JSON.parse(tags.stdout)).toEqual({ latest: '1.2.0' });
    const got = await install(c, 'lib');
    expect(got.r.code, out(got.r)).toBe(0);
    expect(installed(got.p)).toBe('1.2.0');
  });

  it('deletes and disposes; the blob count goes down after collection', async () => {
    const before = await blobObjects(h, 'shop');
    expect(before).toHaveLength(4); // lib 1.0.0, 1.1.0, 1.2.0 and @acme/meta 0.1.0
    const del = await aws(['delete-package-versions', ...lib(), '--versions', '1.0.0']);
    expect(del.successfulVersions['1.0.0'].status).toBe('Deleted');
    const view = await fresh().npm(['view', 'lib', 'versions', '--json']);
    expect(JSON.parse(view.stdout)).toEqual(['1.1.0', '1.2.0']);
    const disp = await aws(['dispose-package-versions', ...lib(), '--versions', '1.1.0']);
    expect(disp.successfulVersions['1.1.0'].status).toBe('Disposed');
    expect((await install(fresh(), 'lib@1.1.0')).r.code).not.toBe(0);
    await expect(aws(['update-package-versions-status', ...lib(), '--versions', '1.1.0', '--target-status', 'Disposed'])).rejects.toThrow(
      /ValidationException/,
    );
    const restore = await setStatus('1.1.0', 'Published');
    expect(restore.failedVersions['1.1.0'].errorCode).toBe('NOT_ALLOWED');

    const collected = await collect(h, 0);
    expect(collected.blobs).toBeGreaterThanOrEqual(2);
    const after = await blobObjects(h, 'shop');
    expect(after).toHaveLength(2);
    console.log(`blob objects in domain shop: ${before.length} before, ${after.length} after collection`);
    // The remaining version still installs from both repositories.
    for (const repo of ['app', 'promoted']) {
      const ok = await install(fresh(repo), 'lib@1.2.0');
      expect(ok.r.code, out(ok.r)).toBe(0);
    }
  });
});
