// Every setting, read once from the environment (and an optional JSON file named by
// HOARD_CONFIG_FILE, whose keys are the same variable names; the environment wins).
// A bad setting is a ConfigError naming the variable; `hoard serve` prints it and exits 2.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync, statSync } from 'node:fs';
import path from 'node:path';

export class ConfigError extends Error {}

export interface S3Config {
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  region: string;
  /** Connect and idle timeouts of every S3 call (HOARD_S3_CONNECT_TIMEOUT_MS, HOARD_S3_IDLE_TIMEOUT_MS). */
  timeouts: { connectTimeoutMs: number; idleTimeoutMs: number };
  /** HOARD_S3_DOWNLOADS: 'proxy' streams reads through Hoard; 'redirect' answers them 307 to a presigned URL. */
  downloads: 'proxy' | 'redirect';
  /** HOARD_S3_PRESIGN_SECONDS: how long a presigned download URL stays valid. */
  presignSeconds: number;
  /** HOARD_S3_PUBLIC_ENDPOINT: S3 as clients reach it, named in presigned URLs (default: endpoint). */
  publicEndpoint: string;
}

export interface Config {
  host: string;
  port: number;
  publicUrl: string; // no trailing slash
  dataDir: string;
  region: string;
  databaseUrl: string | null; // null: embedded PGlite in dataDir
  /** shared_buffers of the embedded database (HOARD_PGLITE_SHARED_BUFFERS, default 32MB; PGlite's own is 128MB) */
  pgliteSharedBuffers: string;
  s3: S3Config | null; // null: blobs on disk in dataDir
  masterKey: Buffer; // 32 bytes, encrypts access-key secrets
  tokenSigningKey: Buffer; // current JWT signing key
  tokenVerifyKeys: Buffer[]; // previous keys still accepted (rotation without invalidating live tokens)
  root: { accountId?: string; accessKeyId?: string; secretAccessKey?: string };
  externalUrls: Record<string, string>; // 'public:npmjs' -> URL, from HOARD_EXTERNAL_<NAME>_URL
  externalAuth: Record<string, string>; // 'public:npmjs' -> Authorization header value, from HOARD_EXTERNAL_<NAME>_AUTH
  externalOrigins: Record<string, string[]>; // 'public:pypi' -> other origins its documents may point files at, from HOARD_EXTERNAL_<NAME>_ORIGINS
  upstreamMetadataTtlMs: number; // how long an upstream document is served before it is revalidated
  upstreamNegativeTtlMs: number; // how long an upstream 404 is remembered
  upstreamConnectTimeoutMs: number;
  upstreamTimeoutMs: number; // for an upstream's response headers, and each gap in its body
  upstreamOfflineMs: number; // after 3 failures in a row an upstream is not asked for this long
  maxBodyBytes: number; // JSON/control-plane bodies
  maxUploadBytes: number; // package uploads (npm publish body, wheels, jars, generic assets)
  maxUnpackedBytes: number; // how far one uploaded archive may inflate while it is inspected
  logLevel: string;
  shutdownGraceMs: number;
  blobGcIntervalMs: number; // how often unreferenced blobs are collected; 0 = never
  blobGcGraceMs: number; // a blob written or referenced more recently than this is never collected
  tempSweepIntervalMs: number; // how often temporaries of interrupted uploads are removed (also once at start); 0 = never
  tempGraceMs: number; // a temporary written more recently than this is never removed (an upload may still be running)
  startupWaitMs: number; // how long start-up waits for the database and blob store to accept connections
  dbConnectTimeoutMs: number; // one Postgres connection attempt (or wait for a pooled connection)
  bodyIdleTimeoutMs: number; // a request body that sends nothing for this long is answered 408 and cut
  metricsToken: string | null; // when set, /metrics needs `Authorization: Bearer <token>`
  audit: boolean; // HOARD_AUDIT=off stops recording the audit trail
  auditRetentionDays: number; // audit rows older than this are pruned
  auditPruneIntervalMs: number; // how often old audit rows are pruned; 0 = never
  auditFlushMs: number; // longest an audit row waits in the buffer before its batch is written
  webhooks: WebhookConfig;
}

export interface WebhookConfig {
  /** false: this replica runs no dispatcher or delivery workers (the API still works) */
  enabled: boolean;
  /** deliver to loopback, private and link-local addresses too (tests, trusted networks) */
  allowPrivate: boolean;
  /** waits before each retry, in ms; after the last, a delivery is failed */
  retryScheduleMs: number[];
  timeoutMs: number;
  /** how often the dispatcher reads the outbox and workers look for due deliveries */
  pollMs: number;
  /** a claimed delivery whose replica died is claimed again after this */
  leaseMs: number;
  /** webhooks delivered to at once per replica (each gets one delivery at a time) */
  concurrency: number;
}

