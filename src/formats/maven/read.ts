// GET and HEAD on the Maven endpoint. Files come from the first repository in the read chain
// (the repository, then its upstreams) whose version is downloadable (Published or Unlisted);
// Unfinished versions and builds still being deployed are invisible. Checksums are computed from
// the stored hashes, for files and for the metadata Hoard renders. A release file found in an
// upstream is retained in the requesting repository, as CodeArtifact does. A release file the chain
// does not hold but its external connection does is fetched once, checked against the upstream's
// checksum file, retained (that file, in that version) and served from the store; 404/410 from the
// upstream are remembered by exact path for the negative TTL, failures answer 502/504 and are
// never remembered; SNAPSHOTs never come from outside. Files are served as
// attachments in a CSP sandbox (publishers choose their types: see shared/download.ts).
import type { Context } from 'koa';
import { badGateway, HoardError, notFound } from '../../errors.js';
import { type AssetRow } from '../../core/packages.js';
import { mavenStore } from '../../store/maven.js';
import type { RepositoryWithDomain } from '../../store/domains.js';
import type { Services } from '../../services.js';
import type { Endpoint } from '../shared/endpoint.js';
import { artifactMetadata, coordsOf, versionMetadata, type RenderedDocument } from './documents.js';
import { asDownload, SANDBOX_CSP } from '../shared/download.js';
import { sendBlob } from '../shared/blob.js';
import { contentTypeFor, notModified, setFileHeaders } from './http.js';
import { artifactLevel, versionLevel, type Algo, type ArtifactFile, type MavenPath } from './layout.js';
import { ingest, retainFromUpstream } from '../../core/retention.js';
import type { ExternalLink } from '../../core/chain.js';
import { UpstreamError } from '../../upstream/client.js';
import { ChecksumMismatch, fetchVerified, missingKey, UpstreamNotFound, upstreamFilePath } from './upstream.js';
import { readState, resolveSnapshotAsset } from './snapshots.js';
import { isSnapshotVersion } from './version-order.js';

/** Where a read found a file: the repository in the chain, the version and the file. */
export interface Located {
  repo: RepositoryWithDomain;
  versionId: number;
  asset: Pick<AssetRow, 'size' | 'sha256' | 'sha1' | 'md5' | 'sha512' | 'created_at'>;
}

const downloadable = (status: string | null | undefined) => status === 'Published' || status === 'Unlisted';

/**
 * Finds the file a path names along the read chain (releases: one query for the whole chain), and
 * says whether the external connection may be asked for it: not for SNAPSHOTs, and not when the
 * chain holds the version other than as this connection's download (published here, or archived),
 * since the upstream's files of that version are another's.
 */
export async function locateFile(
  svc: Services,
  repo: RepositoryWithDomain,
  f: ArtifactFile,
): Promise<{ located: Located | null; external: ExternalLink | null }> {
  if (f.snapshot) return { located: await locateSnapshotFile(svc, repo, { ...f, snapshot: f.snapshot }), external: null };
  const { rows, chain, external } = await svc.packages.chains.resolve(repo, 'maven', (ids) =>
    mavenStore.fileIn(svc.db, ids, f.groupId, f.artifactId, f.version, f.file),
  );
  let own = false;
  for (const r of rows) {
    if (r.version_id === null) continue;
    if (!downloadable(r.status) || r.origin_type !== 'EXTERNAL' || r.entry_external_connection !== external?.connection) own = true;
    if (downloadable(r.status) && r.asset_id !== null)
      return { located: { repo: chain.repos.find((x) => x.id === r.repository_id)!, versionId: r.version_id, asset: r }, external };
  }
  return { located: null, external: own ? null : external };
}

