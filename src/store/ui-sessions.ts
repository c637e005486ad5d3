// Queries over ui_session: the web UI's sign-in sessions (migration 0011, core/ui-sessions.ts).
import type { Queryable } from './db.js';

export interface UiSessionRow {
  id_hash: string;
  principal_arn: string;
  principal_id: number;
  via: 'access-key' | 'token';
  token_domain: string | null;
  token_owner: string | null;
  csrf: string;
  created_at: Date;
  expires_at: Date;
}

export const uiSessionStore = {
  async insert(q: Queryable, s: Omit<UiSessionRow, 'created_at'>): Promise<void> {
    await q.query(
      `INSERT INTO ui_session (id_hash, principal_arn, principal_id, via, token_domain, token_owner, csrf, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [s.id_hash, s.principal_arn, s.principal_id, s.via, s.token_domain, s.token_owner, s.csrf, s.expires_at],
    );
  },

  /** The live session with this id hash (expired rows are not returned). */
  async get(q: Queryable, idHash: string): Promise<UiSessionRow | null> {
    const r = await q.query<UiSessionRow>('SELECT * FROM ui_session WHERE id_hash = $1 AND expires_at > now()', [idHash]);
    return r.rows[0] ?? null;
  },

  async delete(q: Queryable, idHash: string): Promise<void> {
    await q.query('DELETE FROM ui_session WHERE id_hash = $1', [idHash]);
  },

  /** Removes up to `limit` expired sessions (called on sign-in, so the table stays small). */
  async purgeExpired(q: Queryable, limit: number): Promise<void> {
    await q.query(
      `DELETE FROM ui_session WHERE id_hash IN (SELECT id_hash FROM ui_session WHERE expires_at <= now() LIMIT $1)`,
      [limit],
    );
  },
};