type Env = Record<string, string | undefined>;

const ACCOUNT_ID = /^[0-9]{12}$/;
const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;

export function loadConfig(env: Env = process.env): Config {
  const e = mergeConfigFile(env);
  const host = e.HOARD_HOST ?? '127.0.0.1';
  const port = int(e, 'HOARD_PORT', 8080, 0, 65535);
  const publicUrl = stripSlash(e.HOARD_PUBLIC_URL ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`);
  if (e.HOARD_PUBLIC_URL !== undefined) {
    let u: URL;
    try {
      u = new URL(e.HOARD_PUBLIC_URL);
    } catch {
      throw new ConfigError(`HOARD_PUBLIC_URL: not a URL: ${e.HOARD_PUBLIC_URL}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new ConfigError('HOARD_PUBLIC_URL: must start with http:// or https://');
    if (u.search || u.hash) throw new ConfigError('HOARD_PUBLIC_URL: must not have a query or fragment');
  }
  const dataDir = path.resolve(e.HOARD_DATA_DIR ?? './data');
  const region = e.HOARD_REGION ?? 'us-east-1';
  if (!/^[a-z]{2}(-[a-z]+)+-[0-9]+$/.test(region))
    throw new ConfigError(`HOARD_REGION: not a region name like us-east-1: ${region}`);

  const pgliteSharedBuffers = e.HOARD_PGLITE_SHARED_BUFFERS ?? '32MB';
  if (!/^[1-9][0-9]{0,5}(kB|MB|GB)$/.test(pgliteSharedBuffers))
    throw new ConfigError(`HOARD_PGLITE_SHARED_BUFFERS: a size such as 32MB (kB, MB or GB): ${pgliteSharedBuffers}`);
  const databaseUrl = e.DATABASE_URL || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl))
    throw new ConfigError('DATABASE_URL: must be a postgres:// or postgresql:// URL');

  const s3 = loadS3(e);
  if (s3?.downloads === 'redirect' && sameHost(s3.publicEndpoint, publicUrl))
    throw new ConfigError(
      `HOARD_S3_PUBLIC_ENDPOINT: with HOARD_S3_DOWNLOADS=redirect clients must reach S3 under another host name than Hoard's (${new URL(publicUrl).hostname}): npm sends its token along a redirect to another port of the same host, which S3 refuses and must never see; set HOARD_S3_PUBLIC_ENDPOINT to S3 as clients reach it`,
    );
  // The data folder holds the embedded database, disk blobs and generated keys: whenever one of
  // them is there, the folder is made private before anything is written into it.
  if (!databaseUrl || !s3 || !e.HOARD_MASTER_KEY || !e.HOARD_TOKEN_SIGNING_KEY) makePrivateDir(dataDir);
  const root = {
    accountId: e.HOARD_ROOT_ACCOUNT_ID,
    accessKeyId: e.HOARD_ROOT_ACCESS_KEY_ID,
    secretAccessKey: e.HOARD_ROOT_SECRET_ACCESS_KEY,
  };
  if (root.accountId !== undefined && !ACCOUNT_ID.test(root.accountId))
    throw new ConfigError('HOARD_ROOT_ACCOUNT_ID: must be exactly 12 digits');
  if ((root.accessKeyId === undefined) !== (root.secretAccessKey === undefined))
    throw new ConfigError('HOARD_ROOT_ACCESS_KEY_ID: set it together with HOARD_ROOT_SECRET_ACCESS_KEY, or neither');
  if (root.accessKeyId !== undefined && !ACCESS_KEY_ID.test(root.accessKeyId))
    throw new ConfigError('HOARD_ROOT_ACCESS_KEY_ID: 16-128 upper-case letters and digits');
  if (root.secretAccessKey !== undefined && root.secretAccessKey.length < 16)
    throw new ConfigError('HOARD_ROOT_SECRET_ACCESS_KEY: at least 16 characters');

  const externalUrls: Record<string, string> = {};
  for (const [k, v] of Object.entries(e)) {
    const m = /^HOARD_EXTERNAL_([A-Z0-9_]+)_URL$/.exec(k);
    if (!m || !v) continue;
    try {
      new URL(v);
    } catch {
      throw new ConfigError(`${k}: not a URL: ${v}`);
    }
    externalUrls[externalConnectionName(m[1])] = stripSlash(v);
  }
  const externalAuth: Record<string, string> = {};
  for (const [k, v] of Object.entries(e)) {
    const m = /^HOARD_EXTERNAL_([A-Z0-9_]+)_AUTH$/.exec(k);
    if (!m || !v) continue;
    // "Bearer <token>" / "Basic <base64>" as given; "user:password" becomes Basic.
    externalAuth[externalConnectionName(m[1])] = /^[A-Za-z]+ \S/.test(v) ? v : `Basic ${Buffer.from(v).toString('base64')}`;
  }
  const externalOrigins: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(e)) {
    const m = /^HOARD_EXTERNAL_([A-Z0-9_]+)_ORIGINS$/.exec(k);
    if (!m || !v) continue;
    externalOrigins[externalConnectionName(m[1])] = v
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)
      .map((x) => {
        let u: URL;
        try {
          u = new URL(x);
        } catch {
          throw new ConfigError(`${k}: not a URL: ${x}`);
        }
        if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.pathname !== '/' || u.search || u.username)
          throw new ConfigError(`${k}: give origins only (scheme://host[:port], comma-separated), not ${x}`);
        return u.origin;
      });
  }

  return {
    host,
    port,
    publicUrl,
    dataDir,
    region,
    databaseUrl,
    pgliteSharedBuffers,
    s3,
    masterKey: key(e, 'HOARD_MASTER_KEY', dataDir, 'master.key'),
    tokenSigningKey: key(e, 'HOARD_TOKEN_SIGNING_KEY', dataDir, 'token-signing.key'),
    tokenVerifyKeys: (e.HOARD_TOKEN_PREVIOUS_KEYS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => decodeKey('HOARD_TOKEN_PREVIOUS_KEYS', s)),
    root,
    externalUrls,
    externalAuth,
    externalOrigins,
    upstreamMetadataTtlMs: int(e, 'HOARD_UPSTREAM_METADATA_TTL_S', 300, 0, 30 * 24 * 3600) * 1000,
    upstreamNegativeTtlMs: int(e, 'HOARD_UPSTREAM_NEGATIVE_TTL_S', 60, 0, 24 * 3600) * 1000,
    upstreamConnectTimeoutMs: int(e, 'HOARD_UPSTREAM_CONNECT_TIMEOUT_MS', 5_000, 100, 120_000),
    upstreamTimeoutMs: int(e, 'HOARD_UPSTREAM_TIMEOUT_MS', 30_000, 100, 600_000),
    upstreamOfflineMs: int(e, 'HOARD_UPSTREAM_OFFLINE_S', 10, 0, 3600) * 1000,
    maxBodyBytes: int(e, 'HOARD_MAX_BODY_BYTES', 1024 * 1024, 1024, 2 ** 31),
    maxUploadBytes: int(e, 'HOARD_MAX_UPLOAD_BYTES', 2 * 1024 ** 3, 1024, 5 * 1024 ** 3),
    maxUnpackedBytes: int(e, 'HOARD_MAX_UNPACKED_BYTES', 4 * 1024 ** 3, 1024, 64 * 1024 ** 3),
    logLevel: oneOf(e, 'HOARD_LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    shutdownGraceMs: int(e, 'HOARD_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    blobGcIntervalMs: int(e, 'HOARD_BLOB_GC_INTERVAL_MS', 10 * 60_000, 0, 7 * 24 * 3_600_000),
    blobGcGraceMs: int(e, 'HOARD_BLOB_GC_GRACE_MS', 3_600_000, 0, 30 * 24 * 3_600_000),
    tempSweepIntervalMs: int(e, 'HOARD_TEMP_SWEEP_INTERVAL_MS', 15 * 60_000, 0, 7 * 24 * 3_600_000),
    tempGraceMs: int(e, 'HOARD_TEMP_GRACE_MS', 3_600_000, 60_000, 30 * 24 * 3_600_000),
    startupWaitMs: int(e, 'HOARD_STARTUP_WAIT_MS', 60_000, 0, 3_600_000),
    dbConnectTimeoutMs: int(e, 'HOARD_DB_CONNECT_TIMEOUT_MS', 10_000, 100, 600_000),
    bodyIdleTimeoutMs: int(e, 'HOARD_BODY_IDLE_TIMEOUT_MS', 60_000, 100, 3_600_000),
    metricsToken: metricsToken(e),
    audit: oneOf(e, 'HOARD_AUDIT', ['on', 'off'], 'on') === 'on',
    auditRetentionDays: int(e, 'HOARD_AUDIT_RETENTION_DAYS', 90, 1, 36_500),
    auditPruneIntervalMs: int(e, 'HOARD_AUDIT_PRUNE_INTERVAL_MS', 3_600_000, 0, 7 * 24 * 3_600_000),
    auditFlushMs: int(e, 'HOARD_AUDIT_FLUSH_MS', 250, 10, 600_000),
    webhooks: webhookConfig(e),
  };
}

