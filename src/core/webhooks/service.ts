// Webhook subscriptions and their delivery log, as Hoard's API offers them (api/ops/webhooks.ts
// authorizes; this validates and acts). A subscription is per domain: target URL, EventBridge
// pattern, enabled flag, and a secret Hoard generates (whsec_...), shown once at creation and at
// each rotation. A rotation keeps the previous secret signing for an overlap window, so receivers
// can switch without missing a delivery.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../../store/db.js';
import type { DomainRow } from '../../store/domains.js';
import { webhookStore, type AttemptRow, type DeliveryRow, type WebhookRow } from '../../store/webhooks.js';
import { notFound, quotaExceeded, validation } from '../../errors.js';
import { check } from '../names.js';
import { decodeToken, encodeToken } from '../pagination.js';
import { sealSecret } from '../secrets.js';
import { compilePattern } from './patterns.js';
import { checkTarget, parseTargetUrl } from './target.js';
import { envelopeOf, predicateFor } from './dispatcher.js';

export const MAX_WEBHOOKS_PER_DOMAIN = 100;
export const DEFAULT_PATTERN = '{"source":["aws.codeartifact"]}';
/** Longest overlap a rotation may keep the old secret valid: 7 days. */
export const MAX_OVERLAP_S = 7 * 24 * 3600;
const REPLAY_PAGE = 1000;
export const MAX_REPLAY_EVENTS = 100_000;

export interface WebhookInput {
  url?: string;
  eventPattern?: string;
  description?: string | null;
  enabled?: boolean;
}

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const STATES = { PENDING: 'pending', DELIVERED: 'delivered', FAILED: 'failed' } as const;

export class WebhookService {
  /** Set by server.ts: makes this replica's workers look for work now. */
  wake: () => void = () => {};

  constructor(
    private readonly db: Db,
    private readonly masterKey: Buffer,
    private readonly allowPrivate: () => boolean,
  ) {}

  private async validate(i: WebhookInput): Promise<void> {
    if (i.url !== undefined) await checkTarget(parseTargetUrl(i.url), this.allowPrivate());
    if (i.eventPattern !== undefined) compilePattern(i.eventPattern);
    if (i.description) check('description', 'description', i.description);
  }

  async create(d: DomainRow, i: WebhookInput) {
    if (i.url === undefined) throw validation("1 validation error detected: Value null at 'url' failed to satisfy constraint: Member must not be null");
    await this.validate(i);
    if ((await webhookStore.count(this.db, d.id)) >= MAX_WEBHOOKS_PER_DOMAIN)
      throw quotaExceeded(`Domain ${d.name} already has ${MAX_WEBHOOKS_PER_DOMAIN} webhooks, the most a domain may have.`);
    const secret = newSecret();
    const row = await webhookStore.insert(this.db, {
      id: randomUUID(),
      domain_id: d.id,
      url: i.url,
      event_pattern: i.eventPattern ?? DEFAULT_PATTERN,
      description: i.description ?? null,
      enabled: i.enabled ?? true,
      secret_sealed: sealSecret(this.masterKey, secret),
    });
    return { webhook: wire(d, row), secret };
  }

  async find(d: DomainRow, id: string): Promise<WebhookRow> {
    const row = /^[0-9a-f-]{36}$/.test(id) ? await webhookStore.get(this.db, d.id, id) : null;
    if (!row) throw notFound(`Webhook ${id} not found in domain ${d.name}.`);
    return row;
  }

  async describe(d: DomainRow, id: string) {
    return wire(d, await this.find(d, id));
  }

  async list(d: DomainRow, maxResults = 50, nextToken?: string) {
    const after = nextToken ? decodeToken<{ t: string; id: string }>(nextToken) : null;
    const rows = await webhookStore.list(this.db, d.id, after, maxResults + 1);
    const page = rows.slice(0, maxResults);
    const last = page[page.length - 1];
    return {
      webhooks: page.map((r) => wire(d, r)),
      nextToken: rows.length > maxResults ? encodeToken({ t: last.cursor, id: last.id }) : undefined,
    };
  }

  /** rotateSecret: a new secret, returned once; the old one keeps signing for overlapSeconds (default 24 h, 0 = stop now). */
  async update(d: DomainRow, id: string, i: WebhookInput & { rotateSecret?: boolean; overlapSeconds?: number }) {
    await this.find(d, id);
    await this.validate(i);
    const secret = i.rotateSecret ? newSecret() : undefined;
    const row = await webhookStore.update(this.db, id, {
      url: i.url,
      event_pattern: i.eventPattern,
      description: i.description,
      enabled: i.enabled,
      rotate: secret ? { sealed: sealSecret(this.masterKey, secret), overlapMs: (i.overlapSeconds ?? 86_400) * 1000 } : undefined,
    });
    return { webhook: wire(d, row), ...(secret ? { secret } : {}) };
  }

