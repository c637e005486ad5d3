// Queries over upstream_document and upstream_claim (migrations/0007_upstream.sql): the cached
// documents of external connections and the claims that make one replica fetch a thing once.
import type { Queryable } from './db.js';

export interface UpstreamDocumentRow {
  connection: string;
  key: string;
  status: 200 | 404;
  etag: string | null;
  last_modified: string | null;
  /** null when the caller passed this revision as known */
  parts: string[] | null;
  revision: string;
  fetched_at: Date;
}

export const upstreamStore = {
  /** `known`: a revision the caller holds; its parts are then not sent (null). */
  async getDocument(q: Queryable, connection: string, key: string, known = ''): Promise<UpstreamDocumentRow | null> {
    const r = await q.query<UpstreamDocumentRow>(
      `SELECT connection, key, status, etag, last_modified, CASE WHEN revision = $3 THEN NULL ELSE parts END AS parts, revision, fetched_at
         FROM upstream_document WHERE connection = $1 AND key = $2`,
      [connection, key, known],
    );
    return r.rows[0] ?? null;
  },

  async putDocument(q: Queryable, d: Omit<UpstreamDocumentRow, 'fetched_at'>): Promise<void> {
    await q.query(
      `INSERT INTO upstream_document (connection, key, status, etag, last_modified, parts, revision, fetched_at)
       VALUES ($1, $2, $3, $4, $5, $6::text[], $7, now())
       ON CONFLICT (connection, key) DO UPDATE SET status = EXCLUDED.status, etag = EXCLUDED.etag,
         last_modified = EXCLUDED.last_modified, parts = EXCLUDED.parts, revision = EXCLUDED.revision, fetched_at = now()`,
      [d.connection, d.key, d.status, d.etag, d.last_modified, d.parts, d.revision],
    );
  },

  /** The upstream answered 304: the copy is current as of now. */
  async confirmDocument(q: Queryable, connection: string, key: string): Promise<void> {
    await q.query('UPDATE upstream_document SET fetched_at = now() WHERE connection = $1 AND key = $2', [connection, key]);
  },

  /** True when this caller now holds the claim (none existed, or the old one is older than staleMs). */
  async claim(q: Queryable, key: string, staleMs: number): Promise<boolean> {
    const r = await q.query(
      `INSERT INTO upstream_claim (key) VALUES ($1)
       ON CONFLICT (key) DO UPDATE SET claimed_at = now()
       WHERE upstream_claim.claimed_at < now() - ($2::int8 * interval '1 millisecond')`,
      [key, staleMs],
    );
    return r.rowCount === 1;
  },

  async claimed(q: Queryable, key: string): Promise<boolean> {
    const r = await q.query('SELECT 1 FROM upstream_claim WHERE key = $1', [key]);
    return r.rows.length > 0;
  },

  async release(q: Queryable, key: string): Promise<void> {
    await q.query('DELETE FROM upstream_claim WHERE key = $1', [key]);
  },
};
