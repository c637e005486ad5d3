// Queries over the PyPI adapter's own tables (migrations/0003_pypi.sql).
import type { Queryable } from './db.js';
import type { VersionStatus } from './packages.js';

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

  /**
   * The simple-API details of a file fetched through an external connection: for the asset named
   * `filename` of the version, unless it has them already. `uploadedAt`: the upstream's upload-time.
   */
  async insertFetchedFile(
    q: Queryable,
    versionId: number,
    filename: string,
    f: {
      packagetype: 'bdist_wheel' | 'sdist';
      pythonVersion: string;
      requiresPython: string | null;
      blake2b256: string;
      coreMetadata: Buffer | null;
      coreMetadataSha256: string | null;
      uploadedAt: string | null;
    },
  ): Promise<void> {
    await q.query(
      `INSERT INTO pypi_file (asset_id, version_id, packagetype, python_version, requires_python, blake2b_256,
                              core_metadata, core_metadata_sha256, uploaded_at)
       SELECT a.id, $1, $3, $4, $5, $6, $7, $8, COALESCE($9::timestamptz, now())
       FROM asset a WHERE a.version_id = $1 AND a.name = $2
       ON CONFLICT (asset_id) DO NOTHING`,
      [versionId, filename, f.packagetype, f.pythonVersion, f.requiresPython, f.blake2b256, f.coreMetadata, f.coreMetadataSha256, f.uploadedAt],
    );
  },

  /**
   * Retention: the files of a retained version get the details the same files have in the
   * repository they were retained from (same project, same version, matched by file name).
   */
  async copyRetainedFiles(q: Queryable, toVersionId: number, fromRepositoryId: number, project: string, version: string): Promise<void> {
    await q.query(
      `INSERT INTO pypi_file (asset_id, version_id, packagetype, python_version, requires_python, blake2b_256,
                              core_metadata, core_metadata_sha256, uploaded_at)
       SELECT a.id, a.version_id, f.packagetype, f.python_version, f.requires_python, f.blake2b_256,
              f.core_metadata, f.core_metadata_sha256, f.uploaded_at
       FROM asset a
       JOIN package sp ON sp.repository_id = $2 AND sp.format = 'pypi' AND sp.namespace = '' AND sp.name = $3
       JOIN package_version sv ON sv.package_id = sp.id AND sv.version = $4
       JOIN asset sa ON sa.version_id = sv.id AND sa.name = a.name
       JOIN pypi_file f ON f.asset_id = sa.id
       WHERE a.version_id = $1 AND a.id <> sa.id
       ON CONFLICT (asset_id) DO NOTHING`,
      [toVersionId, fromRepositoryId, project, version],
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

  /** The file `filename` of project `project` in the first of `repositoryIds` that holds it (in that order). */
  async fileInRepositories(q: Queryable, repositoryIds: number[], project: string, filename: string): Promise<PypiFileRow | null> {
    const r = await q.query<PypiFileRow>(
      `SELECT ${PYPI_FILE_COLUMNS} FROM package p JOIN package_version v ON v.package_id = p.id JOIN asset a ON a.version_id = v.id
         JOIN pypi_file f ON f.asset_id = a.id
       WHERE p.repository_id = ANY($1::int8[]) AND p.format = 'pypi' AND p.namespace = '' AND p.name = $2 AND a.name = $3
       ORDER BY array_position($1::int8[], p.repository_id) LIMIT 1`,
      [repositoryIds, project, filename],
    );
    return r.rows[0] ?? null;
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

