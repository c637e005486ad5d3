// Webhook delivery across process death and replicas, with `hoard serve` as real processes: one
// killed with SIGKILL while a delivery is in flight (and events wait undispatched) loses nothing
// once restarted, and two processes on one Postgres deliver each event once between them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateDomainCommand, CreateRepositoryCommand, PublishPackageVersionCommand, type CodeartifactClient } from '@aws-sdk/client-codeartifact';
import { backend, backendStore } from '../support/hoard.js';
import { hoardApi } from '../support/hoard-api.js';
import { spawnHoard, type SpawnedHoard } from '../support/spawn-hoard.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const publish = (sdk: CodeartifactClient, pkg: string, version: string) => {
  const bytes = Buffer.from(`${pkg}@${version}`);
  return sdk.send(
    new PublishPackageVersionCommand({
      domain: 'rep', repository: 'bin', format: 'generic', namespace: 'ns', package: pkg, packageVersion: version,
      assetName: 'a.bin', assetContent: bytes, assetSHA256: createHash('sha256').update(bytes).digest('hex'),
    }),
  );
};

/** Environment for spawned servers sharing one store: the backend's, shared keys, fast webhook settings. */
async function sharedEnv(): Promise<{ env: Record<string, string>; drop: () => Promise<void> }> {
  const suffix = randomBytes(5).toString('hex');
  const env: Record<string, string> = {
    HOARD_ROOT_ACCESS_KEY_ID: `AKIAREPL${suffix.toUpperCase()}00`,
    HOARD_ROOT_SECRET_ACCESS_KEY: `secret-${randomBytes(16).toString('hex')}`,
    HOARD_MASTER_KEY: randomBytes(32).toString('base64'),
    HOARD_TOKEN_SIGNING_KEY: randomBytes(32).toString('base64'),
    HOARD_WEBHOOK_ALLOW_PRIVATE: 'true',
    HOARD_WEBHOOK_RETRY_SCHEDULE: '0.2,0.5,1,1,1,1,1,1,1,1',
    HOARD_WEBHOOK_POLL_MS: '50',
    HOARD_WEBHOOK_TIMEOUT_MS: '2000',
    HOARD_WEBHOOK_LEASE_S: '3',
  };
  const store = await backendStore(suffix);
  Object.assign(env, store.env);
  return { env, drop: store.drop };
}

async function setup(s: SpawnedHoard, rx: WebhookReceiver) {
  await s.sdk().send(new CreateDomainCommand({ domain: 'rep' }));
  await s.sdk().send(new CreateRepositoryCommand({ domain: 'rep', repository: 'bin' }));
  const r = await hoardApi(s)('POST', '/hoard/v1/webhooks', { domain: 'rep' }, { url: rx.url, eventPattern: { detail: { domainName: ['rep'] } } });
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  rx.secrets = [r.json.secret];
  return r.json.webhook.webhookId as string;
}

describe('webhook delivery across process death and replicas', () => {
  const rx = new WebhookReceiver();
  beforeAll(async () => {
    await rx.start();
  });
  afterAll(async () => rx.stop());

  it('a Hoard killed with SIGKILL mid-delivery and restarted loses nothing', async () => {
    const { env, drop } = await sharedEnv();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hoard-kill-'));
    let s = await spawnHoard({ dataDir, env });
    try {
      await setup(s, rx);
      rx.mode = 'hang'; // the first delivery is claimed and then held open
      const before = rx.all.length;
      for (let i = 0; i < 5; i++) await publish(s.sdk(), 'killed', `1.0.${i}`);
      await rx.until('a delivery in flight', () => rx.hanging > 0);
      const exited = new Promise((r) => s.child.once('exit', r));
      s.child.kill('SIGKILL');
      await exited;
      rx.mode = 'ok';
      s = await spawnHoard({ dataDir, env });
      for (let i = 5; i < 10; i++) await publish(s.sdk(), 'killed', `1.0.${i}`);
      const versions = () => new Set(rx.all.slice(before).map((r) => r.event.detail.packageVersion));
      await rx.until('all ten events', () => versions().size === 10, 90_000);
      const mine = rx.all.slice(before);
      expect(mine.every((r) => r.verified)).toBe(true);
      expect(new Set(mine.map((r) => r.id)).size).toBe(10); // after dedupe by webhook-id: each once
    } finally {
      await s.stop();
      rmSync(dataDir, { recursive: true, force: true });
      await drop();
    }
  }, 180_000);

  it.skipIf(!backend.pg)('two Hoard processes on one Postgres deliver each event once between them', async () => {
    const { env, drop } = await sharedEnv();
    const a = await spawnHoard({ env });
    const b = await spawnHoard({ env });
    try {
      const before = rx.all.length;
      const id = await setup(a, rx);
      const sdks = [a.sdk(), b.sdk()];
      for (let i = 0; i < 40; i++) await publish(sdks[i % 2], 'replicated', `2.0.${i}`);
      await rx.until('forty events', () => rx.all.length - before >= 40, 90_000);
      await new Promise((r) => setTimeout(r, 1000)); // a duplicate, if any, would arrive by now
      const mine = rx.all.slice(before);
      expect(mine).toHaveLength(40);
      expect(new Set(mine.map((r) => r.id)).size).toBe(40);
      expect(mine.every((r) => r.verified)).toBe(true);
      // Per subscription, in event order while the receiver is healthy.
      const seq = mine.map((r) => r.event.detail.sequenceNumber as number);
      expect(seq).toEqual([...seq].sort((x, y) => x - y));
      const log = await hoardApi(b)('GET', '/hoard/v1/webhook/deliveries', { domain: 'rep', 'webhook-id': id, 'max-results': '100' });
      expect(log.json.deliveries.map((d: any) => d.attemptCount)).toEqual(Array(40).fill(1));
    } finally {
      await a.stop();
      await b.stop();
      await drop();
    }
  }, 180_000);
});
