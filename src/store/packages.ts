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

  async insertPackage(
    q: Queryable,
    repositoryId: number,
    c: Coordinates,
    origin: { publish: 'ALLOW' | 'BLOCK'; upstream: 'ALLOW' | 'BLOCK' },
  ): Promise<void> {
    await q.query(
      `INSERT INTO package (repository_id, format, namespace, name, origin_publish, origin_upstream)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (repository_id, format, namespace, name) DO NOTHING`,
      [repositoryId, c.format, c.namespace, c.name, origin.publish, origin.upstream],
    );
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

  async listVersions(q: Queryable, packageId: number): Promise<VersionRow[]> {
    const r = await q.query<VersionRow>('SELECT * FROM package_version WHERE package_id = $1 ORDER BY created_at, id', [
      packageId,
    ]);
    return r.rows;
  },

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
  ): Promise<VersionRow | null> {
    const r = await q.query<VersionRow>(
      `INSERT INTO package_version (package_id, version, status, revision, origin_type, entry_repository,
                                    entry_external_connection, published_at, metadata)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
       ON CONFLICT (package_id, version) DO NOTHING RETURNING *`,
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
      ],
    );
    return r.rows[0] ?? null;
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

// ---- PyPI adapter's own tables (migrations/0003_pypi.sql) ----

/** One file of a PyPI project: the asset, its version and the simple-API details. */
export interface PypiFileRow {
  package_id: number;
  asset_id: number;
  version_id: number;
  version: string;
  status: VersionStatus;
  filename: string;
  size: number;
  sha256: string;
  md5: string;
  packagetype: 'bdist_wheel' | 'sdist';
  python_version: string;
  requires_python: string | null;
  blake2b_256: string;
  core_metadata_sha256: string | null;
  uploaded_at: Date;
}

export interface PypiProjectRow {
  package_id: number;
  files: number;
  entries: string;
  html_doc: string;
  html_etag: string;
  json_doc: string;
  json_etag: string;
  serial: number;
  modified: Date;
}

const PYPI_FILE_COLUMNS = `v.package_id, a.id AS asset_id, v.id AS version_id, v.version, v.status, a.name AS filename, a.size,
  a.sha256, a.md5, f.packagetype, f.python_version, f.requires_python, f.blake2b_256, f.core_metadata_sha256, f.uploaded_at`;

