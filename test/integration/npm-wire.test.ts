// The npm registry protocol on the wire (protocols.md A): the client quirks that break real installs,
// checked request by request. What real clients make of them is in npm-cli and npm-clients.
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { makeTgz, publishBody, setupDomain, removeTemp, json } from './npm-support.js';

const CORGI = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

describe('npm registry protocol', () => {
  let h: TestHoard;
  let reg: string;
  let auth: Record<string, string>;
  const get = (p: string, headers: Record<string, string> = {}) => fetch(`${reg}${p}`, { headers: { ...auth, ...headers } });
  const put = (p: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${reg}${p}`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const publish = async (pj: { name: string; version: string; [k: string]: unknown }, opts?: Parameters<typeof publishBody>[2]) => {
    const tgz = await makeTgz(pj);
    return put(encodeURIComponent(pj.name).replace(/^%40/, '@'), publishBody(pj, tgz, opts));
  };

  beforeAll(async () => {
    h = await startHoard();
    const d = await setupDomain(h, 'wire', [{ name: 'repo' }]);
    reg = d.endpoint('repo');
    auth = { authorization: `Bearer ${d.token}` };
    for (const v of ['1.0.0', '1.1.0']) expect((await publish({ name: '@scope/thing', version: v, description: 'a thing' })).status).toBe(201);
    const r = await publish({ name: 'scripted', version: '1.0.0', scripts: { postinstall: 'node x.js', test: 'true' } });
    expect(r.status).toBe(201);
  });
  afterAll(async () => {
    await h?.stop();
    removeTemp();
  });

  it('serves full and abbreviated documents by Accept, with the abbreviated Content-Type', async () => {
    const corgi = await get('@scope%2fthing', { accept: CORGI });
    expect(corgi.status).toBe(200);
    expect(corgi.headers.get('content-type')).toMatch(/^application\/vnd\.npm\.install-v1\+json/);
    expect(corgi.headers.get('vary')).toBe('Accept, Accept-Encoding');
    expect(corgi.headers.get('cache-control')).toBe('private, no-cache');
    const c = await json(corgi);
    // `time` too: pnpm, yarn and npm age gates read it from the abbreviated document.
    expect(Object.keys(c).sort()).toEqual(['dist-tags', 'modified', 'name', 'time', 'versions']);
    expect(Object.keys(c.time)).toEqual(expect.arrayContaining(['created', 'modified', '1.1.0']));
    expect(c.versions['1.1.0'].description).toBeUndefined();
    // No Accept (yarn berry), */* and pnpm's full-document Accept all get the full document.
    for (const accept of [undefined, '*/*', 'application/json; q=1.0, */*']) {
      const full = await fetch(`${reg}@scope%2fthing`, { headers: { ...auth, ...(accept ? { accept } : {}) } });
      expect(full.headers.get('content-type')).toMatch(/^application\/json/);
      const f = await json(full);
      expect(f._id).toBe('@scope/thing');
      expect(f._rev).toMatch(/^\d+-/);
      expect(f.description).toBe('a thing');
      expect(f.time.created).toBeTruthy();
      // Times as JavaScript writes them (the database joins them in): ISO 8601, milliseconds, UTC.
      for (const t of Object.values(f.time)) expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Date.parse(f.time['1.1.0'])).toBeGreaterThanOrEqual(Date.parse(f.time['1.0.0']));
      expect(f.versions['1.0.0']._npmUser).toEqual({ name: 'root' });
    }
    // hasInstallScript only in the abbreviated document (the full one has the scripts themselves).
    const s = await json(get('scripted', { accept: CORGI }));
    expect(s.versions['1.0.0'].hasInstallScript).toBe(true);
    const sf = await json(get('scripted'));
    expect(sf.versions['1.0.0'].scripts.postinstall).toBe('node x.js');
    expect(sf.versions['1.0.0'].hasInstallScript).toBeUndefined();
  });

  it('accepts the three encodings of scoped names and serves one canonical tarball URL', async () => {
    const docs = await Promise.all(['@scope%2fthing', '@scope%2Fthing', '@scope/thing', '%40scope%2fthing'].map((p) => get(p)));
    const bodies = await Promise.all(docs.map((r) => r.text()));
    expect(docs.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(bodies).size).toBe(1);
    const doc = JSON.parse(bodies[0]);
    const dist = doc.versions['1.1.0'].dist;
    expect(dist.tarball).toBe(`${reg}@scope/thing/-/thing-1.1.0.tgz`);
    const tgz = Buffer.from(await (await get('@scope/thing/-/thing-1.1.0.tgz')).arrayBuffer());
    expect(`sha512-${createHash('sha512').update(tgz).digest('base64')}`).toBe(dist.integrity);
    expect(createHash('sha1').update(tgz).digest('hex')).toBe(dist.shasum);
    expect(dist.fileCount).toBe(2);
    expect(dist.unpackedSize).toBeGreaterThan(0);
    // yarn asks for the %2f form of the tarball first.
    const yarnForm = await get('@scope%2fthing/-/thing-1.1.0.tgz');
    expect(yarnForm.status).toBe(200);
    expect(yarnForm.headers.get('cache-control')).toContain('immutable');
    expect(Buffer.from(await yarnForm.arrayBuffer()).equals(tgz)).toBe(true);
  });

  it('supports HEAD and Range on tarballs, and ETag revalidation', async () => {
    const url = '@scope/thing/-/thing-1.0.0.tgz';
    const full = Buffer.from(await (await get(url)).arrayBuffer());
    const head = await fetch(`${reg}${url}`, { method: 'HEAD', headers: auth });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(full.length);
    const part = await get(url, { range: 'bytes=10-19' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${full.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(full.subarray(10, 20))).toBe(true);
    const tail = await get(url, { range: 'bytes=-5' });
    expect(Buffer.from(await tail.arrayBuffer()).equals(full.subarray(full.length - 5))).toBe(true);
    expect((await get(url, { range: `bytes=${full.length}-` })).status).toBe(416);
    const etag = head.headers.get('etag')!;
    expect((await get(url, { 'if-none-match': etag })).status).toBe(304);
  });

  it('answers If-None-Match and If-Modified-Since with 304 and compresses with gzip and brotli', async () => {
    const first = await get('@scope%2fthing', { accept: CORGI });
    const etag = first.headers.get('etag')!;
    const body = await first.text();
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect((await get('@scope%2fthing', { accept: CORGI, 'if-none-match': etag })).status).toBe(304);
    expect((await get('@scope%2fthing', { accept: CORGI, 'if-none-match': `W/${etag}` })).status).toBe(304);
    // Each representation has its own validator.
    expect((await get('@scope%2fthing', { 'if-none-match': etag })).status).toBe(200);
    const lm = first.headers.get('last-modified')!;
    expect((await get('@scope%2fthing', { accept: CORGI, 'if-modified-since': lm })).status).toBe(304);
    const raw = (enc: string) =>
      new Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
        const u = new URL(`${reg}@scope%2fthing`);
        import('node:http').then(({ request }) => {
          const req = request(u, { headers: { ...auth, accept: CORGI, 'accept-encoding': enc } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          });
          req.on('error', reject);
          req.end();
        });
      });
    // Small documents go uncompressed; publish enough versions to pass the threshold.
    for (let i = 2; i < 12; i++) await publish({ name: '@scope/thing', version: `1.${i}.0`, description: 'x'.repeat(50) });
    const plain = await (await get('@scope%2fthing', { accept: CORGI })).text();
    const gz = await raw('gzip, deflate');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(plain);
    const br = await raw('br, gzip');
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).toString()).toBe(plain);
    expect(plain).not.toBe(body);
  });

  it('moves modified and the ETag on every change, including dist-tag changes', async () => {
    const before = await json(get('@scope%2fthing', { accept: CORGI }));
    const beforeTag = (await get('@scope%2fthing', { accept: CORGI })).headers.get('etag');
    const r = await put('-/package/@scope%2fthing/dist-tags/next', '"1.0.0"');
    expect(r.status).toBe(201);
    const after = await get('@scope%2fthing', { accept: CORGI });
    const doc = await json(after);
    expect(doc.modified > before.modified).toBe(true);
    expect(after.headers.get('etag')).not.toBe(beforeTag);
    expect(doc['dist-tags']).toMatchObject({ latest: '1.11.0', next: '1.0.0' });
    expect(await json(get('-/package/@scope%2fthing/dist-tags'))).toEqual({ latest: '1.11.0', next: '1.0.0' });
    const del = await fetch(`${reg}-/package/@scope%2fthing/dist-tags/next`, { method: 'DELETE', headers: auth });
    expect(del.status).toBe(201);
    // A tag that is a semver range is refused, as npm does.
    expect((await put('-/package/@scope%2fthing/dist-tags/1.x', '"1.0.0"')).status).toBe(400);
  });

  it('serves single versions by version and by tag', async () => {
    const v = await json(get('@scope%2fthing/1.0.0'));
    expect(v.version).toBe('1.0.0');
    expect(v.dist.tarball).toBe(`${reg}@scope/thing/-/thing-1.0.0.tgz`);
    expect((await json(get('@scope/thing/latest'))).version).toBe('1.11.0');
    expect((await get('@scope/thing/9.9.9')).status).toBe(404);
    expect(await json(get('@scope/thing/nosuchtag'))).toEqual({ error: 'Not found: @scope/thing@nosuchtag', message: 'Not found: @scope/thing@nosuchtag' });
  });

  it('accepts a byte-identical re-publish quietly and refuses different content with 403', async () => {
    const pj = { name: 'retry-me', version: '1.0.0' };
    const tgz = await makeTgz(pj);
    const body = publishBody(pj, tgz);
    expect((await put('retry-me', body)).status).toBe(201);
    // npm retries a PUT after a 5xx: the same bytes again succeed.
    expect((await put('retry-me', body)).status).toBe(200);
    const other = await publish({ name: 'retry-me', version: '1.0.0', description: 'different' });
    expect(other.status).toBe(403);
    expect((await json(other)).error).toBe('You cannot publish over the previously published versions: 1.0.0.');
  });

  it('publishes two concurrent uploads of one version exactly once', async () => {
    const a = publishBody({ name: 'race', version: '1.0.0', description: 'a' }, await makeTgz({ name: 'race', version: '1.0.0', description: 'a' }));
    const b = publishBody({ name: 'race', version: '1.0.0', description: 'b' }, await makeTgz({ name: 'race', version: '1.0.0', description: 'b' }));
    const results = await Promise.all([put('race', a), put('race', b)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 403]);
    const doc = await json(get('race'));
    expect(Object.keys(doc.versions)).toEqual(['1.0.0']);
  });

  it('writes one event per version change in the same transaction', async () => {
    type Ev = { detail: { packageName: string; packageVersion: string; operationType: string; packageVersionState: string; changes: { assetsAdded: number } } };
    const events = async () =>
      (await h.server.services.db.query<{ payload: Ev }>(`SELECT payload FROM event ORDER BY id`)).rows
        .map((r) => r.payload.detail)
        .filter((d) => d.packageName === 'evented');
    const pj = { name: 'evented', version: '1.0.0' };
    expect((await put('evented', publishBody(pj, await makeTgz(pj)))).status).toBe(201);
    let ev = await events();
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ packageVersion: '1.0.0', operationType: 'Created', packageVersionState: 'Published', changes: { assetsAdded: 1 } });
    // The whole-package unpublish (DELETE /-rev/) deletes the versions and records Deleted events.
    const doc = await json(get('evented?write=true'));
    const del = await fetch(`${reg}evented/-rev/${doc._rev}`, { method: 'DELETE', headers: auth });
    expect(del.status).toBe(200);
    ev = await events();
    expect(ev.map((e) => e.operationType)).toEqual(['Created', 'Deleted']);
    expect((await get('evented')).status).toBe(404);
  });

  it('accepts the provenance attachment next to the tarball', async () => {
    const r = await publish(
      { name: 'with-provenance', version: '1.0.0' },
      { extraAttachments: { 'with-provenance-1.0.0.sigstore': { content_type: 'application/vnd.dev.sigstore.bundle+json;version=0.2', data: '{"mediaType":"x"}', length: 17 } } },
    );
    expect(r.status).toBe(201);
  });

  it('publishes and serves names valid for old packages (capitals, as JSONStream), each its own package', async () => {
    for (const name of ['JSONStream', '@forks/Mixed.Case', "it's(ok)"]) {
      const r = await publish({ name, version: '1.0.0' });
      expect(r.status, `${name}: ${await r.clone().text()}`).toBe(201);
      const path = encodeURIComponent(name).replace(/^%40/, '@');
      const doc = await json(get(path));
      expect(doc.name).toBe(name);
      const bare = name.split('/').pop();
      expect(doc.versions['1.0.0'].dist.tarball).toBe(`${reg}${name}/-/${bare}-1.0.0.tgz`);
      expect((await get(`${name}/-/${bare}-1.0.0.tgz`)).status).toBe(200);
    }
    // Names differing only in case are different packages, as on npm.
    expect((await get('jsonstream')).status).toBe(404);
    expect((await publish({ name: 'jsonstream', version: '2.0.0' })).status).toBe(201);
    expect(Object.keys((await json(get('JSONStream'))).versions)).toEqual(['1.0.0']);
  });

  it('answers ping, whoami, search, token list, audit and web login as npm expects', async () => {
    expect(await json(get('-/ping?write=true'))).toEqual({});
    expect(await json(get('-/whoami'))).toEqual({ username: 'root' });
    const s = await json(get('-/v1/search?text=thing&size=5&from=0&quality=0.65&popularity=0.98&maintenance=0.5'));
    expect(s.total).toBe(1);
    expect(s.objects[0].package).toMatchObject({ name: '@scope/thing', version: '1.11.0', maintainers: [{ username: 'root' }] });
    expect(s.objects[0].score.detail).toEqual({ quality: 0.5, popularity: 0.5, maintenance: 0.5 });
    expect(typeof s.objects[0].searchScore).toBe('number');
    expect((await json(get('-/v1/search?text=scope:scope'))).total).toBe(1);
    expect((await json(get('-/v1/search?text=thing&from=1'))).objects).toEqual([]);
    const tokens = await json(get('-/npm/v1/tokens'));
    expect(tokens.urls).toEqual({});
    expect(tokens.objects[0].token).toMatch(/^eyJ.{3}\.\.\.$/);
    const bulk = await fetch(`${reg}-/npm/v1/security/advisories/bulk`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ '@scope/thing': ['1.0.0'] }),
    });
    // No external connection to ask: an error that says so, never an empty (all-clear) answer.
    expect(bulk.status).toBe(404);
    expect((await json(bulk)).error).toMatch(/npm audit is not available .* no external connection/);
    const web = await fetch(`${reg}-/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(web.status).toBe(404);
  });
});