/** About a day of retries, the first within seconds (a receiver that blipped gets its event at once). */
const DEFAULT_RETRY_SCHEDULE = '5s,30s,2m,5m,15m,30m,1h,2h,4h,6h,10h';

function webhookConfig(e: Env): WebhookConfig {
  const timeoutMs = int(e, 'HOARD_WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000);
  const leaseMs = int(e, 'HOARD_WEBHOOK_LEASE_S', 60, 1, 3600) * 1000;
  if (leaseMs <= timeoutMs)
    throw new ConfigError(`HOARD_WEBHOOK_LEASE_S: must be longer than HOARD_WEBHOOK_TIMEOUT_MS (${timeoutMs} ms), or a slow delivery is sent twice`);
  return {
    enabled: oneOf(e, 'HOARD_WEBHOOKS', ['on', 'off'], 'on') === 'on',
    allowPrivate: oneOf(e, 'HOARD_WEBHOOK_ALLOW_PRIVATE', ['true', 'false'], 'false') === 'true',
    retryScheduleMs: durations('HOARD_WEBHOOK_RETRY_SCHEDULE', e.HOARD_WEBHOOK_RETRY_SCHEDULE || DEFAULT_RETRY_SCHEDULE),
    timeoutMs,
    pollMs: int(e, 'HOARD_WEBHOOK_POLL_MS', 200, 10, 60_000),
    leaseMs,
    concurrency: int(e, 'HOARD_WEBHOOK_CONCURRENCY', 32, 1, 1024),
  };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "5s,30s,2m,1h" (a bare number is seconds; decimals allowed) -> ms; at most 100 steps, each at most a day. */
function durations(name: string, v: string): number[] {
  const parts = v.split(',').map((x) => x.trim());
  if (parts.length > 100) throw new ConfigError(`${name}: at most 100 retries`);
  return parts.map((p) => {
    const unit = p.endsWith('ms') ? 'ms' : ['s', 'm', 'h'].includes(p.slice(-1)) ? p.slice(-1) : 's';
    const num = p.endsWith(unit) ? p.slice(0, p.length - unit.length) : p;
    const n = Number(num);
    if (!num || !Number.isFinite(n) || n < 0 || !/^[0-9.]+$/.test(num))
      throw new ConfigError(`${name}: "${p}" is not a duration; give a comma-separated list such as 5s,30s,2m,1h`);
    const ms = Math.round(n * UNIT_MS[unit]);
    if (ms > 86_400_000) throw new ConfigError(`${name}: "${p}" is longer than a day`);
    return ms;
  });
}

/** HOARD_EXTERNAL_NPMJS_URL -> public:npmjs, HOARD_EXTERNAL_MAVEN_CENTRAL_URL -> public:maven-central */
export function externalConnectionName(envPart: string): string {
  return `public:${envPart.toLowerCase().replace(/_/g, '-')}`;
}

function mergeConfigFile(env: Env): Env {
  const file = env.HOARD_CONFIG_FILE;
  if (!file) return env;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`HOARD_CONFIG_FILE: cannot read ${file} as JSON: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigError('HOARD_CONFIG_FILE: must hold a JSON object of VARIABLE: "value" pairs');
  const fromFile: Env = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'string' && typeof v !== 'number')
      throw new ConfigError(`HOARD_CONFIG_FILE: ${k} must be a string or number`);
    fromFile[k] = String(v);
  }
  return { ...fromFile, ...env };
}

function loadS3(e: Env): S3Config | null {
  const names = ['S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY', 'S3_SECRET_KEY'] as const;
  const set = names.filter((n) => e[n]);
  const downloads = oneOf(e, 'HOARD_S3_DOWNLOADS', ['proxy', 'redirect'], 'proxy');
  if (set.length === 0) {
    // Refused rather than ignored: an operator asking for redirects expects Hoard not to carry the bytes.
    if (downloads === 'redirect')
      throw new ConfigError('HOARD_S3_DOWNLOADS: redirect needs the S3 blob store (S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY, S3_SECRET_KEY); files on disk are always served by Hoard: unset it or set it to proxy');
    return null;
  }
  const missing = names.filter((n) => !e[n]);
  if (missing.length) throw new ConfigError(`${missing[0]}: required when ${set[0]} is set (S3 needs all of ${names.join(', ')})`);
  try {
    const u = new URL(e.S3_ENDPOINT!);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    throw new ConfigError(`S3_ENDPOINT: not an http(s) URL: ${e.S3_ENDPOINT}`);
  }
  const publicEndpoint = e.HOARD_S3_PUBLIC_ENDPOINT || e.S3_ENDPOINT!;
  try {
    const u = new URL(publicEndpoint);
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || (u.pathname !== '/' && u.pathname !== '') || u.search || u.username) throw new Error();
  } catch {
    throw new ConfigError(`HOARD_S3_PUBLIC_ENDPOINT: give the S3 endpoint as clients reach it, scheme://host[:port], not ${publicEndpoint}`);
  }
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(e.S3_BUCKET!))
    throw new ConfigError('S3_BUCKET: 3-63 lower-case letters, digits, dots and hyphens');
  return {
    endpoint: e.S3_ENDPOINT!,
    bucket: e.S3_BUCKET!,
    accessKey: e.S3_ACCESS_KEY!,
    secretKey: e.S3_SECRET_KEY!,
    region: e.S3_REGION || 'us-east-1',
    timeouts: {
      connectTimeoutMs: int(e, 'HOARD_S3_CONNECT_TIMEOUT_MS', 5_000, 100, 600_000),
      idleTimeoutMs: int(e, 'HOARD_S3_IDLE_TIMEOUT_MS', 30_000, 100, 3_600_000),
    },
    downloads,
    presignSeconds: int(e, 'HOARD_S3_PRESIGN_SECONDS', 300, 1, 7 * 24 * 3600),
    publicEndpoint,
  };
}

