// One small interface over node-postgres and PGlite, so every query in store/ runs on both.
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { mkdirSync } from 'node:fs';

export type Row = Record<string, unknown>;

export interface Queryable {
  query<T = Row>(sql: string, params?: unknown[]): Promise<{ rows: T[]; rowCount: number }>;
}

export interface Db extends Queryable {
  readonly kind: 'pg' | 'pglite';
  /** Runs fn in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs fn holding a session-level advisory lock (migrations, first-start bootstrap). */
  withAdvisoryLock<T>(key: number, fn: (conn: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// int8 (counts, sizes, ids) as JS numbers on both drivers: every value we keep is far below 2^53.
const INT8 = 20;
pg.types.setTypeParser(INT8, (v: string) => Number(v));

export async function openDb(databaseUrl: string | null, dataDir: string): Promise<Db> {
  return databaseUrl ? openPg(databaseUrl) : openPglite(dataDir);
}

function openPg(url: string): Db {
  const pool = new pg.Pool({ connectionString: url, max: 20, idleTimeoutMillis: 30_000 });
  // A dropped idle connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const run = async <T>(client: pg.PoolClient, fn: (q: Queryable) => Promise<T>, begin: string, end: string) => {
    await client.query(begin);
    try {
      const r = await fn(wrapPg(client));
      await client.query(end);
      return r;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    }
  };
  return {
    kind: 'pg',
    async query<T>(sql: string, params?: unknown[]) {
      const r = await pool.query(sql, params as unknown[]);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        return await run(client, fn, 'BEGIN', 'COMMIT');
      } finally {
        client.release();
      }
    },
    async withAdvisoryLock(key, fn) {
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1)', [key]);
        try {
          return await fn(wrapPg(client));
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => {});
        }
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

function wrapPg(client: pg.PoolClient): Queryable {
  return {
    async query<T>(sql: string, params?: unknown[]) {
      const r = await client.query(sql, params as unknown[]);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
    },
  };
}

async function openPglite(dataDir: string): Promise<Db> {
  const dir = dataDir === ':memory:' ? undefined : `${dataDir}/pglite`;
  if (dir) mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir, { parsers: { [INT8]: (v: string) => Number(v) } });
  const q: Queryable = {
    async query<T>(sql: string, params?: unknown[]) {
      const r = await db.query<T>(sql, params as unknown[]);
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
  };
  return {
    kind: 'pglite',
    query: q.query,
    transaction(fn) {
      return db.transaction((tx) =>
        fn({
          async query<T>(sql: string, params?: unknown[]) {
            const r = await tx.query<T>(sql, params as unknown[]);
            return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
          },
        }),
      );
    },
    // One process owns a PGlite folder, so the lock only has to hold against itself.
    withAdvisoryLock: (_key, fn) => fn(q),
    close: () => db.close(),
  };
}
