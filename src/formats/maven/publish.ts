// PUT on the Maven endpoint (mvn deploy, Gradle publish; reference C.4/C.6, codeartifact §6.3).
// Files stream to the blob store, then one package transaction records them: a new version starts
// Unfinished (invisible) and becomes Published when an artifact-level maven-metadata.xml listing it
// arrives. Files of a Published release never change (409); a SNAPSHOT's files belong to builds
// numbered by Hoard. Checksum uploads are verified against the stored hashes, never stored.
import type { Context } from 'koa';
import { conflict, notFound, tooLarge, validation } from '../../errors.js';
import { arn } from '../../core/names.js';
import type { VersionRow } from '../../core/packages.js';
import { mavenStore } from '../../store/maven.js';
import type { Services } from '../../services.js';
import { authorize, type Endpoint } from '../shared/endpoint.js';
import { coordsOf, inExternal, rememberUpload, refreshArtifactDocument, recentUploads } from './documents.js';
import { digestsOf, readCapped } from './http.js';
import { artifactLevel, parseChecksumBody, snapshotFileName, versionLevel, type Algo, type ArtifactFile, type MavenPath } from './layout.js';
import { mavenTimestamp, METADATA_MAX_BYTES, POM_MAX_BYTES, readPom, readUploadedMetadata, type PomInfo } from './metadata-xml.js';
import { assignBuild, findBuild, readState, withState } from './snapshots.js';
import { isSnapshotVersion } from './version-order.js';

const CHECKSUM_MAX_BYTES = 4096;
const PUBLISH = 'codeartifact:PublishPackageVersion';

export const loginHint = (ep: Endpoint) =>
  `Run: hoard login --tool maven --domain ${ep.domain.name} --repository ${ep.repo.name} (writes settings.xml credentials).`;

async function authorizePublish(svc: Services, ep: Endpoint, groupId?: string, artifactId?: string): Promise<void> {
  const resource =
    groupId && artifactId
      ? arn.package(svc.config.region, ep.domain.owner, ep.domain.name, ep.repo.name, 'maven', groupId, artifactId)
      : undefined;
  await authorize(svc, ep, PUBLISH, resource, loginHint(ep));
}

/** Returns the status to answer: 201 for a change, 200 for an identical replay. */
export async function handlePut(svc: Services, ctx: Context, ep: Endpoint, path: MavenPath): Promise<number> {
  if (path.kind === 'other') throw validation(`Refused: ${path.reason}.`);
  if (path.kind === 'metadata') {
    // Before the body is read: the package the path most likely names (checked again once the content says which).
    const likely = likelyMetadataOwner(path.dirs);
    await authorizePublish(svc, ep, likely?.groupId, likely?.artifactId);
    return path.checksum ? verifyMetadataChecksum(svc, ctx, ep, path.dirs, path.checksum) : putMetadata(svc, ctx, ep, path.dirs);
  }
  await authorizePublish(svc, ep, path.f.groupId, path.f.artifactId);
  return path.checksum ? verifyFileChecksum(svc, ctx, ep, path.f, path.checksum) : putFile(svc, ctx, ep, path.f);
}

/** A SNAPSHOT directory's metadata is version-level; anything else is taken as artifact-level. */
function likelyMetadataOwner(dirs: string[]): { groupId: string; artifactId: string } | null {
  const ver = versionLevel(dirs);
  return ver && isSnapshotVersion(ver.version) ? ver : artifactLevel(dirs);
}

