// Keyset-paginated reads for the control plane (packages, versions, assets) and the few extra
// queries the version lifecycle needs. Every page continues strictly after the last sort key of
// the previous one, so the first and the last page of a long list cost the same (no OFFSET).
import type { Queryable } from './db.js';
import type { AssetRow, PackageRow, VersionRow, VersionStatus } from './packages.js';

export interface PackageFilter {
  format?: string;
  /** a prefix of the namespace (CodeArtifact's `namespace` filter is a prefix match) */
  namespacePrefix?: string;
  namePrefix?: string;
  publish?: 'ALLOW' | 'BLOCK';
  upstream?: 'ALLOW' | 'BLOCK';
  /** the web UI's search: a case-insensitive substring of `namespace/name` (strpos, no pattern) */
  contains?: string;
}

export interface PackageKey {
  format: string;
  namespace: string;
  name: string;
}

export interface VersionFilter {
  status?: VersionStatus;
  originType?: string;
}

/** A version row plus its sort key as text (timestamps keep their microseconds across pages). */
export type SortedVersionRow = VersionRow & { sort_t: string };

/** A version without its metadata document: what a list of thousands of versions shows. */
export type VersionSummaryRow = Omit<VersionRow, 'metadata'> & { sort_t: string };

const SUMMARY_COLS = 'id, package_id, version, status, revision, origin_type, entry_repository, entry_external_connection, published_at, created_at, updated_at';

/** '-infinity' orders versions never published (Unfinished) after every published one, newest first. */
const PUBLISHED_KEY = `coalesce(published_at, '-infinity'::timestamptz)`;

export const listingStore = {
  /** Packages of one repository ordered by (format, namespace, name). */
  async listPackages(q: Queryable, repositoryId: number, f: PackageFilter, after: PackageKey | null, limit: number): Promise<PackageRow[]> {
    const where = ['repository_id = $1'];
    const params: unknown[] = [repositoryId];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.format !== undefined) add('format = ?', f.format);
    if (f.namespacePrefix !== undefined) add('starts_with(namespace, ?)', f.namespacePrefix);
    if (f.namePrefix !== undefined) add('starts_with(name, ?)', f.namePrefix);
    if (f.publish !== undefined) add('origin_publish = ?', f.publish);
    if (f.upstream !== undefined) add('origin_upstream = ?', f.upstream);
    if (f.contains !== undefined) add(`strpos(lower(namespace || '/' || name), lower(?)) > 0`, f.contains);
    if (after) {
      params.push(after.format, after.namespace, after.name);
      const n = params.length;
      where.push(`(format, namespace, name) > ($${n - 2}, $${n - 1}, $${n})`);
    }
    params.push(limit);
    const r = await q.query<PackageRow>(
      `SELECT * FROM package WHERE ${where.join(' AND ')} ORDER BY format, namespace, name LIMIT $${params.length}`,
      params,
    );
    return r.rows;
  },

  /** Versions in CodeArtifact's default listing order here: by version string. */
  async versionsByName(q: Queryable, packageId: number, f: VersionFilter, after: string | null, limit: number): Promise<SortedVersionRow[]> {
    const { where, params } = versionWhere(packageId, f);
    if (after !== null) {
      params.push(after);
      where.push(`version > $${params.length}`);
    }
    params.push(limit);
    const r = await q.query<SortedVersionRow>(
      `SELECT *, version AS sort_t FROM package_version WHERE ${where.join(' AND ')} ORDER BY version LIMIT $${params.length}`,
      params,
    );
    return r.rows;
  },

  /** Versions by published time, newest first; never-published versions last (sortBy PUBLISHED_TIME). */
  async versionsByPublished(
    q: Queryable,
    packageId: number,
    f: VersionFilter,
    after: { t: string; id: number } | null,
    limit: number,
  ): Promise<SortedVersionRow[]> {
    return publishedPage<SortedVersionRow>(q, '*', packageId, f, after, limit);
  },

  /** The same order and keyset as versionsByPublished, without reading any version's metadata. */
  async versionSummariesByPublished(
    q: Queryable,
    packageId: number,
    after: { t: string; id: number } | null,
    limit: number,
  ): Promise<VersionSummaryRow[]> {
    return publishedPage<VersionSummaryRow>(q, SUMMARY_COLS, packageId, {}, after, limit);
  },

  /** How many versions a package has, by status (one index range scan). */
  async countVersions(q: Queryable, packageId: number): Promise<Record<string, number>> {
    const r = await q.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int8 AS n FROM package_version WHERE package_id = $1 GROUP BY status',
      [packageId],
    );
    return Object.fromEntries(r.rows.map((x) => [x.status, Number(x.n)]));
  },

  /** The most recently published version that is Published now (defaultDisplayVersion). */
  async latestPublished(q: Queryable, packageId: number): Promise<string | null> {
    const r = await q.query<{ version: string }>(
      `SELECT version FROM package_version WHERE package_id = $1 AND status = 'Published'
       ORDER BY ${PUBLISHED_KEY} DESC, id DESC LIMIT 1`,
      [packageId],
    );
    return r.rows[0]?.version ?? null;
  },

  async versionStatus(q: Queryable, packageId: number, version: string): Promise<VersionStatus | null> {
    const r = await q.query<{ status: VersionStatus }>('SELECT status FROM package_version WHERE package_id = $1 AND version = $2', [
      packageId,
      version,
    ]);
    return r.rows[0]?.status ?? null;
  },

  /** Assets of one version ordered by name. */
  async listAssets(q: Queryable, versionId: number, after: string | null, limit: number): Promise<AssetRow[]> {
    const r = await q.query<AssetRow>(
      `SELECT * FROM asset WHERE version_id = $1 AND ($2::text IS NULL OR name > $2) ORDER BY name LIMIT $3`,
      [versionId, after, limit],
    );
    return r.rows;
  },

  /**
   * Assets of a version, share-locked until the caller's transaction ends: a copy holds them so a
   * concurrent dispose or delete of the source cannot leave its blobs unreferenced mid-copy.
   */
  async assetsForShare(q: Queryable, versionId: number): Promise<AssetRow[]> {
    const r = await q.query<AssetRow>('SELECT * FROM asset WHERE version_id = $1 ORDER BY name FOR SHARE', [versionId]);
    return r.rows;
  },
};

async function publishedPage<T>(
  q: Queryable,
  cols: string,
  packageId: number,
  f: VersionFilter,
  after: { t: string; id: number } | null,
  limit: number,
): Promise<T[]> {
  const { where, params } = versionWhere(packageId, f);
  if (after !== null) {
    params.push(after.t, after.id);
    where.push(`(${PUBLISHED_KEY}, id) < ($${params.length - 1}::timestamptz, $${params.length}::int8)`);
  }
  params.push(limit);
  const r = await q.query<T & Record<string, unknown>>(
    `SELECT ${cols}, ${PUBLISHED_KEY}::text AS sort_t FROM package_version WHERE ${where.join(' AND ')}
     ORDER BY ${PUBLISHED_KEY} DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return r.rows;
}

function versionWhere(packageId: number, f: VersionFilter): { where: string[]; params: unknown[] } {
  const where = ['package_id = $1'];
  const params: unknown[] = [packageId];
  if (f.status !== undefined) {
    params.push(f.status);
    where.push(`status = $${params.length}`);
  }
  if (f.originType !== undefined) {
    params.push(f.originType);
    where.push(`origin_type = $${params.length}`);
  }
  return { where, params };
}
