// The npm publish body read as a stream (security review items 8 and 9): a gzip bomb is refused at
// the unpacked-size budget while the server keeps answering, a broken attachment is refused before
// the body has finished arriving, a refused publish leaves no blob (final or temporary), and the
// streamed decoder takes what clients send in any order and wrapping, byte for byte.
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { blobScope } from '../../src/core/packages.js';
import { makeTgz, publishBody, setupDomain, removeTemp, json } from './npm-support.js';

const MiB = 1024 * 1024;
const BUDGET = 256 * MiB;

/** A ustar header for one file. */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/** About 1 MB of .tgz that inflates to 1 GiB: a valid package.json, then a GiB of zeros (gzip members, concatenated). */
function gzipBomb(pj: { name: string; version: string }): Buffer {
  const text = Buffer.from(JSON.stringify(pj));
  const head = gzipSync(Buffer.concat([tarHeader('package/package.json', text.length), text, Buffer.alloc(512 - text.length), tarHeader('package/zeros.bin', 1024 * MiB)]));
  const zeros = gzipSync(Buffer.alloc(MiB), { level: 9 });
  return Buffer.concat([head, ...Array<Buffer>(1024).fill(zeros), gzipSync(Buffer.alloc(1024))]);
}

interface Answer {
  status: number;
  body: string;
}

/** A PUT written by hand: `parts` are written in order, `end` false leaves the request open. */
function rawPut(url: string, token: string, parts: (string | Buffer)[], end = true): { answer: Promise<Answer>; sent: Promise<void>; req: http.ClientRequest } {
  const u = new URL(url);
  const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
  });
  for (const p of parts) req.write(p);
  const sent = end ? new Promise<void>((resolve) => req.end(resolve)) : Promise.resolve();
  return { answer, sent, req };
}

