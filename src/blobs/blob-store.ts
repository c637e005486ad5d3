// The BlobStore: content addressed by SHA-256, deduplicated per scope (a domain id).
// A put streams to a temporary object while hashing, is verified, and only then is made
// final; published content is never overwritten. Two implementations: fs-blob-store.ts
// (the embedded default) and s3-blob-store.ts (S3 / MinIO).

import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { validation, tooLarge } from '../errors.js';

/** Digests of a blob, lowercase hex, plus its size in bytes. */
export interface BlobDigests {
  sha256: string;
  sha1: string;
  md5: string;
  sha512: string;
  size: number;
}

export interface PutOptions {
  /** When given, the put fails (and leaves nothing) unless the content hashes to this. */
  expectedSha256?: string;
  /** When given, the put fails with PayloadTooLarge as soon as the body exceeds this. */
  maxBytes?: number;
  signal?: AbortSignal;
}

/** Inclusive byte range, already validated by the caller against the blob's size. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Headers the blob's host should answer a direct download with (S3's response-* overrides). */
export interface DownloadUrlOptions {
  contentType?: string;
  contentDisposition?: string;
  cacheControl?: string;
}

export interface BlobStore {
  readonly kind: 'fs' | 's3';
  /**
   * Streams the body to a temporary key while computing all four digests; verifies
   * expectedSha256 (ValidationException on mismatch) and maxBytes (PayloadTooLarge); only
   * then makes it final at key {scope}/{sha256}. If the final key already exists it is not
   * overwritten (the temp is dropped). Any failure or abort removes the temp and leaves
   * nothing visible.
   */
  put(scope: string, body: NodeJS.ReadableStream | Buffer, opts?: PutOptions): Promise<BlobDigests>;
  /** Readable of the whole blob or an inclusive byte range; ResourceNotFoundException ('asset') when absent. */
  get(scope: string, sha256: string, range?: ByteRange): Promise<NodeJS.ReadableStream>;
  stat(scope: string, sha256: string): Promise<{ size: number } | null>;
  /**
   * A short-lived URL a client may GET the blob from directly (a presigned S3 URL, when the store
   * is configured to hand reads off: HOARD_S3_DOWNLOADS=redirect), or null when reads stream
   * through Hoard (always on disk). Computed locally: no call to the store, no existence check.
   */
  downloadUrl(scope: string, sha256: string, opts?: DownloadUrlOptions): Promise<string | null>;
  /** Idempotent. */
  delete(scope: string, sha256: string): Promise<void>;
  /** The sha256s present in a scope (for the collector and tests). */
  list(scope: string): AsyncIterable<string>;
  /** Readiness: throws if the store is unreachable or unusable. */
  check(): Promise<void>;
  /** Deletes temp objects older than the given age (left by crashed servers); returns how many. */
  sweepTemp(olderThanMs: number): Promise<number>;
}

const SCOPE_RE = /^[A-Za-z0-9_-]{1,64}$/;
const SHA256_RE = /^[0-9a-f]{64}$/;

/** A scope is an opaque id; the pattern guarantees it can never be a path or key traversal. */
export function assertScope(scope: string): void {
  if (typeof scope !== 'string' || !SCOPE_RE.test(scope)) {
    throw validation(`Invalid blob scope '${String(scope).slice(0, 80)}': must match [A-Za-z0-9_-]{1,64}`);
  }
}

export function assertSha256(sha256: string): void {
  if (typeof sha256 !== 'string' || !SHA256_RE.test(sha256)) {
    throw validation(`Invalid SHA-256 '${String(sha256).slice(0, 80)}': must be 64 lowercase hex characters`);
  }
}

export const isSha256 = (s: string): boolean => SHA256_RE.test(s);

/** Computes SHA-256, SHA-1, MD5 and SHA-512 in one pass. */
export class MultiHasher {
  private readonly h256: Hash = createHash('sha256');
  private readonly h1: Hash = createHash('sha1');
  private readonly h5: Hash = createHash('md5');
  private readonly h512: Hash = createHash('sha512');
  size = 0;

  update(chunk: Buffer): void {
    this.h256.update(chunk);
    this.h1.update(chunk);
    this.h5.update(chunk);
    this.h512.update(chunk);
    this.size += chunk.length;
  }

  digest(): BlobDigests {
    return {
      sha256: this.h256.digest('hex'),
      sha1: this.h1.digest('hex'),
      md5: this.h5.digest('hex'),
      sha512: this.h512.digest('hex'),
      size: this.size,
    };
  }
}

/** Digests of an in-memory buffer (for tests and small payloads). */
export function digestsOf(buf: Buffer): BlobDigests {
  const h = new MultiHasher();
  h.update(buf);
  return h.digest();
}

export function hashMismatch(expected: string, calculated: string) {
  return validation(
    `The provided content hashes do not match the calculated content hashes. Hash algorithm 'SHA-256', Expected hash ${expected}, Calculated hash ${calculated}`,
  );
}

/** Throws the ValidationException for a hash mismatch when an expected SHA-256 was given. */
export function verifyDigests(digests: BlobDigests, opts: PutOptions | undefined): void {
  const expected = opts?.expectedSha256;
  if (expected !== undefined && expected.toLowerCase() !== digests.sha256) {
    throw hashMismatch(expected, digests.sha256);
  }
}

function abortError(signal: AbortSignal): unknown {
  if (signal.reason !== undefined) return signal.reason;
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}

/**
 * Yields the body's chunks as Buffers, feeding them to the hasher first. Throws
 * PayloadTooLarge as soon as more than maxBytes have arrived, the body's own error if it
 * fails, or the signal's reason on abort. On PayloadTooLarge the body is left paused rather
 * than destroyed, so an HTTP caller can still answer with a 413; on abort it is destroyed.
 */
export async function* hashedChunks(
  body: NodeJS.ReadableStream | Buffer,
  hasher: MultiHasher,
  opts: PutOptions | undefined,
): AsyncGenerator<Buffer> {
  const maxBytes = opts?.maxBytes;
  const signal = opts?.signal;
  const account = (chunk: Buffer): void => {
    if (maxBytes !== undefined && hasher.size + chunk.length > maxBytes) {
      throw tooLarge(`The content exceeds the maximum allowed size of ${maxBytes} bytes`);
    }
    hasher.update(chunk);
  };

  if (signal?.aborted) throw abortError(signal);
  if (Buffer.isBuffer(body)) {
    account(body);
    yield body;
    return;
  }

  const src: Readable = body instanceof Readable ? body : new Readable().wrap(body);
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    src.destroy(abortError(signal!) as Error);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // destroyOnReturn:false so that stopping early (too large) does not destroy the body.
    const it: AsyncIterable<unknown> =
      typeof src.iterator === 'function' ? src.iterator({ destroyOnReturn: false }) : src;
    for await (const raw of it) {
      if (aborted && signal) throw abortError(signal);
      const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as string | Uint8Array);
      if (chunk.length === 0) continue;
      account(chunk);
      yield chunk;
    }
    if (aborted && signal) throw abortError(signal);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
