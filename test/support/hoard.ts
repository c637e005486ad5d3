// Starts a real Hoard for a test on a random loopback port, on the backends the environment
// names: embedded PGlite + disk by default; a fresh database in HOARD_TEST_PG_URL's cluster and a
// fresh bucket on HOARD_TEST_S3_ENDPOINT when .ci/run provides them.
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Writable } from 'node:stream';
import pino from 'pino';
import { CodeartifactClient } from '@aws-sdk/client-codeartifact';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { createPgliteDir, hasPgliteData } from '../../src/store/pglite-init.js';

export interface TestHoard {
  url: string;
  port: number;
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  dataDir: string;
  server: RunningServer;
  env: Record<string, string>;
  /** an SDK client signed with the given key (root by default) */
  sdk(creds?: { accessKeyId: string; secretAccessKey: string }): CodeartifactClient;
  /** Stops the server and starts it again on the same port, data folder, database and bucket. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export const backend = {
  pg: process.env.HOARD_TEST_PG_URL,
  s3: process.env.HOARD_TEST_S3_ENDPOINT,
};

/**
 * The environment's backend for one test server (or several sharing it): a fresh database in
 * HOARD_TEST_PG_URL's cluster and a fresh bucket on HOARD_TEST_S3_ENDPOINT when they are set; no
 * variables (embedded PGlite + disk) otherwise. `drop` removes the database.
 */
export async function backendStore(suffix: string): Promise<{ env: Record<string, string>; drop: () => Promise<void> }> {
  const env: Record<string, string> = {};
  let drop = async () => {};
  if (backend.pg) {
    const dbName = `hoard_t_${suffix}`;
    const admin = new pg.Client({ connectionString: backend.pg });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const u = new URL(backend.pg);
    u.pathname = `/${dbName}`;
    env.DATABASE_URL = u.toString();
    drop = async () => {
      const c = new pg.Client({ connectionString: backend.pg });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
      await c.end();
    };
  }
  if (backend.s3) {
    env.S3_ENDPOINT = backend.s3;
    env.S3_BUCKET = `hoard-t-${suffix}`;
    env.S3_ACCESS_KEY = process.env.HOARD_TEST_S3_ACCESS_KEY ?? 'S3RVER';
    env.S3_SECRET_KEY = process.env.HOARD_TEST_S3_SECRET_KEY ?? 'S3RVER';
    env.S3_REGION = process.env.HOARD_TEST_S3_REGION ?? 'us-east-1';
  }
  return { env, drop };
}

const PGLITE_VERSION = (
  JSON.parse(readFileSync(path.join(path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')), '..', 'package.json'), 'utf8')) as { version: string }
).version;

/**
 * Gives an embedded test Hoard a new, empty database by copying one made once per machine and
 * PGlite version (Hoard's own createPgliteDir, into a temp name renamed into place, so concurrent
 * workers never see half of one): initdb costs seconds of CPU, a copy milliseconds. A first start
 * as users see it (no database yet) is covered by the tests that spawn `node dist/main.js serve`.
 */
async function seedEmbeddedDb(dataDir: string): Promise<void> {
  const template = path.join(os.tmpdir(), `hoard-test-pglite-${PGLITE_VERSION}`);
  if (!hasPgliteData(template)) {
    const making = `${template}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await createPgliteDir(making);
    try {
      renameSync(making, template);
    } catch {
      rmSync(making, { recursive: true, force: true }); // another worker made it first
    }
  }
  cpSync(template, path.join(dataDir, 'pglite'), { recursive: true });
}

/** `log`: the server's logger (default: silent, or HOARD_TEST_LOG's level), e.g. to read the access log in a test. */
export async function startHoard(extraEnv: Record<string, string> = {}, opts: { log?: pino.Logger } = {}): Promise<TestHoard> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hoard-test-'));
  const suffix = randomBytes(5).toString('hex');
  const env: Record<string, string> = {
    HOARD_HOST: '127.0.0.1',
    HOARD_PORT: '0',
    HOARD_DATA_DIR: dataDir,
    HOARD_REGION: 'us-east-1',
    HOARD_ROOT_ACCOUNT_ID: '111122223333',
    HOARD_ROOT_ACCESS_KEY_ID: `AKIATEST${suffix.toUpperCase()}00`,
    HOARD_ROOT_SECRET_ACCESS_KEY: `secret-${randomBytes(16).toString('hex')}`,
    HOARD_SHUTDOWN_GRACE_MS: '2000',
  };
  const store = await backendStore(suffix);
  if (!store.env.DATABASE_URL) await seedEmbeddedDb(dataDir);
  const dropDb = store.drop;
  Object.assign(env, store.env, extraEnv);
  const config = loadConfig(env);
  const server = await startServer(config, opts.log ?? pino({ level: process.env.HOARD_TEST_LOG ?? 'silent' }));
  const url = server.url;
  const h: TestHoard = {
    url,
    port: server.port,
    accountId: env.HOARD_ROOT_ACCOUNT_ID,
    accessKeyId: env.HOARD_ROOT_ACCESS_KEY_ID,
    secretAccessKey: env.HOARD_ROOT_SECRET_ACCESS_KEY,
    region: 'us-east-1',
    dataDir,
    server,
    env,
    sdk(creds) {
      return new CodeartifactClient({
        endpoint: url,
        region: 'us-east-1',
        credentials: creds ?? { accessKeyId: h.accessKeyId, secretAccessKey: h.secretAccessKey },
        maxAttempts: 1,
      });
    },
    async restart() {
      await h.server.close();
      h.server = await startServer(loadConfig({ ...env, HOARD_PORT: String(h.port) }), opts.log ?? pino({ level: process.env.HOARD_TEST_LOG ?? 'silent' }));
    },
    async stop() {
      await h.server.close();
      await dropDb();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return h;
}

/** Environment for child processes (aws CLI, hoard CLI): only what they need, nothing of the host's AWS setup. */
export function cliEnv(h: TestHoard, home: string, creds?: { accessKeyId: string; secretAccessKey: string }): NodeJS.ProcessEnv {
  const keep = ['PATH', 'LANG', 'SYSTEMROOT', 'PYENV_ROOT', 'NODE_EXTRA_CA_CERTS'];
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) if (process.env[k]) env[k] = process.env[k];
  return {
    ...env,
    HOME: home,
    AWS_ACCESS_KEY_ID: creds?.accessKeyId ?? h.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds?.secretAccessKey ?? h.secretAccessKey,
    AWS_DEFAULT_REGION: h.region,
    AWS_CONFIG_FILE: path.join(home, '.aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, '.aws-credentials'),
    HOARD_ENDPOINT_URL: h.url,
    PIP_CONFIG_FILE: path.join(home, '.config', 'pip', 'pip.conf'),
    npm_config_userconfig: path.join(home, '.npmrc'),
  };
}

export function tempHome(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'hoard-home-'));
}

/** One request as Hoard's access log records it. */
export interface AccessLine {
  method: string;
  path: string;
  status: number;
}

/** A logger for startHoard that keeps the access log's lines (what real clients asked, and the answers). */
export function accessLogger(): { log: pino.Logger; lines: AccessLine[] } {
  const lines: AccessLine[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) {
        if (!line) continue;
        const j = JSON.parse(line);
        if (j.path && j.method) lines.push({ method: j.method, path: j.path, status: j.status });
      }
      cb();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}
