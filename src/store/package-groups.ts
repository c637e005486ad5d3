// Queries over package_group and package_group_allowed_repository, and the domain-wide package
// listing ListAssociatedPackages filters.
import type { Queryable } from './db.js';

export interface PackageGroupRow {
  id: number;
  domain_id: number;
  pattern: string;
  description: string | null;
  contact_info: string | null;
  publish_mode: string;
  external_upstream_mode: string;
  internal_upstream_mode: string;
  created_at: Date;
}

export interface AllowedRepositoryRow {
  group_id: number;
  restriction_type: string;
  repository_id: number;
  name: string;
}

/** Column per restriction type (the API's names map to these fixed identifiers only). */
export const MODE_COLUMN = {
  PUBLISH: 'publish_mode',
  EXTERNAL_UPSTREAM: 'external_upstream_mode',
  INTERNAL_UPSTREAM: 'internal_upstream_mode',
} as const;

export const packageGroupStore = {
  /** The root group /* (ALLOW everywhere), for a new domain; nothing when it exists. */
  async insertRoot(q: Queryable, domainId: number): Promise<void> {
    await q.query(
      `INSERT INTO package_group (domain_id, pattern, publish_mode, external_upstream_mode, internal_upstream_mode)
       VALUES ($1, '/*', 'ALLOW', 'ALLOW', 'ALLOW') ON CONFLICT (domain_id, pattern) DO NOTHING`,
      [domainId],
    );
  },

  async insert(q: Queryable, g: { domainId: number; pattern: string; description: string | null; contactInfo: string | null }) {
    const r = await q.query<PackageGroupRow>(
      `INSERT INTO package_group (domain_id, pattern, description, contact_info) VALUES ($1, $2, $3, $4)
       ON CONFLICT (domain_id, pattern) DO NOTHING RETURNING *`,
      [g.domainId, g.pattern, g.description, g.contactInfo],
    );
    return r.rows[0] ?? null;
  },

  async get(q: Queryable, domainId: number, pattern: string, forUpdate = false): Promise<PackageGroupRow | null> {
    const r = await q.query<PackageGroupRow>(
      `SELECT * FROM package_group WHERE domain_id = $1 AND pattern = $2${forUpdate ? ' FOR UPDATE' : ''}`,
      [domainId, pattern],
    );
    return r.rows[0] ?? null;
  },

  /** Every group of a domain (the hierarchy is computed from all of them). */
  async list(q: Queryable, domainId: number): Promise<PackageGroupRow[]> {
    const r = await q.query<PackageGroupRow>('SELECT * FROM package_group WHERE domain_id = $1 ORDER BY pattern', [domainId]);
    return r.rows;
  },

  /** Every allow-list entry of a domain's groups, with the repository's name. */
  async allowedIn(q: Queryable, domainId: number): Promise<AllowedRepositoryRow[]> {
    const r = await q.query<AllowedRepositoryRow>(
      `SELECT a.group_id, a.restriction_type, a.repository_id, r.name
         FROM package_group_allowed_repository a
         JOIN package_group g ON g.id = a.group_id
         JOIN repository r ON r.id = a.repository_id
        WHERE g.domain_id = $1 ORDER BY r.name`,
      [domainId],
    );
    return r.rows;
  },

  async update(q: Queryable, id: number, f: { description?: string; contactInfo?: string }): Promise<void> {
    await q.query(
      `UPDATE package_group SET description = CASE WHEN $2::boolean THEN $3 ELSE description END,
                                contact_info = CASE WHEN $4::boolean THEN $5 ELSE contact_info END
        WHERE id = $1`,
      [id, f.description !== undefined, f.description ?? null, f.contactInfo !== undefined, f.contactInfo ?? null],
    );
  },

  async setMode(q: Queryable, id: number, type: keyof typeof MODE_COLUMN, mode: string): Promise<void> {
    await q.query(`UPDATE package_group SET ${MODE_COLUMN[type]} = $2 WHERE id = $1`, [id, mode]);
  },

  /** Adds an allow-list entry; false when it was there already. */
  async addAllowed(q: Queryable, groupId: number, type: string, repositoryId: number): Promise<boolean> {
    const r = await q.query(
      `INSERT INTO package_group_allowed_repository (group_id, restriction_type, repository_id) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING`,
      [groupId, type, repositoryId],
    );
    return r.rowCount > 0;
  },

  /** Removes an allow-list entry; false when it was not there. */
  async removeAllowed(q: Queryable, groupId: number, type: string, repositoryId: number): Promise<boolean> {
    const r = await q.query(
      'DELETE FROM package_group_allowed_repository WHERE group_id = $1 AND restriction_type = $2 AND repository_id = $3',
      [groupId, type, repositoryId],
    );
    return r.rowCount > 0;
  },

  async delete(q: Queryable, id: number): Promise<void> {
    await q.query('DELETE FROM package_group WHERE id = $1', [id]);
  },

  /**
   * A keyset page of the distinct packages stored anywhere in the domain, narrowed to those a
   * pattern can match (format, namespace exact or prefix, name exact or prefix), after `after`.
   */
  async packagesIn(
    q: Queryable,
    domainId: number,
    f: { format?: string; namespace?: string; namespacePrefix?: string; name?: string; namePrefix?: string },
    after: { format: string; namespace: string; name: string } | null,
    limit: number,
  ): Promise<{ format: string; namespace: string; name: string }[]> {
    const r = await q.query<{ format: string; namespace: string; name: string }>(
      `SELECT DISTINCT p.format, p.namespace, p.name FROM package p JOIN repository r ON r.id = p.repository_id
        WHERE r.domain_id = $1
          AND ($2::text IS NULL OR p.format = $2)
          AND ($3::text IS NULL OR p.namespace = $3)
          AND ($4::text IS NULL OR left(p.namespace, length($4)) = $4)
          AND ($5::text IS NULL OR p.name = $5)
          AND ($6::text IS NULL OR left(p.name, length($6)) = $6)
          AND ($7::text IS NULL OR (p.format, p.namespace, p.name) > ($7, $8, $9))
        ORDER BY p.format, p.namespace, p.name LIMIT $10`,
      [
        domainId,
        f.format ?? null,
        f.namespace ?? null,
        f.namespacePrefix ?? null,
        f.name ?? null,
        f.namePrefix ?? null,
        after?.format ?? null,
        after?.namespace ?? null,
        after?.name ?? null,
        limit,
      ],
    );
    return r.rows;
  },
};
