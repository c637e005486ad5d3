// BlobStore on S3 / MinIO through the `minio` client.
// Keys: final `{scope}/{sha256}`, temporaries `.tmp/{uuid}` (a scope can never be `.tmp`).
// A put streams the body to the temp key in parts of `partSize` bytes (one part in memory at
// a time; a body smaller than one part is a single PUT), verifies the digests, then, unless
// the final key already exists, copies the temp to it server-side and removes the temp.
// Every call has connect and idle timeouts (s3-transport.ts); an unreachable, silent or overloaded
// S3 is a ServiceUnavailable naming the blob store, which every face answers 503 with Retry-After.
// With `downloads: 'redirect'` (HOARD_S3_DOWNLOADS) downloadUrl presigns a GET of the object, signed
// for the endpoint clients reach (publicEndpoint), so the faces can answer reads with a redirect.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { type Client, CopyDestinationOptions, CopySourceOptions } from 'minio';
import { notFound } from '../errors.js';
import { isUnavailable, OutageReporter, type OutageLog } from '../outage.js';
import { isS3Outage, minioClient, type S3Timeouts } from './s3-transport.js';
import {
  assertScope,
  assertSha256,
  hashedChunks,
  isSha256,
  MultiHasher,
  verifyDigests,
  type BlobDigests,
  type BlobStore,
  type ByteRange,
  type DownloadUrlOptions,
  type PutOptions,
} from './blob-store.js';

export interface S3BlobStoreConfig {
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  region: string;
  /** Multipart part size in bytes (at least 5 MiB); also the most a put holds in memory. */
  partSize?: number;
  /** Connect and idle timeouts of every S3 call (defaults: 5 s, 30 s). */
  timeouts?: Partial<S3Timeouts>;
  /** 'redirect': downloadUrl presigns a GET; 'proxy' (default): reads stream through Hoard. */
  downloads?: 'proxy' | 'redirect';
  /** How long a presigned URL stays valid, in seconds (default 300; S3 allows at most 7 days). */
  presignSeconds?: number;
  /** The endpoint as clients reach it, which presigned URLs name (default: endpoint). */
  publicEndpoint?: string;
}

const TMP_PREFIX = '.tmp/';
const MIN_PART = 5 * 1024 * 1024;
const DEFAULT_PART = 8 * 1024 * 1024;
/** Largest object a single CopyObject may copy; above it, a multipart copy (composeObject). */
const MAX_SINGLE_COPY = 5 * 1024 * 1024 * 1024;

const DEFAULT_PRESIGN_SECONDS = 300;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

const s3Code = (e: unknown): string | undefined => (e as { code?: string } | null)?.code;
const isMissingKey = (e: unknown): boolean => {
  const c = s3Code(e);
  return c === 'NoSuchKey' || c === 'NotFound';
};

