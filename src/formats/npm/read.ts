// Read routes: packument (full or abbreviated), one version, tarballs (HEAD and Range), dist-tags.
import { notFound, validation } from '../../errors.js';
import type { NpmTarballRow } from '../../core/npm.js';
import { parseName, versionFromFile, type NpmName } from './names.js';
import { notModified, sendDoc, sendJson } from './http.js';
import type { NpmRequest } from './context.js';
import { parseRange } from '../shared/range.js';

export const ABBREVIATED_TYPE = 'application/vnd.npm.install-v1+json';
const FULL_TYPE = 'application/json';

const notFoundJson = (what: string) => notFound(`Not found: ${what}`);

/** `GET /{name}`: abbreviated only when the client prefers it; no Accept (yarn) or `*\/*` get the full document. */
export async function getPackument(r: NpmRequest, n: NpmName): Promise<void> {
  const { ctx } = r;
  await r.authorizeRead();
  const abbreviated = ctx.query.write === undefined && ctx.accepts(FULL_TYPE, ABBREVIATED_TYPE) === ABBREVIATED_TYPE;
  const doc = await r.reader.packument(r.ep.repo, n, abbreviated ? 'abbr' : 'full', r.ep.base);
  if (!doc) throw notFoundJson(n.full);
  await sendDoc(ctx, doc, abbreviated ? ABBREVIATED_TYPE : FULL_TYPE);
}

/** `GET /{name}/{version}` or `/{name}/{tag}`. */
export async function getVersion(r: NpmRequest, n: NpmName, spec: string): Promise<void> {
  await r.authorizeRead();
  const entry = await r.reader.version(r.ep.repo, n, spec, r.ep.base);
  if (!entry) throw notFoundJson(`${n.full}@${spec}`);
  r.ctx.status = 200;
  r.ctx.set('Cache-Control', 'private, no-cache');
  r.ctx.type = FULL_TYPE;
  r.ctx.body = entry;
}

/**
 * Finds the tarball of one version along the read chain. Published and Unlisted versions download
 * (lockfile pins keep working); Archived, Disposed and Unfinished do not.
 */
export async function findTarball(r: NpmRequest, n: NpmName, version: string): Promise<{ row: NpmTarballRow; domainId: number } | null> {
  const ordered = await r.reader.rows(r.ep.repo, n, (w) => r.data.tarballs(w, r.ep.repo.id, n.scope, n.bare, version));
  for (const row of ordered) {
    if (row.version_id === null) continue; // the package is here, this version is not
    if (row.status !== 'Published' && row.status !== 'Unlisted') return null;
    if (row.sha256) return { row, domainId: r.ep.repo.domain_id };
  }
  return null;
}

/** `GET|HEAD /{name}/-/{file}.tgz`, streamed from the blob store. */
export async function getTarball(r: NpmRequest, n: NpmName, rawFile: string): Promise<void> {
  const { ctx } = r;
  await r.authorizeRead();
  const version = versionFromFile(n, rawFile);
  if (!version) throw notFoundJson(`${n.full}/-/${rawFile}`);
  const found = await findTarball(r, n, version);
  if (!found) throw notFoundJson(`${n.full}/-/${rawFile}`);
  const { row } = found;
  const sha256 = row.sha256!;
  const etag = `"${sha256}"`;
  ctx.set('ETag', etag);
  ctx.set('Cache-Control', 'private, max-age=31536000, immutable');
  ctx.set('Accept-Ranges', 'bytes');
  if (notModified(ctx, etag)) {
    ctx.status = 304;
    return;
  }
  const size = Number(row.size);
  const range = parseRange(ctx.get('range'), size);
  if (range === 'unsatisfiable') {
    ctx.status = 416;
    ctx.set('Content-Range', `bytes */${size}`);
    ctx.body = '';
    return;
  }
  ctx.type = 'application/octet-stream';
  if (range) {
    ctx.status = 206;
    ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
  } else {
    ctx.status = 200;
  }
  const length = range ? range.end - range.start + 1 : size;
  if (ctx.method === 'HEAD') {
    ctx.length = length;
    return;
  }
  const stream = await r.svc.packages.openBlob(found.domainId, sha256, range ?? undefined);
  ctx.body = stream;
  ctx.length = length;
}

/** `GET /-/package/{name}/dist-tags`: the tags the packument shows. */
export async function getDistTags(r: NpmRequest, rawName: string): Promise<void> {
  const n = parseName(decodeName(rawName));
  await r.authorizeRead();
  const doc = await r.reader.packument(r.ep.repo, n, 'abbr', r.ep.base);
  if (!doc) throw notFoundJson(n.full);
  doc.parsed ??= JSON.parse(doc.body.toString('utf8')) as Record<string, unknown>;
  sendJson(r.ctx, 200, doc.parsed['dist-tags'] ?? {});
}

export function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/^%40/i, '@'));
  } catch {
    throw validation(`Invalid percent-encoding in "${raw.slice(0, 80)}".`);
  }
}
