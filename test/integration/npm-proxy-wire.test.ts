// npm through an external connection, request by request, against a fixture registry on loopback:
// documents merged and rewritten, tarballs verified and retained once, the upstream going down,
// stalling and lying, and the origin controls that keep a public package from shadowing a private one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssociateExternalConnectionCommand,
  CreateRepositoryCommand,
  DescribePackageCommand,
  PutPackageOriginConfigurationCommand,
} from '@aws-sdk/client-codeartifact';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { NpmUpstreamFixture } from '../../src/bench/npm-registry-fixture.js';
import { json, makeTgz, npmVersionsIn, publishBody, removeTemp, setupDomain } from './npm-support.js';

const CORGI = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';
const DOMAIN = 'proxy';

describe('npm external connection (wire)', () => {
  let h: TestHoard;
  let up: NpmUpstreamFixture;
  let token: string;
  let endpoint: (repo: string) => string;
  const get = (repo: string, p: string, headers: Record<string, string> = {}) =>
    fetch(`${endpoint(repo)}${p}`, { headers: { authorization: `Bearer ${token}`, ...headers } });

  const versionsIn = async (repo: string, pkg: string, namespace?: string) =>
    (await npmVersionsIn(h, DOMAIN, repo, pkg, namespace)).map((v) => ({ version: v.version, origin: v.origin?.originType, entry: v.origin?.domainEntryPoint }));
  const blobCount = async () => {
    let n = 0;
    const svc = h.server.services;
    const d = await svc.domains.findDomain(h.accountId, DOMAIN);
    for await (const _ of svc.blobs.list(`d${d!.id}`)) n++;
    return n;
  };

  beforeAll(async () => {
    up = await new NpmUpstreamFixture().start();
    await up.add('left-pad', [
      { version: '1.0.0', time: '2020-01-01T00:00:00.000Z' },
      { version: '1.1.0', time: '2021-01-01T00:00:00.000Z', extra: { license: 'MIT', engines: { node: '>=8' } } },
    ]);
    await up.add('@ext/util', [{ version: '2.0.0', dependencies: { 'left-pad': '^1.0.0' } }]);
    await up.add('JSONStream', [{ version: '1.3.5' }]);
    await up.add('old-thing', [{ version: '0.1.0', deprecated: 'use new-thing' }]);
    await up.add('corp-secret', [{ version: '99.0.0' }]);
    for (let i = 0; i < 4; i++) await up.add(`burst-${i}`, [{ version: '1.0.0' }]);
    h = await startHoard({ HOARD_EXTERNAL_NPMJS_URL: up.url, HOARD_UPSTREAM_METADATA_TTL_S: '0', HOARD_UPSTREAM_TIMEOUT_MS: '1500', HOARD_UPSTREAM_OFFLINE_S: '0' });
    const d = await setupDomain(h, DOMAIN, [{ name: 'npm-store' }, { name: 'app', upstreams: ['npm-store'] }]);
    token = d.token;
    endpoint = d.endpoint;
    await h.sdk().send(new AssociateExternalConnectionCommand({ domain: DOMAIN, repository: 'npm-store', externalConnection: 'public:npmjs' }));
  });
  afterAll(async () => {
    await h?.stop();
    await up?.stop().catch(() => {});
    removeTemp();
  });

  it('serves the upstream packument merged, with tarball URLs on Hoard and time in the abbreviated form', async () => {
    const full = await json(get('app', 'left-pad'));
    expect(Object.keys(full.versions)).toEqual(['1.0.0', '1.1.0']);
    expect(full.versions['1.1.0'].dist.tarball).toBe(`${endpoint('app')}left-pad/-/left-pad-1.1.0.tgz`);
    expect(full.versions['1.1.0'].dist.integrity).toMatch(/^sha512-/);
    expect(full.versions['1.1.0'].license).toBe('MIT');
    expect(full.time['1.0.0']).toBe('2020-01-01T00:00:00.000Z');
    const abbr = await get('app', 'left-pad', { accept: CORGI });
    expect(abbr.headers.get('content-type')).toMatch(/^application\/vnd\.npm\.install-v1\+json/);
    const a = await json(abbr);
    expect(a.time['1.1.0']).toBe('2021-01-01T00:00:00.000Z');
    expect(a.versions['1.1.0'].engines).toEqual({ node: '>=8' });
    const scoped = await json(get('app', '@ext%2futil'));
    expect(scoped.versions['2.0.0'].dist.tarball).toBe(`${endpoint('app')}@ext/util/-/util-2.0.0.tgz`);
    expect((await json(get('app', 'old-thing'))).versions['0.1.0'].deprecated).toBe('use new-thing');
    // Names valid only for old packages (capitals) are proxied like any other.
    expect(Object.keys((await json(get('app', 'JSONStream'))).versions)).toEqual(['1.3.5']);
    // Nothing is retained by reading documents.
    expect(await versionsIn('app', 'left-pad')).toEqual([]);
    // A name the upstream does not have is a 404 (npm's shape).
    const missing = await get('app', 'no-such-package');
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toMatch(/not found/i);
  });

  it('fetches a tarball once, checks it, and retains only that version in the repository asked and the store', async () => {
    const r = await get('app', 'left-pad/-/left-pad-1.1.0.tgz');
    expect(r.status).toBe(200);
    expect(Buffer.from(await r.arrayBuffer()).equals(up.tarballOf('left-pad', '1.1.0'))).toBe(true);
    for (const repo of ['app', 'npm-store'])
      expect(await versionsIn(repo, 'left-pad')).toEqual([{ version: '1.1.0', origin: 'EXTERNAL', entry: { externalConnectionName: 'public:npmjs' } }]);
    // A package first ingested takes publish=BLOCK, upstream=ALLOW (reference §1.10).
    const pkg = await h.sdk().send(new DescribePackageCommand({ domain: DOMAIN, repository: 'app', format: 'npm', package: 'left-pad' }));
    expect(pkg.package?.originConfiguration?.restrictions).toEqual({ publish: 'BLOCK', upstream: 'ALLOW' });
    // Served from the store from now on.
    const before = up.count('/left-pad/-/left-pad-1.1.0.tgz');
    expect((await get('app', 'left-pad/-/left-pad-1.1.0.tgz')).status).toBe(200);
    expect(up.count('/left-pad/-/left-pad-1.1.0.tgz')).toBe(before);
  });

  it('makes one upstream fetch for 20 concurrent requests of one uncached tarball', async () => {
    up.resetCounts();
    const answers = await Promise.all(Array.from({ length: 20 }, () => get('app', '@ext/util/-/util-2.0.0.tgz')));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    const bodies = await Promise.all(answers.map(async (a) => Buffer.from(await a.arrayBuffer())));
    for (const b of bodies) expect(b.equals(up.tarballOf('@ext/util', '2.0.0'))).toBe(true);
    expect(up.count('/@ext/util/-/util-2.0.0.tgz')).toBe(1);
  });

  it('refuses a tampered tarball with a 502 and keeps nothing', async () => {
    const blobs = await blobCount();
    up.mode = 'corrupt';
    try {
      const r = await get('app', 'burst-0/-/burst-0-1.0.0.tgz');
      expect(r.status).toBe(502);
      expect((await r.json()).error).toMatch(/does not match its published integrity/);
    } finally {
      up.mode = 'up';
    }
    expect(await versionsIn('app', 'burst-0')).toEqual([]);
    expect(await versionsIn('npm-store', 'burst-0')).toEqual([]);
    expect(await blobCount()).toBe(blobs);
    // Once the upstream serves the right bytes, the same request works.
    expect((await get('app', 'burst-0/-/burst-0-1.0.0.tgz')).status).toBe(200);
  });

  it('serves cached documents and retained tarballs while the upstream is down; never-seen packages get a 502', async () => {
    await up.stop();
    try {
      const doc = await get('app', 'left-pad');
      expect(doc.status).toBe(200);
      expect(Object.keys((await doc.json()).versions).sort()).toEqual(['1.0.0', '1.1.0']);
      expect((await get('app', 'left-pad/-/left-pad-1.1.0.tgz')).status).toBe(200);
      const never = await get('app', 'burst-3');
      expect(never.status).toBe(502);
      expect((await never.json()).error).toMatch(/unreachable/);
      // A version seen in a cached document but never fetched cannot be had: 502, not 404.
      expect((await get('app', 'left-pad/-/left-pad-1.0.0.tgz')).status).toBe(502);
    } finally {
      await up.restart();
    }
  });

  it('answers 504 when the upstream stalls past its timeout', async () => {
    up.mode = 'stall';
    try {
      const r = await get('app', 'burst-2');
      expect([502, 504]).toContain(r.status);
      expect(r.headers.get('retry-after')).toBeTruthy();
    } finally {
      up.mode = 'up';
      await up.stop();
      await up.restart();
    }
  });

  it('hides a public package of the same name as a private one (dependency confusion)', async () => {
    const tgz = await makeTgz({ name: 'corp-secret', version: '1.0.0' });
    const pub = await fetch(`${endpoint('app')}corp-secret`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(publishBody({ name: 'corp-secret', version: '1.0.0' }, tgz)),
    });
    expect(pub.status).toBe(201);
    const doc = await json(get('app', 'corp-secret'));
    expect(Object.keys(doc.versions)).toEqual(['1.0.0']);
    expect(doc['dist-tags'].latest).toBe('1.0.0');
    expect((await get('app', 'corp-secret/-/corp-secret-99.0.0.tgz')).status).toBe(404);
    // With upstream=ALLOW the public versions join, and publishing one of them is refused (409).
    await h.sdk().send(
      new PutPackageOriginConfigurationCommand({
        domain: DOMAIN,
        repository: 'app',
        format: 'npm',
        package: 'corp-secret',
        restrictions: { publish: 'ALLOW', upstream: 'ALLOW' },
      }),
    );
    await new Promise((r) => setTimeout(r, 2100)); // the chain lookup cache
    expect(Object.keys((await json(get('app', 'corp-secret'))).versions).sort()).toEqual(['1.0.0', '99.0.0']);
    const tgz99 = await makeTgz({ name: 'corp-secret', version: '99.0.0' });
    const clash = await fetch(`${endpoint('app')}corp-secret`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(publishBody({ name: 'corp-secret', version: '99.0.0' }, tgz99)),
    });
    expect(clash.status).toBe(409);
    expect((await clash.json()).error).toMatch(/already exists upstream, in the external connection public:npmjs/);
  });

  it('refuses a publish to a package that arrived from upstream (publish=BLOCK)', async () => {
    const tgz = await makeTgz({ name: 'left-pad', version: '9.9.9' });
    const r = await fetch(`${endpoint('app')}left-pad`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(publishBody({ name: 'left-pad', version: '9.9.9' }, tgz)),
    });
    expect(r.status).toBe(403);
    expect((await r.json()).error).toMatch(/publish=BLOCK/);
  });

  it('forwards audit, attestations, signing keys and search to the external connection', async () => {
    up.advisories = { 'left-pad': [{ id: 1, title: 'fixture advisory', severity: 'high', vulnerable_versions: '<1.1.0' }] };
    const bulk = await fetch(`${endpoint('app')}-/npm/v1/security/advisories/bulk`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ 'left-pad': ['1.0.0'] }),
    });
    expect(bulk.status).toBe(200);
    expect((await bulk.json())['left-pad'][0].title).toBe('fixture advisory');
    expect(up.count('/-/npm/v1/security/advisories/bulk', 'POST')).toBe(1);
    const att = await json(get('app', '-/npm/v1/attestations/left-pad@1.1.0'));
    expect(att.attestations[0].bundle).toEqual({ fixture: 'left-pad@1.1.0' });
    expect((await json(get('app', '-/npm/v1/keys'))).keys[0].keyid).toBe('fixture-key');
    expect((await get('app', '-/npm/v1/attestations/..%2f..%2fsecret@1')).status).toBe(404);
    const s = await json(get('app', '-/v1/search?text=burst'));
    expect(s.objects.map((o: { package: { name: string } }) => o.package.name).sort()).toEqual(['burst-0', 'burst-1', 'burst-2', 'burst-3']);
  });

  it('lets a repository without the connection see nothing from outside', async () => {
    await h.sdk().send(new CreateRepositoryCommand({ domain: DOMAIN, repository: 'island' }));
    up.resetCounts();
    expect((await get('island', 'burst-1')).status).toBe(404);
    expect(up.count('/burst-1')).toBe(0);
    const bulk = await fetch(`${endpoint('island')}-/npm/v1/security/advisories/bulk`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(bulk.status).toBe(404);
    expect((await bulk.json()).error).toMatch(/no external connection/);
  });
});