export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  readonly client: Client;
  readonly bucket: string;
  private readonly region: string;
  private readonly partSize: number;
  private readonly outage: OutageReporter;
  /** Signs download URLs (no network: the region is configured); null when reads go through Hoard. */
  private readonly presigner: Client | null;
  private readonly presignSeconds: number;

  constructor(cfg: S3BlobStoreConfig, client: Client = minioClient(cfg), log?: OutageLog) {
    this.outage = new OutageReporter('The blob store is unavailable; retry shortly.', isS3Outage, 'blob store', log);
    this.client = client;
    this.bucket = cfg.bucket;
    this.region = cfg.region;
    this.partSize = Math.max(MIN_PART, cfg.partSize ?? DEFAULT_PART);
    const publicEndpoint = cfg.publicEndpoint && cfg.publicEndpoint !== cfg.endpoint ? cfg.publicEndpoint : null;
    this.presigner = cfg.downloads !== 'redirect' ? null : publicEndpoint ? minioClient({ ...cfg, endpoint: publicEndpoint }) : client;
    this.presignSeconds = Math.min(MAX_PRESIGN_SECONDS, Math.max(1, cfg.presignSeconds ?? DEFAULT_PRESIGN_SECONDS));
  }

  /** Runs one S3 call, turning an outage into a ServiceUnavailable (other errors pass through). */
  private async s3<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      throw this.outage.wrap(e);
    }
  }

  /** Creates the bucket when it is missing; called by the factory. */
  async init(): Promise<void> {
    if (await this.s3(() => this.client.bucketExists(this.bucket))) return;
    try {
      await this.s3(() => this.client.makeBucket(this.bucket, this.region));
    } catch (e) {
      // Another replica created it first.
      const c = s3Code(e);
      if (c !== 'BucketAlreadyOwnedByYou' && c !== 'BucketAlreadyExists') throw e;
    }
  }

  private key(scope: string, sha256: string): string {
    return `${scope}/${sha256}`;
  }

  async put(scope: string, body: NodeJS.ReadableStream | Buffer, opts?: PutOptions): Promise<BlobDigests> {
    assertScope(scope);
    const { client, bucket, partSize } = this;
    const tmpKey = `${TMP_PREFIX}${randomUUID()}`;
    const hasher = new MultiHasher();
    let uploadId: string | undefined;
    let completed = false;
    let tmpTouched = false;
    let cleanup = true;
    const etags: { part: number; etag: string }[] = [];
    const uploadPart = async (payload: Buffer) => {
      uploadId ??= await this.s3(() => client.initiateNewMultipartUpload(bucket, tmpKey, {}));
      const partNumber = etags.length + 1;
      const id = uploadId;
      const r = await this.s3(() =>
        client.uploadPart({ bucketName: bucket, objectName: tmpKey, uploadID: id, partNumber, headers: {} }, payload),
      );
      etags.push({ part: partNumber, etag: r.etag });
    };

    try {
      let pending: Buffer[] = [];
      let pendingLen = 0;
      for await (const chunk of hashedChunks(body, hasher, opts)) {
        pending.push(chunk);
        pendingLen += chunk.length;
        if (pendingLen < partSize) continue;
        let all = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingLen);
        while (all.length >= partSize) {
          await uploadPart(all.subarray(0, partSize));
          all = all.subarray(partSize);
        }
        pending = all.length > 0 ? [all] : [];
        pendingLen = all.length;
      }
      const digests = hasher.digest();
      verifyDigests(digests, opts); // before the last part goes out: a mismatch writes nothing more
      opts?.signal?.throwIfAborted();

      const rest = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingLen);
      if (uploadId === undefined) {
        tmpTouched = true;
        await this.s3(() => client.putObject(bucket, tmpKey, rest, rest.length));
      } else {
        if (rest.length > 0) await uploadPart(rest);
        tmpTouched = true;
        const id = uploadId;
        await this.s3(() => client.completeMultipartUpload(bucket, tmpKey, id, etags));
        completed = true;
      }
      opts?.signal?.throwIfAborted();

      const finalKey = this.key(scope, digests.sha256);
      if (!(await this.exists(finalKey))) {
        // Racing puts of the same content may both copy; the bytes are identical by name.
        if (digests.size <= MAX_SINGLE_COPY) {
          await this.s3(() =>
            client.copyObject(
              new CopySourceOptions({ Bucket: bucket, Object: tmpKey }),
              new CopyDestinationOptions({ Bucket: bucket, Object: finalKey }),
            ),
          );
        } else {
          await this.s3(() =>
            client.composeObject(new CopyDestinationOptions({ Bucket: bucket, Object: finalKey }), [
              new CopySourceOptions({ Bucket: bucket, Object: tmpKey }),
            ]),
          );
        }
      }
      return digests;
    } catch (e) {
      // S3 is down: cleaning up now would only wait out the timeouts again; the sweep does it later.
      if (isUnavailable(e)) cleanup = false;
      throw e;
    } finally {
      // Best effort: whatever is left behind is a temp that sweepTemp removes later.
      if (cleanup && uploadId !== undefined && !completed) {
        await client.abortMultipartUpload(bucket, tmpKey, uploadId).catch(() => undefined);
      }
      if (cleanup && tmpTouched) await client.removeObject(bucket, tmpKey).catch(() => undefined);
    }
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.s3(() => this.client.statObject(this.bucket, key));
      return true;
    } catch (e) {
      if (isMissingKey(e)) return false;
      throw e;
    }
  }

  async get(scope: string, sha256: string, range?: ByteRange): Promise<NodeJS.ReadableStream> {
    assertScope(scope);
    assertSha256(sha256);
    const key = this.key(scope, sha256);
    try {
      if (!range) return await this.s3(() => this.client.getObject(this.bucket, key));
      const length = range.end - range.start + 1;
      const res = await this.s3(() => this.client.getPartialObject(this.bucket, key, range.start, length));
      return exactRange(res, range, length);
    } catch (e) {
      if (isMissingKey(e)) throw notFound(`Asset with SHA-256 ${sha256} not found`, 'asset', sha256);
      throw e;
    }
  }

  async stat(scope: string, sha256: string): Promise<{ size: number } | null> {
    assertScope(scope);
    assertSha256(sha256);
    try {
      const st = await this.s3(() => this.client.statObject(this.bucket, this.key(scope, sha256)));
      return { size: st.size };
    } catch (e) {
      if (isMissingKey(e)) return null;
      throw e;
    }
  }

  async downloadUrl(scope: string, sha256: string, opts: DownloadUrlOptions = {}): Promise<string | null> {
    assertScope(scope);
    assertSha256(sha256);
    if (!this.presigner) return null;
    const headers: Record<string, string> = {};
    if (opts.contentType) headers['response-content-type'] = opts.contentType;
    if (opts.contentDisposition) headers['response-content-disposition'] = opts.contentDisposition;
    if (opts.cacheControl) headers['response-cache-control'] = opts.cacheControl;
    return this.presigner.presignedGetObject(this.bucket, this.key(scope, sha256), this.presignSeconds, headers);
  }

  async delete(scope: string, sha256: string): Promise<void> {
    assertScope(scope);
    assertSha256(sha256);
    try {
      await this.s3(() => this.client.removeObject(this.bucket, this.key(scope, sha256)));
    } catch (e) {
      if (!isMissingKey(e)) throw e;
    }
  }

  async *list(scope: string): AsyncIterable<string> {
    assertScope(scope);
    const prefix = `${scope}/`;
    for await (const { name } of this.listKeys(prefix)) {
      const sha = name.slice(prefix.length);
      if (isSha256(sha)) yield sha;
    }
  }

  /** Keys under a prefix with their modification times, streamed; an outage while listing is a ServiceUnavailable. */
  private async *listKeys(prefix: string): AsyncGenerator<{ name: string; lastModified?: Date }> {
    try {
      for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
        const { name, lastModified } = item as { name?: string; lastModified?: Date };
        if (name?.startsWith(prefix)) yield { name, lastModified };
      }
    } catch (e) {
      throw this.outage.wrap(e);
    }
  }

  async check(): Promise<void> {
    if (!(await this.s3(() => this.client.bucketExists(this.bucket)))) {
      throw new Error(`S3 bucket '${this.bucket}' does not exist`);
    }
  }

  async sweepTemp(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    const old: string[] = [];
    for await (const o of this.listKeys(TMP_PREFIX)) if (o.lastModified && o.lastModified.getTime() < cutoff) old.push(o.name);
    for (const name of old) {
      try {
        await this.s3(() => this.client.removeObject(this.bucket, name));
        removed++;
      } catch (e) {
        if (!isMissingKey(e)) throw e;
      }
    }
    removed += await this.abortStaleUploads(cutoff);
    return removed;
  }

  /**
   * Aborts multipart uploads to temp keys that began before cutoff and have had no part uploaded
   * since (a server died mid-put): an upload still sending parts, on this or another replica, is
   * kept however long it has been running.
   */
  private async abortStaleUploads(cutoff: number): Promise<number> {
    let aborted = 0;
    let keyMarker = '';
    let uploadIdMarker = '';
    for (;;) {
      let page;
      try {
        page = await this.s3(() => this.client.listIncompleteUploadsQuery(this.bucket, TMP_PREFIX, keyMarker, uploadIdMarker, ''));
      } catch (e) {
        // Some S3-compatible servers (s3rver) do not implement listing uploads.
        if (isUnsupported(e)) return aborted;
        throw e;
      }
      for (const u of page.uploads) {
        if (!u.key.startsWith(TMP_PREFIX) || !(u.initiated instanceof Date) || u.initiated.getTime() >= cutoff) continue;
        if ((await this.lastPartAt(u.key, u.uploadId)) >= cutoff) continue;
        try {
          await this.s3(() => this.client.abortMultipartUpload(this.bucket, u.key, u.uploadId));
          aborted++;
        } catch (e) {
          if (s3Code(e) !== 'NoSuchUpload') throw e;
        }
      }
      // Stop also when the listing does not move on (some servers omit the markers).
      if (!page.isTruncated || (page.nextKeyMarker === keyMarker && page.nextUploadIdMarker === uploadIdMarker)) return aborted;
      keyMarker = page.nextKeyMarker;
      uploadIdMarker = page.nextUploadIdMarker;
    }
  }

  /** When the newest part of an upload arrived (0: no parts, or the server cannot list them). */
  private async lastPartAt(key: string, uploadId: string): Promise<number> {
    // listParts is public S3 API that minio's typings mark protected.
    const client = this.client as unknown as { listParts(b: string, k: string, id: string): Promise<{ lastModified?: Date }[]> };
    try {
      const parts = await this.s3(() => client.listParts(this.bucket, key, uploadId));
      return Math.max(0, ...parts.map((p) => p.lastModified?.getTime?.() ?? 0).filter(Number.isFinite));
    } catch (e) {
      if (isUnsupported(e) || s3Code(e) === 'NoSuchUpload') return 0;
      throw e;
    }
  }
}