  async delete(d: DomainRow, id: string) {
    const row = await this.find(d, id);
    await webhookStore.delete(this.db, id);
    return wire(d, row);
  }

  async deliveries(d: DomainRow, id: string, o: { status?: string; maxResults?: number; nextToken?: string }) {
    await this.find(d, id);
    let state: string | null = null;
    if (o.status !== undefined) {
      if (!(o.status in STATES)) throw validation(`'status' must be one of ${Object.keys(STATES).join(', ')}; got '${o.status}'.`);
      state = STATES[o.status as keyof typeof STATES];
    }
    const max = o.maxResults ?? 50;
    const before = o.nextToken ? decodeToken<{ id: number }>(o.nextToken).id : null;
    if (before !== null && !Number.isInteger(before)) throw validation('The pagination token is not valid; pass the nextToken of the previous page unchanged.');
    const rows = await webhookStore.listDeliveries(this.db, id, state, before, max + 1);
    const page = rows.slice(0, max);
    const attempts = await webhookStore.attemptsOf(this.db, page.map((r) => r.id));
    return {
      deliveries: page.map((r) => wireDelivery(r, attempts.filter((a) => a.delivery_id === r.id))),
      nextToken: rows.length > max ? encodeToken({ id: page[page.length - 1].id }) : undefined,
    };
  }

  async redeliver(d: DomainRow, id: string, deliveryId: string) {
    await this.find(d, id);
    const n = /^[0-9]{1,15}$/.test(deliveryId) ? Number(deliveryId) : NaN;
    const row = Number.isNaN(n) ? null : await webhookStore.getDelivery(this.db, id, n);
    if (!row) throw notFound(`Delivery ${deliveryId} not found for webhook ${id}.`);
    await webhookStore.requeue(this.db, n);
    this.wake();
    const again = (await webhookStore.getDelivery(this.db, id, n))!;
    return wireDelivery(again, await webhookStore.attemptsOf(this.db, [n]));
  }

  /** Queues every event of the domain since `since` that the pattern matches (receivers dedupe by webhook-id). */
  async replay(d: DomainRow, id: string, since: Date) {
    const w = await this.find(d, id);
    const match = predicateFor(w.event_pattern);
    let after = 0;
    let scanned = 0;
    let queued = 0;
    for (;;) {
      const events = await webhookStore.eventsSince(this.db, d.id, since, after, REPLAY_PAGE);
      if (!events.length) break;
      after = events[events.length - 1].id;
      scanned += events.length;
      const rows = events.filter((e) => match(envelopeOf(e))).map((e) => ({ webhookId: id, eventId: e.id }));
      queued += (await webhookStore.insertDeliveries(this.db, rows, 'replay')).length;
      if (events.length < REPLAY_PAGE || scanned >= MAX_REPLAY_EVENTS) break;
    }
    this.wake();
    return { eventsScanned: scanned, deliveriesQueued: queued, truncated: scanned >= MAX_REPLAY_EVENTS };
  }

  /** A test event, sent whatever the pattern or enabled flag says. */
  async test(d: DomainRow, id: string, region: string) {
    const w = await this.find(d, id);
    const payload = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Hoard Webhook Test',
      source: 'hoard',
      account: d.owner,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: [],
      detail: { webhookId: w.id, domainName: d.name, domainOwner: d.owner, message: 'A test event sent by hoard webhooks test.' },
    };
    const deliveryId = await webhookStore.insertTest(this.db, id, payload);
    this.wake();
    return wireDelivery((await webhookStore.getDelivery(this.db, id, deliveryId))!, []);
  }
}

function wire(d: DomainRow, r: WebhookRow) {
  const overlap = r.previous_secret_until && r.previous_secret_until.getTime() > Date.now() ? r.previous_secret_until : undefined;
  return {
    webhookId: r.id,
    domainName: d.name,
    domainOwner: d.owner,
    url: r.url,
    eventPattern: r.event_pattern,
    description: r.description ?? undefined,
    enabled: r.enabled,
    createdTime: r.created_at,
    updatedTime: r.updated_at,
    previousSecretExpiresTime: overlap,
  };
}

function wireDelivery(r: DeliveryRow, attempts: AttemptRow[]) {
  return {
    deliveryId: String(r.id),
    webhookId: r.webhook_id,
    eventId: r.message_id,
    kind: r.kind,
    status: r.state.toUpperCase(),
    attemptCount: attempts.length,
    createdTime: r.created_at,
    completedTime: r.completed_at ?? undefined,
    nextAttemptTime: r.state === 'pending' ? r.next_attempt_at : undefined,
    attempts: attempts.map((a) => ({
      attemptedTime: a.attempted_at,
      durationMs: a.duration_ms,
      statusCode: a.status_code ?? undefined,
      error: a.error ?? undefined,
      responseExcerpt: a.response_excerpt ?? undefined,
    })),
  };
}
