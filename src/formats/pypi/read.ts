// Distribution files and their `.metadata` siblings, found through the read chain and streamed from
// the blob store: never content-encoded, HEAD with Content-Length, single byte ranges (uv reads a
// wheel's central directory with `Range: bytes=-16384`), If-Range, and immutable caching; served as
// attachments in a sandbox (uploaded content: see shared/download.ts). A file the chain does not
// hold but its external connection lists is fetched, checked against its sha256 and retained first
// (only its version); one found in an upstream repository is retained in the requesting one.
import type { Context } from 'koa';
import type { Readable } from 'node:stream';
import { badGateway, notFound } from '../../errors.js';
import type { ExternalLink } from '../../core/chain.js';
import { blobScope, type Coordinates, type PackageTx, type VersionRow } from '../../core/packages.js';
import { ingest, retainFromUpstream } from '../../core/retention.js';
import { pypiStore, type PypiFileRow } from '../../store/pypi.js';
import type { Services } from '../../services.js';
import type { Endpoint } from '../shared/endpoint.js';
import { externalPage, visibility } from './documents.js';
import { MetadataError, parseCoreMetadata, versionMetadata } from './metadata.js';
import { sameVersion } from './names.js';
import { fetchFile, fetchMetadata, fetchProvenance, integrityFailure } from './upstream.js';
import type { FileEntry } from './simple.js';
import { sendBlob } from '../shared/blob.js';
import { asDownload } from '../shared/download.js';

const IMMUTABLE = 'private, max-age=365000000, immutable';

const MAX_METADATA_BYTES = 16 * 1024 * 1024;

const coordsOf = (project: string): Coordinates => ({ format: 'pypi', namespace: '', name: project });
const missing = (ep: Endpoint, project: string, filename: string) =>
  notFound(`${filename} is not in project ${project} of repository ${ep.repo.name}.`, 'asset', filename);

/** The file on the chain (the first member that has it), and the external connection the chain ends in. */
async function locate(svc: Services, ep: Endpoint, project: string, version: string, filename: string) {
  const { members, external } = await svc.packages.chains.members(ep.repo, coordsOf(project));
  const rows = members.length ? await pypiStore.fileByName(svc.db, members.map((m) => m.pkg.id), filename) : [];
  for (const m of members) {
    const r = rows.find((x) => Number(x.package_id) === m.pkg.id);
    if (!r) continue;
    // A file the chain holds in a status that hides it is not fetched from outside either.
    if (visibility(r.status) === 'hidden' || !sameVersion(r.version, version)) return { row: null, member: null, external: null };
    return { row: r, member: m, external };
  }
  return { row: null, member: null, external };
}

/** The file as this repository serves it: from the chain, else fetched through the external connection. */
async function findFile(svc: Services, ep: Endpoint, project: string, version: string, filename: string): Promise<PypiFileRow> {
  const found = await locate(svc, ep, project, version, filename);
  if (found.row && found.member) {
    if (found.member.repo.id !== ep.repo.id) await keepFromUpstream(svc, ep, project, found.member.repo.id, found.row);
    return found.row;
  }
  if (found.external) {
    const row = await ingestExternal(svc, ep, found.external, project, version, filename);
    if (row) return row;
  }
  throw missing(ep, project, filename);
}

/** Retains a version found in an upstream repository in the requesting one; a failure only costs the retention. */
async function keepFromUpstream(svc: Services, ep: Endpoint, project: string, fromRepositoryId: number, row: PypiFileRow): Promise<void> {
  try {
    const src = await svc.packages.versionById(Number(row.version_id));
    if (src) await retainFromUpstream(svc.packages, ep.repo, coordsOf(project), src, copyFilesFrom(fromRepositoryId, project), { addFiles: true });
  } catch (e) {
    svc.log.warn({ project, err: (e as Error).message }, 'retention from an upstream repository failed');
  }
}

/** The retention hook that gives retained files the simple-API details they have where they came from. */
const copyFilesFrom = (repositoryId: number, project: string) => (p: PackageTx, v: VersionRow) =>
  pypiStore.copyRetainedFiles(p.tx, v.id, repositoryId, project, v.version);

