// Queries over npm_package and npm_version (migrations/0002_npm.sql): the npm adapter's
// dist-tags and precomputed packuments.
import type { Queryable } from './db.js';
import type { VersionStatus } from './packages.js';

export type DocKind = 'full' | 'abbr';

/** One repository's copy of a package as the packument read path needs it. */
export interface NpmDocRow {
  package_id: number;
  repository_id: number;
  origin_upstream: 'ALLOW' | 'BLOCK';
  /** null when the package has no npm_package row yet (never refreshed) */
  rev: number | null;
  visible: number | null;
  modified: Date | null;
  etag: string | null;
  /** null when the caller already holds this etag (or no document exists) */
  doc: string | null;
}

export interface NpmPackageRow {
  package_id: number;
  dist_tags: Record<string, string>;
  rev: number;
  modified: Date;
  visible: number;
}

export interface NpmVersionListRow {
  id: number;
  version: string;
  status: 'Published' | 'Unlisted';
  /** whether the version's serialised entries exist */
  has_entry: boolean;
}

/** The fixed text of both documents around the per-version lists (see codec documentParts). */
export interface NpmDocumentParts {
  fullHead: string;
  fullMid: string;
  fullTail: string;
  abbrHead: string;
  abbrMid: string;
  abbrTail: string;
}

/** A package holding (version_id set) or not holding (null) one version, with its .tgz asset if any. */
export interface NpmTarballRow {
  repository_id: number;
  package_id: number;
  origin_upstream: 'ALLOW' | 'BLOCK';
  version_id: number | null;
  status: VersionStatus | null;
  name: string | null;
  size: number | null;
  sha256: string | null;
  sha1: string | null;
  sha512: string | null;
}

