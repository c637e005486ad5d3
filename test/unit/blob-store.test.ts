// The BlobStore contract, run against both implementations: the filesystem store in a temp
// dir, and the S3 store against an s3rver this file starts on 127.0.0.1 (or, when
// HOARD_TEST_S3_ENDPOINT is set, against that endpoint with a fresh bucket).

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HoardError } from '../../src/errors.js';
import { createBlobStore, type BlobStore } from '../../src/blobs/index.js';
import { S3BlobStore } from '../../src/blobs/s3-blob-store.js';
import { S3rverPlus } from '../support/s3rver-plus.js';

interface Harness {
  store: BlobStore;
  /** Names of temporaries currently present (temp dir entries or `.tmp/` keys). */
  temps(): Promise<string[]>;
  /** Leaves a temporary behind as a crashed server would, aged by ageMs where possible. */
  leaveTemp(ageMs: number): Promise<void>;
  /** Whether leaveTemp can backdate (fs can, S3 cannot: the test waits instead). */
  canBackdate: boolean;
  close(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: { closeAllConnections?: () => void };
}
type S3rverCtor = new (opts: Record<string, unknown>) => S3rverInstance;
const requireCjs = createRequire(import.meta.url);
requireCjs('../support/s3rver.cjs'); // s3rver with its temp-folder race removed
const S3rver = requireCjs('s3rver') as S3rverCtor;

async function fsHarness(): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hoard-blobs-'));
  const store = await createBlobStore({ dataDir });
  const tmpDir = join(dataDir, 'blobs', '.tmp');
  return {
    store,
    canBackdate: true,
    temps: async () => readdir(tmpDir).catch(() => []),
    leaveTemp: async (ageMs) => {
      const p = join(tmpDir, randomUUID());
      await writeFile(p, 'partial');
      const t = new Date(Date.now() - ageMs);
      await utimes(p, t, t);
    },
    close: () => rm(dataDir, { recursive: true, force: true }),
  };
}

async function s3Harness(): Promise<Harness> {
  let endpoint = process.env.HOARD_TEST_S3_ENDPOINT;
  let server: S3rverInstance | undefined;
  let dir: string | undefined;
  const accessKey = endpoint ? (process.env.HOARD_TEST_S3_ACCESS_KEY ?? '') : 'S3RVER';
  const secretKey = endpoint ? (process.env.HOARD_TEST_S3_SECRET_KEY ?? '') : 'S3RVER';
  const region = (endpoint && process.env.HOARD_TEST_S3_REGION) || 'us-east-1';
  if (!endpoint) {
    dir = await mkdtemp(join(tmpdir(), 'hoard-s3rver-'));
    server = new S3rver({ address: '127.0.0.1', port: 0, directory: dir, silent: true });
    const addr = await server.run();
    endpoint = `http://127.0.0.1:${addr.port}`;
  }
  const bucket = `hoard-test-${randomUUID().slice(0, 18)}`;
  const store = await createBlobStore({ s3: { endpoint, bucket, accessKey, secretKey, region } });
  const s3 = store as S3BlobStore;
  const tmpKeys = async () => {
    const keys: string[] = [];
    for await (const item of s3.client.listObjectsV2(bucket, '.tmp/', true)) {
      if ((item as { name?: string }).name) keys.push((item as { name: string }).name);
    }
    return keys;
  };
  return {
    store,
    canBackdate: false,
    temps: tmpKeys,
    leaveTemp: async () => {
      await s3.client.putObject(bucket, `.tmp/${randomUUID()}`, Buffer.from('partial'));
    },
    close: async () => {
      // Empty and drop the bucket (matters on a shared endpoint), then stop our server.
      const keys: string[] = [];
      for await (const item of s3.client.listObjectsV2(bucket, '', true)) {
        if ((item as { name?: string }).name) keys.push((item as { name: string }).name);
      }
      for (const k of keys) await s3.client.removeObject(bucket, k).catch(() => undefined);
      await s3.client.removeBucket(bucket).catch(() => undefined);
      if (server) {
        server.httpServer?.closeAllConnections?.();
        await server.close();
      }
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const x of it) out.push(x);
  return out.sort();
}

const hex = (alg: string, b: Buffer) => createHash(alg).update(b).digest('hex');

/** A Readable of `total` pseudo-random bytes in `chunk`-sized pieces, hashing as it goes. */
function generated(total: number, chunk = 64 * 1024) {
  const h = createHash('sha256');
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(chunk, total - sent);
      const b = randomBytes(n);
      h.update(b);
      sent += n;
      this.push(b);
    },
  });
  return { stream, sha256: () => h.digest('hex') };
}

