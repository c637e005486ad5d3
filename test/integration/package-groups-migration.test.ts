// Migration 0008 gives every domain that existed before package groups its root group /*
// (ALLOW everywhere): applied over a store migrated to 0007 that already holds domains, on the
// embedded database, or on a fresh Postgres database when HOARD_TEST_PG_URL names a cluster.
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import pg from 'pg';
import { backend } from '../support/hoard.js';

const MIGRATIONS = fileURLToPath(new URL('../../migrations/', import.meta.url));

describe('migration 0008_package_groups', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'hoard-pg-migration-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('creates the root group of every existing domain, allowing everything', async () => {
    const before = path.join(tmp, 'before');
    mkdirSync(before);
    for (const f of readdirSync(MIGRATIONS).filter((f) => f < '0008')) copyFileSync(path.join(MIGRATIONS, f), path.join(before, f));
    let url: string | null = null;
    const dbName = `hoard_t_mig_${randomBytes(4).toString('hex')}`;
    const admin = async (sql: string) => {
      const c = new pg.Client({ connectionString: backend.pg });
      await c.connect();
      await c.query(sql);
      await c.end();
    };
    if (backend.pg) {
      await admin(`CREATE DATABASE ${dbName}`);
      const u = new URL(backend.pg);
      u.pathname = `/${dbName}`;
      url = u.toString();
    }
    const db = await openDb(url, path.join(tmp, 'data'));
    try {
      await migrate(db, before);
      await db.query(`INSERT INTO account (id) VALUES ('111122223333')`);
      await db.query(`INSERT INTO domain (owner, name) VALUES ('111122223333', 'old'), ('111122223333', 'older')`);
      expect(await migrate(db, MIGRATIONS)).toContain('0008_package_groups.sql');
      const r = await db.query<{ name: string; pattern: string; publish_mode: string; external_upstream_mode: string; internal_upstream_mode: string }>(
        `SELECT d.name, g.pattern, g.publish_mode, g.external_upstream_mode, g.internal_upstream_mode
           FROM package_group g JOIN domain d ON d.id = g.domain_id ORDER BY d.name`,
      );
      expect(r.rows).toEqual([
        { name: 'old', pattern: '/*', publish_mode: 'ALLOW', external_upstream_mode: 'ALLOW', internal_upstream_mode: 'ALLOW' },
        { name: 'older', pattern: '/*', publish_mode: 'ALLOW', external_upstream_mode: 'ALLOW', internal_upstream_mode: 'ALLOW' },
      ]);
    } finally {
      await db.close();
      if (backend.pg) await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    }
  });
});