async function locateSnapshotFile(svc: Services, repo: RepositoryWithDomain, f: ArtifactFile & { snapshot: NonNullable<ArtifactFile['snapshot']> }): Promise<Located | null> {
  for (const link of await svc.packages.chain(repo, coordsOf(f.groupId, f.artifactId))) {
    const v = await svc.packages.version(link.pkg, f.version);
    if (!v || !downloadable(v.status)) continue;
    const asset = resolveSnapshotAsset(readState(v.metadata), f, await svc.packages.assets(v));
    if (asset) return { repo: link.repo, versionId: v.id, asset };
  }
  return null;
}

/**
 * Brings a file in through the external connection (checked against the upstream's checksum,
 * retained in the connection's owner and the requesting repository). False when the upstream has
 * no such file: that answer is remembered for the negative TTL; failures never are.
 */
async function fetchExternal(svc: Services, repo: RepositoryWithDomain, f: ArtifactFile, link: ExternalLink): Promise<boolean> {
  const path = upstreamFilePath(f);
  const upstreams = svc.packages.upstreams;
  if (await upstreams.missing(link.connection, missingKey(path))) return false;
  try {
    await ingest(svc.packages, {
      link,
      requesting: repo,
      coords: coordsOf(f.groupId, f.artifactId),
      version: f.version,
      assetName: f.file,
      metadata: {},
      maxBytes: svc.config.maxUploadBytes,
      open: (client) => fetchVerified(client, path),
      addFiles: true, // pom, jar, sources... each fetched when asked for
      refreshOnFile: false, // maven-metadata.xml lists versions, not files
      failure: (e) => {
        if (e instanceof ChecksumMismatch)
          return badGateway(`${path} from ${link.connection} does not match its published ${e.algo} checksum (expected ${e.expected}, got ${e.actual}); nothing was kept.`);
        if (e instanceof UpstreamError)
          return new HoardError(
            e.kind,
            e.reason === 'timeout'
              ? `The upstream ${link.connection} did not answer in time for ${path}; try again.`
              : `The upstream ${link.connection} is unreachable, so ${path} cannot be fetched now: ${e.message}`,
          );
        return e;
      },
    });
    return true;
  } catch (e) {
    if (!(e instanceof UpstreamNotFound)) throw e;
    await upstreams.rememberMissing(link.connection, missingKey(path));
    return false;
  }
}

export async function serveRead(svc: Services, ctx: Context, ep: Endpoint, path: MavenPath): Promise<void> {
  if (path.kind === 'other') throw notFound(`Not found: ${path.reason}.`);
  if (path.kind === 'metadata') return serveMetadata(svc, ctx, ep, path.dirs, path.checksum);
  const f = path.f;
  let { located: found, external } = await locateFile(svc, ep.repo, f);
  if (!found && external && (await fetchExternal(svc, ep.repo, f, external))) found = (await locateFile(svc, ep.repo, f)).located;
  if (!found) throw notFound(`${f.groupId}:${f.artifactId}:${f.version} has no file ${f.file} in repository ${ep.repo.name} or its upstreams.`);
  const a = found.asset;
  if (found.repo.id !== ep.repo.id && !isSnapshotVersion(f.version)) {
    const src = await svc.packages.versionById(found.versionId);
    if (src)
      await retainFromUpstream(svc.packages, ep.repo, coordsOf(f.groupId, f.artifactId), src).catch((e: Error) =>
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
  // Same domain for every repository in the chain, so the blob scope is the endpoint's domain.
  await sendBlob(ctx, svc.packages, { domainId: found.repo.domain_id, sha256: a.sha256, size: Number(a.size) });
}

async function serveMetadata(svc: Services, ctx: Context, ep: Endpoint, dirs: string[], checksum?: Algo): Promise<void> {
  let doc: RenderedDocument | null = null;
  const ver = versionLevel(dirs);
  if (ver && isSnapshotVersion(ver.version)) {
    doc = await versionMetadata(svc.packages, ep.repo, coordsOf(ver.groupId, ver.artifactId), ver.version);
  } else {
    const art = artifactLevel(dirs);
    if (art) doc = await artifactMetadata(svc.packages, svc.db, svc.log, ep.repo, coordsOf(art.groupId, art.artifactId));
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
