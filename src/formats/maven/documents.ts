// The metadata Hoard keeps (issue item 4): artifact-level maven-metadata.xml is rendered from the
// package's Published versions in the transaction that changed them (the registered refresher),
// merged across the read chain and the external connection's release versions at request time
// (the merged bytes cached by their members' digests), and never taken from an upload. Version-level
// SNAPSHOT metadata is rendered from the version's done builds. Recent metadata uploads are
// remembered by digest only, to verify the checksums clients PUT after them.
import { type PackageService, type PackageTx, type VersionRow } from '../../core/packages.js';
import { mavenStore } from '../../store/maven.js';
import type { Queryable } from '../../store/db.js';
import type { RepositoryWithDomain } from '../../store/domains.js';
import type { Coordinates } from '../../store/packages.js';
import { digestsOf, type Digests } from './http.js';
import { mavenTimestamp, renderArtifactMetadata, renderVersionMetadata, type ArtifactMetadataInfo } from './metadata-xml.js';
import { latestDone, readState, snapshotEntries } from './snapshots.js';
import { isSnapshotVersion, sortMavenVersions } from './version-order.js';
import { metadataFetcher, metadataKey } from './upstream.js';
import type { CachedDocument } from '../../core/upstreams.js';
import type { ExternalLink } from '../../core/chain.js';
import { byteCache } from '../../byte-cache.js';

export const ARTIFACT_DOC = 'artifact';
const UPLOADS_DOC = 'uploads';
const KEEP_UPLOADS = 32;
const UPLOAD_MEMORY_MS = 60 * 60 * 1000;

export interface RenderedDocument extends Digests {
  body: string;
  size: number;
  lastModified: Date;
}

export const coordsOf = (groupId: string, artifactId: string): Coordinates => ({ format: 'maven', namespace: groupId, name: artifactId });

/** When a version last changed for readers: its newest done build for SNAPSHOTs, else its publish time. */
function versionUpdated(v: VersionRow): Date {
  if (isSnapshotVersion(v.version)) {
    const b = latestDone(readState(v.metadata));
    if (b?.updated) return parseMavenTimestamp(b.updated);
  }
  return v.published_at ?? v.updated_at;
}

function parseMavenTimestamp(s: string): Date {
  return new Date(`${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}Z`);
}

export function infoOf(entries: { version: string; updated: Date }[]): ArtifactMetadataInfo {
  const versions = sortMavenVersions(entries.map((e) => e.version));
  const releases = versions.filter((v) => !isSnapshotVersion(v));
  const newest = entries.reduce((m, e) => Math.max(m, e.updated.getTime()), 0);
  return {
    versions,
    latest: versions[versions.length - 1],
    release: releases[releases.length - 1],
    lastUpdated: mavenTimestamp(new Date(newest)),
  };
}

/** The DocumentRefresher for format maven: rebuilds the package's artifact-level metadata. */
export async function refreshArtifactDocument(p: PackageTx): Promise<void> {
  if (!p.pkg) return;
  const visible = (p.knownVersions() ?? (await p.versions())).filter((v) => v.status === 'Published');
  const info = infoOf(visible.map((v) => ({ version: v.version, updated: versionUpdated(v) })));
  const body = renderArtifactMetadata(p.coords.namespace, p.coords.name, info);
  await mavenStore.putDocument(p.tx, { packageId: p.pkg.id, key: ARTIFACT_DOC, body, info, ...digestsOf(body) });
}

/** Rendered merged documents by repository and artifact; `sig` names the members they were built from. */
const merged = byteCache<{ sig: string; doc: RenderedDocument }>(32 * 1024 * 1024, (e) => e.doc.size * 2);

/**
 * Artifact-level metadata as seen from `repo`: its own document merged with its upstreams' and,
 * when the chain reaches an external connection (and no copy on it blocks upstream versions), the
 * upstream's release versions (cached by core with the metadata TTL). When the upstream cannot be
 * asked and nothing is cached, the chain's own versions are served if there are any; with none,
 * the upstream's failure (502/504) is the answer, never a 404.
 */
