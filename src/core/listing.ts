// The control plane's read side over packages, versions and assets: ListPackages,
// DescribePackage, ListPackageVersions, DescribePackageVersion, ListPackageVersionAssets,
// GetPackageVersionReadme, ListPackageVersionDependencies. Only the named repository is read
// (CodeArtifact's control plane ignores upstreams). Pages are keyset cursors (reference §2.3).
import { decodeToken, encodeToken } from './pagination.js';
import { validation } from '../errors.js';
import { displayName, type AssetRow, type Coordinates, type PackageRow, type PackageService, type VersionRow } from './packages.js';
import { packageMissing, packageSummary, versionDetails, versionMissing, type LicenseInfo, type PackageDependency, type PackageSummary } from './versions.js';
import { listingStore, type PackageFilter, type SortedVersionRow, type VersionFilter, type VersionSummaryRow } from '../store/listing.js';
import type { RepositoryWithDomain } from '../store/domains.js';

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

export interface PackageVersionOrigin {
  domainEntryPoint: { repositoryName?: string; externalConnectionName?: string };
  originType: string;
}

export interface PackageVersionSummary {
  version: string;
  revision: string;
  status: string;
  origin: PackageVersionOrigin;
}

export interface AssetSummary {
  name: string;
  size: number;
  hashes: { MD5: string; 'SHA-1': string; 'SHA-256': string; 'SHA-512': string };
}

export interface PackageVersionDescription {
  format: string;
  namespace?: string;
  packageName: string;
  displayName: string;
  version: string;
  summary?: string;
  homePage?: string;
  sourceCodeRepository?: string;
  publishedTime?: Date;
  licenses?: LicenseInfo[];
  revision: string;
  status: string;
  origin: PackageVersionOrigin;
}

function token<T extends Record<string, unknown>>(raw: string | undefined, kind: string, shape: Record<keyof T, 'string' | 'number'>): T | null {
  if (raw === undefined) return null;
  const t = decodeToken<Record<string, unknown>>(raw);
  const ok = t.k === kind && Object.entries(shape).every(([k, type]) => typeof t[k] === type);
  if (!ok) throw validation('The pagination token is not valid for this request; pass the nextToken of the previous page unchanged.', 'CANNOT_PARSE');
  return t as T;
}

export async function listPackages(
  ps: PackageService,
  repo: RepositoryWithDomain,
  filter: PackageFilter,
  max: number,
  nextToken?: string,
): Promise<Page<PackageSummary>> {
  const after = token<{ f: string; ns: string; n: string }>(nextToken, 'p', { f: 'string', ns: 'string', n: 'string' });
  const rows = await listingStore.listPackages(ps.db, repo.id, filter, after ? { format: after.f, namespace: after.ns, name: after.n } : null, max + 1);
  const page = rows.slice(0, max);
  const last = page[page.length - 1];
  return {
    items: page.map(packageSummary),
    nextToken: rows.length > max ? encodeToken({ k: 'p', f: last.format, ns: last.namespace, n: last.name }) : undefined,
  };
}

export async function requirePackage(ps: PackageService, repo: RepositoryWithDomain, c: Coordinates): Promise<PackageRow> {
  const pkg = await ps.findPackage(repo, c);
  if (!pkg) throw packageMissing(repo, c);
  return pkg;
}

export async function describePackage(ps: PackageService, repo: RepositoryWithDomain, c: Coordinates) {
  const pkg = await requirePackage(ps, repo, c);
  const s = packageSummary(pkg);
  return { format: s.format, namespace: s.namespace, name: s.package, originConfiguration: s.originConfiguration };
}

export function origin(v: Pick<VersionRow, 'entry_external_connection' | 'entry_repository' | 'origin_type'>): PackageVersionOrigin {
  return {
    domainEntryPoint: v.entry_external_connection
      ? { externalConnectionName: v.entry_external_connection }
      : v.entry_repository
        ? { repositoryName: v.entry_repository }
        : {},
    originType: v.origin_type,
  };
}

export type VersionSort = 'DEFAULT' | 'PUBLISHED_TIME';

export async function listVersions(
  ps: PackageService,
  repo: RepositoryWithDomain,
  c: Coordinates,
  opts: { filter: VersionFilter; sort: VersionSort; max: number; nextToken?: string },
) {
  const pkg = await requirePackage(ps, repo, c);
  let rows: SortedVersionRow[];
  if (opts.sort === 'PUBLISHED_TIME') {
    const after = token<{ t: string; id: number }>(opts.nextToken, 't', { t: 'string', id: 'number' });
    rows = await listingStore.versionsByPublished(ps.db, pkg.id, opts.filter, after, opts.max + 1);
  } else {
    const after = token<{ v: string }>(opts.nextToken, 'v', { v: 'string' });
    rows = await listingStore.versionsByName(ps.db, pkg.id, opts.filter, after?.v ?? null, opts.max + 1);
  }
  const page = rows.slice(0, opts.max);
  const last = page[page.length - 1];
  const nextToken =
    rows.length > opts.max
      ? encodeToken(opts.sort === 'PUBLISHED_TIME' ? { k: 't', t: last.sort_t, id: last.id } : { k: 'v', v: last.version })
      : undefined;
  return {
    defaultDisplayVersion: (await defaultDisplayVersion(ps, pkg)) ?? undefined,
    format: c.format,
    namespace: c.namespace || undefined,
    package: c.name,
    versions: page.map((v) => ({ version: v.version, revision: v.revision, status: v.status, origin: origin(v) })),
    nextToken,
  };
}

