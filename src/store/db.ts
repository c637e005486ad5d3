// One small interface over node-postgres and PGlite, so every query in store/ runs on both.
import pg from 'pg';
import { PGlite, parse as pgParse, protocol } from '@electric-sql/pglite';
import { mkdirSync } from 'node:fs';
import { errorCode, isNetworkError, OutageReporter, waitUntilAvailable, type OutageLog } from '../outage.js';
import { createPgliteDir, hasPgliteData } from './pglite-init.js';

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
  /** Statements sent so far, BEGIN and COMMIT included (/metrics: hoard_db_statements_total). */
  statements(): number;
  close(): Promise<void>;
}

// int8 (counts, sizes, ids) as JS numbers on both drivers: every value we keep is far below 2^53.
const INT8 = 20;
pg.types.setTypeParser(INT8, (v: string) => Number(v));

export interface DbOptions {
  /** PGlite's shared_buffers (HOARD_PGLITE_SHARED_BUFFERS), e.g. '32MB'; PGlite's own default otherwise. */
  pgliteSharedBuffers?: string;
  /** Where connection failures and the start-up wait are logged. */
  log?: OutageLog & { info(o: object, m: string): void };
  /** How long opening waits for Postgres to accept connections (starting up, restarting); default 60 s. */
  startupWaitMs?: number;
  /** How long one connection attempt (or a wait for a free pooled connection) may take; default 10 s. */
  connectTimeoutMs?: number;
}

export async function openDb(databaseUrl: string | null, dataDir: string, opts: DbOptions = {}): Promise<Db> {
  return databaseUrl ? openPg(databaseUrl, opts) : openPglite(dataDir, opts.pgliteSharedBuffers);
}

/** SQLSTATEs of a server going away or not taking connections yet: admin/crash shutdown (57P01/57P02), starting up (57P03), too many connections (53300), any connection exception (class 08). */
const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300']);
/** What node-postgres says (without a code) when a connection drops or cannot be had in time. */
const PG_CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection error and is not queryable',
  'Client was closed and is not queryable',
  'timeout exceeded when trying to connect',
  'Query read timeout',
];

/** True for a failure of the connection to Postgres rather than of the statement. */
export function isDbConnectionError(e: unknown): boolean {
  const code = errorCode(e);
  if (code && (PG_UNAVAILABLE.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  if (isNetworkError(e)) return true;
  const msg = (e as Error | null)?.message;
  return typeof msg === 'string' && PG_CONNECTION_MESSAGES.some((m) => msg.includes(m));
}

async function openPg(url: string, opts: DbOptions): Promise<Db> {
  const outage = new OutageReporter(
    'The database is unavailable; retry shortly.',
    isDbConnectionError,
    'database',
    opts.log,
  );
  const pool = new pg.Pool({
    connectionString: url,
    max: 20,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    keepAlive: true,
  });
  // A dropped idle connection must not crash the process; the pool replaces it.
  pool.on('error', (e) => outage.note(e));
  let statements = 0;

  /**
   * A pooled client for several statements. Postgres going away while it is checked out (between
   * statements, so no query receives the error) makes the client emit 'error', which with no
   * listener would end the process: it is recorded here instead, and the client is released as
   * broken so the pool drops it rather than handing it to the next request.
   */
  const checkout = async () => {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      throw outage.wrap(e);
    }
    let broken: Error | undefined;
    const onError = (e: Error) => {
      broken ??= e;
      outage.note(e);
    };
    client.on('error', onError);
    const conn: Queryable = {
      async query<T>(sql: string, params?: unknown[]) {
        if (broken) throw outage.wrap(broken);
        statements++;
        try {
          const r = await client.query(sql, params as unknown[]);
          return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
        } catch (e) {
          if (isDbConnectionError(e)) broken ??= e as Error;
          throw outage.wrap(e);
        }
      },
    };
    return {
      conn,
      isBroken: () => broken !== undefined,
      release() {
        client.removeListener('error', onError);
        client.release(broken);
      },
    };
  };

  const db: Db = {
    kind: 'pg',
    statements: () => statements,
    async query<T>(sql: string, params?: unknown[]) {
      statements++;
      try {
        const r = await pool.query(sql, params as unknown[]);
        return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
      } catch (e) {
        throw outage.wrap(e);
      }
    },
    async transaction(fn) {
      const c = await checkout();
      try {
        await c.conn.query('BEGIN');
        try {
          const r = await fn(c.conn);
          await c.conn.query('COMMIT');
          return r;
        } catch (e) {
          if (!c.isBroken()) await c.conn.query('ROLLBACK').catch(() => {});
          throw e;
        }
      } finally {
        c.release();
      }
    },
    async withAdvisoryLock(key, fn) {
      const c = await checkout();
      try {
        await c.conn.query('SELECT pg_advisory_lock($1)', [key]);
        try {
          return await fn(c.conn);
        } finally {
          // A broken connection has lost its session, and the lock with it.
          if (!c.isBroken()) await c.conn.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => {});
        }
      } finally {
        c.release();
      }
    },
    close: () => pool.end(),
  };
  // Postgres may still be starting (57P03) or not listening yet (ECONNREFUSED), e.g. when both
  // start together under compose: wait for it, bounded, rather than exiting.
  try {
    await waitUntilAvailable('database', () => db.query('SELECT 1'), { timeoutMs: opts.startupWaitMs ?? 60_000, log: opts.log });
  } catch (e) {
    await pool.end().catch(() => {});
    throw e;
  }
  return db;
}