async function putFile(svc: Services, ctx: Context, ep: Endpoint, f: ArtifactFile): Promise<number> {
  if (f.snapshot === 'SNAPSHOT')
    throw validation(
      `${f.file}: non-unique SNAPSHOT files are not accepted; deploy timestamped snapshots (${f.artifactId}-<base>-yyyyMMdd.HHmmss-N), as Maven 3 and Gradle do.`,
    );
  const max = svc.config.maxUploadBytes;
  const declared = Number(ctx.get('content-length') || NaN);
  if (declared > max) throw tooLarge(`${f.file} is ${declared} bytes; the upload limit is ${max} bytes.`);
  let body: NodeJS.ReadableStream | Buffer = ctx.req;
  let pom: PomInfo | undefined;
  if (f.extension === 'pom' && !f.classifier) {
    // The version's own pom is small and read for their fields; everything else streams to the blob store unbuffered.
    const buf = await readCapped(ctx, Math.min(POM_MAX_BYTES, max), f.file);
    pom = readPom(buf);
    checkPomCoordinates(pom, f);
    body = buf;
  }
  const coords = coordsOf(f.groupId, f.artifactId);
  await svc.packages.chains.refuseUpstreamVersion(ep.repo, coords, f.version, { inExternal: (link) => inExternal(svc.packages, link, coords, f.version) });
  const digests = await svc.packages.storeBlob(ep.repo.domain_id, body, { maxBytes: max });
  const build = f.snapshot; // a BuildId or null here
  return svc.packages.inPackage(ep.repo, coordsOf(f.groupId, f.artifactId), 'publish', async (p) => {
    p.assertPublishAllowed();
    let v = await p.version(f.version);
    const created = !v;
    if (!v) {
      v = await p.createVersion({ version: f.version, status: 'Unfinished', metadata: {} });
      if (!v) throw conflict(`${f.groupId}:${f.artifactId}:${f.version} is being created by another request; retry.`);
    }
    if (v.status === 'Archived' || v.status === 'Disposed')
      throw conflict(
        `${f.groupId}:${f.artifactId}:${f.version} is ${v.status} in repository ${ep.repo.name}; it cannot receive files. Delete the version first to publish it again.`,
        'package-version',
        f.version,
      );
    let metadata = v.metadata;
    let name = f.file;
    let locked = v.status !== 'Unfinished';
    let newBuild = false;
    if (build) {
      const s = readState(metadata);
      const { build: b, created: fresh } = assignBuild(s, build);
      name = snapshotFileName(f.artifactId, f.version, b, f.classifier, f.extension);
      locked = b.done;
      newBuild = fresh;
      metadata = withState(metadata, s);
    }
    const existing = await mavenStore.asset(p.tx, v.id, name);
    if (existing) {
      if (existing.sha256 === digests.sha256) {
        if (newBuild) await p.update(v, { metadata });
        return 200; // an identical replay (CI retry) succeeds
      }
      if (locked)
        throw conflict(
          f.snapshot
            ? `${name} of ${f.groupId}:${f.artifactId}:${f.version} belongs to a completed build and cannot be replaced; deploy a new build.`
            : `${f.groupId}:${f.artifactId}:${f.version} is a published release; its file ${name} cannot be replaced. Release a new version instead.`,
          'asset',
          name,
        );
      await mavenStore.deleteAsset(p.tx, v.id, name); // still invisible: an interrupted deploy may redo it
    }
    await p.addAsset(v, name, digests);
    if (pom) metadata = { ...metadata, ...pomFields(pom) };
    const nv = await p.update(v, { metadata });
    if (created) await p.event(nv, { operationType: 'Created', assetsAdded: 1 });
    return 201;
  });
}

function checkPomCoordinates(pom: PomInfo, f: ArtifactFile): void {
  // Properties (CI-friendly ${revision}) are left as Maven deploys them.
  const literal = (s?: string) => s !== undefined && !s.includes('${');
  const mismatch = (what: string, got: string) =>
    validation(`The pom's ${what} is ${got.slice(0, 100)} but it was uploaded to ${f.groupId}:${f.artifactId}:${f.version}.`);
  if (literal(pom.groupId) && pom.groupId !== f.groupId) throw mismatch('groupId', pom.groupId!);
  if (literal(pom.artifactId) && pom.artifactId !== f.artifactId) throw mismatch('artifactId', pom.artifactId!);
  if (literal(pom.version) && pom.version !== f.version) throw mismatch('version', pom.version!);
}

