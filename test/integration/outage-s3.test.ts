// S3 outages, driven by the test on an s3rver it owns (so this runs in both passes, the Hoard here
// pointed at it): frozen with SIGSTOP (connections accepted, nothing answered) and killed (the port
// refuses). Downloads and uploads answer 503 with Retry-After in each face's own shape, naming the
// blob store, within the S3 timeouts instead of hanging; /readyz says `blobs: unavailable` without
// the raw error; and everything works again once S3 is back.
import { GetPackageVersionAssetCommand } from '@aws-sdk/client-codeartifact';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { TestS3, until } from '../support/services.js';
import { failure } from '../support/versions.js';
import { makeTgz, publishBody, setupDomain } from './npm-support.js';

/** Every request here must answer well before this; a hang fails the test instead of stalling it. */
const BOUND = { signal: () => AbortSignal.timeout(30_000) };

describe('S3 outages', () => {
  let s3: TestS3;
  let h: TestHoard;
  let token: string;
  let registry: string;
  let tarball: string;
  let tgz: Buffer;
  let n = 0;

  const auth = () => ({ authorization: `Bearer ${token}` });
  const publish = async (name: string) => {
    const t = await makeTgz({ name, version: '1.0.0' });
    return fetch(`${registry}${name}`, {
      method: 'PUT',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify(publishBody({ name, version: '1.0.0' }, t)),
      signal: BOUND.signal(),
    });
  };

  beforeAll(async () => {
    s3 = await TestS3.create();
    h = await startHoard({
      ...s3.env('hoard-outage'),
      HOARD_S3_CONNECT_TIMEOUT_MS: '2000',
      HOARD_S3_IDLE_TIMEOUT_MS: '2000',
      // Short, so that the slow-S3 test below would trip it if the server's own waiting counted.
      HOARD_BODY_IDLE_TIMEOUT_MS: '250',
    });
    const d = await setupDomain(h, 'outage', [{ name: 'rr' }]);
    token = d.token;
    registry = d.endpoint('rr');
    tgz = await makeTgz({ name: 'stored', version: '1.0.0' });
    const r = await fetch(`${registry}stored`, {
      method: 'PUT',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify(publishBody({ name: 'stored', version: '1.0.0' }, tgz)),
    });
    expect(r.status).toBe(201);
    const doc = (await (await fetch(`${registry}stored`, { headers: auth() })).json()) as { versions: Record<string, { dist: { tarball: string } }> };
    tarball = doc.versions['1.0.0'].dist.tarball;
  });
  afterAll(async () => {
    await h?.stop();
    await s3?.destroy();
  });

  async function expectOutageAnswers() {
    // npm: the tarball download and a publish, in npm's JSON error shape.
    const dl = await fetch(tarball, { headers: auth(), signal: BOUND.signal() });
    expect(dl.status).toBe(503);
    expect(dl.headers.get('retry-after')).toBe('5');
    const body = (await dl.json()) as { error: string };
    expect(body.error).toMatch(/blob store is unavailable/);
    expect(body.error).not.toMatch(/127\.0\.0\.1|ECONN|ETIMEDOUT/);
    const up = await publish(`during-${++n}`);
    expect(up.status).toBe(503);
    expect(up.headers.get('retry-after')).toBe('5');
    expect(((await up.json()) as { error: string }).error).toMatch(/blob store is unavailable/);
    // The control plane: ServiceUnavailableException.
    const f = await failure(
      h.sdk().send(
        new GetPackageVersionAssetCommand({ domain: 'outage', repository: 'rr', format: 'npm', package: 'stored', packageVersion: '1.0.0', asset: 'package.tgz' }),
      ),
    );
    expect(f).toMatchObject({ name: 'ServiceUnavailableException', status: 503 });
    expect(f.message).toMatch(/blob store is unavailable/);
    // Readiness names the dependency, and nothing of the raw error.
    const ready = await fetch(`${h.url}/readyz`, { signal: BOUND.signal() });
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not ready', checks: { database: 'ok', blobs: 'unavailable' } });
    expect((await fetch(`${h.url}/healthz`, { signal: BOUND.signal() })).status).toBe(200);
  }

  async function expectRecovered() {
    await until('readiness after S3 is back', async () => (await fetch(`${h.url}/readyz`)).status === 200);
    const dl = await fetch(tarball, { headers: auth() });
    expect(dl.status).toBe(200);
    expect(Buffer.from(await dl.arrayBuffer())).toEqual(tgz);
    expect((await publish(`after-${++n}`)).status).toBe(201);
  }

  it('a frozen S3 (SIGSTOP): 503 with Retry-After within the timeouts, then recovery after SIGCONT', async () => {
    s3.freeze();
    try {
      await expectOutageAnswers();
    } finally {
      s3.thaw();
    }
    await expectRecovered();
  });

  it('a stopped S3 (connections refused): 503 with Retry-After, then recovery once it is started again', async () => {
    await s3.kill();
    try {
      await expectOutageAnswers();
    } finally {
      await s3.start();
    }
    await expectRecovered();
  });

  it('S3 slow for a while (frozen for less than its timeout) mid-upload: the body idle timeout does not cut the upload', async () => {
    // A 20 MiB jar: its parts wait on S3 while the client's bytes wait unread in the request; that
    // is the server being slow, not the client, so no 408 however long it lasts.
    const jar = Buffer.alloc(20 * 1024 * 1024, 7);
    const basic = Buffer.from(`aws:${token}`).toString('base64');
    const url = `${h.url}/maven/d/outage-${h.accountId}/rr/com/example/big/1.0/big-1.0.jar`;
    s3.freeze();
    let put: Promise<Response>;
    try {
      put = fetch(url, { method: 'PUT', headers: { authorization: `Basic ${basic}` }, body: jar, signal: BOUND.signal() });
      await new Promise((r) => setTimeout(r, 700)); // well under the 2 s S3 idle timeout, well over the 250 ms body one
    } finally {
      s3.thaw();
    }
    const r = await put;
    expect(r.status).toBe(201);
  });
});
