// pnpm and yarn (berry, nodeLinker: node-modules) installing from Hoard with the token, the read
// chain across upstream repositories of one domain, install scripts through the abbreviated
// document, and what clients see of Unlisted, Archived and Disposed versions.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  DescribePackageCommand,
  DisposePackageVersionsCommand,
  PutPackageOriginConfigurationCommand,
  UpdatePackageVersionsStatusCommand,
} from '@aws-sdk/client-codeartifact';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { Client, out, project, setupDomain, tmpDir, writePackage, removeTemp, yarnrc } from './npm-support.js';

describe('pnpm, yarn and the read chain', () => {
  let h: TestHoard;
  let c: Client;
  let token: string;
  let app: string;
  let upstream: string;
  const publish = async (registry: string, pj: Record<string, unknown>, files?: Record<string, string>) => {
    const r = await c.npm(['publish', `--registry=${registry}`], writePackage(pj, files));
    expect(r.code, out(r)).toBe(0);
  };
  const installed = (dir: string, name: string) =>
    JSON.parse(readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version as string;

  beforeAll(async () => {
    h = await startHoard();
    // app -> upstream-a, upstream-b: the chain CodeArtifact walks depth-first.
    const d = await setupDomain(h, 'chain', [{ name: 'upstream-a' }, { name: 'upstream-b' }, { name: 'app', upstreams: ['upstream-a', 'upstream-b'] }]);
    token = d.token;
    app = d.endpoint('app');
    upstream = d.endpoint('upstream-a');
    c = new Client(h, tmpDir('hoard-npm-cache-'));
    // One token for the whole domain, configured for each repository endpoint (npm matches the full path).
    const nerf = (e: string) => `//${new URL(e).host}${new URL(e).pathname}:_authToken=${token}`;
    const lines = [`registry=${app}`, ...['app', 'upstream-a', 'upstream-b'].map((r) => nerf(d.endpoint(r)))];
    writeFileSync(path.join(c.home, '.npmrc'), `${lines.join('\n')}\n`);
    for (const v of ['1.0.0', '1.1.0']) await publish(upstream, { name: 'shared-lib', version: v, description: 'only upstream' });
    await publish(d.endpoint('upstream-b'), { name: 'shared-lib', version: '0.9.0' });
    await publish(app, { name: '@team/app-lib', version: '1.0.0', dependencies: { 'shared-lib': '^1.0.0' } });
    await publish(app, { name: 'with-script', version: '1.0.0', scripts: { postinstall: 'node -e "require(\'fs\').writeFileSync(\'ran.txt\',\'yes\')"' } });
  });
  afterAll(async () => {
    await h?.stop();
    removeTemp();
  });

  it('installs through the downstream repository versions published only upstream (npm)', async () => {
    const p = project();
    const r = await c.npm(['install', '@team/app-lib', 'with-script', '--ignore-scripts=false'], p);
    expect(r.code, out(r)).toBe(0);
    expect(installed(p, 'shared-lib')).toBe('1.1.0');
    const lock = JSON.parse(readFileSync(path.join(p, 'package-lock.json'), 'utf8'));
    // Tarballs of upstream versions are served at the downstream endpoint.
    expect(lock.packages['node_modules/shared-lib'].resolved).toBe(`${app}shared-lib/-/shared-lib-1.1.0.tgz`);
    // hasInstallScript in the abbreviated document makes npm run the dependency's postinstall.
    expect(lock.packages['node_modules/with-script'].hasInstallScript).toBe(true);
    expect(readFileSync(path.join(p, 'node_modules/with-script/ran.txt'), 'utf8')).toBe('yes');
    // Versions from both upstreams are merged (upstream-a first).
    const view = await c.npm(['view', 'shared-lib', 'versions', '--json']);
    expect(JSON.parse(view.stdout).sort()).toEqual(['0.9.0', '1.0.0', '1.1.0']);
  });

  it('installs with pnpm using the token', async () => {
    const p = project({ dependencies: { '@team/app-lib': '^1.0.0', 'shared-lib': '1.0.0' } });
    const store = path.join(c.cache, 'pnpm-store');
    const r = await c.pnpm(['install', '--no-frozen-lockfile', `--store-dir=${store}`, `--cache-dir=${path.join(c.cache, 'pnpm-cache')}`, '--reporter=append-only'], p);
    expect(r.code, out(r)).toBe(0);
    expect(installed(p, '@team/app-lib')).toBe('1.0.0');
    expect(installed(p, 'shared-lib')).toBe('1.0.0');
    const lock = readFileSync(path.join(p, 'pnpm-lock.yaml'), 'utf8');
    // Canonical tarball URLs are left out of pnpm's lockfile: only the integrity is pinned.
    expect(lock).not.toContain('/-/');
    expect(lock).toMatch(/shared-lib@1\.0\.0:\s+resolution: \{integrity: sha512-/);
  });

  it('installs with yarn berry (nodeLinker: node-modules) using the token', async () => {
    const p = project({ dependencies: { '@team/app-lib': '^1.0.0', 'shared-lib': '~1.0.0' } });
    writeFileSync(path.join(p, '.yarnrc.yml'), yarnrc(app, token));
    writeFileSync(path.join(p, 'yarn.lock'), '');
    const r = await c.yarn(['install'], p, { YARN_ENABLE_IMMUTABLE_INSTALLS: 'false', CI: '' });
    expect(r.code, out(r)).toBe(0);
    expect(installed(p, '@team/app-lib')).toBe('1.0.0');
    expect(installed(p, 'shared-lib')).toBe('1.0.0');
    const lock = readFileSync(path.join(p, 'yarn.lock'), 'utf8');
    expect(lock).toContain('"shared-lib@npm:1.0.0"');
    expect(lock).not.toContain('__archiveUrl');
  });

  it('hides upstream versions once the package is published here, until origin controls allow them', async () => {
    // A package of its own (shared-lib was retained in app by the installs above, which gives it
    // publish=BLOCK, upstream=ALLOW, as CodeArtifact does).
    for (const v of ['1.0.0', '1.1.0']) await publish(upstream, { name: 'other-lib', version: v });
    await publish(app.replace('/app/', '/upstream-b/'), { name: 'other-lib', version: '0.9.0' });
    await publish(app, { name: 'other-lib', version: '3.0.0' });
    // The first publish created the package with CodeArtifact's defaults for a direct publish.
    const described = await h.sdk().send(new DescribePackageCommand({ domain: 'chain', repository: 'app', format: 'npm', package: 'other-lib' }));
    expect(described.package?.originConfiguration?.restrictions).toEqual({ publish: 'ALLOW', upstream: 'BLOCK' });
    let view = await c.npm(['view', 'other-lib', 'versions', '--json']);
    expect(JSON.parse(view.stdout)).toEqual(['3.0.0']);
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${app}other-lib/-/other-lib-1.0.0.tgz`, { headers: auth })).status).toBe(404);
    await h.sdk().send(
      new PutPackageOriginConfigurationCommand({
        domain: 'chain',
        repository: 'app',
        format: 'npm',
        package: 'other-lib',
        restrictions: { publish: 'ALLOW', upstream: 'ALLOW' },
      }),
    );
    view = await c.npm(['view', 'other-lib', 'versions', '--json']);
    expect(JSON.parse(view.stdout).sort()).toEqual(['0.9.0', '1.0.0', '1.1.0', '3.0.0']);
    expect((await fetch(`${app}other-lib/-/other-lib-1.0.0.tgz`, { headers: auth })).status).toBe(200);
    // That download retained 1.0.0 here (reference §1.9). With upstream=ALLOW a version reachable
    // upstream and not retained here cannot be published here either (dependency confusion guard).
    const r = await c.npm(['publish', '--force'], writePackage({ name: 'other-lib', version: '1.1.0' }));
    expect(r.code).not.toBe(0);
    expect(out(r)).toContain('409 Conflict');
    // publish=BLOCK is respected too.
    await h.sdk().send(
      new PutPackageOriginConfigurationCommand({
        domain: 'chain',
        repository: 'app',
        format: 'npm',
        package: 'other-lib',
        restrictions: { publish: 'BLOCK', upstream: 'ALLOW' },
      }),
    );
    const blocked = await c.npm(['publish'], writePackage({ name: 'other-lib', version: '3.1.0' }));
    expect(blocked.code).not.toBe(0);
    expect(out(blocked)).toMatch(/403 Forbidden - PUT .*other-lib - Publishing to package other-lib in repository app is blocked by its package origin controls/);
  });

  it('shows Published, hides Unlisted (still downloadable), and refuses Archived and Disposed', async () => {
    for (const v of ['1.0.0', '1.1.0', '1.2.0', '1.3.0']) await publish(upstream, { name: 'status-lib', version: v });
    const sdk = h.sdk();
    const status = (versions: string[], targetStatus: 'Unlisted' | 'Archived') =>
      sdk.send(
        new UpdatePackageVersionsStatusCommand({
          domain: 'chain',
          repository: 'upstream-a',
          format: 'npm',
          package: 'status-lib',
          versions,
          targetStatus,
        }),
      );
    await status(['1.1.0'], 'Unlisted');
    await status(['1.2.0'], 'Archived');
    await sdk.send(new DisposePackageVersionsCommand({ domain: 'chain', repository: 'upstream-a', format: 'npm', package: 'status-lib', versions: ['1.3.0'] }));
    const view = await c.npm(['view', 'status-lib', 'versions', '--json', `--registry=${upstream}`]);
    expect(JSON.parse(view.stdout)).toEqual(['1.0.0']);
    const auth = { authorization: `Bearer ${token}` };
    for (const base of [upstream, app]) {
      const tgz = (v: string) => fetch(`${base}status-lib/-/status-lib-${v}.tgz`, { headers: auth });
      expect((await tgz('1.0.0')).status).toBe(200);
      expect((await tgz('1.1.0')).status).toBe(200); // Unlisted: a pinned lockfile keeps working
      expect((await tgz('1.2.0')).status).toBe(404); // Archived
      expect((await tgz('1.3.0')).status).toBe(404); // Disposed
      // The exact version document follows the same rules.
      const one = (v: string) => fetch(`${base}status-lib/${v}`, { headers: auth });
      expect((await one('1.1.0')).status).toBe(200);
      expect((await one('1.2.0')).status).toBe(404);
    }
    // Installing the unlisted version by range fails; the lockfile pin keeps working.
    const p = project();
    const r = await c.npm(['install', 'status-lib@1.1.0'], p);
    expect(r.code).not.toBe(0);
    expect(out(r)).toContain('ETARGET');
    expect(existsSync(path.join(p, 'node_modules/status-lib'))).toBe(false);
  });
});