async function openPglite(dataDir: string, sharedBuffers?: string): Promise<Db> {
  const dir = dataDir === ':memory:' ? undefined : `${dataDir}/pglite`;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    if (!hasPgliteData(dir)) await createPgliteDir(dir);
  }
  const startParams = sharedBuffers ? [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffers}`] : undefined;
  const db = await PGlite.create(dir, { parsers: { [INT8]: (v: string) => Number(v) }, startParams });
  const prepared = new PreparedStatements(db);
  // Outside a transaction a statement also waits for any running transaction (PGlite's own rule).
  const q: Queryable = { query: (sql, params) => db._runExclusiveTransaction(() => prepared.run(sql, params ?? [], true)) };
  return {
    kind: 'pglite',
    query: q.query,
    statements: () => prepared.count,
    transaction(fn) {
      // PGlite's transaction (BEGIN, COMMIT or ROLLBACK, and its lock) around statements run as tx.query runs them.
      prepared.count += 2;
      return db.transaction(() => fn({ query: (sql, params) => prepared.run(sql, params ?? [], false) }));
    },
    // One process owns a PGlite folder, so the lock only has to hold against itself. Migrations
    // (DDL) take PGlite's plain path, so no prepared statement outlives a change of its tables.
    withAdvisoryLock: (_key, fn) =>
      fn({
        async query<T>(sql: string, params?: unknown[]) {
          const r = await db.query<T>(sql, params as unknown[]);
          return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
        },
      }),
    close: () => db.close(),
  };
}

/**
 * Statements on PGlite as named prepared statements, one per SQL text: the first run parses and
 * describes it once, every run after is a single call into the database (bind, describe, execute,
 * sync) instead of PGlite's five, and Postgres skips parsing and, once it settles on a generic
 * plan, planning. Embedded, every statement costs the server's own CPU, so this is most of a
 * request's database time. At most MAX statements are kept (least recently used closed first).
 */
class PreparedStatements {
  private static readonly MAX = 1000;
  private readonly statements = new Map<string, { name: string; types: number[] }>();
  private readonly closing: string[] = [];
  private next = 0;
  /** statements run (for Db.statements) */
  count = 0;

  constructor(private readonly db: PGlite) {}

  /** Runs one statement holding PGlite's query lock; `sync` writes through to disk outside transactions. */
  run<T>(sql: string, params: unknown[], sync: boolean): Promise<{ rows: T[]; rowCount: number }> {
    this.count++;
    return this.db.runExclusive(async () => {
      const st = await this.prepare(sql);
      const values = params.map((p, i) => {
        if (p === null || p === undefined) return null;
        const serialize = this.db.serializers[st.types[i]];
        return serialize ? serialize(p) : String(p);
      });
      const S = protocol.serialize;
      const r = await this.db.execProtocol(concat([S.bind({ statement: st.name, values }), S.describe({ type: 'P' }), S.execute({}), S.sync()]), { syncToFs: sync });
      const res = pgParse.parseResults(r.messages, this.db.parsers)[0];
      return { rows: res.rows as T[], rowCount: res.affectedRows ?? res.rows.length };
    });
  }

  private async prepare(sql: string): Promise<{ name: string; types: number[] }> {
    const known = this.statements.get(sql);
    if (known) {
      this.statements.delete(sql); // most recently used last
      this.statements.set(sql, known);
      return known;
    }
    const S = protocol.serialize;
    const name = `h${this.next++}`;
    const closes = this.closing.splice(0).map((n) => S.close({ type: 'S', name: n }));
    const r = await this.db.execProtocol(concat([...closes, S.parse({ name, text: sql }), S.describe({ type: 'S', name }), S.sync()]), { syncToFs: false });
    const st = { name, types: pgParse.parseDescribeStatementResults(r.messages) };
    this.statements.set(sql, st);
    if (this.statements.size > PreparedStatements.MAX) {
      const [oldest, evicted] = this.statements.entries().next().value!;
      this.statements.delete(oldest);
      this.closing.push(evicted.name);
    }
    return st;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