export const pypiStore = {
  async insertFile(
    q: Queryable,
    f: {
      assetId: number;
      versionId: number;
      packagetype: 'bdist_wheel' | 'sdist';
      pythonVersion: string;
      requiresPython: string | null;
      blake2b256: string;
      coreMetadata: Buffer | null;
      coreMetadataSha256: string | null;
    },
  ): Promise<void> {
    await q.query(
      `INSERT INTO pypi_file (asset_id, version_id, packagetype, python_version, requires_python, blake2b_256,
                              core_metadata, core_metadata_sha256)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [f.assetId, f.versionId, f.packagetype, f.pythonVersion, f.requiresPython, f.blake2b256, f.coreMetadata, f.coreMetadataSha256],
    );
  },

  /** CopyPackageVersions: the copied asset row gets the source file's details (same bytes, same upload time). */
  async copyFile(q: Queryable, fromAssetId: number, toAssetId: number, toVersionId: number): Promise<void> {
    await q.query(
      `INSERT INTO pypi_file (asset_id, version_id, packagetype, python_version, requires_python, blake2b_256,
                              core_metadata, core_metadata_sha256, uploaded_at)
       SELECT $2, $3, packagetype, python_version, requires_python, blake2b_256, core_metadata, core_metadata_sha256, uploaded_at
       FROM pypi_file WHERE asset_id = $1
       ON CONFLICT (asset_id) DO NOTHING`,
      [fromAssetId, toAssetId, toVersionId],
    );
  },

  /** Every file of one package, any status (the page builder decides what is visible). */
  async packageFiles(q: Queryable, packageId: number): Promise<PypiFileRow[]> {
    const r = await q.query<PypiFileRow>(
      `SELECT ${PYPI_FILE_COLUMNS} FROM package_version v JOIN asset a ON a.version_id = v.id JOIN pypi_file f ON f.asset_id = a.id
       WHERE v.package_id = $1 ORDER BY v.id, a.name`,
      [packageId],
    );
    return r.rows;
  },

  /** A file by name in any of the given packages (file names are unique within a package). */
  async fileByName(q: Queryable, packageIds: number[], filename: string): Promise<PypiFileRow[]> {
    const r = await q.query<PypiFileRow>(
      `SELECT ${PYPI_FILE_COLUMNS} FROM package_version v JOIN asset a ON a.version_id = v.id JOIN pypi_file f ON f.asset_id = a.id
       WHERE v.package_id = ANY($1::int8[]) AND a.name = $2`,
      [packageIds, filename],
    );
    return r.rows;
  },

  async coreMetadata(q: Queryable, assetId: number): Promise<Buffer | null> {
    const r = await q.query<{ core_metadata: Uint8Array | null }>('SELECT core_metadata FROM pypi_file WHERE asset_id = $1', [assetId]);
    const b = r.rows[0]?.core_metadata;
    return b ? Buffer.from(b.buffer, b.byteOffset, b.byteLength) : null;
  },

  async putProject(
    q: Queryable,
    p: { packageId: number; files: number; entries: string; htmlDoc: string; htmlEtag: string; jsonDoc: string; jsonEtag: string },
  ): Promise<void> {
    await q.query(
      `INSERT INTO pypi_project (package_id, files, entries, html_doc, html_etag, json_doc, json_etag, serial, modified)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 1, now())
       ON CONFLICT (package_id) DO UPDATE SET files = EXCLUDED.files, entries = EXCLUDED.entries,
         html_doc = EXCLUDED.html_doc, html_etag = EXCLUDED.html_etag, json_doc = EXCLUDED.json_doc,
         json_etag = EXCLUDED.json_etag, serial = pypi_project.serial + 1, modified = now()`,
      [p.packageId, p.files, p.entries, p.htmlDoc, p.htmlEtag, p.jsonDoc, p.jsonEtag],
    );
  },

  /** The small columns of the project pages (validators), without the documents themselves. */
  async projectHeads(q: Queryable, packageIds: number[]): Promise<Omit<PypiProjectRow, 'entries' | 'html_doc' | 'json_doc'>[]> {
    const r = await q.query<Omit<PypiProjectRow, 'entries' | 'html_doc' | 'json_doc'>>(
      'SELECT package_id, files, html_etag, json_etag, serial, modified FROM pypi_project WHERE package_id = ANY($1::int8[])',
      [packageIds],
    );
    return r.rows;
  },

  /** One document of a project page, as of the given serial (null when it has moved on). */
  async projectDocument(q: Queryable, packageId: number, serial: number, doc: 'entries' | 'html_doc' | 'json_doc'): Promise<string | null> {
    const col = { entries: 'entries', html_doc: 'html_doc', json_doc: 'json_doc' }[doc];
    const r = await q.query<{ body: string }>(`SELECT ${col} AS body FROM pypi_project WHERE package_id = $1 AND serial = $2`, [
      packageId,
      serial,
    ]);
    return r.rows[0]?.body ?? null;
  },

  /** Names of the projects with visible files in any of the given repositories. */
  async listedProjects(q: Queryable, repositoryIds: number[]): Promise<string[]> {
    const r = await q.query<{ name: string }>(
      `SELECT DISTINCT p.name FROM package p JOIN pypi_project d ON d.package_id = p.id
       WHERE p.repository_id = ANY($1::int8[]) AND p.format = 'pypi' AND p.namespace = '' AND d.files > 0 ORDER BY p.name`,
      [repositoryIds],
    );
    return r.rows.map((x) => x.name);
  },
};

// ---- Maven adapter's own table (migrations/0004_maven.sql) and the asset lookups it needs ----

/** A document Hoard keeps per Maven package: the rendered artifact-level maven-metadata.xml, and the digests of recent metadata uploads. */
export interface MavenDocumentRow {
  package_id: number;
  key: string;
  body: string;
  info: Record<string, unknown>;
  md5: string;
  sha1: string;
  sha256: string;
  sha512: string;
  updated_at: Date;
}

export const mavenStore = {
  async putDocument(
    q: Queryable,
    d: { packageId: number; key: string; body: string; info: unknown; md5: string; sha1: string; sha256: string; sha512: string },
  ): Promise<void> {
    await q.query(
      `INSERT INTO maven_document (package_id, key, body, info, md5, sha1, sha256, sha512)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8)
       ON CONFLICT (package_id, key) DO UPDATE SET body = EXCLUDED.body, info = EXCLUDED.info, md5 = EXCLUDED.md5,
         sha1 = EXCLUDED.sha1, sha256 = EXCLUDED.sha256, sha512 = EXCLUDED.sha512, updated_at = now()`,
      [d.packageId, d.key, d.body, JSON.stringify(d.info ?? {}), d.md5, d.sha1, d.sha256, d.sha512],
    );
  },

  async documents(q: Queryable, packageIds: number[], key: string): Promise<MavenDocumentRow[]> {
    if (packageIds.length === 0) return [];
    const r = await q.query<MavenDocumentRow>('SELECT * FROM maven_document WHERE package_id = ANY($1::int8[]) AND key = $2', [
      packageIds,
      key,
    ]);
    return r.rows;
  },

  async asset(q: Queryable, versionId: number, name: string): Promise<AssetRow | null> {
    return packageStore.getAsset(q, versionId, name);
  },

  /** Removes one asset (a file of a version nobody can see yet, being replaced). */
  async deleteAsset(q: Queryable, versionId: number, name: string): Promise<number> {
    const r = await q.query('DELETE FROM asset WHERE version_id = $1 AND name = $2', [versionId, name]);
    return r.rowCount;
  },
};
