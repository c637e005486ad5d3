// HTTP details of the Maven endpoint: errors as Maven and Gradle show them (status + reason
// phrase for Wagon/Gradle, an RFC 9457 problem+json body for Maven 3.9+), the Basic challenge
// that makes Maven 3.8 and Gradle send credentials, capped body reads, file response headers.
import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import { HoardError } from '../../errors.js';
import { readBody } from '../shared/body.js';
import { setErrorStatus, statusOf } from '../shared/errors.js';


const TITLE: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Quota Exceeded',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export const REALM = 'hoard';

/** A reason phrase must be one line of visible ASCII; Maven 3.8 prints it verbatim. */
function reasonPhrase(s: string): string {
  const clean = s.replace(/[^\x20-\x7e]+/g, ' ').trim();
  return clean.length > 400 ? `${clean.slice(0, 397)}...` : clean;
}

export function sendError(ctx: Context, e: unknown): void {
  if (!(e instanceof HoardError)) throw e; // the server's last-resort handler logs it as a 500
  const status = statusOf(e);
  // Headers of a file this error replaces must not describe the error body.
  for (const h of ['ETag', 'Last-Modified', 'X-Checksum-Sha1', 'X-Checksum-MD5', 'X-Checksum-Sha256', 'Accept-Ranges', 'Content-Length', 'Content-Disposition'])
    ctx.remove(h);
  setErrorStatus(ctx, status);
  ctx.message = reasonPhrase(`${TITLE[status] ?? 'Error'}: ${e.message}`);
  if (status === 401) ctx.set('WWW-Authenticate', `Basic realm="${REALM}"`);
  ctx.set('Cache-Control', 'no-store');
  if (ctx.method === 'HEAD') return;
  // Exactly this media type (no charset): Maven's resolver matches the string.
  ctx.set('Content-Type', 'application/problem+json');
  ctx.body = JSON.stringify({ type: 'about:blank', title: TITLE[status] ?? 'Error', status, detail: e.message });
}

/** Reads a small body whole, refusing more than max bytes (before reading, when Content-Length says so). */
export function readCapped(ctx: Context, max: number, what: string): Promise<Buffer> {
  return readBody(ctx.req, max, `${what} is larger than the limit of ${max} bytes.`);
}

export interface Digests {
  md5: string;
  sha1: string;
  sha256: string;
  sha512: string;
}

export function digestsOf(data: string | Buffer): Digests {
  const h = (a: string) => createHash(a).update(data).digest('hex');
  return { md5: h('md5'), sha1: h('sha1'), sha256: h('sha256'), sha512: h('sha512') };
}

const TYPES: Record<string, string> = {
  jar: 'application/java-archive',
  war: 'application/java-archive',
  ear: 'application/java-archive',
  aar: 'application/java-archive',
  pom: 'application/xml',
  xml: 'application/xml',
  module: 'application/json',
  json: 'application/json',
  asc: 'application/pgp-signature',
  zip: 'application/zip',
  'tar.gz': 'application/gzip',
};

export function contentTypeFor(extension: string): string {
  const last = extension.split('.').pop() ?? '';
  return TYPES[extension] ?? TYPES[last] ?? 'application/octet-stream';
}

/**
 * Headers shared by GET and HEAD of a file or document: the checksum headers Maven's resolver
 * reads instead of fetching .sha1/.md5 ("smart checksums"), validators and caching.
 */
export function setFileHeaders(
  ctx: Context,
  d: Digests & { size: number },
  opts: { type: string; lastModified: Date; immutable: boolean },
): void {
  ctx.set('Content-Type', opts.type);
  ctx.set('ETag', `"${d.sha1}"`);
  ctx.set('Last-Modified', opts.lastModified.toUTCString());
  ctx.set('X-Checksum-Sha1', d.sha1);
  ctx.set('X-Checksum-MD5', d.md5);
  ctx.set('X-Checksum-Sha256', d.sha256);
  ctx.set('Cache-Control', opts.immutable ? 'private, max-age=31536000, immutable' : 'private, no-cache');
  ctx.set('Accept-Ranges', 'none');
}

/** True when the client's validator matches (then 304 with no body). */
export function notModified(ctx: Context, sha1: string): boolean {
  const inm = ctx.get('if-none-match');
  if (!inm) return false;
  return inm.split(',').some((t) => t.trim().replace(/^W\//, '') === `"${sha1}"` || t.trim() === '*');
}