/**
 * Fetches one file listed by the external connection (checked against its sha256 as it streams),
 * stores it and retains its version, with this file, in the connection's owner and the requesting
 * repository. Null when the upstream does not list it.
 */
async function ingestExternal(svc: Services, ep: Endpoint, link: ExternalLink, project: string, version: string, filename: string): Promise<PypiFileRow | null> {
  const page = await externalPage(svc, link, project);
  const entry = page?.entries.find((e) => e.filename === filename && sameVersion(e.version, version));
  const up = page?.urls[filename];
  if (!entry || !up) return null;
  const domainId = link.owner.domain_id;
  // The core metadata, when an earlier `.metadata` request already brought it in (pip's order).
  const meta = entry.coreMetadataSha256 ? await storedBlob(svc, domainId, entry.coreMetadataSha256, MAX_METADATA_BYTES) : null;
  const metadata = (meta && metadataOf(meta, filename)) ?? {};
  let blake2b = '';
  const copyFromOwner = copyFilesFrom(link.owner.id, project);
  await ingest(svc.packages, {
    link,
    requesting: ep.repo,
    coords: coordsOf(project),
    version: entry.version,
    assetName: filename,
    metadata,
    maxBytes: svc.config.maxUploadBytes,
    addFiles: true,
    open: (client) => fetchFile(client, up.url, entry.sha256, filename, (h) => (blake2b = h)),
    prepare: async (p, v) => {
      if (p.repo.id !== link.owner.id) return copyFromOwner(p, v);
      await pypiStore.insertFetchedFile(p.tx, v.id, filename, {
        packagetype: entry.packagetype,
        pythonVersion: entry.pythonVersion,
        requiresPython: entry.requiresPython,
        blake2b256: blake2b,
        coreMetadata: meta,
        coreMetadataSha256: meta ? entry.coreMetadataSha256 : null,
        uploadedAt: entry.uploadTime,
      });
    },
    failure: (e) => integrityFailure(e, filename, link.connection),
  });
  // As the requesting repository keeps it, else as the owner does (the requesting one may refuse it).
  return pypiStore.fileInRepositories(svc.db, [ep.repo.id, link.owner.id], project, filename);
}

function metadataOf(bytes: Buffer, filename: string): Record<string, unknown> | null {
  try {
    return versionMetadata(parseCoreMetadata(bytes, `${filename}.metadata`));
  } catch (e) {
    if (e instanceof MetadataError) return null;
    throw e;
  }
}

/** A blob of the domain read whole (small things: core metadata), or null when it is not there. */
async function storedBlob(svc: Services, domainId: number, sha256: string, limit: number): Promise<Buffer | null> {
  const stat = await svc.blobs.stat(blobScope(domainId), sha256);
  if (!stat || stat.size > limit) return null;
  try {
    const chunks: Buffer[] = [];
    for await (const c of (await svc.packages.openBlob(domainId, sha256)) as Readable) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  } catch {
    return null; // collected in between: fetched again by the caller
  }
}

/**
 * The core metadata of a file the external connection lists (PEP 658), from the domain's blob store
 * (content-addressed by the sha256 the upstream advertised) or fetched, verified and stored first,
 * once across requests. Reading it retains nothing: resolvers read many versions' metadata.
 */
export async function externalMetadata(
  svc: Services,
  link: ExternalLink,
  project: string,
  version: string,
  filename: string,
): Promise<{ bytes: Buffer; sha256: string } | null> {
  const page = await externalPage(svc, link, project);
  const entry = page?.entries.find((e) => e.filename === filename && sameVersion(e.version, version));
  const up = page?.urls[filename];
  const sha256 = entry?.coreMetadataSha256;
  if (!entry || !up || !sha256) return null;
  const domainId = link.owner.domain_id;
  const have = await storedBlob(svc, domainId, sha256, MAX_METADATA_BYTES);
  if (have) return { bytes: have, sha256 };
  const stored = async () => ((await svc.blobs.stat(blobScope(domainId), sha256)) ? true : null);
  await svc.upstreams.once(
    `pypi-metadata|${domainId}|${sha256}`,
    async () => {
      if (await stored()) return true;
      const body = await fetchMetadata(svc.upstreams.client(link.connection), up.url, filename);
      try {
        await svc.packages.storeBlob(domainId, body, { expectedSha256: sha256, maxBytes: MAX_METADATA_BYTES });
      } catch (e) {
        throw integrityFailure(e, `The core metadata of ${filename}`, link.connection);
      }
      return true;
    },
    stored,
  );
  const bytes = await storedBlob(svc, domainId, sha256, MAX_METADATA_BYTES);
  return bytes ? { bytes, sha256 } : null;
}

