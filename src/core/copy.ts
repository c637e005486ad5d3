// CopyPackageVersions between two repositories of one domain (reference §2.8): asset ROWS are
// copied, pointing at the same blobs (content is deduplicated per domain, so no byte moves).
// Copying is a publish into the destination: a destination package whose origin controls block
// publishing refuses it, and a new destination package gets the defaults of a direct publish.
import { accessDenied, validation } from '../errors.js';
import { displayName, type Coordinates, type CopiedVersion, type PackageRow, type PackageService, type PackageTx, type VersionRow } from './packages.js';
import { byVersion, checkRevisions, checkVersions, emptyBatch, packageMissing, skipRest, type BatchResult, type ErrorCode } from './versions.js';
import { packageStore } from '../store/packages.js';
import { listingStore } from '../store/listing.js';
import type { RepositoryWithDomain } from '../store/domains.js';

export interface CopyRequest {
  versions?: string[];
  versionRevisions?: unknown;
  allowOverwrite?: boolean;
  includeFromUpstream?: boolean;
}

interface Source {
  pkg: PackageRow;
  row: VersionRow;
}

/** Statuses whose content can be copied; Unfinished versions are incomplete and Disposed ones have no assets. */
const COPYABLE = new Set(['Published', 'Unlisted', 'Archived']);

export async function copyVersions(
  ps: PackageService,
  source: RepositoryWithDomain,
  dest: RepositoryWithDomain,
  c: Coordinates,
  req: CopyRequest,
): Promise<BatchResult> {
  if ((req.versions === undefined) === (req.versionRevisions === undefined || req.versionRevisions === null))
    throw validation('Specify exactly one of versions and versionRevisions.');
  if (source.id === dest.id) throw validation('The source and destination repositories must be different.');
  const revisions = checkRevisions('versionRevisions', req.versionRevisions);
  const versions = req.versions ? checkVersions('versions', req.versions) : Object.keys(revisions!);

  // Where versions are read from: the source repository, or its whole read chain with includeFromUpstream.
  const sources = req.includeFromUpstream
    ? (await ps.chain(source, c)).map((x) => x.pkg)
    : [await ps.findPackage(source, c)].filter((x): x is PackageRow => x !== null);
  if (sources.length === 0) throw packageMissing(source, c);

  // Copying into a repository is publishing there: the package group's PUBLISH restriction applies.
  await ps.groups.assertPublish(dest, c, displayName(c));
  return ps.inPackage(dest, c, false, async (p) => {
    const failed = byVersion<BatchResult['failedVersions'][string]>();
    const fail = (v: string, errorCode: ErrorCode, errorMessage: string) => (failed[v] = { errorCode, errorMessage });
    const plan: { version: string; src: Source; existing: VersionRow | null }[] = [];
    for (const version of versions) {
      const src = await findSource(p, sources, version);
      const expected = revisions?.[version];
      if (!src) fail(version, 'NOT_FOUND', `Could not find version ${version}`);
      else if (expected !== undefined && src.row.revision !== expected)
        fail(version, 'MISMATCHED_REVISION', `current revision: ${src.row.revision}, expected revision: ${expected}`);
      else if (!COPYABLE.has(src.row.status))
        fail(version, 'NOT_ALLOWED', `Version ${version} is ${src.row.status}; only Published, Unlisted and Archived versions can be copied`);
      else {
        const existing = p.pkg ? await p.version(version) : null;
        if (existing && existing.revision === src.row.revision && existing.status === src.row.status) continue; // already this copy
        if (existing && !req.allowOverwrite) fail(version, 'ALREADY_EXISTS', `Version ${version} already exists`);
        else plan.push({ version, src, existing });
      }
    }
    if (Object.keys(failed).length) return skipRest(versions, failed);
    if (p.pkg?.origin_publish === 'BLOCK' && plan.length)
      throw accessDenied(
        `Copying into package ${displayName(c)} in repository ${dest.name} is blocked by its package origin controls (publish=BLOCK); change them with PutPackageOriginConfiguration.`,
      );

    const out = emptyBatch();
    for (const v of versions) {
      if (!plan.some((x) => x.version === v) && !failed[v]) {
        const same = (await p.version(v))!;
        out.successfulVersions[v] = { revision: same.revision, status: same.status };
      }
    }
    if (!plan.length) return out;

    await ensurePackage(p, dest, c);
    const copiedBySource = new Map<number, { pkg: PackageRow; versions: CopiedVersion[] }>();
    for (const item of plan) {
      const copied = await copyOne(p, item.src, item.existing);
      out.successfulVersions[item.version] = { revision: copied.row.revision, status: copied.row.status };
      const group = copiedBySource.get(item.src.pkg.id) ?? { pkg: item.src.pkg, versions: [] };
      group.versions.push(copied.info);
      copiedBySource.set(item.src.pkg.id, group);
    }
    const hooks = ps.dataHooksFor(c.format);
    if (hooks.copied) for (const g of copiedBySource.values()) await hooks.copied(p, g.pkg, g.versions);
    await p.refresh();
    return out;
  });
}

