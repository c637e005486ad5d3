// BlobStore on S3 / MinIO through the `minio` client.
// Keys: final `{scope}/{sha256}`, temporaries `.tmp/{uuid}` (a scope can never be `.tmp`).
// A put streams the body to the temp key in parts of `partSize` bytes (one part in memory at
// a time; a body smaller than one part is a single PUT), verifies the digests, then, unless
// the final key already exists, copies the temp to it server-side and removes the temp.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { Client, CopyDestinationOptions, CopySourceOptions } from 'minio';
import { notFound } from '../errors.js';
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
}

const TMP_PREFIX = '.tmp/';
const MIN_PART = 5 * 1024 * 1024;
const DEFAULT_PART = 8 * 1024 * 1024;
/** Largest object a single CopyObject may copy; above it, a multipart copy (composeObject). */
const MAX_SINGLE_COPY = 5 * 1024 * 1024 * 1024;

const s3Code = (e: unknown): string | undefined => (e as { code?: string } | null)?.code;
const isMissingKey = (e: unknown): boolean => {
  const c = s3Code(e);
  return c === 'NoSuchKey' || c === 'NotFound';
};

/** Builds a minio Client from an endpoint URL such as http://127.0.0.1:9000. */
export function minioClient(cfg: S3BlobStoreConfig): Client {
  let url: URL;
  try {
    url = new URL(cfg.endpoint);
  } catch {
    throw new Error(`Invalid S3 endpoint '${cfg.endpoint}': expected a URL such as http://127.0.0.1:9000`);
  }
  const useSSL = url.protocol === 'https:';
  if (!useSSL && url.protocol !== 'http:') {
    throw new Error(`Invalid S3 endpoint '${cfg.endpoint}': protocol must be http or https`);
  }
  return new Client({
    endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: cfg.accessKey,
    secretKey: cfg.secretKey,
    region: cfg.region,
    pathStyle: true,
  });
}

export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  readonly client: Client;
  readonly bucket: string;
  private readonly region: string;
  private readonly partSize: number;

  constructor(cfg: S3BlobStoreConfig, client: Client = minioClient(cfg)) {
    this.client = client;
    this.bucket = cfg.bucket;
    this.region = cfg.region;
    this.partSize = Math.max(MIN_PART, cfg.partSize ?? DEFAULT_PART);
  }

  /** Creates the bucket when it is missing; called by the factory. */
  async init(): Promise<void> {
    if (await this.client.bucketExists(this.bucket)) return;
    try {
      await this.client.makeBucket(this.bucket, this.region);
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
    const etags: { part: number; etag: string }[] = [];
    const uploadPart = async (payload: Buffer) => {
      uploadId ??= await client.initiateNewMultipartUpload(bucket, tmpKey, {});
      const partNumber = etags.length + 1;
      const r = await client.uploadPart(
        { bucketName: bucket, objectName: tmpKey, uploadID: uploadId, partNumber, headers: {} },
        payload,
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
        await client.putObject(bucket, tmpKey, rest, rest.length);
      } else {
        if (rest.length > 0) await uploadPart(rest);
        tmpTouched = true;
        await client.completeMultipartUpload(bucket, tmpKey, uploadId, etags);
        completed = true;
      }
      opts?.signal?.throwIfAborted();

      const finalKey = this.key(scope, digests.sha256);
      if (!(await this.exists(finalKey))) {
        // Racing puts of the same content may both copy; the bytes are identical by name.
        if (digests.size <= MAX_SINGLE_COPY) {
          await client.copyObject(
            new CopySourceOptions({ Bucket: bucket, Object: tmpKey }),
            new CopyDestinationOptions({ Bucket: bucket, Object: finalKey }),
          );
        } else {
          await client.composeObject(new CopyDestinationOptions({ Bucket: bucket, Object: finalKey }), [
            new CopySourceOptions({ Bucket: bucket, Object: tmpKey }),
          ]);
        }
      }
      return digests;
    } finally {
      // Best effort: whatever is left behind is a temp that sweepTemp removes later.
      if (uploadId !== undefined && !completed) {
        await client.abortMultipartUpload(bucket, tmpKey, uploadId).catch(() => undefined);
      }
      if (tmpTouched) await client.removeObject(bucket, tmpKey).catch(() => undefined);
    }
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.client.statObject(this.bucket, key);
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
      if (!range) return await this.client.getObject(this.bucket, key);
      const length = range.end - range.start + 1;
      const res = await this.client.getPartialObject(this.bucket, key, range.start, length);
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
      const st = await this.client.statObject(this.bucket, this.key(scope, sha256));
      return { size: st.size };
    } catch (e) {
      if (isMissingKey(e)) return null;
      throw e;
    }
  }

  async delete(scope: string, sha256: string): Promise<void> {
    assertScope(scope);
    assertSha256(sha256);
    try {
      await this.client.removeObject(this.bucket, this.key(scope, sha256));
    } catch (e) {
      if (!isMissingKey(e)) throw e;
    }
  }

  async *list(scope: string): AsyncIterable<string> {
    assertScope(scope);
    const prefix = `${scope}/`;
    for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
      const name = (item as { name?: string }).name;
      if (!name?.startsWith(prefix)) continue;
      const sha = name.slice(prefix.length);
      if (isSha256(sha)) yield sha;
    }
  }

  async check(): Promise<void> {
    if (!(await this.client.bucketExists(this.bucket))) {
      throw new Error(`S3 bucket '${this.bucket}' does not exist`);
    }
  }

  async sweepTemp(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    const old: string[] = [];
    for await (const item of this.client.listObjectsV2(this.bucket, TMP_PREFIX, true)) {
      const { name, lastModified } = item as { name?: string; lastModified?: Date };
      if (name?.startsWith(TMP_PREFIX) && lastModified && lastModified.getTime() < cutoff) old.push(name);
    }
    for (const name of old) {
      try {
        await this.client.removeObject(this.bucket, name);
        removed++;
      } catch (e) {
        if (!isMissingKey(e)) throw e;
      }
    }
    removed += await this.abortStaleUploads(cutoff);
    return removed;
  }

  /** Aborts multipart uploads to temp keys begun before cutoff (a server died mid-put). */
  private async abortStaleUploads(cutoff: number): Promise<number> {
    let aborted = 0;
    let keyMarker = '';
    let uploadIdMarker = '';
    for (;;) {
      let page;
      try {
        page = await this.client.listIncompleteUploadsQuery(this.bucket, TMP_PREFIX, keyMarker, uploadIdMarker, '');
      } catch (e) {
        const c = s3Code(e);
        // Some S3-compatible servers (s3rver) do not implement listing uploads.
        if (c === 'NotImplemented' || c === 'MethodNotAllowed') return aborted;
        throw e;
      }
      for (const u of page.uploads) {
        if (!u.key.startsWith(TMP_PREFIX) || !(u.initiated instanceof Date) || u.initiated.getTime() >= cutoff) continue;
        try {
          await this.client.abortMultipartUpload(this.bucket, u.key, u.uploadId);
          aborted++;
        } catch (e) {
          if (s3Code(e) !== 'NoSuchUpload') throw e;
        }
      }
      if (!page.isTruncated) return aborted;
      keyMarker = page.nextKeyMarker;
      uploadIdMarker = page.nextUploadIdMarker;
    }
  }
}

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