/** A Readable that sends `before` bytes, then fails. */
function failing(before: number, err = new Error('client went away')) {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= before) return void this.destroy(err);
      const n = Math.min(64 * 1024, before - sent);
      sent += n;
      this.push(randomBytes(n));
    },
  });
}

async function expectHoardError(p: Promise<unknown>, kind: string): Promise<HoardError> {
  const e = await p.then(
    () => {
      throw new Error(`expected ${kind}, but it resolved`);
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HoardError);
  expect((e as HoardError).kind).toBe(kind);
  return e as HoardError;
}

const impls: [string, () => Promise<Harness>][] = [
  ['fs', fsHarness],
  [process.env.HOARD_TEST_S3_ENDPOINT ? `s3 (${process.env.HOARD_TEST_S3_ENDPOINT})` : 's3 (s3rver)', s3Harness],
];

describe.each(impls)('BlobStore: %s', (_name, makeHarness) => {
  let h: Harness;
  let store: BlobStore;
  const scope = 'dom-1';

  beforeAll(async () => {
    h = await makeHarness();
    store = h.store;
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  }, 60_000);

  async function expectNothingIn(sc: string) {
    expect(await collect(store.list(sc))).toEqual([]);
    expect(await h.temps()).toEqual([]);
  }

  it('round-trips a buffer with all four digests matching node:crypto', async () => {
    const data = randomBytes(100_000);
    const d = await store.put('rt', data);
    expect(d).toEqual({
      sha256: hex('sha256', data),
      sha1: hex('sha1', data),
      md5: hex('md5', data),
      sha512: hex('sha512', data),
      size: data.length,
    });
    expect(await readAll(await store.get('rt', d.sha256))).toEqual(data);
    expect(await store.stat('rt', d.sha256)).toEqual({ size: data.length });
    expect(await collect(store.list('rt'))).toEqual([d.sha256]);
    expect(await h.temps()).toEqual([]);
  });

  it('round-trips a stream and an empty body', async () => {
    const parts = [Buffer.from('hello '), Buffer.from('blob '), Buffer.from('world')];
    const d = await store.put('stream', Readable.from(parts));
    const all = Buffer.concat(parts);
    expect(d.sha256).toBe(hex('sha256', all));
    expect(d.size).toBe(all.length);
    expect((await readAll(await store.get('stream', d.sha256))).toString()).toBe('hello blob world');

    const e = await store.put('stream', Readable.from([]));
    expect(e.sha256).toBe(hex('sha256', Buffer.alloc(0)));
    expect(e.size).toBe(0);
    expect(await store.stat('stream', e.sha256)).toEqual({ size: 0 });
    expect((await readAll(await store.get('stream', e.sha256))).length).toBe(0);
  });

  it('accepts a matching expectedSha256 (any case)', async () => {
    const data = Buffer.from('expected content');
    const sha = hex('sha256', data);
    expect((await store.put('exp', data, { expectedSha256: sha })).sha256).toBe(sha);
    expect((await store.put('exp', Readable.from([data]), { expectedSha256: sha.toUpperCase() })).sha256).toBe(sha);
  });

  it('rejects an expectedSha256 mismatch and leaves nothing', async () => {
    const data = Buffer.from('some content');
    const wrong = 'a'.repeat(64);
    const err = await expectHoardError(
      store.put('mismatch', Readable.from([data]), { expectedSha256: wrong }),
      'ValidationException',
    );
    expect(err.message).toBe(
      `The provided content hashes do not match the calculated content hashes. Hash algorithm 'SHA-256', Expected hash ${wrong}, Calculated hash ${hex('sha256', data)}`,
    );
    await expectNothingIn('mismatch');
  });

  it('rejects a mismatch on a multi-part sized body and leaves nothing', async () => {
    const g = generated(11 * 1024 * 1024);
    await expectHoardError(store.put('mismatch2', g.stream, { expectedSha256: 'b'.repeat(64) }), 'ValidationException');
    await expectNothingIn('mismatch2');
  }, 60_000);

  it('enforces maxBytes and leaves nothing', async () => {
    await expectHoardError(store.put('big', randomBytes(1001), { maxBytes: 1000 }), 'PayloadTooLarge');
    await expectHoardError(store.put('big', generated(300_000, 10_000).stream, { maxBytes: 100_000 }), 'PayloadTooLarge');
    await expectNothingIn('big');
    const exact = await store.put('big', randomBytes(1000), { maxBytes: 1000 });
    expect(exact.size).toBe(1000);
  });

  it('leaves nothing when the body stream errors midway', async () => {
    const boom = new Error('client went away');
    await expect(store.put('abort', failing(200_000, boom))).rejects.toBe(boom);
    await expectNothingIn('abort');
  });

  it('leaves nothing when the body errors after a multipart upload began', async () => {
    const boom = new Error('late failure');
    await expect(store.put('abort2', failing(12 * 1024 * 1024, boom))).rejects.toBe(boom);
    await expectNothingIn('abort2');
  }, 60_000);

  it('leaves nothing when the signal aborts midway', async () => {
    const ac = new AbortController();
    let sent = 0;
    const slow = new Readable({
      read() {
        sent++;
        if (sent === 5) ac.abort(new Error('caller aborted'));
        setTimeout(() => this.push(randomBytes(1024)), 1);
      },
    });
    await expect(store.put('sig', slow, { signal: ac.signal })).rejects.toThrow('caller aborted');
    await expectNothingIn('sig');
    const pre = new AbortController();
    pre.abort(new Error('already aborted'));
    await expect(store.put('sig', Buffer.from('x'), { signal: pre.signal })).rejects.toThrow('already aborted');
    await expectNothingIn('sig');
  });

  it('deduplicates: the same bytes twice give the same digests and one object', async () => {
    const data = randomBytes(5000);
    const a = await store.put('dedup', data);
    const before = h.store.kind === 'fs' ? await inodeOf(h, 'dedup', a.sha256) : undefined;
    const b = await store.put('dedup', Readable.from([data.subarray(0, 100), data.subarray(100)]));
    expect(b).toEqual(a);
    const [c, d] = await Promise.all([store.put('dedup', data), store.put('dedup', data)]);
    expect(c).toEqual(a);
    expect(d).toEqual(a);
    expect(await collect(store.list('dedup'))).toEqual([a.sha256]);
    expect(await h.temps()).toEqual([]);
    if (before !== undefined) expect(await inodeOf(h, 'dedup', a.sha256)).toBe(before); // never replaced
    // The same content in another scope is a separate object.
    await store.put('dedup-other', data);
    expect(await collect(store.list('dedup-other'))).toEqual([a.sha256]);
  });

  it('reads inclusive byte ranges', async () => {
    const data = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const { sha256 } = await store.put('range', data);
    expect(await readAll(await store.get('range', sha256, { start: 10, end: 19 }))).toEqual(data.subarray(10, 20));
    expect(await readAll(await store.get('range', sha256, { start: 0, end: 0 }))).toEqual(data.subarray(0, 1));
    expect(await readAll(await store.get('range', sha256, { start: 255, end: 255 }))).toEqual(data.subarray(255));
    expect(await readAll(await store.get('range', sha256, { start: 0, end: 255 }))).toEqual(data);
    expect(await readAll(await store.get('range', sha256, { start: 100, end: 255 }))).toEqual(data.subarray(100));
  });

  it('stats, deletes idempotently and lists per scope', async () => {
    const x = await store.put('life', Buffer.from('x'));
    const y = await store.put('life', Buffer.from('y'));
    await store.put('life-2', Buffer.from('z'));
    expect(await collect(store.list('life'))).toEqual([x.sha256, y.sha256].sort());
    expect(await collect(store.list('never-used'))).toEqual([]);

    await store.delete('life', x.sha256);
    expect(await store.stat('life', x.sha256)).toBeNull();
    await store.delete('life', x.sha256); // idempotent
    expect(await collect(store.list('life'))).toEqual([y.sha256]);
    expect(await store.stat('life', y.sha256)).toEqual({ size: 1 });

    const err = await expectHoardError(store.get('life', x.sha256), 'ResourceNotFoundException');
    expect(err.details.resourceType).toBe('asset');
    expect(await store.stat(scope, 'c'.repeat(64))).toBeNull();
    await expectHoardError(store.get(scope, 'c'.repeat(64), { start: 0, end: 0 }), 'ResourceNotFoundException');
  });

  it('rejects bad scopes and bad SHA-256s', async () => {
    const good = 'd'.repeat(64);
    for (const bad of ['', '../etc', 'a/b', '.tmp', '..', 'a b', 'x'.repeat(65), 'é']) {
      await expectHoardError(store.put(bad, Buffer.from('x')), 'ValidationException');
      await expectHoardError(store.get(bad, good), 'ValidationException');
      await expectHoardError(store.stat(bad, good), 'ValidationException');
      await expectHoardError(store.delete(bad, good), 'ValidationException');
      await expectHoardError(collect(store.list(bad)), 'ValidationException');
    }
    for (const bad of ['', 'D'.repeat(64), 'd'.repeat(63), 'd'.repeat(65), 'g'.repeat(64), `../${'d'.repeat(61)}`]) {
      await expectHoardError(store.get(scope, bad), 'ValidationException');
      await expectHoardError(store.stat(scope, bad), 'ValidationException');
      await expectHoardError(store.delete(scope, bad), 'ValidationException');
    }
    expect(await h.temps()).toEqual([]);
  });

  it('streams a 20 MB put', async () => {
    const g = generated(20 * 1024 * 1024);
    const d = await store.put('large', g.stream);
    const sha = g.sha256();
    expect(d.sha256).toBe(sha);
    expect(d.size).toBe(20 * 1024 * 1024);
    expect(await store.stat('large', sha)).toEqual({ size: 20 * 1024 * 1024 });
    const back = createHash('sha256');
    let n = 0;
    for await (const c of await store.get('large', sha)) {
      back.update(c as Buffer);
      n += (c as Buffer).length;
    }
    expect(n).toBe(20 * 1024 * 1024);
    expect(back.digest('hex')).toBe(sha);
    const tail = await readAll(await store.get('large', sha, { start: 20 * 1024 * 1024 - 10, end: 20 * 1024 * 1024 - 1 }));
    expect(tail.length).toBe(10);
    expect(await h.temps()).toEqual([]);
  }, 120_000);

  it('sweeps old temporaries only', async () => {
    await h.leaveTemp(2 * 3600_000);
    expect(await h.temps()).toHaveLength(1);
    expect(await store.sweepTemp(h.canBackdate ? 3 * 3600_000 : 3600_000)).toBe(0);
    expect(await h.temps()).toHaveLength(1);
    if (!h.canBackdate) await new Promise((r) => setTimeout(r, 1500)); // S3 times have 1 s precision
    expect(await store.sweepTemp(h.canBackdate ? 3600_000 : 250)).toBe(1);
    expect(await h.temps()).toEqual([]);
  });

  it('reports readiness', async () => {
    await expect(store.check()).resolves.toBeUndefined();
  });
});

async function inodeOf(h: Harness, sc: string, sha: string): Promise<number> {
  const root = (h.store as unknown as { root: string }).root;
  return (await stat(join(root, sc, sha.slice(0, 2), sha))).ino;
}

describe('S3 store readiness', () => {
  it('check() throws when the bucket is missing or the endpoint is unreachable', async () => {
    const unreachable = new S3BlobStore({
      endpoint: 'http://127.0.0.1:9',
      bucket: 'nope',
      accessKey: 'a',
      secretKey: 'b',
      region: 'us-east-1',
    });
    await expect(unreachable.check()).rejects.toThrow();
  });
});

/** A body that sends `before` bytes and then nothing, until the test aborts the put. */
function stalling(before: number) {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= before) return; // never pushes again: the upload hangs as a dead client's would
      const n = Math.min(256 * 1024, before - sent);
      sent += n;
      this.push(randomBytes(n));
    },
  });
}

