// Queries over account, principal, access_key and identity_policy.
import type { Queryable } from './db.js';

export interface AccountRow {
  id: string;
  is_operator: boolean;
  created_at: Date;
}

export interface PrincipalRow {
  id: number;
  account_id: string;
  kind: 'root' | 'user';
  user_name: string | null;
  created_at: Date;
  /** authorization tokens issued to this principal before this time are void */
  tokens_valid_after: Date | null;
}

export interface AccessKeyRow {
  id: string;
  principal_id: number;
  secret_enc: string;
  created_at: Date;
}

export const identityStore = {
  async countAccounts(q: Queryable): Promise<number> {
    const r = await q.query<{ n: number }>('SELECT count(*)::int8 AS n FROM account');
    return r.rows[0].n;
  },

  async insertAccount(q: Queryable, id: string, isOperator: boolean): Promise<AccountRow | null> {
    const r = await q.query<AccountRow>(
      'INSERT INTO account (id, is_operator) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING *',
      [id, isOperator],
    );
    return r.rows[0] ?? null;
  },

  async getAccount(q: Queryable, id: string): Promise<AccountRow | null> {
    const r = await q.query<AccountRow>('SELECT * FROM account WHERE id = $1', [id]);
    return r.rows[0] ?? null;
  },

  async insertPrincipal(q: Queryable, accountId: string, kind: 'root' | 'user', userName: string | null) {
    const r = await q.query<PrincipalRow>(
      `INSERT INTO principal (account_id, kind, user_name) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING *`,
      [accountId, kind, userName],
    );
    return r.rows[0] ?? null;
  },

  async getRoot(q: Queryable, accountId: string): Promise<PrincipalRow | null> {
    const r = await q.query<PrincipalRow>("SELECT * FROM principal WHERE account_id = $1 AND kind = 'root'", [
      accountId,
    ]);
    return r.rows[0] ?? null;
  },

  async getUser(q: Queryable, accountId: string, userName: string): Promise<PrincipalRow | null> {
    const r = await q.query<PrincipalRow>(
      "SELECT * FROM principal WHERE account_id = $1 AND kind = 'user' AND user_name = $2",
      [accountId, userName],
    );
    return r.rows[0] ?? null;
  },

  async getPrincipal(q: Queryable, id: number): Promise<PrincipalRow | null> {
    const r = await q.query<PrincipalRow>('SELECT * FROM principal WHERE id = $1', [id]);
    return r.rows[0] ?? null;
  },

  async listUsers(q: Queryable, accountId: string): Promise<PrincipalRow[]> {
    const r = await q.query<PrincipalRow>(
      "SELECT * FROM principal WHERE account_id = $1 AND kind = 'user' ORDER BY user_name",
      [accountId],
    );
    return r.rows;
  },

  async insertAccessKey(q: Queryable, id: string, principalId: number, secretEnc: string): Promise<AccessKeyRow> {
    const r = await q.query<AccessKeyRow>(
      'INSERT INTO access_key (id, principal_id, secret_enc) VALUES ($1, $2, $3) RETURNING *',
      [id, principalId, secretEnc],
    );
    return r.rows[0];
  },

  /** The key with its principal, in one round trip (every signed request does this). */
  async getAccessKey(q: Queryable, id: string): Promise<(AccessKeyRow & { principal: PrincipalRow }) | null> {
    const r = await q.query<
      AccessKeyRow & { p_account_id: string; p_kind: 'root' | 'user'; p_user_name: string | null; p_created_at: Date; p_tokens_valid_after: Date | null }
    >(
      `SELECT k.*, p.account_id AS p_account_id, p.kind AS p_kind, p.user_name AS p_user_name, p.created_at AS p_created_at,
              p.tokens_valid_after AS p_tokens_valid_after
         FROM access_key k JOIN principal p ON p.id = k.principal_id WHERE k.id = $1`,
      [id],
    );
    const row = r.rows[0];
    if (!row) return null;
    return {
      id: row.id,
      principal_id: row.principal_id,
      secret_enc: row.secret_enc,
      created_at: row.created_at,
      principal: {
        id: row.principal_id,
        account_id: row.p_account_id,
        kind: row.p_kind,
        user_name: row.p_user_name,
        created_at: row.p_created_at,
        tokens_valid_after: row.p_tokens_valid_after,
      },
    };
  },

  async listAccessKeys(q: Queryable, principalId: number): Promise<AccessKeyRow[]> {
    const r = await q.query<AccessKeyRow>('SELECT * FROM access_key WHERE principal_id = $1 ORDER BY created_at', [
      principalId,
    ]);
    return r.rows;
  },

  /**
   * Deletes the key and, in the same statement, voids the tokens its principal was issued before
   * `at` (never moving that time backwards).
   */
  async deleteAccessKey(q: Queryable, id: string, accountId: string, at: Date): Promise<boolean> {
    const r = await q.query(
      `WITH gone AS (
         DELETE FROM access_key k USING principal p WHERE k.id = $1 AND p.id = k.principal_id AND p.account_id = $2
         RETURNING k.principal_id)
       UPDATE principal SET tokens_valid_after = greatest(coalesce(tokens_valid_after, $3), $3)
        WHERE id IN (SELECT principal_id FROM gone) RETURNING id`,
      [id, accountId, at],
    );
    return r.rows.length > 0;
  },

  /** A user with its keys and identity policy (ON DELETE CASCADE); false when there is none. */
  async deleteUser(q: Queryable, accountId: string, userName: string): Promise<boolean> {
    const r = await q.query("DELETE FROM principal WHERE account_id = $1 AND kind = 'user' AND user_name = $2", [accountId, userName]);
    return r.rowCount > 0;
  },

  async putIdentityPolicy(q: Queryable, principalId: number, document: string): Promise<void> {
    await q.query(
      `INSERT INTO identity_policy (principal_id, document) VALUES ($1, $2)
       ON CONFLICT (principal_id) DO UPDATE SET document = EXCLUDED.document, updated_at = now()`,
      [principalId, document],
    );
  },

  async deleteIdentityPolicy(q: Queryable, principalId: number): Promise<boolean> {
    const r = await q.query('DELETE FROM identity_policy WHERE principal_id = $1', [principalId]);
    return r.rowCount > 0;
  },

  async getIdentityPolicy(q: Queryable, principalId: number): Promise<string | null> {
    const r = await q.query<{ document: string }>('SELECT document FROM identity_policy WHERE principal_id = $1', [
      principalId,
    ]);
    return r.rows[0]?.document ?? null;
  },
};
