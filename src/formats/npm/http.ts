// HTTP details of the npm face: errors in the shape npm prints (`{"error": ...}`, protocols.md A.8),
// JSON bodies read with a size limit, conditional requests and content encodings.
import type { Context } from 'koa';
import { HoardError, tooLarge, validation } from '../../errors.js';
import { readBody as readWhole } from '../shared/body.js';
import { setErrorStatus, statusOf } from '../shared/errors.js';
import { encoded, type ServedDoc } from './documents.js';

/** An error with an explicit npm status (e.g. 403 for a republish, which npm shows and never retries). */
export class NpmError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function sendError(ctx: Context, e: unknown, loginHint: string): void {
  let status = 500;
  let message = `Internal error; request id ${String(ctx.state.requestId)}`;
  if (e instanceof NpmError) {
    status = e.status;
    message = e.message;
  } else if (e instanceof HoardError) {
    status = statusOf(e);
    message = e.message;
    // npm prints body.error only when no WWW-Authenticate challenge comes with a 401, so none is sent.
    if (status === 401 || status === 403) message = `${message} ${loginHint}`;
  } else {
    ctx.state.error = e;
  }
  setErrorStatus(ctx, status);
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'application/json';
  ctx.body = { error: message, message };
}

export function sendJson(ctx: Context, status: number, body: unknown): void {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'application/json';
  ctx.body = JSON.stringify(body);
}

const limitMessage = (limit: number) => `The request body is larger than the ${limit} byte limit of this server (HOARD_MAX_UPLOAD_BYTES).`;

/** The 413 for a body over the upload limit, naming it. */
export const uploadTooLarge = (limit: number) => tooLarge(limitMessage(limit));

/** Reads the request body (the one shared reader), naming npm's limit in the refusal. */
export function readBody(ctx: Context, limit: number): Promise<Buffer> {
  return readWhole(ctx.req, limit, limitMessage(limit));
}

/** Parses a JSON object body; anything else is a 400 that says what was expected. */
export function parseObject(buf: Buffer, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw validation(`The ${what} is not valid JSON: ${(e as Error).message}.`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw validation(`The ${what} must be a JSON object.`);
  return v as Record<string, unknown>;
}

/** RFC 9110: If-None-Match decides when present (weak comparison), else If-Modified-Since. */
export function notModified(ctx: Context, etag: string, modified?: Date): boolean {
  const inm = ctx.get('if-none-match');
  if (inm) {
    if (inm.trim() === '*') return true;
    const bare = (t: string) => t.trim().replace(/^W\//, '').replace(/-(gz|br)"$/, '"');
    const want = bare(etag);
    return inm.split(',').some((t) => bare(t) === want);
  }
  const ims = ctx.get('if-modified-since');
  if (ims && modified) {
    const since = Date.parse(ims);
    return !Number.isNaN(since) && Math.floor(modified.getTime() / 1000) <= Math.floor(since / 1000);
  }
  return false;
}

/** Writes a packument: validators, explicit caching, 304, and gzip/brotli when the client takes them. */
export async function sendDoc(ctx: Context, doc: ServedDoc, contentType: string): Promise<void> {
  ctx.set('Vary', 'Accept, Accept-Encoding');
  // Reads need a token, so shared caches must not keep it; clients revalidate (cheap 304s) every time.
  ctx.set('Cache-Control', 'private, no-cache');
  ctx.set('Last-Modified', doc.modified.toUTCString());
  const enc = doc.body.length > 1024 ? ctx.acceptsEncodings('br', 'gzip', 'identity') : 'identity';
  const suffix = enc === 'br' ? '-br' : enc === 'gzip' ? '-gz' : '';
  ctx.set('ETag', suffix ? doc.etag.replace(/"$/, `${suffix}"`) : doc.etag);
  if (notModified(ctx, doc.etag, doc.modified)) {
    ctx.status = 304;
    return;
  }
  ctx.status = 200;
  ctx.type = contentType;
  if (enc === 'br' || enc === 'gzip') {
    ctx.set('Content-Encoding', enc);
    ctx.body = await encoded(doc, enc);
  } else {
    ctx.body = doc.body;
  }
}