/**
 * One page of a package's versions, newest first, without their metadata (the web UI's version
 * table: a package of thousands of versions costs one index range scan per page), plus the counts
 * by status.
 */
export async function versionSummaries(
  ps: PackageService,
  pkg: PackageRow,
  max: number,
  nextToken?: string,
): Promise<{ items: VersionSummaryRow[]; nextToken?: string; counts: Record<string, number> }> {
  const after = token<{ t: string; id: number }>(nextToken, 't', { t: 'string', id: 'number' });
  const rows = await listingStore.versionSummariesByPublished(ps.db, pkg.id, after, max + 1);
  const items = rows.slice(0, max);
  const last = items[items.length - 1];
  return {
    items,
    nextToken: rows.length > max ? encodeToken({ k: 't', t: last.sort_t, id: last.id }) : undefined,
    counts: await listingStore.countVersions(ps.db, pkg.id),
  };
}

/**
 * npm: the version of the `latest` dist-tag (kept by the npm adapter, reached through its hook)
 * when that version is Published; otherwise, and for every other format, the most recently
 * published version that is Published now.
 */
export async function defaultDisplayVersion(ps: PackageService, pkg: PackageRow): Promise<string | null> {
  const tagged = await ps.dataHooksFor(pkg.format).latestVersion?.(pkg);
  if (tagged && (await listingStore.versionStatus(ps.db, pkg.id, tagged)) === 'Published') return tagged;
  return listingStore.latestPublished(ps.db, pkg.id);
}

export async function requireVersion(ps: PackageService, repo: RepositoryWithDomain, c: Coordinates, version: string) {
  const pkg = await requirePackage(ps, repo, c);
  const v = await ps.version(pkg, version);
  if (!v) throw versionMissing(c, version);
  return { pkg, v };
}

export async function describeVersion(
  ps: PackageService,
  repo: RepositoryWithDomain,
  c: Coordinates,
  version: string,
): Promise<PackageVersionDescription> {
  const { v } = await requireVersion(ps, repo, c, version);
  const d = versionDetails(v.metadata);
  return {
    format: c.format,
    namespace: c.namespace || undefined,
    packageName: c.name,
    displayName: d.displayName ?? displayName(c),
    version: v.version,
    summary: d.summary,
    homePage: d.homePage,
    sourceCodeRepository: d.sourceCodeRepository,
    publishedTime: v.published_at ?? undefined,
    licenses: d.licenses,
    revision: v.revision,
    status: v.status,
    origin: origin(v),
  };
}

export function assetSummary(a: Pick<AssetRow, 'name' | 'size' | 'md5' | 'sha1' | 'sha256' | 'sha512'>): AssetSummary {
  return { name: a.name, size: a.size, hashes: { MD5: a.md5, 'SHA-1': a.sha1, 'SHA-256': a.sha256.trim(), 'SHA-512': a.sha512 } };
}

function versionHeader(c: Coordinates, v: VersionRow) {
  return { format: c.format, namespace: c.namespace || undefined, package: c.name, version: v.version, versionRevision: v.revision };
}

export async function listAssets(ps: PackageService, repo: RepositoryWithDomain, c: Coordinates, version: string, max: number, nextToken?: string) {
  const { v } = await requireVersion(ps, repo, c, version);
  const after = token<{ a: string }>(nextToken, 'a', { a: 'string' });
  const rows = await listingStore.listAssets(ps.db, v.id, after?.a ?? null, max + 1);
  const page = rows.slice(0, max);
  return {
    ...versionHeader(c, v),
    assets: page.map(assetSummary),
    nextToken: rows.length > max ? encodeToken({ k: 'a', a: page[page.length - 1].name }) : undefined,
  };
}

export async function readme(ps: PackageService, repo: RepositoryWithDomain, c: Coordinates, version: string) {
  const { v } = await requireVersion(ps, repo, c, version);
  return { ...versionHeader(c, v), readme: versionDetails(v.metadata).readme };
}

/** Dependencies are one small list per version: returned whole, so no nextToken is ever needed. */
export async function dependencies(ps: PackageService, repo: RepositoryWithDomain, c: Coordinates, version: string) {
  const { v } = await requireVersion(ps, repo, c, version);
  // PyPI versions published before Hoard stopped doing so kept Requires-Python as a dependency;
  // CodeArtifact lists Requires-Dist only.
  const deps: PackageDependency[] = versionDetails(v.metadata).dependencies.filter((d) => d.dependencyType !== 'Requires-Python');
  return { ...versionHeader(c, v), dependencies: deps };
}
