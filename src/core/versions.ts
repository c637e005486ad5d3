// The package-version lifecycle of the control plane: status changes, delete, dispose, package
// delete and origin configuration, with CodeArtifact's batch semantics (reference §1.6, §2.8):
// every requested version is checked first; if any fails, the others come back SKIPPED and
// nothing changes. Each change bumps the revision where the content changes, writes an event
// row and refreshes the format's precomputed documents in the same transaction.
//
// Version metadata keys (package_version.metadata, written by the format adapters, read by
// DescribePackageVersion, GetPackageVersionReadme and ListPackageVersionDependencies):
//   summary               string   one-line description (npm description, PyPI Summary, POM description)
//   homePage              string   project home page URL
//   sourceCodeRepository  string   source repository URL
//   licenses              [{name?: string, url?: string}]
//   readme                string   readme text (Markdown, reStructuredText, ...)
//   displayName           string   optional; the name as the author wrote it (PyPI), else derived
//   dependencies          [{namespace?: string, package: string, dependencyType: string, versionRequirement?: string}]
//                         dependencyType: npm regular|dev|peer|optional; PyPI Requires-Dist (only:
//                         Requires-Python is no dependency); Maven compile|runtime|test|provided|
//                         system|optional|parent (the <parent> pom)
//                         (pom-shaped entries {groupId, artifactId, version, scope, optional} are read too)
// Other keys (format manifests under `npm`, `pypi`, `maven`) belong to the adapters.
import { notFound, validation } from '../errors.js';
import { check } from './names.js';
import { displayName, type Coordinates, type PackageRow, type PackageService, type PackageTx, type VersionRow, type VersionStatus } from './packages.js';
import { packageStore } from '../store/packages.js';
import type { RepositoryWithDomain } from '../store/domains.js';

export const VERSION_STATUSES = ['Published', 'Unfinished', 'Unlisted', 'Archived', 'Disposed', 'Deleted'] as const;
export const TARGET_STATUSES = ['Published', 'Unlisted', 'Archived'] as const;
export const MAX_BATCH_VERSIONS = 100;

export type ErrorCode = 'ALREADY_EXISTS' | 'MISMATCHED_REVISION' | 'MISMATCHED_STATUS' | 'NOT_ALLOWED' | 'NOT_FOUND' | 'SKIPPED';

export interface BatchResult {
  successfulVersions: Record<string, { revision: string; status: string }>;
  failedVersions: Record<string, { errorCode: ErrorCode; errorMessage: string }>;
}

/**
 * Maps keyed by version names a client chose ('constructor', '__proto__' are versions like any
 * other): null-prototype objects, so a lookup finds only what was put there.
 */
export function byVersion<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

export function emptyBatch(): BatchResult {
  return { successfulVersions: byVersion(), failedVersions: byVersion() };
}

export interface BatchRequest {
  versions: string[];
  versionRevisions?: Record<string, string>;
  expectedStatus?: string;
}

export interface LicenseInfo {
  name?: string;
  url?: string;
}

export interface PackageDependency {
  namespace?: string;
  package: string;
  dependencyType?: string;
  versionRequirement?: string;
}

