// Webhooks end to end against a real Hoard and a receiver on loopback that verifies every delivery
// with the standardwebhooks library: the API (and what each bad input gets), delivery of matching
// events only, retries through a receiver that answers 503 and then refuses connections, failed
// deliveries and redelivery, replay, test events, secret rotation with an overlap, and access.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import {
  CreateDomainCommand,
  CreateRepositoryCommand,
  PublishPackageVersionCommand,
  UpdatePackageVersionsStatusCommand,
} from '@aws-sdk/client-codeartifact';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { hoardApi } from '../support/hoard-api.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('webhooks', () => {
  let h: TestHoard;
  let api: ReturnType<typeof hoardApi>;
  const rx = new WebhookReceiver();
  const D = { domain: 'hooks' };
  const publish = (pkg: string, version: string, namespace = 'tools') => {
    const bytes = Buffer.from(`${pkg}@${version}`);
    return h.sdk().send(
      new PublishPackageVersionCommand({
        domain: 'hooks', repository: 'bin', format: 'generic', namespace, package: pkg, packageVersion: version,
        assetName: 'a.bin', assetContent: bytes, assetSHA256: sha256(bytes),
      }),
    );
  };
  const create = async (body: Record<string, unknown>) => {
    const r = await api('POST', '/hoard/v1/webhooks', D, body);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json as { webhook: { webhookId: string }; secret: string };
  };
  const deliveries = async (id: string, status?: string) =>
    (await api('GET', '/hoard/v1/webhook/deliveries', { ...D, 'webhook-id': id, status, 'max-results': '100' })).json.deliveries as any[];
  /** The delivery log once `n` deliveries have ended (the receiver may see one before its end is recorded). */
  const settled = async (id: string, n: number) => {
    for (let i = 0; ; i++) {
      const ds = await deliveries(id);
      if ((ds.length === n && ds.every((d) => d.status !== 'PENDING')) || i > 600) return ds;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    h = await startHoard({
      HOARD_WEBHOOK_ALLOW_PRIVATE: 'true',
      HOARD_WEBHOOK_RETRY_SCHEDULE: '0.2,0.5,1,1,1,1,1,1,1,1,1,1',
      HOARD_WEBHOOK_POLL_MS: '50',
      HOARD_WEBHOOK_TIMEOUT_MS: '2000',
      HOARD_WEBHOOK_LEASE_S: '5',
    });
    api = hoardApi(h);
    await rx.start();
    await h.sdk().send(new CreateDomainCommand({ domain: 'hooks' }));
    await h.sdk().send(new CreateRepositoryCommand({ domain: 'hooks', repository: 'bin' }));
  });
  afterAll(async () => {
    await h?.stop();
    await rx.stop();
  });

  it('creates (the secret shown once), describes, lists, updates and deletes a webhook', async () => {
    const c = await create({ url: rx.url, eventPattern: { detail: { packageName: ['nothing-matches'] } }, description: 'ci' });
    expect(c.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const id = c.webhook.webhookId;
    const d = await api('GET', '/hoard/v1/webhook', { ...D, 'webhook-id': id });
    expect(d.status).toBe(200);
    expect(d.json.webhook).toMatchObject({ webhookId: id, domainName: 'hooks', domainOwner: h.accountId, url: rx.url, enabled: true, description: 'ci' });
    expect(JSON.stringify(d.json)).not.toContain('whsec_');
    const l = await api('GET', '/hoard/v1/webhooks', D);
    expect(l.json.webhooks.map((w: any) => w.webhookId)).toContain(id);
    // Pages of one: every webhook once, in creation order.
    const more = await create({ url: rx.url, eventPattern: { detail: { packageName: ['nothing-matches'] } } });
    const paged: string[] = [];
    let token: string | undefined;
    do {
      const p = await api('GET', '/hoard/v1/webhooks', { ...D, 'max-results': '1', 'next-token': token });
      paged.push(...p.json.webhooks.map((w: any) => w.webhookId));
      token = p.json.nextToken;
    } while (token && paged.length < 5); // a page that repeats itself stops here
    expect(paged).toEqual([id, more.webhook.webhookId]);
    await api('DELETE', '/hoard/v1/webhook', { ...D, 'webhook-id': more.webhook.webhookId });
    const u = await api('PUT', '/hoard/v1/webhook', { ...D, 'webhook-id': id }, { enabled: false, eventPattern: '{"source":["aws.codeartifact"]}' });
    expect(u.json.webhook).toMatchObject({ enabled: false, eventPattern: '{"source":["aws.codeartifact"]}' });
    expect(u.json.secret).toBeUndefined();
    const del = await api('DELETE', '/hoard/v1/webhook', { ...D, 'webhook-id': id });
    expect(del.status).toBe(200);
    expect((await api('GET', '/hoard/v1/webhook', { ...D, 'webhook-id': id })).status).toBe(404);
  });

  it('answers bad input with a 400 ValidationException naming the fault (404 for unknown ones)', async () => {
    const cases: [string, Record<string, unknown>, number, string, RegExp][] = [
      ['no url', {}, 400, 'ValidationException', /Value null at 'url'/],
      ['not a URL', { url: 'not a url' }, 400, 'ValidationException', /'url' is not a URL/],
      ['ftp URL', { url: 'ftp://127.0.0.1/x' }, 400, 'ValidationException', /must start with https:\/\/ or http:\/\//],
      ['credentials in the URL', { url: 'http://u:p@127.0.0.1/x' }, 400, 'ValidationException', /must not carry credentials/],
      ['malformed pattern', { url: rx.url, eventPattern: '{"detail": {"packageFormat": "npm"}}' }, 400, 'ValidationException', /"detail.packageFormat" must be an array/],
      ['pattern not JSON', { url: rx.url, eventPattern: '{' }, 400, 'ValidationException', /not valid JSON/],
      ['unknown matcher', { url: rx.url, eventPattern: { source: [{ begins: 'a' }] } }, 400, 'ValidationException', /"begins", which is not a matcher/],
      ['enabled not boolean', { url: rx.url, enabled: 'yes' }, 400, 'ValidationException', /'enabled' must be true or false/],
    ];
    for (const [name, body, status, type, msg] of cases) {
      const r = await api('POST', '/hoard/v1/webhooks', D, body);
      expect([name, r.status, r.type], r.json.message).toEqual([name, status, type]);
      expect(r.json.message, name).toMatch(msg);
    }
    expect((await api('POST', '/hoard/v1/webhooks', { domain: 'nope' }, { url: rx.url })).status).toBe(404);
    const missing = await api('GET', '/hoard/v1/webhook', { ...D, 'webhook-id': '00000000-0000-0000-0000-000000000000' });
    expect([missing.status, missing.type]).toEqual([404, 'ResourceNotFoundException']);
    const badStatus = await api('GET', '/hoard/v1/webhook/deliveries', { ...D, 'webhook-id': '00000000-0000-0000-0000-000000000000', status: 'x' });
    expect(badStatus.status).toBe(404);
    const badSince = await api('POST', '/hoard/v1/webhook/replay', { ...D, 'webhook-id': 'x', since: 'yesterday' });
    expect([badSince.status, badSince.json.message]).toEqual([400, "'since' must be an ISO-8601 time (2026-01-31T12:00:00Z) or epoch seconds; got 'yesterday'."]);
  });

  it('delivers each matching event once, signed, and nothing to a subscription whose pattern does not match', async () => {
    const yes = await create({ url: rx.url, eventPattern: { detail: { packageName: [{ prefix: 'match-' }], operationType: ['Created'] } } });
    const no = await create({ url: `${rx.url}?no`, eventPattern: { detail: { packageFormat: ['npm'] } } });
    rx.secrets = [yes.secret, no.secret];
    await publish('match-one', '1.0.0');
    await publish('other', '1.0.0');
    await publish('match-two', '1.0.0');
    await rx.until('two deliveries', () => rx.all.length >= 2);
    const got = rx.all.filter((r) => r.event.detail?.packageName?.startsWith('match-'));
    expect(got.map((r) => r.event.detail.packageName)).toEqual(['match-one', 'match-two']); // in event order
    for (const r of got) {
      expect(r.verified).toBe(true);
      expect(r.id).toBe(r.event.id); // webhook-id is the event id
      expect(r.event).toMatchObject({ 'detail-type': 'CodeArtifact Package Version State Change', source: 'aws.codeartifact', account: h.accountId });
      expect(r.event.detail.sequenceNumber).toEqual(expect.any(Number));
      expect(new Webhook(yes.secret).verify(JSON.stringify(r.event), r.headers)).toEqual(r.event);
    }
    expect((await settled(yes.webhook.webhookId, 2)).map((d) => [d.status, d.attemptCount])).toEqual([['DELIVERED', 1], ['DELIVERED', 1]]);
    expect(await deliveries(no.webhook.webhookId)).toEqual([]);
    await api('DELETE', '/hoard/v1/webhook', { ...D, 'webhook-id': yes.webhook.webhookId });
    await api('DELETE', '/hoard/v1/webhook', { ...D, 'webhook-id': no.webhook.webhookId });
  });

  it('keeps each package\'s events in order, each once, while publishes arrive faster than the receiver answers', async () => {
    const w = await create({ url: rx.url, eventPattern: { detail: { packageName: [{ prefix: 'burst-' }] } } });
    rx.secrets = [w.secret];
    const before = rx.all.length;
    rx.delayMs = 15; // a run outlasts the dispatcher's tick: new deliveries join it or wait for the next claim
    try {
      let next = 0;
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next < 48) await publish(`burst-${next % 3}`, `1.0.${next++}`);
      }));
      await rx.until('48 deliveries', () => rx.all.length - before >= 48, 60_000);
    } finally {
      rx.delayMs = 0;
    }
    const got = rx.all.slice(before);
    expect(new Set(got.map((r) => r.id)).size).toBe(48);
    expect(got.every((r) => r.verified)).toBe(true);
    // Event order is commit order: one package's publishes commit one after the other (its row lock),
    // so their events arrive in sequence; concurrent publishes of different packages have no order
    // (on PostgreSQL a later sequence number can commit first).
    for (const pkg of ['burst-0', 'burst-1', 'burst-2']) {
      const seq = got.filter((r) => r.event.detail.packageName === pkg).map((r) => r.event.detail.sequenceNumber as number);
      expect(seq).toHaveLength(16);
      expect(seq).toEqual([...seq].sort((x, y) => x - y));
    }
    expect((await settled(w.webhook.webhookId, 48)).map((d) => d.attemptCount)).toEqual(Array(48).fill(1));
    await api('DELETE', '/hoard/v1/webhook', { ...D, 'webhook-id': w.webhook.webhookId });
  });

  it('retries through a receiver that answers 503 and then refuses connections: every event arrives once after dedupe, attempts listed', async () => {
    const w = await create({ url: rx.url, eventPattern: { detail: { packageName: [{ prefix: 'down-' }] } } });
    rx.secrets = [w.secret];
    const before = rx.all.length;
    rx.mode = '503';
    await publish('down-a', '1.0.0');
    await publish('down-b', '1.0.0');
    // Both were tried and refused with 503 before the receiver goes away entirely.
    for (;;) {
      const ds = await deliveries(w.webhook.webhookId);
      if (ds.length === 2 && ds.every((d) => d.attempts.some((a: any) => a.statusCode === 503))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const port = rx.port;
    await rx.stop();
    await publish('down-c', '1.0.0');
    for (;;) {
      const ds = await deliveries(w.webhook.webhookId);
      if (ds.length === 3 && ds.every((d) => d.attempts.some((a: any) => /connection refused/.test(a.error ?? '')))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    rx.mode = 'ok';
    await rx.start(port);
    await rx.until('three events', () => new Set(rx.all.slice(before).map((r) => r.event.detail.packageName)).size === 3);
    const mine = rx.all.slice(before).filter((r) => r.event.detail.packageName.startsWith('down-'));
    expect(mine.every((r) => r.verified)).toBe(true);
    const unique = new Map(mine.map((r) => [r.id, r.event.detail.packageName]));
    expect([...unique.values()].sort()).toEqual(['down-a', 'down-b', 'down-c']);
    const ds = await settled(w.webhook.webhookId, 3);
    expect(ds.map((d) => d.status)).toEqual(['DELIVERED', 'DELIVERED', 'DELIVERED']);
    for (const d of ds) {
      expect(d.attempts.length).toBeGreaterThan(1);
      expect(d.attempts.at(-1)).toMatchObject({ statusCode: 204 });
      expect(d.attempts[0]).toMatchObject({ durationMs: expect.any(Number), attemptedTime: expect.any(Number) });
    }
    const with503 = ds.flatMap((d) => d.attempts).find((a) => a.statusCode === 503);
    expect(with503).toMatchObject({ error: 'the receiver answered 503 Service Unavailable', responseExcerpt: 'receiver is busy' });
    await api('DELETE', '/hoard/v1/webhook', { ...D, 'webhook-id': w.webhook.webhookId });
  });

  it('marks a delivery failed after the last attempt, keeps it listed, and redelivers it on request', async () => {
    const dead = new WebhookReceiver();
    await dead.start();
    const port = dead.port;
    await dead.stop(); // nothing listens there
    const w = await create({ url: `http://127.0.0.1:${port}/hook`, eventPattern: { detail: { packageName: ['doomed'] } } });
    await publish('doomed', '1.0.0');
    let failed: any[] = [];
    for (let i = 0; i < 600 && !failed.length; i++) {
      failed = await deliveries(w.webhook.webhookId, 'FAILED');
      if (!failed.length) await new Promise((r) => setTimeout(r, 100));
    }
    expect(failed).toHaveLength(1);
    expect(failed[0].attempts).toHaveLength(13); // the first and one per step of the 12-step schedule
    expect(failed[0].attempts.every((a: any) => a.error === `connection refused by 127.0.0.1:${port}`)).toBe(true);
    dead.secrets = [w.secret];
    await dead.start(port);
    const r = await api('POST', '/hoard/v1/webhook/redeliver', { ...D, 'webhook-id': w.webhook.webhookId, 'delivery-id': failed[0].deliveryId });
    expect(r.status).toBe(200);
    expect(r.json.delivery).toMatchObject({ deliveryId: failed[0].deliveryId, status: 'PENDING' });
    await dead.until('the redelivery', () => dead.all.length === 1);
    expect(dead.all[0]).toMatchObject({ verified: true, id: failed[0].eventId });
    const [d] = await settled(w.webhook.webhookId, 1);
    expect([d.status, d.attempts.length]).toEqual(['DELIVERED', 14]);
    const unknown = await api('POST', '/hoard/v1/webhook/redeliver', { ...D, 'webhook-id': w.webhook.webhookId, 'delivery-id': '999999' });
    expect([unknown.status, unknown.type]).toEqual([404, 'ResourceNotFoundException']);
    await dead.stop();
    await api('DELETE', '/hoard/v1/webhook', { ...D, 'webhook-id': w.webhook.webhookId });
  });

  it('counts a receiver that does not answer within the timeout as a failure and retries it', async () => {
    const w = await create({ url: rx.url, eventPattern: { detail: { packageName: ['slow'] } } });
    rx.secrets = [w.secret];
    rx.mode = 'hang';
    await publish('slow', '1.0.0');
    await rx.until('the held request', () => rx.hanging > 0);
    let ds: any[] = [];
    for (let i = 0; i < 200 && !ds[0]?.attempts.length; i++) {
      ds = await deliveries(w.webhook.webhookId);
      if (!ds[0]?.attempts.length) await new Promise((r) => setTimeout(r, 100));
    }
    rx.mode = 'ok';
    expect(ds[0].attempts[0]).toMatchObject({ error: 'no complete answer within 2000 ms' });
    expect(ds[0].attempts[0].statusCode).toBeUndefined();
    const [d] = await settled(w.webhook.webhookId, 1);
    expect(d.status).toBe('DELIVERED');
    await api('DELETE', '/hoard/v1/webhook', { ...D, 'webhook-id': w.webhook.webhookId });
  });

  it('does not deliver events from before a subscription existed, replays them on request, and sends test events', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    await publish('replayed', '1.0.0');
    await publish('replayed', '2.0.0');
    await h.sdk().send(new UpdatePackageVersionsStatusCommand({
      domain: 'hooks', repository: 'bin', format: 'generic', namespace: 'tools', package: 'replayed', versions: ['1.0.0'], targetStatus: 'Archived',
    }));
    await new Promise((r) => setTimeout(r, 300)); // the dispatcher has seen them (no subscription matched)
    const w = await create({ url: rx.url, eventPattern: { detail: { packageName: ['replayed'] } } });
    rx.secrets = [w.secret];
    const before = rx.all.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(await deliveries(w.webhook.webhookId)).toEqual([]);
    const r = await api('POST', '/hoard/v1/webhook/replay', { ...D, 'webhook-id': w.webhook.webhookId, since });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ deliveriesQueued: 3, truncated: false });
    await rx.until('three replayed', () => rx.all.length >= before + 3);
    const got = rx.all.slice(before);
    expect(got.map((g) => [g.event.detail.packageVersion, g.event.detail.packageVersionState])).toEqual([
      ['1.0.0', 'Published'], ['2.0.0', 'Published'], ['1.0.0', 'Archived'],
    ]);
    expect(got.every((g) => g.verified)).toBe(true);
    const t = await api('POST', '/hoard/v1/webhook/test', { ...D, 'webhook-id': w.webhook.webhookId });
    expect(t.json.delivery).toMatchObject({ kind: 'test', status: 'PENDING' });
    await rx.until('the test event', () => rx.all.some((g) => g.event['detail-type'] === 'Hoard Webhook Test'));
    const test = rx.all.find((g) => g.event['detail-type'] === 'Hoard Webhook Test')!;
    expect(test).toMatchObject({ verified: true, id: t.json.delivery.eventId, event: { source: 'hoard', detail: { webhookId: w.webhook.webhookId, domainName: 'hooks' } } });
    await api('DELETE', '/hoard/v1/webhook', { ...D, 'webhook-id': w.webhook.webhookId });
  });

  it('rotates the secret: during the overlap every delivery verifies with the old and the new secret', async () => {
    const w = await create({ url: rx.url, eventPattern: { detail: { packageName: ['rotated'] } } });
    const u = await api('PUT', '/hoard/v1/webhook', { ...D, 'webhook-id': w.webhook.webhookId }, { rotateSecret: true, secretOverlapSeconds: 3600 });
    expect(u.json.secret).toMatch(/^whsec_/);
    expect(u.json.secret).not.toBe(w.secret);
    expect(u.json.webhook.previousSecretExpiresTime).toBeGreaterThan(Date.now() / 1000 + 3500);
    rx.secrets = [u.json.secret];
    const before = rx.all.length;
    await publish('rotated', '1.0.0');
    await rx.until('the rotated delivery', () => rx.all.length > before);
    const got = rx.all[before];
    expect(got.verified).toBe(true);
    const body = JSON.stringify(got.event);
    expect(new Webhook(w.secret).verify(body, got.headers)).toEqual(got.event);
    expect(new Webhook(u.json.secret).verify(body, got.headers)).toEqual(got.event);
    expect(got.headers['webhook-signature'].split(' ')).toHaveLength(2);
    // Ending the overlap now: only the new secret signs.
    await api('PUT', '/hoard/v1/webhook', { ...D, 'webhook-id': w.webhook.webhookId }, { rotateSecret: true, secretOverlapSeconds: 0 });
    await api('DELETE', '/hoard/v1/webhook', { ...D, 'webhook-id': w.webhook.webhookId });
  });

  it('authorizes with hoard: actions on the domain ARN: a user needs a grant, root is allowed', async () => {
    await api('POST', '/admin/v1/users', { userName: 'hooker' }, {});
    const key = (await api('POST', '/admin/v1/access-keys', { userName: 'hooker' }, {})).json.accessKey;
    const creds = { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
    const denied = await api('GET', '/hoard/v1/webhooks', D, undefined, creds);
    expect([denied.status, denied.type]).toEqual([403, 'AccessDeniedException']);
    expect(denied.json.message).toMatch(/not authorized to perform: hoard:ListWebhooks on resource: arn:aws:codeartifact:us-east-1:\d{12}:domain\/hooks/);
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['hoard:ListWebhooks'], Resource: `arn:aws:codeartifact:us-east-1:${h.accountId}:domain/hooks` }],
    };
    expect((await api('PUT', '/admin/v1/user-policy', { userName: 'hooker' }, { policyDocument: JSON.stringify(policy) })).status).toBe(200);
    expect((await api('GET', '/hoard/v1/webhooks', D, undefined, creds)).status).toBe(200);
    const create403 = await api('POST', '/hoard/v1/webhooks', D, { url: rx.url }, creds);
    expect([create403.status, create403.type]).toEqual([403, 'AccessDeniedException']);
    expect(create403.json.message).toMatch(/hoard:CreateWebhook/);
    const unsigned = await fetch(`${h.url}/hoard/v1/webhooks?domain=hooks`);
    expect(unsigned.status).toBe(403);
  });

  it('GET-only traffic writes no events', async () => {
    const count = async () => (await h.server.services.db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM event')).rows[0].n;
    const before = await count();
    await api('GET', '/hoard/v1/webhooks', D);
    const { DescribeDomainCommand, ListPackagesCommand, ListPackageVersionsCommand, GetPackageVersionAssetCommand } = await import('@aws-sdk/client-codeartifact');
    await h.sdk().send(new DescribeDomainCommand(D));
    await h.sdk().send(new ListPackagesCommand({ ...D, repository: 'bin' }));
    const g = { ...D, repository: 'bin', format: 'generic' as const, namespace: 'tools', package: 'replayed' };
    await h.sdk().send(new ListPackageVersionsCommand(g));
    const a = await h.sdk().send(new GetPackageVersionAssetCommand({ ...g, packageVersion: '2.0.0', asset: 'a.bin' }));
    await a.asset!.transformToByteArray();
    expect(await count()).toBe(before);
  });

  it('reports deliveries by outcome, attempts, queue depth and the oldest undelivered age in /metrics', async () => {
    await new Promise((r) => setTimeout(r, 2500)); // the backlog gauges are refreshed every 2 s
    const text = await (await fetch(`${h.url}/metrics`)).text();
    const value = (name: string) => Number(text.split('\n').find((l) => l.startsWith(`${name} `))?.slice(name.length + 1));
    expect(value('hoard_webhook_deliveries_total{outcome="delivered"}')).toBeGreaterThanOrEqual(10);
    expect(value('hoard_webhook_deliveries_total{outcome="failed"}')).toBe(1);
    expect(value('hoard_webhook_attempts_total{outcome="2xx"}')).toBeGreaterThanOrEqual(10);
    expect(value('hoard_webhook_attempts_total{outcome="5xx"}')).toBeGreaterThanOrEqual(2);
    expect(value('hoard_webhook_attempts_total{outcome="refused"}')).toBeGreaterThanOrEqual(13);
    expect(value('hoard_webhook_queue_depth')).toBe(0);
    expect(value('hoard_webhook_oldest_undelivered_seconds')).toBe(0);
    expect(text).toMatch(/^hoard_webhook_attempt_duration_seconds_count \d+$/m);
  });

  it('refuses loopback targets without HOARD_WEBHOOK_ALLOW_PRIVATE: at creation, and at delivery for targets created while allowed', async () => {
    const w = await create({ url: rx.url, eventPattern: { detail: { packageName: ['private'] } } });
    // A name is checked on the address it resolves to for each connection (the custom lookup).
    const byName = await create({ url: rx.url.replace('127.0.0.1', 'localhost'), eventPattern: { detail: { packageName: ['private'] } } });
    h.env.HOARD_WEBHOOK_ALLOW_PRIVATE = 'false';
    await h.restart();
    for (const url of ['http://127.0.0.1:9/x', 'http://localhost:9/x', 'http://[::1]:9/x', 'http://169.254.169.254/latest/meta-data/', 'http://10.1.2.3/x', 'http://[::ffff:127.0.0.1]/x']) {
      const r = await api('POST', '/hoard/v1/webhooks', D, { url });
      expect([url, r.status, r.type]).toEqual([url, 400, 'ValidationException']);
      expect(r.json.message).toMatch(/^'url' is not allowed: refused to connect to \S+ .*a (loopback|linkLocal|private) address\. Hoard delivers webhooks only to public addresses unless HOARD_WEBHOOK_ALLOW_PRIVATE=true\.$/);
    }
    const before = rx.all.length;
    await publish('private', '1.0.0');
    let ds: any[] = [];
    for (let i = 0; i < 200; i++) {
      ds = await deliveries(w.webhook.webhookId);
      if (ds[0]?.attempts.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(ds[0].attempts[0].error).toBe(
      'refused to connect to 127.0.0.1: a loopback address. Hoard delivers webhooks only to public addresses unless HOARD_WEBHOOK_ALLOW_PRIVATE=true.',
    );
    let named: any[] = [];
    for (let i = 0; i < 200; i++) {
      named = await deliveries(byName.webhook.webhookId);
      if (named[0]?.attempts.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(named[0].attempts[0].error).toMatch(
      /^refused to connect to (127\.0\.0\.1|::1) \(localhost resolves to it\): a loopback address\. Hoard delivers webhooks only to public addresses unless HOARD_WEBHOOK_ALLOW_PRIVATE=true\.$/,
    );
    expect(rx.all.length).toBe(before);
  });
});