const isUnsupported = (e: unknown): boolean => {
  const c = s3Code(e);
  return c === 'NotImplemented' || c === 'MethodNotAllowed';
};

/**
 * Returns exactly the requested bytes even from servers that honour Range loosely: some
 * answer 200 with the whole object, and s3rver treats `bytes=0-0` as `bytes=0-`. A 206 whose
 * Content-Range is exactly the request passes through untouched.
 */
function exactRange(res: Readable, range: ByteRange, length: number): Readable {
  const msg = res as Partial<IncomingMessage>;
  const cr = msg.headers?.['content-range'];
  if (msg.statusCode === 206 && typeof cr === 'string' && cr.startsWith(`bytes ${range.start}-${range.end}/`)) {
    return res;
  }
  let skip = msg.statusCode === 206 ? 0 : range.start;
  let left = length;
  const out = new Readable({
    read() {
      res.resume();
    },
    destroy(err, cb) {
      res.destroy();
      cb(err);
    },
  });
  res.on('data', (chunk: Buffer) => {
    if (left === 0) return;
    let c = chunk;
    if (skip > 0) {
      const n = Math.min(skip, c.length);
      skip -= n;
      c = c.subarray(n);
    }
    if (c.length === 0) return;
    if (c.length > left) c = c.subarray(0, left);
    left -= c.length;
    const more = out.push(c);
    if (left === 0) {
      out.push(null);
      res.destroy();
    } else if (!more) {
      res.pause();
    }
  });
  res.on('end', () => {
    if (left > 0) out.destroy(new Error(`S3 returned ${length - left} of ${length} requested bytes`));
  });
  res.on('error', (e) => out.destroy(e));
  return out;
}
