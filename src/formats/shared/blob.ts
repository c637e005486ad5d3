// How every face answers a download of a stored file (npm tarballs, PyPI distributions, Maven
// files, the web UI's downloads): one home for HEAD, single byte ranges and the S3 redirect.
// With HOARD_S3_DOWNLOADS=redirect a GET is answered `307 Temporary Redirect` to a short-lived
// presigned URL: S3 serves the bytes (Range included) with the Content-Type, Content-Disposition
// and Cache-Control the caller set for this response (S3's response overrides; a CSP it cannot
// set, but the bytes then come from S3's origin, not Hoard's); the 307 itself is
// `Cache-Control: no-store`, as the URL expires.
// HEAD (a presigned GET does not sign a HEAD, and mvn/Gradle only want the headers), 304s and
// everything on disk are answered by Hoard itself, streaming from the blob store.
// The caller has authorized the read, set the file's headers (Content-Type, validators,
// Cache-Control, asDownload's for uploaded content) and answered a current If-None-Match with 304.
import type { Context } from 'koa';
import type { PackageService } from '../../core/packages.js';
import { parseRange } from './range.js';

/** A stored file: its blob in a domain's store and its size. */
export interface StoredFile {
  domainId: number;
  sha256: string;
  size: number;
}

export interface BlobResponse {
  /** Serve single byte ranges (npm, PyPI); without it the whole file always (Maven). */
  ranges?: boolean;
  /** The file's ETag: a Range with an If-Range naming anything else gets the whole file. */
  etag?: string;
}

/** Headers that describe a body; a redirect has none of its own. */
const BODY_HEADERS = ['Content-Type', 'ETag', 'Last-Modified', 'Accept-Ranges', 'Content-Range', 'Content-Disposition', 'X-Checksum-Sha1', 'X-Checksum-MD5', 'X-Checksum-Sha256'];

export async function sendBlob(ctx: Context, packages: PackageService, f: StoredFile, o: BlobResponse = {}): Promise<void> {
  if (ctx.method === 'GET') {
    const header = (name: string) => ctx.response.get(name) || undefined;
    const url = await packages.blobDownloadUrl(f.domainId, f.sha256, {
      contentType: header('Content-Type'),
      contentDisposition: header('Content-Disposition'),
      cacheControl: header('Cache-Control'),
    });
    if (url) {
      for (const h of BODY_HEADERS) ctx.remove(h);
      ctx.status = 307;
      ctx.set('Location', url);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = '';
      return;
    }
  }
  let range: { start: number; end: number } | null = null;
  const header = o.ranges ? ctx.get('Range') : '';
  const ifRange = ctx.get('If-Range');
  if (header && (!ifRange || ifRange === o.etag)) {
    const parsed = parseRange(header, f.size);
    if (parsed === 'unsatisfiable') {
      ctx.status = 416;
      ctx.set('Content-Range', `bytes */${f.size}`);
      ctx.body = '';
      return;
    }
    range = parsed;
  }
  ctx.status = range ? 206 : 200;
  if (range) ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${f.size}`);
  const length = range ? range.end - range.start + 1 : f.size;
  if (ctx.method === 'HEAD') {
    ctx.length = length;
    return;
  }
  ctx.body = await packages.openBlob(f.domainId, f.sha256, range ?? undefined);
  ctx.length = length;
}
