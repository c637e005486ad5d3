// Queries over domain, repository, repository_upstream, external_connection, resource_policy, resource_tag.
import type { Queryable } from './db.js';

export interface DomainRow {
  id: number;
  owner: string;
  name: string;
  encryption_key: string | null;
  created_at: Date;
}

export interface DomainStats {
  repository_count: number;
  asset_size_bytes: number;
}

export interface RepositoryRow {
  id: number;
  domain_id: number;
  name: string;
  administrator: string;
  description: string | null;
  created_at: Date;
}

export interface RepositoryWithDomain extends RepositoryRow {
  domain_name: string;
  domain_owner: string;
}

export interface ExternalConnectionRow {
  repository_id: number;
  name: string;
  package_format: string;
}

export interface PolicyRow {
  resource_arn: string;
  document: string;
  revision: string;
}

const REPO_COLS = `r.*, d.name AS domain_name, d.owner AS domain_owner`;

export const domainStore = {
  async insertDomain(q: Queryable, owner: string, name: string, encryptionKey: string | null) {
    const r = await q.query<DomainRow>(
      `INSERT INTO domain (owner, name, encryption_key) VALUES ($1, $2, $3)
       ON CONFLICT (owner, name) DO NOTHING RETURNING *`,
      [owner, name, encryptionKey],
    );
    return r.rows[0] ?? null;
  },

  async getDomain(q: Queryable, owner: string, name: string, forUpdate = false): Promise<DomainRow | null> {
    const r = await q.query<DomainRow>(
      `SELECT * FROM domain WHERE owner = $1 AND name = $2${forUpdate ? ' FOR UPDATE' : ''}`,
      [owner, name],
    );
    return r.rows[0] ?? null;
  },

  async domainStats(q: Queryable, domainId: number): Promise<DomainStats> {
    const r = await q.query<DomainStats>(
      `SELECT (SELECT count(*) FROM repository WHERE domain_id = $1)::int8 AS repository_count,
              (SELECT coalesce(sum(size), 0) FROM blob WHERE domain_id = $1)::int8 AS asset_size_bytes`,
      [domainId],
    );
    return r.rows[0];
  },

  /** Keyset page of the domains an account owns, ordered by name. */
  async listDomains(q: Queryable, owner: string, after: string | null, limit: number): Promise<DomainRow[]> {
    const r = await q.query<DomainRow>(
      `SELECT * FROM domain WHERE owner = $1 AND ($2::text IS NULL OR name > $2) ORDER BY name LIMIT $3`,
      [owner, after, limit],
    );
    return r.rows;
  },

  /** Deletes the domain and its blob rows; returns the content digests whose objects must go too. */
  async deleteDomain(q: Queryable, id: number): Promise<string[]> {
    const r = await q.query<{ sha256: string }>('DELETE FROM blob WHERE domain_id = $1 RETURNING sha256', [id]);
    await q.query('DELETE FROM domain WHERE id = $1', [id]);
    return r.rows.map((x) => x.sha256.trim());
  },

  async insertRepository(q: Queryable, domainId: number, name: string, administrator: string, description: string | null) {
    const r = await q.query<RepositoryRow>(
      `INSERT INTO repository (domain_id, name, administrator, description) VALUES ($1, $2, $3, $4)
       ON CONFLICT (domain_id, name) DO NOTHING RETURNING *`,
      [domainId, name, administrator, description],
    );
    return r.rows[0] ?? null;
  },

  async getRepository(q: Queryable, domainId: number, name: string, forUpdate = false) {
    const r = await q.query<RepositoryWithDomain>(
      `SELECT ${REPO_COLS} FROM repository r JOIN domain d ON d.id = r.domain_id
        WHERE r.domain_id = $1 AND r.name = $2${forUpdate ? ' FOR UPDATE OF r' : ''}`,
      [domainId, name],
    );
    return r.rows[0] ?? null;
  },

  async getRepositoriesByIds(q: Queryable, ids: number[]): Promise<RepositoryWithDomain[]> {
    if (ids.length === 0) return [];
    const r = await q.query<RepositoryWithDomain>(
      `SELECT ${REPO_COLS} FROM repository r JOIN domain d ON d.id = r.domain_id WHERE r.id = ANY($1::int8[])`,
      [ids],
    );
    return r.rows;
  },

  async countRepositories(q: Queryable, domainId: number): Promise<number> {
    const r = await q.query<{ n: number }>('SELECT count(*)::int8 AS n FROM repository WHERE domain_id = $1', [domainId]);
    return r.rows[0].n;
  },

  async updateRepositoryDescription(q: Queryable, id: number, description: string | null): Promise<void> {
    await q.query('UPDATE repository SET description = $2 WHERE id = $1', [id, description]);
  },

  async deleteRepository(q: Queryable, id: number): Promise<void> {
    await q.query('DELETE FROM repository WHERE id = $1', [id]);
  },

  /** Keyset page of repositories, filtered as ListRepositories / ListRepositoriesInDomain allow. */
  async listRepositories(
    q: Queryable,
    f: { domainId?: number; administrator?: string; prefix?: string },
    after: { domain: string; name: string } | null,
    limit: number,
  ): Promise<RepositoryWithDomain[]> {
    const r = await q.query<RepositoryWithDomain>(
      `SELECT ${REPO_COLS} FROM repository r JOIN domain d ON d.id = r.domain_id
        WHERE ($1::int8 IS NULL OR r.domain_id = $1)
          AND ($2::text IS NULL OR r.administrator = $2)
          AND ($3::text IS NULL OR left(r.name, length($3)) = $3)
          AND ($4::text IS NULL OR (d.name, r.name) > ($4, $5))
        ORDER BY d.name, r.name LIMIT $6`,
      [f.domainId ?? null, f.administrator ?? null, f.prefix ?? null, after?.domain ?? null, after?.name ?? null, limit],
    );
    return r.rows;
  },

  async getUpstreams(q: Queryable, repositoryIds: number[]): Promise<{ repository_id: number; upstream_id: number; name: string }[]> {
    if (repositoryIds.length === 0) return [];
    const r = await q.query<{ repository_id: number; upstream_id: number; name: string }>(
      `SELECT u.repository_id, u.upstream_id, r.name FROM repository_upstream u JOIN repository r ON r.id = u.upstream_id
        WHERE u.repository_id = ANY($1::int8[]) ORDER BY u.repository_id, u.position`,
      [repositoryIds],
    );
    return r.rows;
  },

  async setUpstreams(q: Queryable, repositoryId: number, upstreamIds: number[]): Promise<void> {
    await q.query('DELETE FROM repository_upstream WHERE repository_id = $1', [repositoryId]);
    for (const [i, id] of upstreamIds.entries())
      await q.query('INSERT INTO repository_upstream (repository_id, position, upstream_id) VALUES ($1, $2, $3)', [
        repositoryId,
        i,
        id,
      ]);
  },

  /** Names of repositories that list this one as an upstream. */
  async downstreamsOf(q: Queryable, repositoryId: number): Promise<string[]> {
    const r = await q.query<{ name: string }>(
      `SELECT r.name FROM repository_upstream u JOIN repository r ON r.id = u.repository_id WHERE u.upstream_id = $1 ORDER BY r.name`,
      [repositoryId],
    );
    return r.rows.map((x) => x.name);
  },

  async getExternalConnections(q: Queryable, repositoryIds: number[]): Promise<ExternalConnectionRow[]> {
    if (repositoryIds.length === 0) return [];
    const r = await q.query<ExternalConnectionRow>(
      'SELECT repository_id, name, package_format FROM external_connection WHERE repository_id = ANY($1::int8[])',
      [repositoryIds],
    );
    return r.rows;
  },

  async insertExternalConnection(q: Queryable, repositoryId: number, name: string, format: string): Promise<boolean> {
    const r = await q.query(
      `INSERT INTO external_connection (repository_id, name, package_format) VALUES ($1, $2, $3)
       ON CONFLICT (repository_id) DO NOTHING`,
      [repositoryId, name, format],
    );
    return r.rowCount > 0;
  },

  async deleteExternalConnection(q: Queryable, repositoryId: number, name: string): Promise<boolean> {
    const r = await q.query('DELETE FROM external_connection WHERE repository_id = $1 AND name = $2', [repositoryId, name]);
    return r.rowCount > 0;
  },

  async getPolicy(q: Queryable, domainId: number, repositoryId: number | null, forUpdate = false): Promise<PolicyRow | null> {
    const r = await q.query<PolicyRow>(
      `SELECT resource_arn, document, revision FROM resource_policy
        WHERE domain_id = $1 AND repository_id IS NOT DISTINCT FROM $2${forUpdate ? ' FOR UPDATE' : ''}`,
      [domainId, repositoryId],
    );
    return r.rows[0] ?? null;
  },

  async upsertPolicy(q: Queryable, p: { arn: string; domainId: number; repositoryId: number | null; document: string; revision: string }) {
    await q.query(
      `INSERT INTO resource_policy (resource_arn, domain_id, repository_id, document, revision) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (resource_arn) DO UPDATE SET document = EXCLUDED.document, revision = EXCLUDED.revision, updated_at = now()`,
      [p.arn, p.domainId, p.repositoryId, p.document, p.revision],
    );
  },

  async deletePolicy(q: Queryable, arn: string): Promise<void> {
    await q.query('DELETE FROM resource_policy WHERE resource_arn = $1', [arn]);
  },

  async getTags(q: Queryable, arn: string): Promise<{ key: string; value: string }[]> {
    const r = await q.query<{ key: string; value: string }>(
      'SELECT key, value FROM resource_tag WHERE resource_arn = $1 ORDER BY key',
      [arn],
    );
    return r.rows;
  },

  async countTags(q: Queryable, arn: string): Promise<number> {
    const r = await q.query<{ n: number }>('SELECT count(*)::int8 AS n FROM resource_tag WHERE resource_arn = $1', [arn]);
    return r.rows[0].n;
  },

  async putTag(q: Queryable, t: { arn: string; domainId: number; repositoryId: number | null; key: string; value: string }) {
    await q.query(
      `INSERT INTO resource_tag (resource_arn, domain_id, repository_id, key, value) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (resource_arn, key) DO UPDATE SET value = EXCLUDED.value`,
      [t.arn, t.domainId, t.repositoryId, t.key, t.value],
    );
  },

  async deleteTags(q: Queryable, arn: string, keys: string[]): Promise<void> {
    await q.query('DELETE FROM resource_tag WHERE resource_arn = $1 AND key = ANY($2::text[])', [arn, keys]);
  },

  async deleteAllTags(q: Queryable, arn: string): Promise<void> {
    await q.query('DELETE FROM resource_tag WHERE resource_arn = $1', [arn]);
  },
};