async function findSource(p: PackageTx, sources: PackageRow[], version: string): Promise<Source | null> {
  for (const pkg of sources) {
    const row = await packageStore.getVersion(p.tx, pkg.id, version);
    if (row) return { pkg, row };
  }
  return null;
}

/** Creates the destination package with a direct publish's origin defaults, when it is new. */
async function ensurePackage(p: PackageTx, dest: RepositoryWithDomain, c: Coordinates): Promise<void> {
  if (p.pkg) return;
  await packageStore.insertPackage(p.tx, dest.id, c, { publish: 'ALLOW', upstream: 'BLOCK' });
  p.pkg = await packageStore.getPackage(p.tx, dest.id, c, true);
}

async function copyOne(p: PackageTx, src: Source, existing: VersionRow | null): Promise<{ row: VersionRow; info: CopiedVersion }> {
  // Share-locks the source's asset rows: a concurrent dispose or delete of the source waits, so the
  // blobs stay referenced until this copy's own asset rows exist.
  const assets = await listingStore.assetsForShare(p.tx, src.row.id);
  let target: VersionRow;
  let removed = 0;
  if (existing) {
    removed = await packageStore.deleteAssets(p.tx, existing.id);
    await packageStore.updateVersion(p.tx, existing.id, {
      status: src.row.status,
      metadata: src.row.metadata,
      publishedAt: src.row.published_at,
    });
    target = existing;
  } else {
    // The origin (first entry point into the domain) travels with the copy unchanged.
    target = (await packageStore.insertVersion(p.tx, {
      packageId: p.requirePkg().id,
      version: src.row.version,
      status: src.row.status,
      revision: src.row.revision,
      originType: src.row.origin_type as 'INTERNAL' | 'EXTERNAL',
      entryRepository: src.row.entry_repository,
      entryExternalConnection: src.row.entry_external_connection,
      publishedAt: src.row.published_at,
      metadata: src.row.metadata,
    }))!;
  }
  const pairs: CopiedVersion['assets'] = [];
  for (const a of assets) {
    const added = await p.addAsset(target, a.name, { sha256: a.sha256, sha1: a.sha1, md5: a.md5, sha512: a.sha512, size: a.size });
    pairs.push({ name: a.name, fromAssetId: a.id, toAssetId: added!.id });
  }
  const row = await p.update((await p.version(src.row.version))!, {});
  await p.event(row, {
    operationType: existing ? 'Updated' : 'Created',
    assetsAdded: assets.length,
    assetsRemoved: removed,
    statusChanged: !existing || existing.status !== row.status,
    metadataUpdated: true,
  });
  return { row, info: { version: row.version, fromVersionId: src.row.id, toVersionId: row.id, assets: pairs } };
}