export interface VersionDetails {
  summary?: string;
  homePage?: string;
  sourceCodeRepository?: string;
  licenses?: LicenseInfo[];
  readme?: string;
  displayName?: string;
  dependencies: PackageDependency[];
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** The documented metadata keys, read defensively (an adapter's odd value is dropped, never an error). */
export function versionDetails(metadata: Record<string, unknown> | null | undefined): VersionDetails {
  const m = metadata ?? {};
  const licenses = Array.isArray(m.licenses)
    ? m.licenses
        .filter((l): l is Record<string, unknown> => !!l && typeof l === 'object')
        .map((l) => ({ name: str(l.name), url: str(l.url) }))
        .filter((l) => l.name || l.url)
    : undefined;
  const dependencies = Array.isArray(m.dependencies)
    ? m.dependencies
        .filter((d): d is Record<string, unknown> => !!d && typeof d === 'object')
        .map(dependency)
        .filter((d): d is PackageDependency => d !== null)
    : [];
  return {
    summary: str(m.summary),
    homePage: str(m.homePage),
    sourceCodeRepository: str(m.sourceCodeRepository),
    licenses: licenses?.length ? licenses : undefined,
    readme: typeof m.readme === 'string' ? m.readme : undefined,
    displayName: str(m.displayName),
    dependencies,
  };
}

/** One dependency entry; also reads the pom-shaped entry {groupId, artifactId, version, scope, optional}. */
function dependency(d: Record<string, unknown>): PackageDependency | null {
  if (typeof d.package === 'string')
    return {
      namespace: str(d.namespace),
      package: d.package,
      dependencyType: str(d.dependencyType),
      versionRequirement: typeof d.versionRequirement === 'string' ? d.versionRequirement : undefined,
    };
  if (typeof d.artifactId === 'string')
    return {
      namespace: str(d.groupId),
      package: d.artifactId,
      dependencyType: d.optional === true ? 'optional' : (str(d.scope) ?? 'compile'),
      versionRequirement: str(d.version),
    };
  return null;
}

// ---- input checks (ValidationException, before anything is read) ----

export function checkStatus(field: string, v: string): VersionStatus | 'Deleted' {
  if (!(VERSION_STATUSES as readonly string[]).includes(v))
    throw validation(
      `1 validation error detected: Value '${v}' at '${field}' failed to satisfy constraint: Member must satisfy enum value set: [${VERSION_STATUSES.join(', ')}]`,
    );
  return v as VersionStatus;
}

export function checkVersions(field: string, versions: string[]): string[] {
  if (versions.length > MAX_BATCH_VERSIONS)
    throw validation(
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_BATCH_VERSIONS}`,
    );
  for (const v of versions) check('packageName', `${field}.member`, v);
  return [...new Set(versions)];
}

export function checkRevisions(field: string, m: unknown): Record<string, string> | undefined {
  if (m === undefined || m === null) return undefined;
  if (typeof m !== 'object' || Array.isArray(m)) throw validation(`'${field}' must be a map of version to revision.`);
  const out = byVersion<string>();
  const entries = Object.entries(m as Record<string, unknown>);
  if (entries.length > MAX_BATCH_VERSIONS)
    throw validation(`'${field}' may name at most ${MAX_BATCH_VERSIONS} versions; got ${entries.length}.`);
  for (const [k, v] of entries) {
    check('packageName', `${field}.key`, k);
    if (typeof v !== 'string' || v.length < 1 || v.length > 50 || /\s/.test(v))
      throw validation(
        `1 validation error detected: Value at '${field}.${k}' failed to satisfy constraint: Member must be 1 to 50 characters without whitespace`,
      );
    out[k] = v;
  }
  return out;
}

/** versions is required; versionRevisions, when given, may only name versions in it. */
export function batchRequest(versions: string[] | undefined, revisions: unknown, expectedStatus: string | undefined): BatchRequest {
  if (!versions)
    throw validation("1 validation error detected: Value null at 'versions' failed to satisfy constraint: Member must not be null");
  const vs = checkVersions('versions', versions);
  const versionRevisions = checkRevisions('versionRevisions', revisions);
  for (const k of Object.keys(versionRevisions ?? {}))
    if (!vs.includes(k)) throw validation(`versionRevisions names version ${k}, which is not in versions; list it in both.`);
  if (expectedStatus !== undefined) checkStatus('expectedStatus', expectedStatus);
  return { versions: vs, versionRevisions, expectedStatus };
}

// ---- batch machinery ----

/**
 * Locks and checks every requested version; `refuse` returns a NOT_ALLOWED message or null.
 * Returns the rows when all pass, or the result to send (failures plus SKIPPED) when any fails.
 */
export async function checkBatch(
  p: PackageTx,
  req: BatchRequest,
  refuse: (v: VersionRow) => string | null,
): Promise<{ rows: VersionRow[] } | { result: BatchResult }> {
  const rows: VersionRow[] = [];
  const failed = byVersion<BatchResult['failedVersions'][string]>();
  for (const version of req.versions) {
    const row = await p.version(version);
    const expectedRevision = req.versionRevisions?.[version];
    let err: { errorCode: ErrorCode; errorMessage: string } | null = null;
    if (!row) err = { errorCode: 'NOT_FOUND', errorMessage: `Could not find version ${version}` };
    else if (expectedRevision !== undefined && row.revision !== expectedRevision)
      err = { errorCode: 'MISMATCHED_REVISION', errorMessage: `current revision: ${row.revision}, expected revision: ${expectedRevision}` };
    else if (req.expectedStatus !== undefined && row.status !== req.expectedStatus)
      err = { errorCode: 'MISMATCHED_STATUS', errorMessage: `current status: ${row.status}, expected status: ${req.expectedStatus}` };
    else {
      const why = refuse(row);
      if (why) err = { errorCode: 'NOT_ALLOWED', errorMessage: why };
    }
    if (err) failed[version] = err;
    else rows.push(row!);
  }
  if (Object.keys(failed).length === 0) return { rows };
  return { result: skipRest(req.versions, failed) };
}

/** All-or-nothing: every version that did not fail itself is reported SKIPPED. */
export function skipRest(versions: string[], failed: BatchResult['failedVersions']): BatchResult {
  const out = emptyBatch();
  Object.assign(out.failedVersions, failed);
  for (const v of versions)
    if (!out.failedVersions[v]) out.failedVersions[v] = { errorCode: 'SKIPPED', errorMessage: `Version ${v} was skipped` };
  return out;
}

export function packageMissing(repo: RepositoryWithDomain, c: Coordinates) {
  return notFound(
    `Package ${c.format} ${displayName(c)} not found in repository ${repo.name}. Names are exact: npm scopes without '@', PyPI names normalized.`,
    'package',
    c.name,
  );
}

/** Runs fn on an existing package, holding its lock; 404 when the package does not exist. */
export function onPackage<T>(ps: PackageService, repo: RepositoryWithDomain, c: Coordinates, fn: (p: PackageTx) => Promise<T>): Promise<T> {
  return ps.inPackage(repo, c, false, async (p) => {
    if (!p.pkg) throw packageMissing(repo, c);
    return fn(p);
  });
}

// ---- operations ----

export async function updateVersionsStatus(
  ps: PackageService,
  repo: RepositoryWithDomain,
  c: Coordinates,
  req: BatchRequest,
  target: string,
): Promise<BatchResult> {
  if (target === 'Disposed') throw validation('targetStatus Disposed is not allowed here; dispose versions with DisposePackageVersions.');
  if (target === 'Unfinished' || target === 'Deleted')
    throw validation(`targetStatus ${target} is not allowed; use Published, Unlisted or Archived (delete versions with DeletePackageVersions).`);
  if (!(TARGET_STATUSES as readonly string[]).includes(target))
    throw validation(
      `1 validation error detected: Value '${target}' at 'targetStatus' failed to satisfy constraint: Member must satisfy enum value set: [${TARGET_STATUSES.join(', ')}]`,
    );
  const to = target as VersionStatus;
  return onPackage(ps, repo, c, async (p) => {
    const checked = await checkBatch(p, req, (v) =>
      v.status === 'Disposed' ? `Version ${v.version} is Disposed; a disposed version cannot change status` : null,
    );
    if ('result' in checked) return checked.result;
    const out = emptyBatch();
    let changed = false;
    for (const row of checked.rows) {
      if (row.status === to) {
        out.successfulVersions[row.version] = { revision: row.revision, status: row.status };
        continue;
      }
      const v = await p.update(row, { status: to });
      await p.event(v, { operationType: 'Updated', statusChanged: true });
      out.successfulVersions[v.version] = { revision: v.revision, status: v.status };
      changed = true;
    }
    if (changed) await p.refresh();
    return out;
  });
}

export async function deleteVersions(ps: PackageService, repo: RepositoryWithDomain, c: Coordinates, req: BatchRequest): Promise<BatchResult> {
  return onPackage(ps, repo, c, async (p) => {
    const checked = await checkBatch(p, req, () => null);
    if ('result' in checked) return checked.result;
    const out = emptyBatch();
    for (const row of checked.rows) {
      await removeVersion(p, row);
      out.successfulVersions[row.version] = { revision: row.revision, status: 'Deleted' };
    }
    if (checked.rows.length) await p.refresh();
    return out;
  });
}

/** Deletes one version (its assets go with it, leaving their blobs to the collector) with its event. */
async function removeVersion(p: PackageTx, row: VersionRow): Promise<void> {
  const assets = await p.assets(row);
  await p.deleteVersion(row);
  await p.event({ version: row.version, status: 'Deleted', revision: row.revision }, { operationType: 'Deleted', assetsRemoved: assets.length });
}

export async function disposeVersions(ps: PackageService, repo: RepositoryWithDomain, c: Coordinates, req: BatchRequest): Promise<BatchResult> {
  return onPackage(ps, repo, c, async (p) => {
    const checked = await checkBatch(p, req, () => null);
    if ('result' in checked) return checked.result;
    const out = emptyBatch();
    let changed = false;
    for (const row of checked.rows) {
      if (row.status === 'Disposed') {
        out.successfulVersions[row.version] = { revision: row.revision, status: row.status };
        continue;
      }
      // Deleting the asset rows is what makes their blobs collectable (when nothing else refers to them).
      const removed = await packageStore.deleteAssets(p.tx, row.id);
      const v = await p.update(row, { status: 'Disposed' });
      await p.event(v, { operationType: 'Updated', statusChanged: true, assetsRemoved: removed });
      out.successfulVersions[v.version] = { revision: v.revision, status: v.status };
      changed = true;
    }
    if (changed) await p.refresh();
    return out;
  });
}

export interface OriginRestrictions {
  publish: 'ALLOW' | 'BLOCK';
  upstream: 'ALLOW' | 'BLOCK';
}

export interface PackageSummary {
  format: string;
  namespace?: string;
  package: string;
  originConfiguration: { restrictions: OriginRestrictions };
}

export function packageSummary(p: PackageRow): PackageSummary {
  return {
    format: p.format,
    namespace: p.namespace || undefined,
    package: p.name,
    originConfiguration: { restrictions: { publish: p.origin_publish, upstream: p.origin_upstream } },
  };
}

/** Deletes every version (one Deleted event each) and then the package with its origin configuration. */
export async function deletePackage(ps: PackageService, repo: RepositoryWithDomain, c: Coordinates): Promise<PackageSummary> {
  return onPackage(ps, repo, c, async (p) => {
    const pkg = p.requirePkg();
    for (const row of await p.versions()) await removeVersion(p, row);
    await packageStore.deletePackage(p.tx, pkg.id);
    // The adapters' per-package documents go with the package row (ON DELETE CASCADE).
    return packageSummary(pkg);
  });
}

/** Sets the package's origin restrictions, creating the package without versions when it does not exist. */
export async function putOriginConfiguration(
  ps: PackageService,
  repo: RepositoryWithDomain,
  c: Coordinates,
  r: OriginRestrictions,
): Promise<{ originConfiguration: { restrictions: OriginRestrictions } }> {
  return ps.inPackage(repo, c, false, async (p) => {
    // A concurrent creator may win the insert; the update below then applies ours on top.
    if (!p.pkg) await packageStore.insertPackage(p.tx, repo.id, c, r);
    const pkg = p.pkg ?? (await packageStore.getPackage(p.tx, repo.id, c, true))!;
    await packageStore.setOrigin(p.tx, pkg.id, r);
    return { originConfiguration: { restrictions: r } };
  });
}

/** A version that must exist (404 naming the version otherwise). */
export function versionMissing(c: Coordinates, version: string) {
  return notFound(`Package version ${version} of ${c.format} package ${displayName(c)} not found.`, 'package-version', version);
}
