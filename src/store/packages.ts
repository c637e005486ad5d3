// Queries over package, package_version, asset, blob and event.
import type { Queryable } from './db.js';

export interface PackageRow {
  id: number;
  repository_id: number;
  format: string;
  namespace: string; // '' = none
  name: string;
  origin_publish: 'ALLOW' | 'BLOCK';
  origin_upstream: 'ALLOW' | 'BLOCK';
  created_at: Date;
  updated_at: Date;
}

export type VersionStatus = 'Published' | 'Unfinished' | 'Unlisted' | 'Archived' | 'Disposed';

export interface VersionRow {
  id: number;
  package_id: number;
  version: string;
  status: VersionStatus;
  revision: string;
  origin_type: 'INTERNAL' | 'EXTERNAL' | 'UNKNOWN';
  entry_repository: string | null;
  entry_external_connection: string | null;
  published_at: Date | null;
  created_at: Date;
  updated_at: Date;
  metadata: Record<string, unknown>;
}

export interface AssetRow {
  id: number;
  version_id: number;
  name: string;
  size: number;
  sha256: string;
  sha1: string;
  md5: string;
  sha512: string;
  created_at: Date;
}

export interface Coordinates {
  format: string;
  namespace: string; // '' = none
  name: string;
}

/** Assets (content already in the blob store) and an outbox event written with a version. */
interface AssetsAndEvent {
  domainId: number;
  assets: { name: string; size: number; sha256: string; sha1: string; md5: string; sha512: string }[];
  event: { repositoryId: number; payload: unknown } | null;
}

/**
 * The WITH parts that write AssetsAndEvent for the version in CTE `v` (none when `v` is empty):
 * the assets, their blobs' collector leases (renewed) and the event, from the parameters at $n
 * onwards as assetsAndEventParams orders them.
 */
const assetsAndEvent = (n: number) => `files AS (
         SELECT * FROM unnest($${n + 1}::text[], $${n + 2}::int8[], $${n + 3}::text[], $${n + 4}::text[], $${n + 5}::text[], $${n + 6}::text[])
                    AS f(name, size, sha256, sha1, md5, sha512)
       ), lease AS (
         INSERT INTO blob (domain_id, sha256, size)
         SELECT DISTINCT ON (sha256) $${n}::int8, sha256, size FROM files WHERE EXISTS (SELECT 1 FROM v)
         ON CONFLICT (domain_id, sha256) DO UPDATE SET last_put_at = now(), size = EXCLUDED.size
       ), asset AS (
         INSERT INTO asset (version_id, name, size, sha256, sha1, md5, sha512)
         SELECT v.id, f.name, f.size, f.sha256, f.sha1, f.md5, f.sha512 FROM v CROSS JOIN files f
         ON CONFLICT (version_id, name) DO NOTHING
       ), event AS (
         INSERT INTO event (domain_id, repository_id, payload) SELECT $${n}::int8, $${n + 7}::int8, $${n + 8}::jsonb FROM v WHERE $${n + 7}::int8 IS NOT NULL
       )`;

const assetsAndEventParams = (x: AssetsAndEvent): unknown[] => [
  x.domainId,
  x.assets.map((a) => a.name),
  x.assets.map((a) => a.size),
  x.assets.map((a) => a.sha256),
  x.assets.map((a) => a.sha1),
  x.assets.map((a) => a.md5),
  x.assets.map((a) => a.sha512),
  x.event?.repositoryId ?? null,
  x.event ? JSON.stringify(x.event.payload) : null,
];

