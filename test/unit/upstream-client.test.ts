// The client of one external connection against a real HTTP server on loopback: retries of 5xx and
// refused connections (not of timeouts), validators, decoding, the offline window, and never
// following a document to another host.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamClient, UpstreamError } from '../../src/upstream/client.js';

describe('upstream client', () => {
  let server: http.Server;
  let base: string;
  const hits: Record<string, number> = {};
  let failNext = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const p = req.url ?? '/';
      hits[p] = (hits[p] ?? 0) + 1;
      if (p === '/flaky' && failNext-- > 0) return void res.writeHead(503).end('busy');
      if (p === '/flaky') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      if (p === '/down') return void res.writeHead(500).end('broken');
      if (p === '/stall') return; // never answers
      if (p === '/etag') {
        if (req.headers['if-none-match'] === '"v1"') return void res.writeHead(304, { etag: '"v1"' }).end();
        return void res.writeHead(200, { etag: '"v1"' }).end('body');
      }
      if (p === '/gz') return void res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('x'.repeat(10_000)));
      if (p === '/auth') return void res.writeHead(200).end(String(req.headers.authorization));
      res.writeHead(404).end('nope');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const client = (o: Partial<ConstructorParameters<typeof UpstreamClient>[0]> = {}) =>
    new UpstreamClient({
      name: 'public:test',
      url: base,
      connectTimeoutMs: 500,
      readTimeoutMs: 300,
      retries: 2,
      offlineAfter: 3,
      offlineForMs: 60_000,
      ...o,
    });

  it('retries a 5xx and answers with the success', async () => {
    failNext = 2;
    const c = client();
    const r = await c.get('flaky');
    expect(r.status).toBe(200);
    expect(await UpstreamClient.text(r, 1000)).toBe('{"ok":true}');
    expect(hits['/flaky']).toBe(3);
    await c.close();
  });

  it('gives up after its retries with a 502 naming the connection', async () => {
    const c = client();
    const e = await c.get('down').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UpstreamError);
    expect((e as UpstreamError).kind).toBe('BadGateway');
    expect((e as Error).message).toMatch(/public:test answered 500/);
    expect(hits['/down']).toBe(3);
    await c.close();
  });

  it('does not retry a timeout: one slow wait, then a 504', async () => {
    const c = client();
    const e = await c.get('stall').catch((x: unknown) => x);
    expect((e as UpstreamError).kind).toBe('GatewayTimeout');
    expect(hits['/stall']).toBe(1);
    await c.close();
  });

  it('revalidates with If-None-Match and passes 404 through', async () => {
    const c = client();
    const first = await c.get('etag');
    expect(first.headers.etag).toBe('"v1"');
    await UpstreamClient.text(first, 100);
    const again = await c.get('etag', { etag: '"v1"' });
    expect(again.status).toBe(304);
    const missing = await c.get('nothing');
    expect(missing.status).toBe(404);
    missing.body.destroy(); // dropping a body is no unhandled error
    await c.close();
  });

  it('decodes gzip, refuses bodies over the limit, and sends the configured credentials', async () => {
    const c = client({ authorization: 'Bearer sekrit' });
    expect(await UpstreamClient.text(await c.get('gz'), 20_000)).toBe('x'.repeat(10_000));
    await expect(UpstreamClient.text(await c.get('gz'), 100)).rejects.toThrow(/larger than 100 bytes/);
    expect(await UpstreamClient.text(await c.get('auth'), 100)).toBe('Bearer sekrit');
    await c.close();
  });

  it('goes offline after repeated failures and fails fast until the window ends', async () => {
    const c = client({ url: 'http://127.0.0.1:1', retries: 0 });
    for (let i = 0; i < 3; i++) await expect(c.get('x')).rejects.toThrow(/unreachable/);
    expect(c.offline).toBe(true);
    await expect(c.get('x')).rejects.toThrow(/failed 3 times in a row/);
    await c.close();
  });

  it('never follows a URL to another host', async () => {
    const c = client();
    expect(() => c.resolve('http://127.0.0.2:9/x.tgz')).toThrow(/only http:\/\/127\.0\.0\.1/);
    expect(c.resolve(`${base}/a/b.tgz`)).toBe(`${base}/a/b.tgz`);
    expect(c.resolve('/a')).toBe(`${base}/a`);
    await c.close();
  });
});
