// Distribution files and their `.metadata` siblings, found through the read chain and streamed from
// the blob store: never content-encoded, HEAD with Content-Length, single byte ranges (uv reads a
// wheel's central directory with `Range: bytes=-16384`), If-Range, and immutable caching; served as
// attachments in a sandbox (uploaded content: see shared/download.ts).
import type { Context } from 'koa';
import { notFound } from '../../errors.js';
import { pypiStore, type PypiFileRow } from '../../store/pypi.js';
import type { Services } from '../../services.js';
import type { Endpoint } from '../shared/endpoint.js';
import { visibility } from './documents.js';
import { sameVersion } from './names.js';
import { parseRange } from '../shared/range.js';
import { asDownload } from '../shared/download.js';

const IMMUTABLE = 'private, max-age=365000000, immutable';

/** The file as this repository serves it: the first chain member that has it downloadable. */
async function findFile(svc: Services, ep: Endpoint, project: string, version: string, filename: string): Promise<PypiFileRow> {
  const chain = await svc.packages.chain(ep.repo, { format: 'pypi', namespace: '', name: project });
  const missing = () => notFound(`${filename} is not in project ${project} of repository ${ep.repo.name}.`, 'asset', filename);
  if (chain.length === 0) throw missing();
  const ids = chain.map((m) => m.pkg.id);
  const rows = await pypiStore.fileByName(svc.db, ids, filename);
  for (const id of ids) {
    const r = rows.find((x) => Number(x.package_id) === id);
    if (r && visibility(r.status) !== 'hidden' && sameVersion(r.version, version)) return r;
  }
  throw missing();
}

export async function serveFile(svc: Services, ep: Endpoint, ctx: Context, project: string, version: string, filename: string) {
  if (filename.endsWith('.metadata')) return serveMetadata(svc, ep, ctx, project, version, filename.slice(0, -'.metadata'.length));
  const f = await findFile(svc, ep, project, version, filename);
  const size = Number(f.size);
  const etag = `"${f.sha256}"`;
  ctx.set('ETag', etag);
  ctx.set('Accept-Ranges', 'bytes');
  ctx.set('Cache-Control', IMMUTABLE);
  ctx.set('Last-Modified', new Date(f.uploaded_at).toUTCString());
  ctx.type = 'application/octet-stream';
  asDownload(ctx);
  if (notModified(ctx, etag)) return;
  let range: { start: number; end: number } | null = null;
  const header = ctx.get('Range');
  const ifRange = ctx.get('If-Range');
  if (header && (!ifRange || ifRange === etag)) {
    const parsed = parseRange(header, size);
    if (parsed === 'unsatisfiable') {
      ctx.status = 416;
      ctx.set('Content-Range', `bytes */${size}`);
      ctx.body = '';
      return;
    }
    range = parsed;
  }
  ctx.status = range ? 206 : 200;
  if (range) ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
  ctx.length = range ? range.end - range.start + 1 : size;
  if (ctx.method === 'HEAD') return;
  const domainId = ep.repo.domain_id;
  ctx.body = await svc.packages.openBlob(domainId, f.sha256, range ?? undefined);
}

async function serveMetadata(svc: Services, ep: Endpoint, ctx: Context, project: string, version: string, filename: string) {
  const f = await findFile(svc, ep, project, version, filename);
  const bytes = f.core_metadata_sha256 ? await pypiStore.coreMetadata(svc.db, f.asset_id) : null;
  if (!bytes) throw notFound(`${filename} has no separate core metadata file.`, 'asset', `${filename}.metadata`);
  ctx.set('ETag', `"${f.core_metadata_sha256}"`);
  ctx.set('Cache-Control', IMMUTABLE);
  ctx.type = 'application/octet-stream';
  asDownload(ctx);
  if (notModified(ctx, `"${f.core_metadata_sha256}"`)) return;
  ctx.status = 200;
  ctx.length = bytes.length;
  if (ctx.method !== 'HEAD') ctx.body = bytes;
}

/** Answers 304 when If-None-Match names the current ETag. */
export function notModified(ctx: Context, etag: string): boolean {
  const inm = ctx.get('If-None-Match');
  if (!inm || !(inm.trim() === '*' || inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag))) return false;
  ctx.status = 304;
  return true;
}
