// Configuration: defaults, the optional file, and a clear error naming each bad setting.
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, externalConnectionName, loadConfig } from '../../src/config.js';

const dir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'hoard-config-'));
  chmodSync(d, 0o755); // as `mkdir` leaves it
  return d;
};

describe('loadConfig', () => {
  it('has working defaults and generates keys once with mode 0600', () => {
    const d = dir();
    const c = loadConfig({ HOARD_DATA_DIR: d });
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8080, publicUrl: 'http://127.0.0.1:8080', region: 'us-east-1', databaseUrl: null, s3: null, pgliteSharedBuffers: '32MB' });
    expect(c.masterKey).toHaveLength(32);
    expect(statSync(path.join(d, 'master.key')).mode & 0o777).toBe(0o600);
    expect(statSync(d).mode & 0o777).toBe(0o700); // the data folder is private (an existing one tightened)
    const again = loadConfig({ HOARD_DATA_DIR: d });
    expect(again.masterKey.equals(c.masterKey)).toBe(true);
    expect(again.tokenSigningKey.equals(c.tokenSigningKey)).toBe(true);
    expect(readFileSync(path.join(d, 'token-signing.key'), 'utf8').trim()).toBe(c.tokenSigningKey.toString('base64'));
  });

  it('reads S3, external connections and a config file (the environment wins)', () => {
    const d = dir();
    const file = path.join(d, 'hoard.json');
    writeFileSync(file, JSON.stringify({ HOARD_PORT: 9000, HOARD_REGION: 'eu-west-1', S3_BUCKET: 'from-file' }));
    const c = loadConfig({
      HOARD_DATA_DIR: d,
      HOARD_CONFIG_FILE: file,
      HOARD_PORT: '9100',
      S3_ENDPOINT: 'http://127.0.0.1:9999',
      S3_ACCESS_KEY: 'k',
      S3_SECRET_KEY: 's',
      HOARD_EXTERNAL_NPMJS_URL: 'http://127.0.0.1:4873/',
      HOARD_EXTERNAL_MAVEN_CENTRAL_URL: 'http://127.0.0.1:4874',
    });
    expect(c.port).toBe(9100);
    expect(c.region).toBe('eu-west-1');
    expect(c.s3).toEqual({
      endpoint: 'http://127.0.0.1:9999',
      bucket: 'from-file',
      accessKey: 'k',
      secretKey: 's',
      region: 'us-east-1',
      timeouts: { connectTimeoutMs: 5000, idleTimeoutMs: 30000 },
      downloads: 'proxy', // downloads stream through Hoard unless HOARD_S3_DOWNLOADS=redirect
      presignSeconds: 300,
      publicEndpoint: 'http://127.0.0.1:9999',
    });
    expect(c.externalUrls).toEqual({ 'public:npmjs': 'http://127.0.0.1:4873', 'public:maven-central': 'http://127.0.0.1:4874' });
    expect(externalConnectionName('MAVEN_GRADLEPLUGINS')).toBe('public:maven-gradleplugins');
  });

  it.each([
    [{ HOARD_PORT: '-1' }, 'HOARD_PORT'],
    [{ HOARD_MAX_UPLOAD_BYTES: '12abc' }, 'HOARD_MAX_UPLOAD_BYTES'],
    [{ HOARD_LOG_LEVEL: 'loud' }, 'HOARD_LOG_LEVEL'],
    [{ HOARD_TOKEN_SIGNING_KEY: 'abcd' }, 'HOARD_TOKEN_SIGNING_KEY'],
    [{ HOARD_TOKEN_PREVIOUS_KEYS: 'ok,,bad' }, 'HOARD_TOKEN_PREVIOUS_KEYS'],
    [{ S3_ENDPOINT: 'http://127.0.0.1:1', S3_BUCKET: 'Bad_Bucket', S3_ACCESS_KEY: 'a', S3_SECRET_KEY: 'b' }, 'S3_BUCKET'],
    [{ HOARD_CONFIG_FILE: '/nonexistent/hoard.json' }, 'HOARD_CONFIG_FILE'],
    [{ HOARD_ROOT_SECRET_ACCESS_KEY: 'short', HOARD_ROOT_ACCESS_KEY_ID: 'AKIAABCDEFGHIJKLMNOP' }, 'HOARD_ROOT_SECRET_ACCESS_KEY'],
    [{ HOARD_METRICS_TOKEN: 'short' }, 'HOARD_METRICS_TOKEN'],
    [{ HOARD_METRICS_TOKEN: 'has a space in it, so no' }, 'HOARD_METRICS_TOKEN'],
    [{ HOARD_BODY_IDLE_TIMEOUT_MS: '0' }, 'HOARD_BODY_IDLE_TIMEOUT_MS'],
    [{ HOARD_PGLITE_SHARED_BUFFERS: 'lots' }, 'HOARD_PGLITE_SHARED_BUFFERS'],
    [{ HOARD_PGLITE_SHARED_BUFFERS: '32 MB' }, 'HOARD_PGLITE_SHARED_BUFFERS'],
    [{ S3_ENDPOINT: 'http://127.0.0.1:1', S3_BUCKET: 'b-1', S3_ACCESS_KEY: 'a', S3_SECRET_KEY: 'b', HOARD_S3_IDLE_TIMEOUT_MS: 'soon' }, 'HOARD_S3_IDLE_TIMEOUT_MS'],
  ])('refuses %j naming %s', (env, name) => {
    expect(() => loadConfig({ HOARD_DATA_DIR: dir(), ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ HOARD_DATA_DIR: dir(), ...env })).toThrow(new RegExp(`^${name}`));
  });

  it('reads the webhook settings: defaults, a retry schedule with units, and what each bad value gets', () => {
    const d = dir();
    expect(loadConfig({ HOARD_DATA_DIR: d }).webhooks).toEqual({
      enabled: true,
      allowPrivate: false,
      retryScheduleMs: [5e3, 30e3, 120e3, 300e3, 900e3, 1800e3, 3600e3, 7200e3, 14400e3, 21600e3, 36000e3],
      timeoutMs: 10_000,
      pollMs: 200,
      leaseMs: 60_000,
      concurrency: 32,
    });
    const c = loadConfig({ HOARD_DATA_DIR: d, HOARD_WEBHOOKS: 'off', HOARD_WEBHOOK_ALLOW_PRIVATE: 'true', HOARD_WEBHOOK_RETRY_SCHEDULE: '250ms, 0.5, 2s,1m,1h' });
    expect(c.webhooks).toMatchObject({ enabled: false, allowPrivate: true, retryScheduleMs: [250, 500, 2000, 60_000, 3_600_000] });
    const bad: [Record<string, string>, string][] = [
      [{ HOARD_WEBHOOK_RETRY_SCHEDULE: '5s,soon' }, 'HOARD_WEBHOOK_RETRY_SCHEDULE: "soon" is not a duration; give a comma-separated list such as 5s,30s,2m,1h'],
      [{ HOARD_WEBHOOK_RETRY_SCHEDULE: '25h' }, 'HOARD_WEBHOOK_RETRY_SCHEDULE: "25h" is longer than a day'],
      [{ HOARD_WEBHOOK_ALLOW_PRIVATE: 'yes' }, 'HOARD_WEBHOOK_ALLOW_PRIVATE: one of true, false; got yes'],
      [{ HOARD_WEBHOOKS: 'maybe' }, 'HOARD_WEBHOOKS: one of on, off; got maybe'],
      [{ HOARD_WEBHOOK_LEASE_S: '5' }, 'HOARD_WEBHOOK_LEASE_S: must be longer than HOARD_WEBHOOK_TIMEOUT_MS (10000 ms), or a slow delivery is sent twice'],
    ];
    for (const [env, message] of bad) expect(() => loadConfig({ HOARD_DATA_DIR: d, ...env })).toThrow(new ConfigError(message));
  });
});