export async function artifactMetadata(
  packages: PackageService,
  db: Queryable,
  log: { warn(o: object, msg: string): void },
  repo: RepositoryWithDomain,
  c: Coordinates,
): Promise<RenderedDocument | null> {
  const { members, external } = await packages.chains.members(repo, c);
  const docs =
    members.length === 0
      ? []
      : (await mavenStore.documents(db, members.map((l) => l.pkg.id), ARTIFACT_DOC)).filter(
          (d) => ((d.info as unknown as ArtifactMetadataInfo).versions ?? []).length > 0,
        );
  let ext: CachedDocument | null = null;
  if (external) {
    try {
      const d = await packages.upstreams.document(external.connection, metadataKey(c.namespace, c.name), metadataFetcher(c.namespace, c.name));
      if (d.status === 200 && d.parts) ext = d;
    } catch (e) {
      if (docs.length === 0) throw e;
      log.warn({ package: `${c.namespace}:${c.name}`, err: (e as Error).message }, "upstream unavailable; serving the domain's own versions");
    }
  }
  if (docs.length === 0 && !ext) return null;
  if (docs.length === 1 && !ext) {
    const d = docs[0];
    return { body: d.body, size: Buffer.byteLength(d.body), md5: d.md5, sha1: d.sha1, sha256: d.sha256, sha512: d.sha512, lastModified: d.updated_at };
  }
  const sig = [...docs.map((d) => `${d.package_id}:${d.sha1}`), ...(ext ? [`x:${ext.revision}`] : [])].join(',');
  const key = `${repo.id}|${c.namespace}:${c.name}`;
  const hit = merged.get(key);
  if (hit?.sig === sig) return hit.doc;
  // Several sources: union of versions, highest latest/release, newest lastUpdated.
  const infos = docs.map((d) => d.info as unknown as ArtifactMetadataInfo);
  if (ext) infos.push(JSON.parse(ext.parts![0]) as ArtifactMetadataInfo);
  const versions = sortMavenVersions(infos.flatMap((i) => i.versions));
  const releases = versions.filter((v) => !isSnapshotVersion(v));
  const info: ArtifactMetadataInfo = {
    versions,
    latest: versions[versions.length - 1],
    release: releases[releases.length - 1],
    lastUpdated: infos.map((i) => i.lastUpdated).sort().pop()!,
  };
  const body = renderArtifactMetadata(c.namespace, c.name, info);
  const lastModified = new Date(Math.max(...docs.map((d) => d.updated_at.getTime()), ext ? ext.fetchedAt.getTime() : 0));
  const doc = { body, size: Buffer.byteLength(body), ...digestsOf(body), lastModified };
  merged.set(key, { sig, doc });
  return doc;
}

/** True when the external connection's metadata of `c` lists `version` (the publish-side dependency-confusion check). */
export async function inExternal(packages: PackageService, link: ExternalLink, c: Coordinates, version: string): Promise<boolean> {
  const d = await packages.upstreams.document(link.connection, metadataKey(c.namespace, c.name), metadataFetcher(c.namespace, c.name));
  if (d.status !== 200 || !d.parts) return false;
  return (JSON.parse(d.parts[0]) as ArtifactMetadataInfo).versions.includes(version);
}

/** Version-level metadata of a SNAPSHOT from the first repository in the chain that serves the version. */
export async function versionMetadata(
  packages: PackageService,
  repo: RepositoryWithDomain,
  c: Coordinates,
  version: string,
): Promise<RenderedDocument | null> {
  for (const link of await packages.chain(repo, c)) {
    const v = await packages.version(link.pkg, version);
    if (!v || (v.status !== 'Published' && v.status !== 'Unlisted')) continue;
    const s = readState(v.metadata);
    const latest = latestDone(s);
    if (!latest) continue;
    const entries = snapshotEntries(s, c.namespace, c.name, version, await packages.assets(v));
    const lastUpdated = entries.reduce((m, e) => (e.updated > m ? e.updated : m), latest.updated ?? '');
    const body = renderVersionMetadata(c.namespace, c.name, version, latest, lastUpdated, entries);
    return { body, size: Buffer.byteLength(body), ...digestsOf(body), lastModified: v.updated_at };
  }
  return null;
}

interface Upload extends Digests {
  path: string;
  at: number;
}

/** Remembers a metadata upload's digests (the bytes themselves are not kept). */
export async function rememberUpload(p: PackageTx, path: string, d: Digests): Promise<void> {
  const pkg = p.requirePkg();
  const [doc] = await mavenStore.documents(p.tx, [pkg.id], UPLOADS_DOC);
  const now = Date.now();
  const recent = ((doc?.info.recent ?? []) as Upload[]).filter((u) => now - u.at < UPLOAD_MEMORY_MS);
  recent.push({ path, at: now, ...d });
  await mavenStore.putDocument(p.tx, {
    packageId: pkg.id,
    key: UPLOADS_DOC,
    body: '',
    info: { recent: recent.slice(-KEEP_UPLOADS) },
    ...digestsOf(''),
  });
}

/** Recent uploads of one metadata path of a package, newest last. */
export async function recentUploads(db: Queryable, packageId: number, path: string): Promise<Upload[]> {
  const [doc] = await mavenStore.documents(db, [packageId], UPLOADS_DOC);
  return ((doc?.info.recent ?? []) as Upload[]).filter((u) => u.path === path);
}
