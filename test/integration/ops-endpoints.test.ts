// What the server does for every route and its operational endpoints: the request body idle
// timeout (HOARD_BODY_IDLE_TIMEOUT_MS: a body that stops arriving gets 408 + Connection: close and a
// closed socket, whatever the route, while other requests keep being served; a body that keeps
// arriving slowly is not cut), /readyz answering per dependency, and /metrics behind
// HOARD_METRICS_TOKEN when it is set (open when it is not).
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { makeTgz, publishBody, setupDomain } from './npm-support.js';

const IDLE_MS = 1500;
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

interface RawAnswer {
  text: string;
  closed: boolean;
}

/** Sends head and the start of a body on a raw socket, then nothing; resolves when the server closes it (or after 30 s). */
function stalledRequest(port: number, head: string, bodyStart: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let text = '';
    const giveUp = setTimeout(() => {
      sock.destroy();
      resolve({ text, closed: false });
    }, 30_000);
    sock.on('data', (d: Buffer) => (text += d.toString('latin1')));
    sock.on('error', () => {}); // a reset after the answer still counts as closed
    sock.on('close', () => {
      clearTimeout(giveUp);
      resolve({ text, closed: true });
    });
    sock.once('connect', () => sock.write(`${head.replace(/\n/g, '\r\n')}\r\n${bodyStart}`));
    sock.once('error', (e) => (text ? undefined : reject(e)));
  });
}

describe('body idle timeout, readiness and metrics', () => {
  let h: TestHoard;
  let open: TestHoard;
  let token: string;
  let npmPath: string;
  let mavenPath: string;

  beforeAll(async () => {
    [h, open] = await Promise.all([
      startHoard({ HOARD_BODY_IDLE_TIMEOUT_MS: String(IDLE_MS), HOARD_METRICS_TOKEN: METRICS_TOKEN }),
      startHoard(),
    ]);
    const d = await setupDomain(h, 'ops', [{ name: 'rr' }]);
    token = d.token;
    npmPath = new URL(d.endpoint('rr')).pathname;
    mavenPath = `/maven/d/ops-${h.accountId}/rr/`;
  });
  afterAll(async () => {
    await h?.stop();
    await open?.stop();
  });

  /** Runs a stalled request while checking that /healthz keeps answering meanwhile. */
  async function stalledWhileHealthy(head: string, bodyStart: string): Promise<RawAnswer> {
    const answer = stalledRequest(h.port, head, bodyStart);
    let settled = false;
    void answer.then(() => (settled = true));
    let healthy = 0;
    while (!settled) {
      const r = await fetch(`${h.url}/healthz`);
      expect(r.status).toBe(200);
      healthy++;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(healthy).toBeGreaterThan(0);
    return answer;
  }

  function expect408(a: RawAnswer) {
    expect(a.closed).toBe(true);
    expect(a.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(a.text.toLowerCase()).toContain('\r\nconnection: close\r\n');
    expect(a.text).toContain('HOARD_BODY_IDLE_TIMEOUT_MS');
  }

  it('answers 408 and closes an npm publish whose body stops, and publishes nothing', async () => {
    const a = await stalledWhileHealthy(
      `PUT ${npmPath}stalled HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer ${token}\nContent-Type: application/json\nContent-Length: 5000\n`,
      '{"_id":"stalled","name":"stalled","versions":{',
    );
    expect408(a);
    const r = await fetch(`${h.url}${npmPath}stalled`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(404);
  });

  it('answers 408 on a streamed Maven upload and a chunked body alike', async () => {
    const basic = Buffer.from(`aws:${token}`).toString('base64');
    const jar = `${mavenPath}com/example/stall/1.0/stall-1.0.jar`;
    expect408(
      await stalledWhileHealthy(
        `PUT ${jar} HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Basic ${basic}\nContent-Length: 100000\n`,
        'PK'.padEnd(2000, 'x'),
      ),
    );
    expect408(
      await stalledWhileHealthy(
        `PUT ${jar} HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Basic ${basic}\nTransfer-Encoding: chunked\n`,
        '10\r\n0123456789abcdef\r\n',
      ),
    );
    const r = await fetch(`${h.url}${jar}`, { headers: { authorization: `Basic ${basic}` } });
    expect(r.status).toBe(404);
  });

  it('does not cut a body that keeps arriving, however slowly in total', async () => {
    const tgz = await makeTgz({ name: 'slow', version: '1.0.0' });
    const body = Buffer.from(JSON.stringify(publishBody({ name: 'slow', version: '1.0.0' }, tgz)));
    const pieces = 10;
    const size = Math.ceil(body.length / pieces);
    // Ten pieces a fifth of the timeout apart: twice the timeout in all, never idle for long.
    const stream = new ReadableStream<Uint8Array>({
      async start(c) {
        for (let i = 0; i < pieces; i++) {
          c.enqueue(body.subarray(i * size, (i + 1) * size));
          await new Promise((res) => setTimeout(res, IDLE_MS / 5));
        }
        c.close();
      },
    });
    const r = await fetch(`${h.url}${npmPath}slow`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(r.status).toBe(201);
    const doc = (await (await fetch(`${h.url}${npmPath}slow`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      versions: Record<string, unknown>;
    };
    expect(Object.keys(doc.versions)).toEqual(['1.0.0']);
  });

  it('/readyz answers each dependency as ok', async () => {
    const r = await fetch(`${h.url}/readyz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ready', checks: { database: 'ok', blobs: 'ok' } });
  });

  it('/metrics needs the bearer token when HOARD_METRICS_TOKEN is set, and is open when it is not', async () => {
    const none = await fetch(`${h.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="hoard-metrics"');
    expect(await none.text()).toContain('HOARD_METRICS_TOKEN');
    for (const auth of [`Bearer ${METRICS_TOKEN}x`, `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}`, 'Bearer']) {
      expect((await fetch(`${h.url}/metrics`, { headers: { authorization: auth } })).status).toBe(401);
    }
    const ok = await fetch(`${h.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('hoard_http_request_duration_seconds');
    const unset = await fetch(`${open.url}/metrics`);
    expect(unset.status).toBe(200);
    expect(await unset.text()).toContain('hoard_http_request_duration_seconds');
  });
});
