// Real npm, pnpm and yarn installing a project whose tree mixes a private package with public ones,
// through one Hoard repository whose upstream store owns the external connection (the npm-store
// pattern), from a fixture registry on loopback: the lockfile survives a Hoard restart and the
// upstream going away, and only the versions installed are retained.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssociateExternalConnectionCommand } from '@aws-sdk/client-codeartifact';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { NpmUpstreamFixture } from '../../src/bench/npm-registry-fixture.js';
import { Client, npmVersionsIn, out, project, removeTemp, setupDomain, tmpDir, writePackage, yarnrc } from './npm-support.js';

const DOMAIN = 'mixed';

describe('npm, pnpm and yarn through an external connection', () => {
  let h: TestHoard;
  let up: NpmUpstreamFixture;
  let registry: string;
  let token: string;
  const installed = (dir: string, name: string) => JSON.parse(readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
  const client = () => {
    const c = new Client(h, tmpDir('hoard-cache-'));
    c.configure(registry, token);
    return c;
  };

  const versionsIn = async (repo: string, pkg: string, namespace?: string) =>
    (await npmVersionsIn(h, DOMAIN, repo, pkg, namespace)).map((v) => `${v.version}:${v.origin?.originType}`).sort();
  const consumer = () => project({ dependencies: { '@corp/app-lib': '^1.0.0', '@ext/colors': '^3.0.0' } });

  beforeAll(async () => {
    up = await new NpmUpstreamFixture().start();
    await up.add('ext-b', [{ version: '2.0.0' }, { version: '2.1.0' }, { version: '3.0.0' }]);
    await up.add('ext-a', [{ version: '1.0.0', dependencies: { 'ext-b': '^2.0.0' } }, { version: '1.1.0', dependencies: { 'ext-b': '^2.0.0' } }]);
    await up.add('@ext/colors', [{ version: '3.0.0', dependencies: { 'ext-a': '^1.0.0' } }, { version: '4.0.0' }]);
    h = await startHoard({ HOARD_EXTERNAL_NPMJS_URL: up.url, HOARD_UPSTREAM_OFFLINE_S: '0', HOARD_UPSTREAM_TIMEOUT_MS: '3000' });
    const d = await setupDomain(h, DOMAIN, [{ name: 'npm-store' }, { name: 'app', upstreams: ['npm-store'] }]);
    await h.sdk().send(new AssociateExternalConnectionCommand({ domain: DOMAIN, repository: 'npm-store', externalConnection: 'public:npmjs' }));
    registry = d.endpoint('app');
    token = d.token;
    const c = client();
    const pub = await c.npm(['publish'], writePackage({ name: '@corp/app-lib', version: '1.0.0', dependencies: { 'ext-a': '^1.0.0' } }));
    expect(pub.code, out(pub)).toBe(0);
  });
  afterAll(async () => {
    await h?.stop();
    await up?.stop().catch(() => {});
    removeTemp();
  });

  it('npm installs the mixed tree, retains only what it installed, and npm ci works after a restart and with the upstream gone', async () => {
    const c = client();
    const p = consumer();
    const r = await c.npm(['install'], p);
    expect(r.code, out(r)).toBe(0);
    expect(installed(p, '@corp/app-lib')).toBe('1.0.0');
    expect(installed(p, '@ext/colors')).toBe('3.0.0');
    expect(installed(p, 'ext-a')).toBe('1.1.0');
    expect(installed(p, 'ext-b')).toBe('2.1.0');
    const lock = JSON.parse(readFileSync(path.join(p, 'package-lock.json'), 'utf8'));
    expect(lock.packages['node_modules/ext-b'].resolved).toBe(`${registry}ext-b/-/ext-b-2.1.0.tgz`);
    // Only the installed versions, origin EXTERNAL, in the repository asked and in the store.
    for (const repo of ['app', 'npm-store']) {
      expect(await versionsIn(repo, 'ext-b')).toEqual(['2.1.0:EXTERNAL']);
      expect(await versionsIn(repo, 'ext-a')).toEqual(['1.1.0:EXTERNAL']);
      expect(await versionsIn(repo, 'colors', 'ext')).toEqual(['3.0.0:EXTERNAL']);
    }
    expect(await versionsIn('app', 'app-lib', 'corp')).toEqual(['1.0.0:INTERNAL']);

    // A Hoard restart, then npm ci from the lockfile with an empty cache.
    await h.restart();
    const ci = await client().npm(['ci'], p);
    expect(ci.code, out(ci)).toBe(0);
    expect(installed(p, 'ext-b')).toBe('2.1.0');

    // The upstream goes away: the same lockfile still installs, from what Hoard retained.
    await up.stop();
    try {
      const again = await client().npm(['ci'], p);
      expect(again.code, out(again)).toBe(0);
      expect(installed(p, 'ext-a')).toBe('1.1.0');
    } finally {
      await up.restart();
    }
  });

  it('pnpm installs the same tree', async () => {
    const c = client();
    const p = consumer();
    const r = await c.pnpm(['install', '--config.node-linker=hoisted'], p);
    expect(r.code, out(r)).toBe(0);
    expect(installed(p, '@ext/colors')).toBe('3.0.0');
    expect(installed(p, 'ext-b')).toBe('2.1.0');
  });

  it('yarn installs the same tree', async () => {
    const c = client();
    const p = consumer();
    writeFileSync(path.join(p, '.yarnrc.yml'), yarnrc(registry, token));
    writeFileSync(path.join(p, 'yarn.lock'), '');
    const r = await c.yarn(['install'], p, { YARN_ENABLE_IMMUTABLE_INSTALLS: 'false', CI: '' });
    expect(r.code, out(r)).toBe(0);
    expect(installed(p, '@ext/colors')).toBe('3.0.0');
    expect(installed(p, 'ext-a')).toBe('1.1.0');
  });
});