export async function serveFile(svc: Services, ep: Endpoint, ctx: Context, project: string, version: string, filename: string) {
  if (filename.endsWith('.metadata')) return serveMetadata(svc, ep, ctx, project, version, filename.slice(0, -'.metadata'.length));
  if (filename.endsWith('.provenance')) return serveProvenance(svc, ep, ctx, project, version, filename.slice(0, -'.provenance'.length));
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
  await sendBlob(ctx, svc.packages, { domainId: ep.repo.domain_id, sha256: f.sha256, size }, { ranges: true, etag });
}

async function serveMetadata(svc: Services, ep: Endpoint, ctx: Context, project: string, version: string, filename: string) {
  const found = await locate(svc, ep, project, version, filename);
  let bytes: Buffer | null = null;
  let sha256: string | null = null;
  if (found.row?.core_metadata_sha256) {
    bytes = await pypiStore.coreMetadata(svc.db, found.row.asset_id);
    sha256 = found.row.core_metadata_sha256;
  }
  if (!bytes && found.external) {
    const ext = await externalMetadata(svc, found.external, project, version, filename);
    if (ext) ({ bytes, sha256 } = ext);
  }
  if (!bytes || !sha256) {
    if (!found.row && !found.external) throw missing(ep, project, filename);
    throw notFound(`${filename} has no separate core metadata file.`, 'asset', `${filename}.metadata`);
  }
  ctx.set('ETag', `"${sha256}"`);
  ctx.set('Cache-Control', IMMUTABLE);
  ctx.type = 'application/octet-stream';
  asDownload(ctx);
  if (notModified(ctx, `"${sha256}"`)) return;
  ctx.status = 200;
  ctx.length = bytes.length;
  if (ctx.method !== 'HEAD') ctx.body = bytes;
}

/** `{file}.provenance` (PEP 740): the upstream's provenance of a file it lists, passed through. */
async function serveProvenance(svc: Services, ep: Endpoint, ctx: Context, project: string, version: string, filename: string) {
  const found = await locate(svc, ep, project, version, filename);
  const page = found.external ? await externalPage(svc, found.external, project) : null;
  const url = page?.urls[filename]?.provenance;
  if (!found.external || !url) throw notFound(`${filename} has no provenance.`, 'asset', `${filename}.provenance`);
  const r = await fetchProvenance(svc.upstreams.client(found.external.connection), url);
  if (r.status === 404) throw notFound(`${filename} has no provenance.`, 'asset', `${filename}.provenance`);
  if (r.status !== 200) throw badGateway(`The upstream ${found.external.connection} answered ${r.status} for the provenance of ${filename}.`);
  ctx.set('Cache-Control', 'private, max-age=600');
  ctx.type = r.type;
  ctx.body = r.body;
}

/** Answers 304 when If-None-Match names the current ETag. */
export function notModified(ctx: Context, etag: string): boolean {
  const inm = ctx.get('If-None-Match');
  if (!inm || !(inm.trim() === '*' || inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag))) return false;
  ctx.status = 304;
  return true;
}

/**
 * What the JSON API says about a version only the external connection has: the core metadata of one
 * of its files (fetched and kept as `.metadata` requests are), or nothing when none can be had.
 */
export async function externalVersionMetadata(svc: Services, link: ExternalLink, project: string, files: FileEntry[]): Promise<Record<string, unknown>> {
  const withMeta = files.find((f) => f.coreMetadataSha256);
  if (!withMeta) return {};
  try {
    const m = await externalMetadata(svc, link, project, withMeta.version, withMeta.filename);
    return (m && metadataOf(m.bytes, withMeta.filename)) ?? {};
  } catch (e) {
    svc.log.warn({ project, err: (e as Error).message }, 'core metadata for the JSON API unavailable');
    return {};
  }
}