describe('npm publish read as a stream', () => {
  let h: TestHoard;
  let reg: string;
  let token: string;
  let scope: string;
  const get = (p: string) => fetch(`${reg}${p}`, { headers: { authorization: `Bearer ${token}` } });
  const blobs = async () => {
    const out: string[] = [];
    for await (const s of h.server.services.blobs.list(scope)) out.push(s);
    return out.sort();
  };

  beforeAll(async () => {
    h = await startHoard({ HOARD_MAX_UNPACKED_BYTES: String(BUDGET) });
    const d = await setupDomain(h, 'stream', [{ name: 'repo' }]);
    reg = d.endpoint('repo');
    token = d.token;
    scope = blobScope((await h.server.services.domains.domain(h.accountId, 'stream')).id);
  });
  afterAll(async () => {
    await h?.stop();
    removeTemp();
  });

  it('refuses a gzip bomb at HOARD_MAX_UNPACKED_BYTES with a 400 npm shows, answers /healthz meanwhile, and stores nothing', async () => {
    const pj = { name: 'bomb', version: '1.0.0' };
    const bomb = gzipBomb(pj);
    expect(bomb.length).toBeLessThan(1.1 * MiB);
    const before = await blobs();
    const put = rawPut(`${reg}bomb`, token, [JSON.stringify(publishBody(pj, bomb))]);
    let answered = false;
    void put.answer.finally(() => (answered = true));
    await put.sent;
    // While the tarball is inflated (asynchronously, up to the budget), health checks keep being
    // answered: several before the publish's answer, and never a gap between two answers anywhere
    // near the seconds that inflating on the event loop stalled everything (this test shares the
    // server's event loop, so a stall shows as a gap; the bound is generous, a round takes ~20 ms).
    let healthzBeforeAnswer = 0;
    let slowest = 0;
    let last = performance.now();
    while (!answered) {
      const r = await fetch(`${h.url}/healthz`);
      expect(r.status).toBe(200);
      slowest = Math.max(slowest, performance.now() - last);
      last = performance.now();
      if (!answered) healthzBeforeAnswer++;
      await new Promise((resolve) => setTimeout(resolve, 20)); // leave most of the loop to the publish
    }
    slowest = Math.max(slowest, performance.now() - last);
    const a = await put.answer;
    expect(healthzBeforeAnswer).toBeGreaterThanOrEqual(3);
    expect(slowest, 'longest gap between /healthz answers during the publish, ms').toBeLessThan(3000);
    expect(a.status).toBe(400);
    expect(JSON.parse(a.body).error).toBe(
      `The tarball inflates to more than ${BUDGET} bytes, the limit of this server (HOARD_MAX_UNPACKED_BYTES); it is refused (a gzip bomb, or a package too large for this registry).`,
    );
    expect((await get('bomb')).status).toBe(404);
    expect(await blobs()).toEqual(before);
    expect(await h.server.services.blobs.sweepTemp(0)).toBe(0);
  });

  it('refuses a broken attachment before the rest of the body has arrived', async () => {
    const pj = { name: 'early', version: '1.0.0' };
    const junk = randomBytes(3 * 256 * 1024); // not gzip
    const body = JSON.stringify(publishBody(pj, junk));
    const cut = body.indexOf('"data":"') + 8 + 200_000;
    // Most of the attachment is sent, the rest of the body is held back: the answer comes anyway.
    const put = rawPut(`${reg}early`, token, [body.slice(0, cut)], false);
    // (The bound only ends the wait for a server that reads whole bodies first: this one answers at once.)
    const a = await Promise.race([put.answer, new Promise<Answer>((resolve) => setTimeout(() => resolve({ status: 0, body: '{"error":"no answer while the body was open"}' }), 30_000))]);
    expect(a.status).toBe(400);
    expect(JSON.parse(a.body).error).toMatch(/^The attachment is not a valid gzipped tarball: incorrect header check\.$/);
    put.req.end(body.slice(cut));
    expect((await get('early')).status).toBe(404);
    expect(await h.server.services.blobs.sweepTemp(0)).toBe(0);
  });

  it('a publish refused after its tarball arrived (integrity, package.json) leaves no blob, final or temporary', async () => {
    const pj = { name: 'refused', version: '1.0.0' };
    const tgz = await makeTgz(pj, { 'data.bin': randomBytes(2 * MiB).toString('hex') });
    const before = await blobs();
    const zeros = `sha512-${Buffer.alloc(64).toString('base64')}`;
    let r = await fetch(`${reg}refused`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(publishBody(pj, tgz, { integrity: zeros })),
    });
    expect(r.status).toBe(400);
    expect((await r.json()).error).toMatch(/does not match dist.integrity/);
    const other = await makeTgz({ name: 'someone-else', version: '1.0.0' }, { 'data.bin': randomBytes(MiB).toString('hex') });
    r = await fetch(`${reg}refused`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(publishBody(pj, other)),
    });
    expect(r.status).toBe(400);
    expect((await r.json()).error).toMatch(/package.json is for someone-else@1.0.0/);
    expect(await blobs()).toEqual(before);
    expect(await h.server.services.blobs.sweepTemp(0)).toBe(0);
  });

  it('takes the attachment before the manifest, wrapped and escaped base64, and sha384 integrity, byte for byte', async () => {
    const pj = { name: 'ordered', version: '1.0.0', description: 'attachment first' };
    const tgz = await makeTgz(pj, { 'data.bin': randomBytes(3 * MiB).toString('base64') });
    const b = publishBody(pj, tgz);
    const sha384 = `sha384-${createHash('sha384').update(tgz).digest('base64')}`;
    b.versions['1.0.0'].dist.integrity = `${sha384} ${b.versions['1.0.0'].dist.integrity}`;
    // Base64 wrapped at 76 characters (MIME style) with every '/' escaped as JSON allows.
    const wrapped = (tgz.toString('base64').match(/.{1,76}/g) ?? []).join('\n');
    const att = JSON.stringify({ content_type: 'application/octet-stream', data: wrapped, length: tgz.length }).replaceAll('/', '\\/');
    const rest = JSON.stringify({ _id: b._id, name: b.name, 'dist-tags': b['dist-tags'], versions: b.versions });
    const text = `{"_attachments":{"ordered-1.0.0.tgz":${att}},${rest.slice(1)}`;
    const r = await fetch(`${reg}ordered`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: text });
    expect(r.status, await r.clone().text()).toBe(201);
    const doc = await json(get('ordered'));
    expect(doc.description).toBe('attachment first');
    const dist = doc.versions['1.0.0'].dist;
    expect(dist.integrity).toBe(`sha512-${createHash('sha512').update(tgz).digest('base64')}`);
    const served = Buffer.from(await (await get('ordered/-/ordered-1.0.0.tgz')).arrayBuffer());
    expect(served.equals(tgz)).toBe(true);
  });

  it('keeps the README from the tarball when the body carries none', async () => {
    const pj = { name: 'readme-inside', version: '1.0.0' };
    const tgz = await makeTgz(pj, { 'README.md': '# Inside\n\nFrom the tarball.\n' });
    const r = await fetch(`${reg}readme-inside`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(publishBody(pj, tgz)),
    });
    expect(r.status).toBe(201);
    const doc = await json(get('readme-inside'));
    expect(doc.readme).toBe('# Inside\n\nFrom the tarball.\n');
    expect(doc.readmeFilename).toBe('README.md');
  });
});
