// Forward-only plain SQL migrations from migrations/NNNN_name.sql, applied at start under an
// advisory lock so several servers can start at once; each file commits on its own.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.js';
import { isUnavailable } from '../outage.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));
const LOCK_KEY = 0x686f617264; // 'hoard'

export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = readdirSync(dir)
    .filter((f) => /^[0-9]{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  return db.withAdvisoryLock(LOCK_KEY, async (conn) => {
    await conn.query(
      'CREATE TABLE IF NOT EXISTS schema_migration (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set(
      (await conn.query<{ name: string }>('SELECT name FROM schema_migration')).rows.map((r) => r.name),
    );
    const applied: string[] = [];
    for (const f of files) {
      if (done.has(f)) continue;
      const sql = readFileSync(`${dir}/${f}`, 'utf8');
      await conn.query('BEGIN');
      try {
        for (const stmt of splitStatements(sql)) await conn.query(stmt);
        await conn.query('INSERT INTO schema_migration (name) VALUES ($1)', [f]);
        await conn.query('COMMIT');
      } catch (e) {
        await conn.query('ROLLBACK').catch(() => {});
        // The database going away mid-migration is an outage, not a bad migration: the caller waits and runs migrate again.
        if (isUnavailable(e)) throw e;
        throw new Error(`migration ${f} failed: ${(e as Error).message}`);
      }
      applied.push(f);
    }
    return applied;
  });
}

/** Splits on semicolons at line ends; migrations keep one statement per `;`-terminated block and no function bodies. */
function splitStatements(sql: string): string[] {
  return sql
    .replace(/^\s*--.*$/gm, '')
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter(Boolean);
}