export const npmStore = {
  /**
   * The package in each of the given repositories (a read chain, in any order), with one
   * document kind. `known` lists "packageId:etag" pairs the caller has cached: their text is not sent again.
   */
  async docs(q: Queryable, repositoryIds: number[], ns: string, name: string, kind: DocKind, known: string[]): Promise<NpmDocRow[]> {
    const doc = kind === 'full' ? 'full_doc' : 'abbr_doc';
    const etag = kind === 'full' ? 'full_etag' : 'abbr_etag';
    const r = await q.query<NpmDocRow>(
      `SELECT p.id AS package_id, p.repository_id, p.origin_upstream, d.rev, d.visible, d.modified, d.${etag} AS etag,
              CASE WHEN (p.id::text || ':' || d.${etag}) = ANY($4::text[]) THEN NULL ELSE d.${doc} END AS doc
         FROM package p LEFT JOIN npm_package d ON d.package_id = p.id
        WHERE p.repository_id = ANY($1::int8[]) AND p.format = 'npm' AND p.namespace = $2 AND p.name = $3`,
      [repositoryIds, ns, name, known],
    );
    return r.rows;
  },

  /** Where a tarball of one version lives, in each of the given repositories holding the package. */
  async tarballs(q: Queryable, repositoryIds: number[], ns: string, name: string, version: string): Promise<NpmTarballRow[]> {
    const r = await q.query<NpmTarballRow>(
      `SELECT p.repository_id, p.id AS package_id, p.origin_upstream, v.id AS version_id, v.status,
              a.name, a.size, a.sha256, a.sha1, a.sha512
         FROM package p
         LEFT JOIN package_version v ON v.package_id = p.id AND v.version = $4
         LEFT JOIN asset a ON a.version_id = v.id AND a.name LIKE '%.tgz'
        WHERE p.repository_id = ANY($1::int8[]) AND p.format = 'npm' AND p.namespace = $2 AND p.name = $3`,
      [repositoryIds, ns, name, version],
    );
    return r.rows;
  },

  async getPackage(q: Queryable, packageId: number, forUpdate = false): Promise<NpmPackageRow | null> {
    const r = await q.query<NpmPackageRow>(
      `SELECT package_id, dist_tags, rev, modified, visible FROM npm_package WHERE package_id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [packageId],
    );
    return r.rows[0] ?? null;
  },

  /**
   * The package's npm row, created when missing, in one statement (the insert's CTE, or the row
   * that was there: the statement's snapshot does not see what its CTE inserted). The caller holds
   * the package row's lock, which keeps this race-free and makes a lock of this row redundant.
   */
  async ensurePackage(q: Queryable, packageId: number): Promise<NpmPackageRow> {
    const r = await q.query<NpmPackageRow>(
      `WITH ins AS (
         INSERT INTO npm_package (package_id) VALUES ($1) ON CONFLICT (package_id) DO NOTHING
         RETURNING package_id, dist_tags, rev, modified, visible)
       SELECT * FROM ins
       UNION ALL
       SELECT package_id, dist_tags, rev, modified, visible FROM npm_package WHERE package_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)`,
      [packageId],
    );
    return r.rows[0];
  },

  /**
   * Rebuilds both documents of a package inside the database: the Published versions' entries
   * (and their times) are joined in SQL between the given fixed parts, so a rebuild never ships
   * the entries to the application and back. The ETags are the MD5 of the stored text. The
   * npm_package row is created when missing (a package new in this transaction); its dist-tags are
   * written with the documents that show them.
   */
  async rebuildDocuments(
    q: Queryable,
    packageId: number,
    d: { rev: number; modified: Date; parts: NpmDocumentParts; searchText: string; summary: unknown; distTags: Record<string, string> },
  ): Promise<void> {
    await q.query(
      `WITH pub AS (
         SELECT v.id, v.version, coalesce(v.published_at, v.created_at) AS at, v.created_at, f.full_json, f.abbr_json
           FROM package_version v JOIN npm_version f ON f.version_id = v.id
          WHERE v.package_id = $1 AND v.status = 'Published'
       ), agg AS (
         SELECT count(*)::int AS n,
                coalesce(string_agg(to_json(version)::text || ':' || full_json, ',' ORDER BY created_at, id), '') AS fv,
                coalesce(string_agg(to_json(version)::text || ':' || abbr_json, ',' ORDER BY created_at, id), '') AS av,
                coalesce(string_agg(',' || to_json(version)::text || ':"' ||
                                    to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"', '' ORDER BY created_at, id), '') AS tv
           FROM pub
       ), doc AS (
         SELECT n, $4 || fv || $5 || tv || $6 AS full_doc, $7 || av || $8 || tv || $9 AS abbr_doc FROM agg
       )
       INSERT INTO npm_package AS d (package_id, rev, modified, visible, full_doc, abbr_doc, full_etag, abbr_etag, search_text, summary, dist_tags)
       SELECT $1, $2, $3, doc.n, doc.full_doc, doc.abbr_doc, md5(doc.full_doc), md5(doc.abbr_doc), $10, $11::jsonb, $12::jsonb FROM doc
       ON CONFLICT (package_id) DO UPDATE SET rev = EXCLUDED.rev, modified = EXCLUDED.modified, visible = EXCLUDED.visible,
              full_doc = EXCLUDED.full_doc, abbr_doc = EXCLUDED.abbr_doc, full_etag = EXCLUDED.full_etag, abbr_etag = EXCLUDED.abbr_etag,
              search_text = EXCLUDED.search_text, summary = EXCLUDED.summary, dist_tags = EXCLUDED.dist_tags`,
      [
        packageId,
        d.rev,
        d.modified,
        d.parts.fullHead,
        d.parts.fullMid,
        d.parts.fullTail,
        d.parts.abbrHead,
        d.parts.abbrMid,
        d.parts.abbrTail,
        d.searchText,
        JSON.stringify(d.summary),
        JSON.stringify(d.distTags),
      ],
    );
  },

  /** The Published and Unlisted versions of a package, oldest first, without their entries' text. */
  async versionList(q: Queryable, packageId: number): Promise<NpmVersionListRow[]> {
    const r = await q.query<NpmVersionListRow>(
      `SELECT v.id, v.version, v.status, (f.version_id IS NOT NULL) AS has_entry
         FROM package_version v LEFT JOIN npm_version f ON f.version_id = v.id
        WHERE v.package_id = $1 AND v.status IN ('Published', 'Unlisted') ORDER BY v.created_at, v.id`,
      [packageId],
    );
    return r.rows;
  },

  /** The full entry and metadata of one version (the latest: hoisted fields, readme, search summary). */
  async versionDetail(
    q: Queryable,
    versionId: number,
  ): Promise<{ full_json: string | null; metadata: Record<string, unknown>; published_at: Date | null } | null> {
    const r = await q.query<{ full_json: string | null; metadata: Record<string, unknown>; published_at: Date | null }>(
      `SELECT f.full_json, v.metadata, v.published_at FROM package_version v LEFT JOIN npm_version f ON f.version_id = v.id WHERE v.id = $1`,
      [versionId],
    );
    return r.rows[0] ?? null;
  },

  async versionEntry(q: Queryable, packageId: number, version: string): Promise<{ status: VersionStatus; full_json: string | null } | null> {
    const r = await q.query<{ status: VersionStatus; full_json: string | null }>(
      `SELECT v.status, f.full_json FROM package_version v LEFT JOIN npm_version f ON f.version_id = v.id
        WHERE v.package_id = $1 AND v.version = $2`,
      [packageId, version],
    );
    return r.rows[0] ?? null;
  },

  async putVersionDoc(q: Queryable, versionId: number, fullJson: string, abbrJson: string): Promise<void> {
    await q.query(
      `INSERT INTO npm_version (version_id, full_json, abbr_json) VALUES ($1, $2, $3)
       ON CONFLICT (version_id) DO UPDATE SET full_json = EXCLUDED.full_json, abbr_json = EXCLUDED.abbr_json`,
      [versionId, fullJson, abbrJson],
    );
  },

  async copyVersionDoc(q: Queryable, fromVersionId: number, toVersionId: number): Promise<void> {
    await q.query(
      `INSERT INTO npm_version (version_id, full_json, abbr_json)
       SELECT $2, full_json, abbr_json FROM npm_version WHERE version_id = $1
       ON CONFLICT (version_id) DO UPDATE SET full_json = EXCLUDED.full_json, abbr_json = EXCLUDED.abbr_json`,
      [fromVersionId, toVersionId],
    );
  },

  /** Packages with visible versions in the given repositories whose text matches every term. */
  async search(
    q: Queryable,
    repositoryIds: number[],
    terms: string[],
    scope: string | null,
    limit: number,
    offset: number,
  ): Promise<{ rows: { repository_id: number; namespace: string; name: string; summary: unknown }[]; total: number }> {
    const params: unknown[] = [repositoryIds];
    let where = `p.repository_id = ANY($1::int8[]) AND p.format = 'npm' AND d.visible > 0`;
    for (const t of terms) {
      params.push(`%${t.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      where += ` AND d.search_text LIKE $${params.length}`;
    }
    if (scope !== null) {
      params.push(scope);
      where += ` AND p.namespace = $${params.length}`;
    }
    const total = await q.query<{ n: number }>(
      `SELECT count(DISTINCT (p.namespace, p.name))::int8 AS n FROM package p JOIN npm_package d ON d.package_id = p.id WHERE ${where}`,
      params,
    );
    params.push(limit, offset);
    // One row per name: the first repository listed wins (the requesting repository comes first).
    const r = await q.query<{ repository_id: number; namespace: string; name: string; summary: unknown }>(
      `SELECT DISTINCT ON (p.namespace, p.name) p.repository_id, p.namespace, p.name, d.summary
         FROM package p JOIN npm_package d ON d.package_id = p.id
        WHERE ${where} ORDER BY p.namespace, p.name, array_position($1::int8[], p.repository_id)
        LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    return { rows: r.rows, total: total.rows[0]?.n ?? 0 };
  },
};
