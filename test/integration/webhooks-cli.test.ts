// `hoard webhooks ...` (the built CLI) against a real Hoard: every subcommand with --json, the
// human output of create (the secret shown once) and deliveries, and what a bad input prints.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDomainCommand, CreateRepositoryCommand, PublishPackageVersionCommand } from '@aws-sdk/client-codeartifact';
import { cliEnv, startHoard, tempHome, type TestHoard } from '../support/hoard.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const run = promisify(execFile);

describe('hoard webhooks', () => {
  let h: TestHoard;
  let home: string;
  const rx = new WebhookReceiver();
  const hoard = async (args: string[]) => (await run('node', ['dist/main.js', 'webhooks', ...args], { env: cliEnv(h, home) })).stdout;
  const json = async (args: string[]) => JSON.parse(await hoard([...args, '--domain', 'cli-hooks', '--json']));

  beforeAll(async () => {
    h = await startHoard({ HOARD_WEBHOOK_ALLOW_PRIVATE: 'true', HOARD_WEBHOOK_POLL_MS: '50' });
    home = tempHome();
    await rx.start();
    await h.sdk().send(new CreateDomainCommand({ domain: 'cli-hooks' }));
    await h.sdk().send(new CreateRepositoryCommand({ domain: 'cli-hooks', repository: 'r1' }));
  });
  afterAll(async () => {
    await h?.stop();
    await rx.stop();
  });

  it('create, list, describe, update, test, deliveries, redeliver, replay, delete', async () => {
    const patternFile = path.join(home, 'pattern.json');
    writeFileSync(patternFile, JSON.stringify({ detail: { packageName: ['cli-pkg'] } }));
    const human = await hoard(['create', '--domain', 'cli-hooks', '--url', rx.url, '--event-pattern', `file://${patternFile}`, '--description', 'from the CLI']);
    expect(human).toMatch(/^Created webhook [0-9a-f-]{36} -> http:\/\/127\.0\.0\.1:\d+\/hook\nSigning secret \(shown only now; store it with the receiver\): whsec_\S+\n$/);
    const id = /Created webhook (\S+)/.exec(human)![1];
    rx.secrets = [/(whsec_\S+)/.exec(human)![1]];
    expect((await json(['list'])).webhooks.map((w: any) => w.webhookId)).toEqual([id]);
    expect((await json(['describe', '--webhook-id', id])).webhook).toMatchObject({ description: 'from the CLI', eventPattern: '{"detail":{"packageName":["cli-pkg"]}}' });
    const rotated = await json(['update', '--webhook-id', id, '--enabled', 'true', '--rotate-secret', '--secret-overlap-seconds', '60']);
    expect(rotated.secret).toMatch(/^whsec_/);
    rx.secrets.push(rotated.secret);
    const t = await json(['test', '--webhook-id', id]);
    expect(t.delivery.kind).toBe('test');
    const since = new Date().toISOString();
    const bytes = Buffer.from('x');
    await h.sdk().send(new PublishPackageVersionCommand({
      domain: 'cli-hooks', repository: 'r1', format: 'generic', namespace: 'n', package: 'cli-pkg', packageVersion: '1',
      assetName: 'x', assetContent: bytes, assetSHA256: createHash('sha256').update(bytes).digest('hex'),
    }));
    await rx.until('test and publish', () => rx.all.length >= 2);
    let ds: any[] = [];
    for (let i = 0; i < 100; i++) {
      ds = (await json(['deliveries', '--webhook-id', id])).deliveries;
      if (ds.length === 2 && ds.every((d) => d.status === 'DELIVERED')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(ds.map((d) => [d.kind, d.status])).toEqual([['event', 'DELIVERED'], ['test', 'DELIVERED']]);
    const text = await hoard(['deliveries', '--domain', 'cli-hooks', '--webhook-id', id, '--status', 'DELIVERED']);
    expect(text).toMatch(new RegExp(`^${ds[0].deliveryId}  DELIVERED event  event ${ds[0].eventId}  created \\S+\\n\\s+\\S+  204\\s+\\d+ ms  ok\\n`));
    expect((await json(['redeliver', '--webhook-id', id, '--delivery-id', ds[0].deliveryId])).delivery.status).toBe('PENDING');
    expect(await json(['replay', '--webhook-id', id, '--since', since])).toMatchObject({ deliveriesQueued: 1 });
    await rx.until('redelivery and replay', () => rx.all.length >= 4);
    expect(rx.all.every((r) => r.verified)).toBe(true);
    expect(new Set(rx.all.map((r) => r.id)).size).toBe(2); // the same event three times, plus the test event
    expect((await json(['delete', '--webhook-id', id])).webhook.webhookId).toBe(id);
    expect((await json(['list'])).webhooks).toEqual([]);
  });

  it('prints what a bad input gets and exits 1', async () => {
    const err = await hoard(['create', '--domain', 'cli-hooks', '--url', rx.url, '--event-pattern', '{"source": "x"}']).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/^hoard: ValidationException: Event pattern is not valid: "source" must be an array of values or matchers/);
    const missing = await hoard(['describe', '--domain', 'cli-hooks']).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(missing?.stderr).toBe('hoard: webhooks describe needs --webhook-id\n');
  });
});
