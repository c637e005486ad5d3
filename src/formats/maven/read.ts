// GET and HEAD on the Maven endpoint. Files come from the first repository in the read chain
// (the repository, then its upstreams) whose version is downloadable (Published or Unlisted);
// Unfinished versions and builds still being deployed are invisible. Checksums are computed from
// the stored hashes, for files and for the metadata Hoard renders. A release file found in an
// upstream is retained in the requesting repository, as CodeArtifact does. Files are served as
// attachments in a CSP sandbox (publishers choose their types: see shared/download.ts).
import type { Context } from 'koa';
import { notFound } from '../../errors.js';
import { type AssetRow, type VersionRow } from '../../core/packages.js';
import { mavenStore } from '../../store/maven.js';
import type { RepositoryWithDomain } from '../../store/domains.js';
import type { Services } from '../../services.js';
import type { Endpoint } from '../shared/endpoint.js';
import { artifactMetadata, coordsOf, versionMetadata, type RenderedDocument } from './documents.js';
import { asDownload, SANDBOX_CSP } from '../shared/download.js';
import { contentTypeFor, notModified, setFileHeaders } from './http.js';
import { artifactLevel, versionLevel, type Algo, type ArtifactFile, type MavenPath } from './layout.js';
import { retainFromUpstream } from '../../core/retention.js';
import { readState, resolveSnapshotAsset } from './snapshots.js';
import { isSnapshotVersion } from './version-order.js';

/** Where a read found a file: the repository in the chain, the version and the asset. */
export interface Located {
  repo: RepositoryWithDomain;
  version: VersionRow;
  asset: AssetRow;
}

const downloadable = (v: VersionRow | null): v is VersionRow => !!v && (v.status === 'Published' || v.status === 'Unlisted');

/** Finds the asset a file path names, walking the read chain. */
export async function locateFile(svc: Services, repo: RepositoryWithDomain, f: ArtifactFile): Promise<Located | null> {
  for (const link of await svc.packages.chain(repo, coordsOf(f.groupId, f.artifactId))) {
    const v = await svc.packages.version(link.pkg, f.version);
    if (!downloadable(v)) continue;
    let asset: AssetRow | null | undefined;
    if (f.snapshot) {
      asset = resolveSnapshotAsset(readState(v.metadata), { ...f, snapshot: f.snapshot }, await svc.packages.assets(v));
    } else {
      asset = await mavenStore.asset(svc.db, v.id, f.file);
    }
    if (asset) return { repo: link.repo, version: v, asset };
  }
  return null;
}

export async function serveRead(svc: Services, ctx: Context, ep: Endpoint, path: MavenPath): Promise<void> {
  if (path.kind === 'other') throw notFound(`Not found: ${path.reason}.`);
  if (path.kind === 'metadata') return serveMetadata(svc, ctx, ep, path.dirs, path.checksum);
  const f = path.f;
  const found = await locateFile(svc, ep.repo, f);
  if (!found) throw notFound(`${f.groupId}:${f.artifactId}:${f.version} has no file ${f.file} in repository ${ep.repo.name} or its upstreams.`);
  const a = found.asset;
  if (found.repo.id !== ep.repo.id && !isSnapshotVersion(f.version)) {
    await retainFromUpstream(svc.packages, ep.repo, coordsOf(f.groupId, f.artifactId), found.version).catch((e: Error) =>
      svc.log.warn({ err: e.message, file: f.file }, 'maven: could not retain an upstream version'),
    );
  }
  if (path.checksum) return sendChecksum(ctx, a[path.checksum], a.created_at);
  const immutable = !f.snapshot || f.snapshot !== 'SNAPSHOT';
  setFileHeaders(ctx, a, { type: contentTypeFor(f.extension), lastModified: a.created_at, immutable });
  asDownload(ctx); // a publisher's file (a pom, an .xml, anything): never a page of this origin
  if (notModified(ctx, a.sha1)) {
    ctx.status = 304;
    return;
  }
  ctx.status = 200;
  if (ctx.method === 'HEAD') {
    ctx.set('Content-Length', String(a.size));
    return;
  }
  // Same domain for every repository in the chain, so the blob scope is the endpoint's domain.
  ctx.body = await svc.packages.openBlob(found.repo.domain_id, a.sha256);
  ctx.length = a.size;
}

async function serveMetadata(svc: Services, ctx: Context, ep: Endpoint, dirs: string[], checksum?: Algo): Promise<void> {
  let doc: RenderedDocument | null = null;
  const ver = versionLevel(dirs);
  if (ver && isSnapshotVersion(ver.version)) {
    doc = await versionMetadata(svc.packages, ep.repo, coordsOf(ver.groupId, ver.artifactId), ver.version);
  } else {
    const art = artifactLevel(dirs);
    if (art) doc = await artifactMetadata(svc.packages, svc.db, ep.repo, coordsOf(art.groupId, art.artifactId));
  }
  if (!doc) throw notFound(`No maven-metadata.xml at ${dirs.join('/')}/ in repository ${ep.repo.name}: no Published version there.`);
  if (checksum) return sendChecksum(ctx, doc[checksum], doc.lastModified);
  setFileHeaders(ctx, doc, { type: 'text/xml', lastModified: doc.lastModified, immutable: false });
  ctx.set('Content-Security-Policy', SANDBOX_CSP); // rendered by Hoard, viewable inline, scriptless all the same
  if (notModified(ctx, doc.sha1)) {
    ctx.status = 304;
    return;
  }
  ctx.status = 200;
  if (ctx.method === 'HEAD') {
    ctx.set('Content-Length', String(doc.size));
    return;
  }
  ctx.body = doc.body;
}

function sendChecksum(ctx: Context, hex: string, lastModified: Date): void {
  ctx.status = 200;
  ctx.set('Content-Type', 'text/plain');
  ctx.set('Last-Modified', lastModified.toUTCString());
  ctx.set('Cache-Control', 'private, no-cache');
  if (ctx.method === 'HEAD') {
    ctx.set('Content-Length', String(hex.length));
    return;
  }
  ctx.body = hex;
}