export const packageStore = {
  async getPackage(q: Queryable, repositoryId: number, c: Coordinates, forUpdate = false): Promise<PackageRow | null> {
    const r = await q.query<PackageRow>(
      `SELECT * FROM package WHERE repository_id = $1 AND format = $2 AND namespace = $3 AND name = $4${forUpdate ? ' FOR UPDATE' : ''}`,
      [repositoryId, c.format, c.namespace, c.name],
    );
    return r.rows[0] ?? null;
  },

  /** The same package in several repositories at once (chain reads). */
  async getPackageIn(q: Queryable, repositoryIds: number[], c: Coordinates): Promise<PackageRow[]> {
    const r = await q.query<PackageRow>(
      `SELECT * FROM package WHERE repository_id = ANY($1::int8[]) AND format = $2 AND namespace = $3 AND name = $4`,
      [repositoryIds, c.format, c.namespace, c.name],
    );
    return r.rows;
  },

  /** The new row, or null when the package exists. */
  async insertPackage(
    q: Queryable,
    repositoryId: number,
    c: Coordinates,
    origin: { publish: 'ALLOW' | 'BLOCK'; upstream: 'ALLOW' | 'BLOCK' },
  ): Promise<PackageRow | null> {
    const r = await q.query<PackageRow>(
      `INSERT INTO package (repository_id, format, namespace, name, origin_publish, origin_upstream)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (repository_id, format, namespace, name) DO NOTHING RETURNING *`,
      [repositoryId, c.format, c.namespace, c.name, origin.publish, origin.upstream],
    );
    return r.rows[0] ?? null;
  },

  async touchPackage(q: Queryable, packageId: number): Promise<void> {
    await q.query('UPDATE package SET updated_at = now() WHERE id = $1', [packageId]);
  },

  async setOrigin(q: Queryable, packageId: number, origin: { publish: string; upstream: string }): Promise<void> {
    await q.query('UPDATE package SET origin_publish = $2, origin_upstream = $3, updated_at = now() WHERE id = $1', [
      packageId,
      origin.publish,
      origin.upstream,
    ]);
  },

  async deletePackage(q: Queryable, packageId: number): Promise<void> {
    await q.query('DELETE FROM package WHERE id = $1', [packageId]);
  },

  async getVersion(q: Queryable, packageId: number, version: string, forUpdate = false): Promise<VersionRow | null> {
    const r = await q.query<VersionRow>(
      `SELECT * FROM package_version WHERE package_id = $1 AND version = $2${forUpdate ? ' FOR UPDATE' : ''}`,
      [packageId, version],
    );
    return r.rows[0] ?? null;
  },

  async getVersionById(q: Queryable, id: number): Promise<VersionRow | null> {
    const r = await q.query<VersionRow>('SELECT * FROM package_version WHERE id = $1', [id]);
    return r.rows[0] ?? null;
  },

  async listVersions(q: Queryable, packageId: number): Promise<VersionRow[]> {
    const r = await q.query<VersionRow>('SELECT * FROM package_version WHERE package_id = $1 ORDER BY created_at, id', [
      packageId,
    ]);
    return r.rows;
  },

  /**
   * Inserts a version (null when it exists) and, in the same statement, its assets (content already
   * in the blob store: each blob's collector lease is renewed), its outbox event and, with
   * `touchPackage`, the package's updated_at, so a version complete with its files and event costs
   * one round trip.
   */
  async insertVersion(
    q: Queryable,
    v: {
      packageId: number;
      version: string;
      status: VersionStatus;
      revision: string;
      originType: 'INTERNAL' | 'EXTERNAL';
      entryRepository: string | null;
      entryExternalConnection: string | null;
      publishedAt: Date | null;
      metadata: Record<string, unknown>;
    },
    extras: AssetsAndEvent & { touchPackage?: boolean } = { domainId: 0, assets: [], event: null },
  ): Promise<VersionRow | null> {
    const r = await q.query<VersionRow>(
      `WITH v AS (
         INSERT INTO package_version (package_id, version, status, revision, origin_type, entry_repository,
                                      entry_external_connection, published_at, metadata)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
         ON CONFLICT (package_id, version) DO NOTHING RETURNING *
       ), ${assetsAndEvent(10)}, touch AS (
         UPDATE package SET updated_at = now() WHERE id = $1 AND $19::boolean AND EXISTS (SELECT 1 FROM v)
       )
       SELECT * FROM v`,
      [
        v.packageId,
        v.version,
        v.status,
        v.revision,
        v.originType,
        v.entryRepository,
        v.entryExternalConnection,
        v.publishedAt,
        JSON.stringify(v.metadata),
        ...assetsAndEventParams(extras),
        extras.touchPackage ?? false,
      ],
    );
    return r.rows[0] ?? null;
  },

  /**
   * Adds assets to a version (content already in the blob store: each blob's collector lease is
   * renewed), sets its revision, touches its package and writes its outbox event, in one statement.
   */
  async addAssets(
    q: Queryable,
    v: { versionId: number; packageId: number; revision: string } & AssetsAndEvent,
  ): Promise<VersionRow> {
    const r = await q.query<VersionRow>(
      `WITH v AS (SELECT $3::int8 AS id), ${assetsAndEvent(4)}, touch AS (
         UPDATE package SET updated_at = now() WHERE id = $2
       )
       UPDATE package_version SET revision = $1, updated_at = now() WHERE id = $3 RETURNING *`,
      [v.revision, v.packageId, v.versionId, ...assetsAndEventParams(v)],
    );
    return r.rows[0];
  },

  async updateVersion(
    q: Queryable,
    id: number,
    v: { status?: VersionStatus; revision?: string; metadata?: Record<string, unknown>; publishedAt?: Date | null },
  ): Promise<void> {
    await q.query(
      `UPDATE package_version SET
         status = coalesce($2, status),
         revision = coalesce($3, revision),
         metadata = coalesce($4::jsonb, metadata),
         published_at = CASE WHEN $5::boolean THEN $6::timestamptz ELSE published_at END,
         updated_at = now()
       WHERE id = $1`,
      [
        id,
        v.status ?? null,
        v.revision ?? null,
        v.metadata ? JSON.stringify(v.metadata) : null,
        v.publishedAt !== undefined,
        v.publishedAt ?? null,
      ],
    );
  },

  async deleteVersion(q: Queryable, id: number): Promise<void> {
    await q.query('DELETE FROM package_version WHERE id = $1', [id]);
  },

  async listAssets(q: Queryable, versionId: number): Promise<AssetRow[]> {
    const r = await q.query<AssetRow>('SELECT * FROM asset WHERE version_id = $1 ORDER BY name', [versionId]);
    return r.rows;
  },

  async getAsset(q: Queryable, versionId: number, name: string): Promise<AssetRow | null> {
    const r = await q.query<AssetRow>('SELECT * FROM asset WHERE version_id = $1 AND name = $2', [versionId, name]);
    return r.rows[0] ?? null;
  },

  async insertAsset(
    q: Queryable,
    a: { versionId: number; name: string; size: number; sha256: string; sha1: string; md5: string; sha512: string },
  ): Promise<AssetRow | null> {
    const r = await q.query<AssetRow>(
      `INSERT INTO asset (version_id, name, size, sha256, sha1, md5, sha512) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (version_id, name) DO NOTHING RETURNING *`,
      [a.versionId, a.name, a.size, a.sha256, a.sha1, a.md5, a.sha512],
    );
    return r.rows[0] ?? null;
  },

  async deleteAssets(q: Queryable, versionId: number): Promise<number> {
    const r = await q.query('DELETE FROM asset WHERE version_id = $1', [versionId]);
    return r.rowCount;
  },

  /** Takes (or renews) the lease that keeps a blob from being collected while it is written and referenced. */
  async leaseBlob(q: Queryable, domainId: number, sha256: string, size: number): Promise<void> {
    await q.query(
      `INSERT INTO blob (domain_id, sha256, size) VALUES ($1, $2, $3)
       ON CONFLICT (domain_id, sha256) DO UPDATE SET last_put_at = now(), size = EXCLUDED.size`,
      [domainId, sha256, size],
    );
  },

  async insertEvent(q: Queryable, domainId: number, repositoryId: number, payload: unknown): Promise<number> {
    const r = await q.query<{ id: number }>(
      'INSERT INTO event (domain_id, repository_id, payload) VALUES ($1, $2, $3::jsonb) RETURNING id',
      [domainId, repositoryId, JSON.stringify(payload)],
    );
    return r.rows[0].id;
  },
};
