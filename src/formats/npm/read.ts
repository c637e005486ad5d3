// Read routes: packument (full or abbreviated), one version, tarballs (HEAD and Range), dist-tags.
import { notFound, validation } from '../../errors.js';
import type { BlobDigests } from '../../blobs/blob-store.js';
import type { NpmTarballRow } from './data.js';
import { coordsOf, parseName, tarballFile, versionFromFile, type NpmName } from './names.js';
import { expectedIntegrity, fetchTarball, integrityFailure, packumentPath } from './upstream.js';
import { versionMetadata } from './refresh.js';
import { versionEntries } from './codec.js';
import { ingest, retainFromUpstream } from '../../core/retention.js';
import type { ExternalLink } from '../../core/chain.js';
import type { CachedDocument } from '../../core/upstreams.js';
import { notModified, sendDoc, sendJson } from './http.js';
import type { NpmRequest } from './context.js';
import { sendBlob } from '../shared/blob.js';

/** A tarball to serve: its blob and size. */
export interface Tarball {
  sha256: string;
  size: number;
  domainId: number;
}

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
 * (lockfile pins keep working); Archived, Disposed and Unfinished do not. A version the chain does
 * not hold but its external connection does is fetched, checked and retained first; one found in
 * an upstream repository is retained in the requesting repository (reference §1.9).
 */
export async function findTarball(r: NpmRequest, n: NpmName, version: string): Promise<Tarball | null> {
  const repo = r.ep.repo;
  const { rows, external } = await r.reader.resolve(repo, n, (ids) => r.data.tarballs(ids, n.scope, n.bare, version));
  for (const row of rows) {
    if (row.version_id === null) continue; // the package is here, this version is not
    if (row.status !== 'Published' && row.status !== 'Unlisted') return null;
    if (!row.sha256) continue;
    if (row.repository_id !== repo.id) await keepFromUpstream(r, n, row);
    return { sha256: row.sha256, size: Number(row.size), domainId: repo.domain_id };
  }
  if (!external) return null;
  const doc = await r.reader.external(external, n);
  if (!doc) return null;
  const kept = await ingestExternal(r, n, version, external, doc);
  return kept ? { sha256: kept.sha256, size: kept.size, domainId: repo.domain_id } : null;
}

/** Retains a version found in an upstream repository in the requesting one; a failure only costs the retention. */
async function keepFromUpstream(r: NpmRequest, n: NpmName, row: NpmTarballRow): Promise<void> {
  try {
    const src = await r.svc.packages.versionById(row.version_id!);
    if (src) await retainFromUpstream(r.svc.packages, r.ep.repo, coordsOf(n), src);
  } catch (e) {
    r.svc.log.warn({ package: n.full, err: (e as Error).message }, 'retention from an upstream repository failed');
  }
}

/** Fetches `version` through the external connection (checked against its integrity) and retains it; the tarball's digests as kept. */
async function ingestExternal(r: NpmRequest, n: NpmName, version: string, link: ExternalLink, doc: CachedDocument): Promise<BlobDigests | null> {
  doc.parts ??= (await r.reader.external(link, n))?.parts ?? null;
  if (!doc.parts) return null;
  const found = r.reader.externalVersion(doc.parts, version);
  if (!found) return null;
  const { manifest, url } = found;
  const integrity = expectedIntegrity((manifest.dist ?? {}) as Record<string, unknown>);
  if (!integrity) return null;
  const what = `${n.full}@${version}`;
  const { tarball: _relative, ...dist } = (manifest.dist ?? {}) as Record<string, unknown>;
  const upstreamManifest = { ...manifest, dist };
  const entries = versionEntries({ ...upstreamManifest, name: n.full, version }, n);
  return ingest(r.svc.packages, {
    link,
    requesting: r.ep.repo,
    coords: coordsOf(n),
    version,
    assetName: 'package.tgz',
    metadata: versionMetadata(upstreamManifest, undefined, undefined),
    maxBytes: r.svc.config.maxUploadBytes,
    open: (client) => fetchTarball(client, url ?? `${packumentPath(n)}/-/${tarballFile(n, version)}`, integrity, what),
    failure: (e) => integrityFailure(e, what, link.connection),
    // the packument entries are written with the version, so the document rebuild need not derive them
    prepare: (p, v) => r.data.putVersionDoc(p, v.id, entries.full, entries.abbr),
  });
}

/** `GET|HEAD /{name}/-/{file}.tgz`, streamed from the blob store (or redirected to it: shared/blob.ts). */
export async function getTarball(r: NpmRequest, n: NpmName, rawFile: string): Promise<void> {
  const { ctx } = r;
  await r.authorizeRead();
  const version = versionFromFile(n, rawFile);
  if (!version) throw notFoundJson(`${n.full}/-/${rawFile}`);
  const found = await findTarball(r, n, version);
  if (!found) throw notFoundJson(`${n.full}/-/${rawFile}`);
  const { sha256 } = found;
  const etag = `"${sha256}"`;
  ctx.set('ETag', etag);
  ctx.set('Cache-Control', 'private, max-age=31536000, immutable');
  ctx.set('Accept-Ranges', 'bytes');
  if (notModified(ctx, etag)) {
    ctx.status = 304;
    return;
  }
  ctx.type = 'application/octet-stream';
  await sendBlob(ctx, r.svc.packages, found, { ranges: true, etag });
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
