// PyPI through an external connection, request by request, against a fixture index on loopback:
// project pages fetched as JSON or HTML and served in both with everything the upstream said, files
// and .metadata verified and retained once, the upstream going down, stalling and lying, names
// normalized both ways, the JSON API, and the origin controls that keep a public project from
// shadowing a private one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateRepositoryCommand, DescribePackageCommand, PutPackageOriginConfigurationCommand } from '@aws-sdk/client-codeartifact';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { makeWheel, uploadForm } from '../support/pypi-fixtures.js';
import { PypiIndexFixture, sha256 } from '../../src/bench/pypi-index-fixture.js';
import { blobCount, JSON_TYPE, PIP_ACCEPT, pypiVersionsIn, setupProxyDomain } from './pypi-proxy-support.js';

const DOMAIN = 'pyproxy';

describe('PyPI external connection (wire)', () => {
  let h: TestHoard;
  let up: PypiIndexFixture;
  let token: string;
  let endpoint: (repo: string) => string;
  const get = (repo: string, p: string, headers: Record<string, string> = {}) =>
    fetch(`${endpoint(repo)}${p}`, { headers: { authorization: `Bearer ${token}`, ...headers }, redirect: 'manual' });
  const page = async (repo: string, project: string) => (await get(repo, `simple/${project}/`, { accept: JSON_TYPE })).json() as Promise<any>;
  const versionsIn = (repo: string, pkg: string) => pypiVersionsIn(h, DOMAIN, repo, pkg);
  const upload = (repo: string, name: string, version: string) => {
    const w = makeWheel({ name, version });
    const filename = `${name.replace(/-/g, '_')}-${version}-py3-none-any.whl`;
    return fetch(endpoint(repo), { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: uploadForm({ filename, bytes: w.bytes }, { name, version }) });
  };

  beforeAll(async () => {
    up = await new PypiIndexFixture().start();
    await up.add('ext-alpha', [
      { version: '1.0', requiresPython: '>=3.8', uploadTime: '2020-01-01T00:00:00.123456Z' },
      { version: '2.0', dependencies: ['ext-beta>=1.0'], provenance: true, uploadTime: '2021-01-01T00:00:00Z' },
      { version: '2.1', yanked: 'broken build' },
    ]);
    await up.add('ext-beta', [{ version: '1.0', metadata: false }]);
    await up.add('Ext.Mixed_Case', [{ version: '1.0', dependencies: ['ext-alpha'] }]);
    await up.add('ext-html', [{ version: '1.0', requiresPython: '<4,>=3.8' }, { version: '1.1', yanked: true }]);
    up.htmlOnly.add('ext-html');
    for (const p of ['burst', 'corrupt-me', 'never-seen', 'stalled']) await up.add(p, [{ version: '1.0' }]);
    await up.add('corp-secret', [{ version: '99.0' }]);
    h = await startHoard({
      HOARD_EXTERNAL_PYPI_URL: `${up.url}/simple`,
      HOARD_UPSTREAM_METADATA_TTL_S: '0',
      HOARD_UPSTREAM_TIMEOUT_MS: '1500',
      HOARD_UPSTREAM_OFFLINE_S: '0',
    });
    ({ token, endpoint } = await setupProxyDomain(h, DOMAIN));
  });
  afterAll(async () => {
    await h?.stop();
    await up?.stop().catch(() => {});
  });

  it('serves the upstream page in JSON and HTML with everything the upstream said, file URLs on Hoard', async () => {
    up.resetCounts();
    const r = await get('app', 'simple/ext-alpha/', { accept: PIP_ACCEPT });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(JSON_TYPE);
    const doc = (await r.json()) as any;
    expect(doc.versions).toEqual(['1.0', '2.0', '2.1']);
    const byName = new Map<string, any>(doc.files.map((f: any) => [f.filename, f]));
    const w1 = byName.get('ext_alpha-1.0-py3-none-any.whl');
    const up1 = up.file('ext_alpha-1.0-py3-none-any.whl');
    expect(w1).toEqual({
      filename: 'ext_alpha-1.0-py3-none-any.whl',
      url: '../../packages/ext-alpha/1.0/ext_alpha-1.0-py3-none-any.whl',
      hashes: { sha256: up1.sha256 },
      'requires-python': '>=3.8',
      'core-metadata': { sha256: sha256(up1.metadata!) },
      'dist-info-metadata': { sha256: sha256(up1.metadata!) },
      size: up1.bytes.length,
      'upload-time': '2020-01-01T00:00:00.123456Z',
      yanked: false,
    });
    // An sdist has no .metadata upstream, so none is advertised; yanks keep their reason; provenance is on Hoard.
    expect(byName.get('ext_alpha-1.0.tar.gz')['core-metadata']).toBeUndefined();
    expect(byName.get('ext_alpha-2.1-py3-none-any.whl').yanked).toBe('broken build');
    expect(byName.get('ext_alpha-2.0-py3-none-any.whl').provenance).toBe('../../packages/ext-alpha/2.0/ext_alpha-2.0-py3-none-any.whl.provenance');
    expect(byName.get('ext_alpha-1.0-py3-none-any.whl').provenance).toBeUndefined();
    // The same in HTML.
    const html = await (await get('app', 'simple/ext-alpha/')).text();
    expect(html).toContain(
      `<a href="../../packages/ext-alpha/1.0/ext_alpha-1.0-py3-none-any.whl#sha256=${up1.sha256}" data-requires-python="&gt;=3.8" ` +
        `data-dist-info-metadata="sha256=${sha256(up1.metadata!)}" data-core-metadata="sha256=${sha256(up1.metadata!)}" data-upload-time="2020-01-01T00:00:00.123456Z">`,
    );
    expect(html).toContain('data-yanked="broken build"');
    expect(html).toContain('data-provenance="../../packages/ext-alpha/2.0/ext_alpha-2.0-py3-none-any.whl.provenance"');
    // A wheel whose .metadata the upstream does not have is not advertised with one.
    expect((await page('app', 'ext-beta')).files.find((f: any) => f.filename.endsWith('.whl'))['core-metadata']).toBeUndefined();
    // The upstream was asked for JSON, once per page; reading pages retains nothing.
    expect(up.count('/simple/ext-alpha/')).toBe(2); // TTL 0 here: each read revalidates (304)
    expect(await versionsIn('app', 'ext-alpha')).toEqual([]);
    expect(await versionsIn('py-store', 'ext-alpha')).toEqual([]);
  });

  it('reads an HTML-only upstream (PEP 503) and serves it as JSON too', async () => {
    const doc = await page('app', 'ext-html');
    expect(doc.files.map((f: any) => [f.filename, f['requires-python'] ?? null, f.yanked])).toEqual([
      ['ext_html-1.0-py3-none-any.whl', '<4,>=3.8', false],
      ['ext_html-1.0.tar.gz', '<4,>=3.8', false],
      ['ext_html-1.1-py3-none-any.whl', null, true],
      ['ext_html-1.1.tar.gz', null, true],
    ]);
    expect(doc.files[0]['core-metadata']).toEqual({ sha256: sha256(up.file('ext_html-1.0-py3-none-any.whl').metadata!) });
    // The relative URL on the upstream's page resolves against it: the file comes through.
    const f = await get('app', 'packages/ext-html/1.0/ext_html-1.0-py3-none-any.whl');
    expect(f.status).toBe(200);
    expect(Buffer.from(await f.arrayBuffer()).equals(up.file('ext_html-1.0-py3-none-any.whl').bytes)).toBe(true);
  });

  it('normalizes names both ways, and answers the JSON API for external projects', async () => {
    up.resetCounts();
    const moved = await get('app', 'simple/Ext.Mixed_Case/');
    expect(moved.status).toBe(301);
    expect(moved.headers.get('location')).toMatch(/\/simple\/ext-mixed-case\/$/);
    expect((await page('app', 'ext-mixed-case')).files.map((f: any) => f.filename)).toEqual(['ext_mixed_case-1.0-py3-none-any.whl', 'ext_mixed_case-1.0.tar.gz']);
    expect(up.count('/simple/ext-mixed-case/')).toBe(1);
    expect((await get('app', 'pypi/Ext.Mixed_Case/json')).status).toBe(301);
    const api = (await (await get('app', 'pypi/ext-mixed-case/json')).json()) as any;
    expect(api.info).toMatchObject({ name: 'Ext.Mixed_Case', version: '1.0', requires_dist: ['ext-alpha'], summary: 'Ext.Mixed_Case from the fixture index' });
    expect(Object.keys(api.releases)).toEqual(['1.0']);
    expect(api.urls[0].url).toBe(`${endpoint('app')}packages/ext-mixed-case/1.0/ext_mixed_case-1.0-py3-none-any.whl`);
    const alpha = (await (await get('app', 'pypi/ext-alpha/json')).json()) as any;
    expect(alpha.info.version).toBe('2.0'); // 2.1 is yanked
    expect(Object.keys(alpha.releases)).toEqual(['1.0', '2.0', '2.1']);
    expect(alpha.releases['1.0'][0].upload_time_iso_8601).toBe('2020-01-01T00:00:00.123456Z');
    // Reading the JSON API retains nothing either.
    expect(await versionsIn('py-store', 'ext-mixed-case')).toEqual([]);
  });

  it('fetches .metadata without retaining, then a file once, checks it, and retains only its version', async () => {
    const wheel = up.file('ext_alpha-2.0-py3-none-any.whl');
    const meta = await get('app', 'packages/ext-alpha/2.0/ext_alpha-2.0-py3-none-any.whl.metadata');
    expect(meta.status).toBe(200);
    expect(Buffer.from(await meta.arrayBuffer()).equals(wheel.metadata!)).toBe(true);
    expect(await versionsIn('py-store', 'ext-alpha')).toEqual([]);
    up.resetCounts();
    const r = await get('app', 'packages/ext-alpha/2.0/ext_alpha-2.0-py3-none-any.whl');
    expect(r.status).toBe(200);
    expect(Buffer.from(await r.arrayBuffer()).equals(wheel.bytes)).toBe(true);
    for (const repo of ['app', 'py-store'])
      expect(await versionsIn(repo, 'ext-alpha')).toEqual([{ version: '2.0', origin: 'EXTERNAL', entry: { externalConnectionName: 'public:pypi' } }]);
    const pkg = await h.sdk().send(new DescribePackageCommand({ domain: DOMAIN, repository: 'app', format: 'pypi', package: 'ext-alpha' }));
    expect(pkg.package?.originConfiguration?.restrictions).toEqual({ publish: 'BLOCK', upstream: 'ALLOW' });
    // Served from the store from now on; the sdist of the same version joins that version.
    expect((await get('app', 'packages/ext-alpha/2.0/ext_alpha-2.0-py3-none-any.whl')).status).toBe(200);
    expect(up.count('/files/ext-alpha/ext_alpha-2.0-py3-none-any.whl')).toBe(1);
    expect((await get('app', 'packages/ext-alpha/2.0/ext_alpha-2.0.tar.gz')).status).toBe(200);
    expect(await versionsIn('py-store', 'ext-alpha')).toHaveLength(1);
    // The retained files keep what the upstream said (upload-time, metadata, provenance) on the merged page.
    const doc = await page('app', 'ext-alpha');
    const w = doc.files.find((f: any) => f.filename === 'ext_alpha-2.0-py3-none-any.whl');
    expect(w).toMatchObject({ 'upload-time': '2021-01-01T00:00:00.000Z', 'core-metadata': { sha256: sha256(wheel.metadata!) } });
    expect(w.provenance).toBeTruthy();
    expect(doc.files.map((f: any) => f.filename)).toHaveLength(6);
    // The JSON API's digests for a retained file are Hoard's own.
    const api = (await (await get('app', 'pypi/ext-alpha/2.0/json')).json()) as any;
    expect(api.urls.find((u: any) => u.packagetype === 'bdist_wheel').digests).toMatchObject({ sha256: wheel.sha256, blake2b_256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // Provenance comes from the upstream through Hoard.
    const prov = await get('app', 'packages/ext-alpha/2.0/ext_alpha-2.0-py3-none-any.whl.provenance');
    expect(prov.status).toBe(200);
    expect(((await prov.json()) as any).attestation_bundles[0].attestations[0].file).toBe('ext_alpha-2.0-py3-none-any.whl');
    // Names the upstream does not list are 404s, in the index's shape.
    expect((await get('app', 'packages/ext-alpha/9.9/ext_alpha-9.9-py3-none-any.whl')).status).toBe(404);
    expect((await get('app', 'simple/no-such-project/')).status).toBe(404);
  });

  it('makes one upstream fetch for 20 concurrent requests of one uncached file', async () => {
    up.resetCounts();
    const answers = await Promise.all(Array.from({ length: 20 }, () => get('app', 'packages/burst/1.0/burst-1.0-py3-none-any.whl')));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    for (const a of answers) expect(Buffer.from(await a.arrayBuffer()).equals(up.file('burst-1.0-py3-none-any.whl').bytes)).toBe(true);
    expect(up.count('/files/burst/burst-1.0-py3-none-any.whl')).toBe(1);
  });

  it('refuses tampered files and .metadata with a 502 naming them, and keeps nothing', async () => {
    const blobs = await blobCount(h, DOMAIN);
    up.mode = 'corrupt';
    try {
      const r = await get('app', 'packages/corrupt-me/1.0/corrupt_me-1.0-py3-none-any.whl');
      expect(r.status).toBe(502);
      expect(await r.text()).toMatch(/corrupt_me-1\.0-py3-none-any\.whl from public:pypi does not match its published sha256; nothing was kept/);
      const m = await get('app', 'packages/corrupt-me/1.0/corrupt_me-1.0-py3-none-any.whl.metadata');
      expect(m.status).toBe(502);
      expect(await m.text()).toMatch(/core metadata of corrupt_me-1\.0-py3-none-any\.whl .*does not match/);
    } finally {
      up.mode = 'up';
    }
    expect(await versionsIn('app', 'corrupt-me')).toEqual([]);
    expect(await versionsIn('py-store', 'corrupt-me')).toEqual([]);
    expect(await blobCount(h, DOMAIN)).toBe(blobs);
    // Once the upstream serves the right bytes, the same requests work.
    expect((await get('app', 'packages/corrupt-me/1.0/corrupt_me-1.0-py3-none-any.whl.metadata')).status).toBe(200);
    expect((await get('app', 'packages/corrupt-me/1.0/corrupt_me-1.0-py3-none-any.whl')).status).toBe(200);
  });

  it('serves cached pages and retained files while the upstream is down; never-seen projects get a 502', async () => {
    await up.stop();
    try {
      const doc = await get('app', 'simple/ext-alpha/', { accept: JSON_TYPE });
      expect(doc.status).toBe(200);
      expect(((await doc.json()) as any).versions).toEqual(['1.0', '2.0', '2.1']);
      expect((await get('app', 'packages/ext-alpha/2.0/ext_alpha-2.0-py3-none-any.whl')).status).toBe(200);
      expect((await get('app', 'packages/ext-alpha/2.0/ext_alpha-2.0-py3-none-any.whl.metadata')).status).toBe(200);
      const never = await get('app', 'simple/never-seen/');
      expect(never.status).toBe(502);
      expect(never.headers.get('retry-after')).toBeTruthy();
      expect(await never.text()).toMatch(/unreachable/);
      // A file seen on a cached page but never fetched cannot be had: 502, not 404.
      expect((await get('app', 'packages/ext-alpha/1.0/ext_alpha-1.0-py3-none-any.whl')).status).toBe(502);
    } finally {
      await up.restart();
    }
  });

  it('answers 504 (or 502) when the upstream stalls past its timeout', async () => {
    up.mode = 'stall';
    try {
      const r = await get('app', 'simple/stalled/');
      expect([502, 504]).toContain(r.status);
      expect(r.headers.get('retry-after')).toBeTruthy();
    } finally {
      up.mode = 'up';
      await up.stop();
      await up.restart();
    }
  });

  it('hides a public project of the same name as a private one (dependency confusion)', async () => {
    expect((await upload('app', 'corp-secret', '1.0')).status).toBe(200);
    expect((await page('app', 'corp-secret')).versions).toEqual(['1.0']);
    expect((await get('app', 'packages/corp-secret/99.0/corp_secret-99.0-py3-none-any.whl')).status).toBe(404);
    expect((await get('app', 'pypi/corp-secret/json')).status).toBe(200);
    // With upstream=ALLOW the public files join, and publishing one of their versions is refused (409).
    await h.sdk().send(
      new PutPackageOriginConfigurationCommand({
        domain: DOMAIN,
        repository: 'app',
        format: 'pypi',
        package: 'corp-secret',
        restrictions: { publish: 'ALLOW', upstream: 'ALLOW' },
      }),
    );
    await new Promise((r) => setTimeout(r, 2100)); // the chain lookup cache
    expect((await page('app', 'corp-secret')).versions).toEqual(['1.0', '99.0']);
    const clash = await upload('app', 'corp-secret', '99.0');
    expect(clash.status).toBe(409);
    expect(clash.statusText).toMatch(/already exists upstream, in the external connection public:pypi/);
  });

  it('lets a repository without the connection see nothing from outside', async () => {
    await h.sdk().send(new CreateRepositoryCommand({ domain: DOMAIN, repository: 'island' }));
    up.resetCounts();
    expect((await get('island', 'simple/burst/')).status).toBe(404);
    expect((await get('island', 'packages/burst/1.0/burst-1.0-py3-none-any.whl')).status).toBe(404);
    expect(up.total()).toBe(0);
  });
});