/** CodeArtifact's version fields, from the pom (the newest SNAPSHOT build's pom wins). */
function pomFields(pom: PomInfo): Record<string, unknown> {
  return {
    summary: pom.summary,
    homePage: pom.homePage,
    sourceCodeRepository: pom.sourceCodeRepository,
    licenses: pom.licenses,
    // The parent first, as CodeArtifact lists it: {namespace, package, dependencyType: 'parent', versionRequirement}.
    dependencies: [
      ...(pom.parent
        ? [{ namespace: pom.parent.groupId, package: pom.parent.artifactId, dependencyType: 'parent', versionRequirement: pom.parent.version }]
        : []),
      ...pom.dependencies,
    ],
    packaging: pom.packaging,
  };
}

/**
 * Dependency-confusion guard (reference §1.10): with upstream=ALLOW, a version that a reachable
 * upstream already has cannot be published here. Checked before the package transaction (PGlite
 * runs one transaction at a time, so reads outside it would wait for it); a package created by
 * this publish gets upstream=BLOCK and needs no check.
 */

async function verifyFileChecksum(svc: Services, ctx: Context, ep: Endpoint, f: ArtifactFile, algo: Algo): Promise<number> {
  const hex = parseChecksumBody((await readCapped(ctx, CHECKSUM_MAX_BYTES, `${f.file}.${algo}`)).toString('utf8'), algo);
  if (!hex) throw validation(`${f.file}.${algo} is not a ${algo} checksum (expected ${algo.toUpperCase()} hex digits).`);
  const pkg = await svc.packages.findPackage(ep.repo, coordsOf(f.groupId, f.artifactId));
  const v = pkg ? await svc.packages.version(pkg, f.version) : null;
  let name: string | null = f.file;
  if (v && f.snapshot && f.snapshot !== 'SNAPSHOT') {
    const b = findBuild(readState(v.metadata), f.snapshot);
    name = b ? snapshotFileName(f.artifactId, f.version, b, f.classifier, f.extension) : null;
  }
  const asset = v && name ? await mavenStore.asset(svc.db, v.id, name) : null;
  if (!asset) throw notFound(`${f.file} has not been uploaded to repository ${ep.repo.name}; upload the file before its .${algo} checksum.`);
  if (asset[algo] !== hex)
    throw validation(`Checksum mismatch for ${f.file}: uploaded ${algo} ${hex}, but the stored file has ${asset[algo]}. Re-upload the file.`);
  return 201;
}

async function putMetadata(svc: Services, ctx: Context, ep: Endpoint, dirs: string[]): Promise<number> {
  const buf = await readCapped(ctx, METADATA_MAX_BYTES, 'maven-metadata.xml');
  const md = readUploadedMetadata(buf);
  const digests = digestsOf(buf);
  if (md.plugins) {
    // Group-level plugin-prefix metadata: accepted so plugin deploys succeed, not kept.
    await authorizePublish(svc, ep);
    return 201;
  }
  const ver = versionLevel(dirs);
  const art = artifactLevel(dirs);
  if (ver && md.version === ver.version && md.groupId === ver.groupId && md.artifactId === ver.artifactId) {
    await authorizePublish(svc, ep, ver.groupId, ver.artifactId);
    return putVersionMetadata(svc, ep, ver, md.snapshot, digests);
  }
  if (!art || (md.groupId ?? art.groupId) !== art.groupId || (md.artifactId ?? art.artifactId) !== art.artifactId)
    throw validation(
      `This maven-metadata.xml names ${md.groupId ?? '?'}:${md.artifactId ?? '?'}${md.version ? `:${md.version}` : ''}, which does not match its path ${dirs.join('/')}/.`,
    );
  await authorizePublish(svc, ep, art.groupId, art.artifactId);
  return svc.packages.inPackage(ep.repo, coordsOf(art.groupId, art.artifactId), false, async (p) => {
    if (!p.pkg)
      throw notFound(`No files of ${art.groupId}:${art.artifactId} were uploaded to repository ${ep.repo.name}; upload them before maven-metadata.xml.`);
    // The upload only finishes versions; the document served is rebuilt from Hoard's records.
    for (const version of new Set(md.versions)) {
      const v = await p.version(version);
      if (v?.status !== 'Unfinished') continue;
      const nv = await p.update(v, { status: 'Published' });
      await p.event(nv, { operationType: 'Updated', statusChanged: true });
    }
    await rememberUpload(p, 'maven-metadata.xml', digests);
    await refreshArtifactDocument(p);
    return 201;
  });
}

