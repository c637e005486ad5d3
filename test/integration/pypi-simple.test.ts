// The simple API, the files and the JSON API over HTTP, checked against the PEPs' examples (byte
// for byte where they fix bytes), the upstream chain merge and what each version status shows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDomainCommand, CreateRepositoryCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-codeartifact';
import { createBLAKE2b } from 'hash-wasm';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { makeSdist, makeWheel, makeZip, md5, metadataText, sha256, uploadForm } from '../support/pypi-fixtures.js';

const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';
const PIP_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01';
const UV_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01';

describe('PyPI simple API, files and JSON API', () => {
  let h: TestHoard;
  let token: string;
  const ep = (repo: string) => `${h.url}/pypi/d/acme-${h.accountId}/${repo}/`;
  const auth = () => ({ authorization: `Bearer ${token}` });
  const get = (url: string, headers: Record<string, string> = {}, method = 'GET') =>
    fetch(url, { method, headers: { ...auth(), ...headers }, redirect: 'manual' });
  const upload = async (repo: string, form: FormData) => {
    const r = await fetch(ep(repo), { method: 'POST', headers: auth(), body: form });
    return { status: r.status, reason: r.statusText, body: await r.text() };
  };

  const meta = { name: 'Demo.Pkg', version: '1.0', requiresPython: '>=3.8,<4', requiresDist: ['requests (>=2.0)', 'rich[jupyter]>=13; extra == "pretty"'] };
  const wheel = makeWheel(meta);
  const wheelName = 'demo_pkg-1.0-py3-none-any.whl';
  const sdist = makeSdist(meta);
  const sdistName = 'demo_pkg-1.0.tar.gz';
  // An older sdist name with the project's own spelling, as setuptools < 69 writes it, zipped.
  const legacyZip = makeZip([
    { name: 'Demo.Pkg-1.1/PKG-INFO', data: Buffer.from(metadataText({ ...meta, version: '1.1', requiresPython: undefined })) },
  ]);
  const legacyName = 'Demo.Pkg-1.1.zip';

  beforeAll(async () => {
    h = await startHoard();
    const sdk = h.sdk();
    await sdk.send(new CreateDomainCommand({ domain: 'acme' }));
    await sdk.send(new CreateRepositoryCommand({ domain: 'acme', repository: 'upstream' }));
    await sdk.send(new CreateRepositoryCommand({ domain: 'acme', repository: 'app', upstreams: [{ repositoryName: 'upstream' }] }));
    token = (await sdk.send(new GetAuthorizationTokenCommand({ domain: 'acme' }))).authorizationToken!;
    for (const [file, version] of [
      [{ filename: wheelName, bytes: wheel.bytes }, '1.0'],
      [{ filename: sdistName, bytes: sdist }, '1.0'],
      [{ filename: legacyName, bytes: legacyZip }, '1.1'],
    ] as const) {
      const r = await upload('app', uploadForm(file, { name: 'Demo.Pkg', version, md5: md5(file.bytes) }));
      expect(r.status, `${file.filename}: ${r.reason}`).toBe(200);
    }
  });
  afterAll(async () => h?.stop());

  it('serves the PEP 503 project page byte for byte, with hashes, escaped requires-python and core metadata', async () => {
    const r = await get(`${ep('app')}simple/demo-pkg/`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('vary')).toBe('Accept');
    const m = sha256(wheel.metadata);
    // PEP 700's upload-time, in the HTML page too (as in the JSON page).
    const times = new Map(
      ((await (await get(`${ep('app')}simple/demo-pkg/`, { accept: JSON_TYPE })).json()) as { files: { filename: string; 'upload-time': string }[] }).files.map(
        (f) => [f.filename, ` data-upload-time="${f['upload-time']}"`],
      ),
    );
    expect(await r.text()).toBe(
      [
        '<!DOCTYPE html>',
        '<html>',
        '  <head>',
        '    <meta name="pypi:repository-version" content="1.1">',
        '    <title>Links for demo-pkg</title>',
        '  </head>',
        '  <body>',
        '    <h1>Links for demo-pkg</h1>',
        `    <a href="../../packages/demo-pkg/1.0/${wheelName}#sha256=${sha256(wheel.bytes)}" data-requires-python="&gt;=3.8,&lt;4" data-dist-info-metadata="sha256=${m}" data-core-metadata="sha256=${m}"${times.get(wheelName)}>${wheelName}</a><br />`,
        `    <a href="../../packages/demo-pkg/1.0/${sdistName}#sha256=${sha256(sdist)}" data-requires-python="&gt;=3.8,&lt;4"${times.get(sdistName)}>${sdistName}</a><br />`,
        `    <a href="../../packages/demo-pkg/1.1/${legacyName}#sha256=${sha256(legacyZip)}"${times.get(legacyName)}>${legacyName}</a><br />`,
        '  </body>',
        '</html>',
        '',
      ].join('\n'),
    );
  });

  it('serves PEP 691/700 JSON to pip and uv, with versions, size, upload-time and core-metadata', async () => {
    for (const accept of [PIP_ACCEPT, UV_ACCEPT]) {
      const r = await get(`${ep('app')}simple/demo-pkg/`, { accept });
      expect(r.headers.get('content-type')).toBe(JSON_TYPE);
      const doc = (await r.json()) as Record<string, any>;
      expect(doc.meta).toEqual({ 'api-version': '1.1' });
      expect(doc.name).toBe('demo-pkg');
      expect(doc.versions).toEqual(['1.0', '1.1']);
      expect(doc.files[0]).toEqual({
        filename: wheelName,
        url: `../../packages/demo-pkg/1.0/${wheelName}`,
        hashes: { sha256: sha256(wheel.bytes) },
        'requires-python': '>=3.8,<4',
        'core-metadata': { sha256: sha256(wheel.metadata) },
        'dist-info-metadata': { sha256: sha256(wheel.metadata) },
        size: wheel.bytes.length,
        'upload-time': expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$/),
        yanked: false,
      });
      expect(doc.files.map((f: { filename: string }) => f.filename)).toEqual([wheelName, sdistName, legacyName]);
      expect(doc.files[1]['core-metadata']).toBeUndefined();
    }
  });

  it('negotiates the three content types, answers 406 otherwise, and revalidates with ETags', async () => {
    const url = `${ep('app')}simple/demo-pkg/`;
    const cases: [Record<string, string>, number, string | null][] = [
      [{}, 200, 'text/html; charset=utf-8'],
      [{ accept: '*/*' }, 200, 'text/html; charset=utf-8'],
      [{ accept: 'text/html' }, 200, 'text/html; charset=utf-8'],
      [{ accept: 'application/vnd.pypi.simple.v1+html' }, 200, 'application/vnd.pypi.simple.v1+html'],
      [{ accept: 'application/vnd.pypi.simple.latest+json' }, 200, JSON_TYPE],
      [{ accept: 'application/vnd.pypi.simple.latest+html' }, 200, 'application/vnd.pypi.simple.v1+html'],
      [{ accept: 'text/html, application/vnd.pypi.simple.v1+json;q=0.5' }, 200, 'text/html; charset=utf-8'],
      [{ accept: 'application/json' }, 406, 'text/html; charset=utf-8'],
      [{ accept: 'application/vnd.pypi.simple.v2+json' }, 406, 'text/html; charset=utf-8'],
    ];
    for (const [headers, status, type] of cases) {
      const r = await get(url, headers);
      expect([headers.accept, r.status, r.headers.get('content-type')]).toEqual([headers.accept, status, type]);
    }
    const fmt = await get(`${url}?format=${encodeURIComponent(JSON_TYPE)}`, { accept: 'text/html' });
    expect(fmt.headers.get('content-type')).toBe(JSON_TYPE);
    const first = await get(url, { accept: PIP_ACCEPT });
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect((await get(url, { accept: PIP_ACCEPT, 'if-none-match': etag })).status).toBe(304);
    const html = await get(url);
    expect(html.headers.get('etag')).not.toBe(etag);
    expect((await get(url, { 'if-none-match': etag })).status).toBe(200);
  });

  it('redirects non-normalized and slash-less URLs, lists projects, and 404s unknown ones', async () => {
    const base = `/pypi/d/acme-${h.accountId}/app/`;
    const redirects: [string, string][] = [
      ['simple/Demo.Pkg/', `${base}simple/demo-pkg/`],
      ['simple/Demo_Pkg', `${base}simple/demo-pkg/`],
      ['simple/demo-pkg', `${base}simple/demo-pkg/`],
      ['simple', `${base}simple/`],
      ['pypi/Demo.Pkg/json', `${base}pypi/demo-pkg/json`],
    ];
    for (const [from, to] of redirects) {
      const r = await get(`${ep('app')}${from}`);
      expect([from, r.status, r.headers.get('location')]).toEqual([from, 301, to]);
    }
    const root = await get(`${ep('app')}simple/`);
    expect(await root.text()).toContain('    <a href="demo-pkg/">demo-pkg</a>\n');
    const rootJson = await get(`${ep('app')}simple/`, { accept: JSON_TYPE });
    expect(await rootJson.json()).toEqual({ meta: { 'api-version': '1.1' }, projects: [{ name: 'demo-pkg' }] });
    const missing = await get(`${ep('app')}simple/no-such-project/`, { accept: PIP_ACCEPT });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('serves the wheel METADATA beside the wheel (PEP 658), and nothing for sdists', async () => {
    const url = `${ep('app')}packages/demo-pkg/1.0/${wheelName}.metadata`;
    const r = await get(url);
    expect(r.status).toBe(200);
    const body = Buffer.from(await r.arrayBuffer());
    expect(body.equals(wheel.metadata)).toBe(true);
    const head = await get(url, {}, 'HEAD');
    expect(head.headers.get('content-length')).toBe(String(wheel.metadata.length));
    expect((await get(`${ep('app')}packages/demo-pkg/1.0/${sdistName}.metadata`)).status).toBe(404);
  });

  it('streams files with HEAD, Range and If-Range, never content-encoded', async () => {
    const url = `${ep('app')}packages/demo-pkg/1.0/${wheelName}`;
    const head = await get(url, { 'accept-encoding': 'gzip, deflate, zstd' }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(wheel.bytes.length));
    expect(head.headers.get('accept-ranges')).toBe('bytes');
    expect(head.headers.get('content-encoding')).toBeNull();
    const full = await get(url, { 'accept-encoding': 'gzip' });
    expect(Buffer.from(await full.arrayBuffer()).equals(wheel.bytes)).toBe(true);
    expect(full.headers.get('content-encoding')).toBeNull();
    const size = wheel.bytes.length;
    const tail = await get(url, { range: 'bytes=-22' });
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-range')).toBe(`bytes ${size - 22}-${size - 1}/${size}`);
    expect(Buffer.from(await tail.arrayBuffer()).equals(wheel.bytes.subarray(size - 22))).toBe(true);
    const mid = await get(url, { range: 'bytes=10-19' });
    expect(Buffer.from(await mid.arrayBuffer()).equals(wheel.bytes.subarray(10, 20))).toBe(true);
    expect((await get(url, { range: `bytes=${size}-` })).status).toBe(416);
    expect((await get(url, { range: 'bytes=0-9', 'if-range': '"other"' })).status).toBe(200);
    expect((await get(url, { range: 'bytes=0-9', 'if-range': `"${sha256(wheel.bytes)}"` })).status).toBe(206);
    const tgz = await get(`${ep('app')}packages/demo-pkg/1.0/${sdistName}`, { 'accept-encoding': 'gzip' });
    expect(tgz.headers.get('content-encoding')).toBeNull();
    expect(Buffer.from(await tgz.arrayBuffer()).equals(sdist)).toBe(true);
    expect((await get(`${ep('app')}packages/demo-pkg/9.9/${wheelName}`)).status).toBe(404);
  });

  it('answers the JSON API with info, releases, urls and digests', async () => {
    const blake = await createBLAKE2b(256);
    blake.init();
    blake.update(wheel.bytes);
    const r = await get(`${ep('app')}pypi/demo-pkg/json`);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await r.json()) as Record<string, any>;
    expect(doc.info).toMatchObject({
      name: 'Demo.Pkg',
      version: '1.1',
      summary: 'A test project',
      author: 'Hoard Tests',
      license: 'MIT',
      classifiers: ['Programming Language :: Python :: 3'],
      yanked: false,
    });
    expect(Object.keys(doc.releases)).toEqual(['1.0', '1.1']);
    expect(doc.urls.map((u: { filename: string }) => u.filename)).toEqual([legacyName]);
    const w = doc.releases['1.0'].find((f: { filename: string }) => f.filename === wheelName);
    expect(w).toMatchObject({
      packagetype: 'bdist_wheel',
      python_version: 'py3',
      requires_python: '>=3.8,<4',
      size: wheel.bytes.length,
      digests: { sha256: sha256(wheel.bytes), md5: md5(wheel.bytes), blake2b_256: blake.digest('hex') },
      url: `${ep('app')}packages/demo-pkg/1.0/${wheelName}`,
      yanked: false,
    });
    expect(w.upload_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    const v = (await (await get(`${ep('app')}pypi/demo-pkg/1.0/json`)).json()) as Record<string, any>;
    expect(v.info.version).toBe('1.0');
    expect(v.info.requires_dist).toEqual(['requests (>=2.0)', 'rich[jupyter]>=13; extra == "pretty"']);
    expect(v.info.requires_python).toBe('>=3.8,<4');
    expect(v.releases).toBeUndefined();
    expect(v.urls).toHaveLength(2);
    const nope = await get(`${ep('app')}pypi/demo-pkg/7.0/json`);
    expect(nope.status).toBe(404);
    expect(await nope.json()).toMatchObject({ message: expect.stringContaining('7.0') });
  });

  it('keeps Requires-Dist (not Requires-Python, as CodeArtifact) as the dependency list and the long description as the readme', async () => {
    const svc = h.server.services;
    const repo = await svc.domains.repository((await svc.domains.findDomain(h.accountId, 'acme'))!, 'app');
    const pkg = (await svc.packages.findPackage(repo, { format: 'pypi', namespace: '', name: 'demo-pkg' }))!;
    const v = (await svc.packages.version(pkg, '1.0'))!;
    expect(v.metadata.dependencies).toEqual([
      { package: 'requests', dependencyType: 'Requires-Dist', versionRequirement: '>=2.0' },
      { package: 'rich', dependencyType: 'Requires-Dist', versionRequirement: '[jupyter]>=13; extra == "pretty"' },
    ]);
    expect(v.metadata.readme).toBe('# Demo.Pkg\n\nThe long description.\n');
    expect(v.metadata.summary).toBe('A test project');
    expect((await svc.packages.assets(v)).map((a) => a.name).sort()).toEqual([sdistName, wheelName].sort());
  });

  it('merges the upstream repository into the project page; files come through the chain', async () => {
    const lib = (version: string) => makeWheel({ name: 'shared-lib', version });
    const w1 = lib('1.0');
    const w2 = lib('2.0');
    expect((await upload('upstream', uploadForm({ filename: 'shared_lib-1.0-py3-none-any.whl', bytes: w1.bytes }, { name: 'shared-lib', version: '1.0' }))).status).toBe(200);
    // Only upstream has it: the downstream serves upstream's page and file.
    const only = await get(`${ep('app')}simple/shared-lib/`, { accept: JSON_TYPE });
    expect(((await only.json()) as { versions: string[] }).versions).toEqual(['1.0']);
    // The downstream publishes 2.0 (its own package row, first published here: upstream=BLOCK,
    // reference §1.10), so upstream versions hide until its origin controls allow upstream.
    expect((await upload('app', uploadForm({ filename: 'shared_lib-2.0-py3-none-any.whl', bytes: w2.bytes }, { name: 'shared-lib', version: '2.0' }))).status).toBe(200);
    const versions = async (repo: string) =>
      ((await (await get(`${ep(repo)}simple/shared-lib/`, { accept: JSON_TYPE })).json()) as { versions: string[] }).versions;
    expect(await versions('app')).toEqual(['2.0']);
    await h.server.services.db.query(
      `UPDATE package SET origin_upstream = 'ALLOW' WHERE name = 'shared-lib' AND repository_id = (SELECT id FROM repository WHERE name = 'app')`,
    );
    expect(await versions('app')).toEqual(['1.0', '2.0']);
    expect(await versions('upstream')).toEqual(['1.0']);
    const html = await (await get(`${ep('app')}simple/shared-lib/`)).text();
    expect(html).toContain(`shared_lib-1.0-py3-none-any.whl#sha256=${sha256(w1.bytes)}`);
    expect(html).toContain(`shared_lib-2.0-py3-none-any.whl#sha256=${sha256(w2.bytes)}`);
    // With upstream=ALLOW, a version the upstream has cannot be published here (dependency confusion).
    const clash = await upload('app', uploadForm({ filename: 'shared_lib-1.0-py3-none-any.whl', bytes: lib('1.0').bytes }, { name: 'shared-lib', version: '1.0' }));
    expect([clash.status, clash.reason]).toEqual([409, expect.stringContaining('already exists in upstream repository upstream')]);
    // A file found in the upstream repository comes through the chain and is retained downstream
    // (only its version, with the file's details), as CodeArtifact does.
    const viaApp = await get(`${ep('app')}packages/shared-lib/1.0/shared_lib-1.0-py3-none-any.whl`);
    expect(Buffer.from(await viaApp.arrayBuffer()).equals(w1.bytes)).toBe(true);
    const held = await h.server.services.db.query<{ version: string; origin_type: string; entry_repository: string }>(
      `SELECT v.version, v.origin_type, v.entry_repository FROM package_version v JOIN package p ON p.id = v.package_id
       WHERE p.name = 'shared-lib' AND p.repository_id = (SELECT id FROM repository WHERE name = 'app') ORDER BY v.version`,
    );
    expect(held.rows).toEqual([
      { version: '1.0', origin_type: 'INTERNAL', entry_repository: 'upstream' },
      { version: '2.0', origin_type: 'INTERNAL', entry_repository: 'app' },
    ]);
    await h.server.services.db.query(
      `UPDATE package SET origin_upstream = 'BLOCK' WHERE name = 'shared-lib' AND repository_id = (SELECT id FROM repository WHERE name = 'app')`,
    );
    expect(await versions('app')).toEqual(['1.0', '2.0']); // the retained file is the repository's own now
  });
});
