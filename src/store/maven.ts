// Queries over the Maven adapter's own table (migrations/0004_maven.sql) and the asset lookups it needs.
import type { Queryable } from './db.js';
import { packageStore, type AssetRow } from './packages.js';

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

/** A package on the chain with one version's file, as fileIn finds them (version and file columns null when absent). */
export interface MavenFileRow {
  repository_id: number;
  package_id: number;
  origin_upstream: string;
  version_id: number | null;
  status: string | null;
  origin_type: string | null;
  entry_external_connection: string | null;
  asset_id: number | null;
  size: number;
  sha256: string;
  sha1: string;
  md5: string;
  sha512: string;
  created_at: Date;
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

  /**
   * One release file of a package in each of the given repositories that holds the package, in one
   * query: the package's origin control, the version (if held) and the file (if the version has it).
   */
  async fileIn(q: Queryable, repositoryIds: number[], groupId: string, artifactId: string, version: string, file: string): Promise<MavenFileRow[]> {
    const r = await q.query<MavenFileRow>(
      `SELECT p.repository_id, p.id AS package_id, p.origin_upstream, v.id AS version_id, v.status, v.origin_type,
              v.entry_external_connection, a.id AS asset_id, a.size, a.sha256, a.sha1, a.md5, a.sha512, a.created_at
         FROM package p
         LEFT JOIN package_version v ON v.package_id = p.id AND v.version = $4
         LEFT JOIN asset a ON a.version_id = v.id AND a.name = $5
        WHERE p.repository_id = ANY($1::int8[]) AND p.format = 'maven' AND p.namespace = $2 AND p.name = $3`,
      [repositoryIds, groupId, artifactId, version, file],
    );
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