function metricsToken(e: Env): string | null {
  const v = e.HOARD_METRICS_TOKEN;
  if (v === undefined || v === '') return null;
  if (v.length < 16 || !/^[\x21-\x7e]+$/.test(v))
    throw new ConfigError('HOARD_METRICS_TOKEN: at least 16 visible ASCII characters, no spaces');
  return v;
}

/** A 32-byte key from the variable (base64 or hex), else from a file in the data folder, generated once with mode 0600. */
function key(e: Env, name: string, dataDir: string, file: string): Buffer {
  const v = e[name];
  if (v) return decodeKey(name, v);
  const p = path.join(dataDir, file);
  if (existsSync(p)) return decodeKey(`${name} (from ${p})`, readFileSync(p, 'utf8').trim());
  const k = randomBytes(32);
  try {
    writeFileSync(p, k.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process generated it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return decodeKey(name, readFileSync(p, 'utf8').trim());
    throw new ConfigError(`${name}: cannot write ${p}: ${(err as Error).message}`);
  }
  chmodSync(p, 0o600);
  return k;
}

/**
 * Makes `dir` private to this user, as PostgreSQL insists for its own data folder: created 0700,
 * or an existing folder tightened to 0700. Files Hoard writes inside are 0600 (and `hoard serve`
 * sets the umask to 0077 for what libraries write); files whose modes a library sets itself (PGlite
 * makes some 0666) are shielded by this closed folder.
 */
export function makePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    if (!st.isDirectory()) throw new Error('it is not a folder');
    if ((st.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
  } catch (err) {
    throw new ConfigError(`HOARD_DATA_DIR: cannot make ${dir} a private folder (mode 0700): ${(err as Error).message}`);
  }
}

function decodeKey(name: string, v: string): Buffer {
  const b = /^[0-9a-fA-F]{64}$/.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64');
  if (b.length !== 32) throw new ConfigError(`${name}: must be 32 bytes, as 64 hex digits or base64`);
  return b;
}

function int(e: Env, name: string, def: number, min: number, max: number): number {
  const v = e[name];
  if (v === undefined || v === '') return def;
  if (!/^[0-9]+$/.test(v)) throw new ConfigError(`${name}: not a whole number: ${v}`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(`${name}: must be between ${min} and ${max}, got ${n}`);
  return n;
}

function oneOf<T extends string>(e: Env, name: string, values: T[], def: T): T {
  const v = e[name];
  if (v === undefined || v === '') return def;
  if (!values.includes(v as T)) throw new ConfigError(`${name}: one of ${values.join(', ')}; got ${v}`);
  return v as T;
}

const sameHost = (a: string, b: string) => new URL(a).hostname.toLowerCase() === new URL(b).hostname.toLowerCase();

const stripSlash = (s: string) => s.replace(/\/+$/, '');