async function putVersionMetadata(
  svc: Services,
  ep: Endpoint,
  ver: { groupId: string; artifactId: string; version: string },
  snapshot: { timestamp: string; buildNumber: number } | undefined,
  digests: ReturnType<typeof digestsOf>,
): Promise<number> {
  const gav = `${ver.groupId}:${ver.artifactId}:${ver.version}`;
  return svc.packages.inPackage(ep.repo, coordsOf(ver.groupId, ver.artifactId), false, async (p) => {
    const v: VersionRow | null = p.pkg ? await p.version(ver.version) : null;
    if (!v) throw notFound(`No files of ${gav} were uploaded to repository ${ep.repo.name}; upload them before their maven-metadata.xml.`);
    if (isSnapshotVersion(ver.version)) {
      if (!snapshot) throw validation(`The maven-metadata.xml of ${gav} has no <snapshot> timestamp and buildNumber.`);
      const s = readState(v.metadata);
      const b = findBuild(s, snapshot);
      if (!b)
        throw validation(
          `Build ${snapshot.timestamp}-${snapshot.buildNumber} of ${gav} has no uploaded files in repository ${ep.repo.name}; upload its files first.`,
        );
      if (!b.done) {
        // The build becomes what `-SNAPSHOT` resolves to, all of its files at once.
        b.done = true;
        b.updated = mavenTimestamp(new Date());
        const nv = await p.update(v, { metadata: withState(v.metadata, s) });
        await p.event(nv, { operationType: 'Updated', metadataUpdated: true });
      }
    }
    await rememberUpload(p, `${ver.version}/maven-metadata.xml`, digests);
    await refreshArtifactDocument(p);
    return 201;
  });
}

/** Checksums of uploaded metadata are compared with the digests of its recent uploads. */
async function verifyMetadataChecksum(svc: Services, ctx: Context, ep: Endpoint, dirs: string[], algo: Algo): Promise<number> {
  const hex = parseChecksumBody((await readCapped(ctx, CHECKSUM_MAX_BYTES, `maven-metadata.xml.${algo}`)).toString('utf8'), algo);
  if (!hex) throw validation(`maven-metadata.xml.${algo} is not a ${algo} checksum (expected ${algo.toUpperCase()} hex digits).`);
  const candidates: { groupId: string; artifactId: string; path: string }[] = [];
  const ver = versionLevel(dirs);
  const art = artifactLevel(dirs);
  if (ver) candidates.push({ ...ver, path: `${ver.version}/maven-metadata.xml` });
  if (art) candidates.push({ ...art, path: 'maven-metadata.xml' });
  let known = false;
  let uploads = 0;
  for (const c of candidates) {
    const pkg = await svc.packages.findPackage(ep.repo, coordsOf(c.groupId, c.artifactId));
    if (!pkg) continue;
    known = true;
    await authorizePublish(svc, ep, c.groupId, c.artifactId);
    const recent = await recentUploads(svc.db, pkg.id, c.path);
    uploads += recent.length;
    if (recent.some((u) => u[algo] === hex)) return 201;
  }
  if (!known) {
    // Group-level (plugin prefix) metadata is not kept, so its checksum cannot be compared.
    await authorizePublish(svc, ep);
    return 201;
  }
  if (uploads === 0)
    throw notFound(`No maven-metadata.xml was uploaded at ${dirs.join('/')}/ recently; upload it before its .${algo} checksum.`);
  throw validation(`Checksum mismatch for ${dirs.join('/')}/maven-metadata.xml: ${algo} ${hex} matches none of its recent uploads.`);
}