async function until(what: string, fn: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('fs store folders', () => {
  it('makes its folders once, and again when they were removed behind its back', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hoard-blobs-'));
    try {
      const store = await createBlobStore({ dataDir });
      const a = await store.put('d1', Buffer.from('first'));
      const shard = join(dataDir, 'blobs', 'd1', a.sha256.slice(0, 2));
      // Both the temp folder and the shard the next blob lands in disappear (an operator's cleanup).
      const bytes = Buffer.from('second');
      const sha = createHash('sha256').update(bytes).digest('hex');
      await rm(join(dataDir, 'blobs', '.tmp'), { recursive: true });
      await rm(join(dataDir, 'blobs', 'd1'), { recursive: true });
      const b = await store.put('d1', bytes);
      expect(b.sha256).toBe(sha);
      expect(await store.stat('d1', sha)).toEqual({ size: bytes.length });
      // The first blob's shard was removed with it; a put into that shard makes it again.
      await store.put('d1', Buffer.from('first'));
      expect((await stat(shard)).isDirectory()).toBe(true);
      expect(await store.stat('d1', a.sha256)).toEqual({ size: 5 });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('temp sweep of interrupted uploads', () => {
  const HOUR = 3600_000;

  it('fs: keeps an upload in progress, removes its temp file once older than the grace', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hoard-sweep-'));
    try {
      const store = await createBlobStore({ dataDir });
      const tmpDir = join(dataDir, 'blobs', '.tmp');
      const ac = new AbortController();
      const put = store.put('sweep', stalling(300_000), { signal: ac.signal }).catch((e: unknown) => e);
      await until('the temp file', async () => (await readdir(tmpDir)).length === 1);
      const [name] = await readdir(tmpDir);
      expect(await store.sweepTemp(HOUR)).toBe(0); // fresh: kept
      expect(await readdir(tmpDir)).toEqual([name]);
      const old = new Date(Date.now() - 2 * HOUR);
      await utimes(join(tmpDir, name), old, old); // as a crashed server's temp would be, two hours on
      expect(await store.sweepTemp(HOUR)).toBe(1);
      expect(await readdir(tmpDir)).toEqual([]);
      ac.abort(new Error('test over'));
      expect(await put).toBeInstanceOf(Error);
      expect(await readdir(tmpDir)).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('s3: keeps uploads still sending parts, aborts stale multipart uploads and removes stale temp objects', async () => {
    const s3 = await S3rverPlus.start();
    const bucket = 'sweep';
    try {
      const store = (await createBlobStore({ s3: { ...s3.s3(bucket), partSize: 5 * 1024 * 1024 } })) as S3BlobStore;
      // An upload in progress: one 5 MiB part sent, then the body stalls.
      const ac = new AbortController();
      const put = store.put('sweep', stalling(6 * 1024 * 1024), { signal: ac.signal }).catch((e: unknown) => e);
      await until('the first part', async () => (await s3.partCounts(bucket))[0] === 1);
      // A temp object a crashed server left between completing its upload and copying it.
      await store.client.putObject(bucket, `.tmp/${randomUUID()}`, Buffer.from('partial'));
      const tmpObjects = async () => {
        const keys: string[] = [];
        for await (const item of store.client.listObjectsV2(bucket, '.tmp/', true)) keys.push((item as { name: string }).name);
        return keys;
      };
      expect(await tmpObjects()).toHaveLength(1);

      expect(await store.sweepTemp(HOUR)).toBe(0); // everything is fresh
      expect(await s3.uploads(bucket)).toHaveLength(1);
      expect(await tmpObjects()).toHaveLength(1);

      // Begun two hours ago but its last part is recent: still running (another replica's long upload).
      await s3.ageUploads(bucket, 2 * HOUR, { parts: false });
      expect(await store.sweepTemp(HOUR)).toBe(0);
      expect(await s3.uploads(bucket)).toHaveLength(1);

      // Nothing sent for two hours: the server that began it is gone.
      await s3.ageUploads(bucket, 2 * HOUR);
      await s3.ageObject(bucket, (await tmpObjects())[0], 2 * HOUR);
      expect(await store.sweepTemp(HOUR)).toBe(2);
      expect(await s3.uploads(bucket)).toEqual([]);
      expect(await tmpObjects()).toEqual([]);

      ac.abort(new Error('test over'));
      expect(await put).toBeInstanceOf(Error);
    } finally {
      await s3.stop();
    }
  }, 60_000);
});
