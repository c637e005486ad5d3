// The temp sweeper as the server runs it: what interrupted uploads left in the blob store (temp
// files on disk; temp objects and unfinished multipart uploads on S3) is removed at start and on
// the interval once older than HOARD_TEMP_GRACE_MS, and anything fresher is kept. Runs on both
// backends in every pass: disk, and an S3 this file owns (so it can age what it holds).
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../src/blobs/s3-blob-store.js';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { S3rverPlus } from '../support/s3rver-plus.js';
import { until } from '../support/services.js';

const HOUR = 3600_000;
const NO_S3 = { S3_ENDPOINT: '', S3_BUCKET: '', S3_ACCESS_KEY: '', S3_SECRET_KEY: '' };

describe('temp sweeper: disk', () => {
  let h: TestHoard;
  let tmpDir: string;
  const age = (p: string, ms: number) => {
    const t = new Date(Date.now() - ms);
    utimesSync(p, t, t);
  };

  beforeAll(async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hoard-sweep-'));
    tmpDir = path.join(dataDir, 'blobs', '.tmp');
    mkdirSync(tmpDir, { recursive: true });
    // What kill -9 mid-upload leaves: a partial temp file, two hours old; and one being written now.
    writeFileSync(path.join(tmpDir, 'crashed'), Buffer.alloc(64 * 1024));
    age(path.join(tmpDir, 'crashed'), 2 * HOUR);
    writeFileSync(path.join(tmpDir, 'in-progress'), 'partial');
    h = await startHoard({ ...NO_S3, HOARD_DATA_DIR: dataDir, HOARD_TEMP_GRACE_MS: String(HOUR), HOARD_TEMP_SWEEP_INTERVAL_MS: '300' });
  });
  afterAll(async () => h?.stop());

  it('removes stale temp files at start and on the interval, and keeps fresh ones', async () => {
    expect(h.server.services.blobs.kind).toBe('fs');
    await until('the start-up sweep', async () => !readdirSync(tmpDir).includes('crashed'));
    expect(readdirSync(tmpDir)).toEqual(['in-progress']);
    // Later: the in-progress upload's process died too, and its file is now old.
    age(path.join(tmpDir, 'in-progress'), 2 * HOUR);
    await until('a periodic sweep', async () => readdirSync(tmpDir).length === 0);
    const r = await fetch(`${h.url}/healthz`);
    expect(r.status).toBe(200);
  });
});

describe('temp sweeper: S3', () => {
  let s3: S3rverPlus;
  let h: TestHoard;
  let store: S3BlobStore;
  const bucket = `sweep-${randomUUID().slice(0, 8)}`;
  const tmpObjects = async () => {
    const keys: string[] = [];
    for await (const item of store.client.listObjectsV2(bucket, '.tmp/', true)) keys.push((item as { name: string }).name);
    return keys.sort();
  };

  beforeAll(async () => {
    s3 = await S3rverPlus.start();
    // The leftovers of a crashed server, two hours old: a temp object and a multipart upload with one part.
    store = new S3BlobStore(s3.s3(bucket));
    await store.init();
    await store.client.putObject(bucket, '.tmp/crashed-object', Buffer.from('partial'));
    const id = await store.client.initiateNewMultipartUpload(bucket, '.tmp/crashed-upload', {});
    await store.client.uploadPart({ bucketName: bucket, objectName: '.tmp/crashed-upload', uploadID: id, partNumber: 1, headers: {} }, Buffer.alloc(1024));
    await s3.ageObject(bucket, '.tmp/crashed-object', 2 * HOUR);
    await s3.ageUploads(bucket, 2 * HOUR);
    // And what an upload running on another replica has right now.
    await store.client.putObject(bucket, '.tmp/fresh-object', Buffer.from('partial'));
    await store.client.initiateNewMultipartUpload(bucket, '.tmp/fresh-upload', {});
    expect(await s3.uploads(bucket)).toHaveLength(2);
    h = await startHoard({
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY: 'S3RVER',
      S3_SECRET_KEY: 'S3RVER',
      HOARD_TEMP_GRACE_MS: String(HOUR),
    });
  });
  afterAll(async () => {
    await h?.stop();
    await s3?.stop();
  });

  it('aborts stale multipart uploads and removes stale temp objects at start, keeping fresh ones', async () => {
    expect(h.server.services.blobs.kind).toBe('s3');
    await until('the start-up sweep', async () => (await s3.uploads(bucket)).length === 1 && (await tmpObjects()).length === 1);
    expect(await tmpObjects()).toEqual(['.tmp/fresh-object']);
    const left = await s3.uploads(bucket);
    const page = await store.client.listIncompleteUploadsQuery(bucket, '.tmp/', '', '', '');
    expect(page.uploads.map((u) => u.key)).toEqual(['.tmp/fresh-upload']);
    expect(page.uploads[0].uploadId).toBe(left[0]);
  });
});
