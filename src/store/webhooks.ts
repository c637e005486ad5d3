// Queries of webhooks: subscriptions (webhook, which a replica claims under a lease to send to it),
// the dispatcher's read of the outbox (event), the delivery queue (webhook_delivery) and the
// attempt log (webhook_attempt).
import type { Queryable } from './db.js';

export interface WebhookRow {
  id: string;
  domain_id: number;
  url: string;
  event_pattern: string;
  description: string | null;
  enabled: boolean;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_until: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface OutboxEvent {
  id: number;
  domain_id: number;
  created_at: Date;
  payload: Record<string, unknown> & { id: string; detail: Record<string, unknown> };
}

export interface DeliveryRow {
  id: number;
  webhook_id: string;
  event_id: number | null;
  kind: 'event' | 'replay' | 'test';
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  created_at: Date;
  completed_at: Date | null;
  /** the envelope's id (webhook-id): from the event, or the test payload */
  message_id: string;
}

/** A subscription's target and secrets: what sending to it needs. */
export interface WebhookTarget {
  url: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_until: Date | null;
}

/**
 * A delivery of a claimed subscription with what sending it needs: a test event's own payload, or
 * the outbox row's (the caller adds the sequence number, core/events.ts deliverable); `attempts` is
 * the number of the attempt about to be made.
 */
export interface ClaimedDelivery extends DeliveryRow, WebhookTarget {
  payload: OutboxEvent['payload'] | null;
  event_payload: OutboxEvent['payload'] | null;
}

/** A delivery row to queue. */
export interface NewDelivery {
  webhookId: string;
  eventId: number;
}

export interface AttemptRow {
  delivery_id: number;
  attempted_at: Date;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_excerpt: string | null;
}

const WEBHOOK_COLS =
  'id, domain_id, url, event_pattern, description, enabled, secret_sealed, previous_secret_sealed, previous_secret_until, created_at, updated_at';
const DELIVERY_COLS = `d.id, d.webhook_id, d.event_id, d.kind, d.state, d.attempts, d.next_attempt_at, d.created_at, d.completed_at,
  COALESCE(d.payload->>'id', e.payload->>'id') AS message_id`;
const DISPATCH_LOCK = 0x686f6f6b; // 'hook'
const ms = (n: string) => `make_interval(secs => ${n}::float8 / 1000)`;

export const webhookStore = {
  async insert(q: Queryable, w: Pick<WebhookRow, 'id' | 'domain_id' | 'url' | 'event_pattern' | 'description' | 'enabled' | 'secret_sealed'>) {
    const r = await q.query<WebhookRow>(
      `INSERT INTO webhook (id, domain_id, url, event_pattern, description, enabled, secret_sealed)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${WEBHOOK_COLS}`,
      [w.id, w.domain_id, w.url, w.event_pattern, w.description, w.enabled, w.secret_sealed],
    );
    return r.rows[0];
  },

  async get(q: Queryable, domainId: number, id: string): Promise<WebhookRow | null> {
    const r = await q.query<WebhookRow>(`SELECT ${WEBHOOK_COLS} FROM webhook WHERE domain_id = $1 AND id = $2`, [domainId, id]);
    return r.rows[0] ?? null;
  },

  /** A page in creation order, after the (created_at, id) of the previous page's last. */
  async list(q: Queryable, domainId: number, after: { t: string; id: string } | null, limit: number): Promise<(WebhookRow & { cursor: string })[]> {
    // cursor: created_at as text, to the microsecond (a JS Date would round it and repeat a row)
    const r = await q.query<WebhookRow & { cursor: string }>(
      `SELECT ${WEBHOOK_COLS}, created_at::text AS cursor FROM webhook WHERE domain_id = $1
         AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::text))
       ORDER BY created_at, id LIMIT $4`,
      [domainId, after?.t ?? null, after?.id ?? '', limit],
    );
    return r.rows;
  },

  async count(q: Queryable, domainId: number): Promise<number> {
    const r = await q.query<{ n: number }>('SELECT count(*)::int8 AS n FROM webhook WHERE domain_id = $1', [domainId]);
    return r.rows[0].n;
  },

  /** Changes what is given; a rotation keeps the old secret signing until `previousUntilMs` from now. */
  async update(
    q: Queryable,
    id: string,
    f: { url?: string; event_pattern?: string; description?: string | null; enabled?: boolean; rotate?: { sealed: string; overlapMs: number } },
  ): Promise<WebhookRow> {
    const r = await q.query<WebhookRow>(
      `UPDATE webhook SET
         url = COALESCE($2, url),
         event_pattern = COALESCE($3, event_pattern),
         description = CASE WHEN $4::boolean THEN $5 ELSE description END,
         enabled = COALESCE($6, enabled),
         previous_secret_sealed = CASE WHEN $7::text IS NULL THEN previous_secret_sealed WHEN $8::float8 > 0 THEN secret_sealed ELSE NULL END,
         previous_secret_until = CASE WHEN $7::text IS NULL THEN previous_secret_until WHEN $8::float8 > 0 THEN now() + ${ms('$8')} ELSE NULL END,
         secret_sealed = COALESCE($7, secret_sealed),
         updated_at = now()
       WHERE id = $1 RETURNING ${WEBHOOK_COLS}`,
      [id, f.url ?? null, f.event_pattern ?? null, f.description !== undefined, f.description ?? null, f.enabled ?? null, f.rotate?.sealed ?? null, f.rotate?.overlapMs ?? 0],
    );
    return r.rows[0];
  },

  async delete(q: Queryable, id: string): Promise<void> {
    await q.query('DELETE FROM webhook WHERE id = $1', [id]);
  },

  // ------------------------------------------------------------ dispatcher

  /**
   * One dispatcher at a time across replicas (for this transaction): deliveries are then numbered
   * in event order, which is the order each subscription receives them in. Others skip the tick.
   */
  async tryDispatchLock(q: Queryable): Promise<boolean> {
    const r = await q.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [DISPATCH_LOCK]);
    return r.rows[0].ok;
  },

  /** The oldest undispatched outbox rows, locked so another replica's dispatcher skips them. */
  async claimEvents(q: Queryable, limit: number): Promise<OutboxEvent[]> {
    const r = await q.query<OutboxEvent>(
      `SELECT id, domain_id, created_at, payload FROM event WHERE dispatched_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    return r.rows;
  },

  async markDispatched(q: Queryable, ids: number[]): Promise<void> {
    await q.query('UPDATE event SET dispatched_at = now() WHERE id = ANY($1::int8[])', [ids]);
  },

  /** Enabled subscriptions of these domains (the dispatcher matches each event against them and may send at once). */
  async enabledIn(q: Queryable, domainIds: number[]): Promise<(Pick<WebhookRow, 'id' | 'domain_id' | 'event_pattern' | 'created_at'> & WebhookTarget)[]> {
    const r = await q.query<Pick<WebhookRow, 'id' | 'domain_id' | 'event_pattern' | 'created_at'> & WebhookTarget>(
      `SELECT id, domain_id, event_pattern, created_at, url, secret_sealed, previous_secret_sealed, previous_secret_until
         FROM webhook WHERE enabled AND domain_id = ANY($1::int8[])`,
      [domainIds],
    );
    return r.rows;
  },

  /**
   * Claims, for the dispatcher, those of these subscriptions that have no pending delivery at all
   * and no claim (so what it is queueing now is their oldest); returns their ids. `token` names the
   * claim (settle releases it).
   */
  async claimIdle(q: Queryable, webhookIds: string[], leaseMs: number, token: string): Promise<Set<string>> {
    if (!webhookIds.length) return new Set();
    const r = await q.query<{ id: string }>(
      `UPDATE webhook w SET claimed_until = now() + ${ms('$2')}, claim_token = $3
        WHERE w.id = ANY($1::text[]) AND (w.claimed_until IS NULL OR w.claimed_until <= now())
          AND NOT EXISTS (SELECT 1 FROM webhook_delivery d WHERE d.webhook_id = w.id AND d.state = 'pending')
        RETURNING w.id`,
      [webhookIds, leaseMs, token],
    );
    return new Set(r.rows.map((x) => x.id));
  },

  /** Queues deliveries, numbered in event order; returns the new rows (id order: the dispatcher sends those of subscriptions it claimed). */
  async insertDeliveries(q: Queryable, rows: NewDelivery[], kind: 'event' | 'replay'): Promise<Pick<DeliveryRow, 'id' | 'webhook_id' | 'event_id' | 'next_attempt_at' | 'created_at'>[]> {
    if (!rows.length) return [];
    const r = await q.query<Pick<DeliveryRow, 'id' | 'webhook_id' | 'event_id' | 'next_attempt_at' | 'created_at'>>(
      `INSERT INTO webhook_delivery (webhook_id, event_id, kind)
       SELECT w, e, $3 FROM unnest($1::text[], $2::int8[]) AS t(w, e) ORDER BY e
       RETURNING id, webhook_id, event_id, next_attempt_at, created_at`,
      [rows.map((x) => x.webhookId), rows.map((x) => x.eventId), kind],
    );
    return r.rows.sort((x, y) => Number(x.id) - Number(y.id));
  },

  async insertTest(q: Queryable, webhookId: string, payload: unknown): Promise<number> {
    const r = await q.query<{ id: number }>(
      `INSERT INTO webhook_delivery (webhook_id, payload, kind) VALUES ($1, $2::jsonb, 'test') RETURNING id`,
      [webhookId, JSON.stringify(payload)],
    );
    return r.rows[0].id;
  },

  /** A domain's events since a time, oldest first (replay). */
  async eventsSince(q: Queryable, domainId: number, since: Date, afterId: number, limit: number): Promise<OutboxEvent[]> {
    const r = await q.query<OutboxEvent>(
      `SELECT id, domain_id, created_at, payload FROM event WHERE domain_id = $1 AND created_at >= $2 AND id > $3 ORDER BY id LIMIT $4`,
      [domainId, since, afterId, limit],
    );
    return r.rows;
  },

  // ------------------------------------------------------------ delivery workers

  /**
   * Claims up to `webhooks` subscriptions that have a due delivery and no live claim (oldest due
   * first), each under a lease with `token`, and returns for each its oldest `perWebhook` due
   * deliveries, in order, with `attempts` the number of the attempt about to be made. Claiming a
   * subscription rather than its deliveries keeps each receiver's events in order across replicas
   * and writes one row per run, not one per delivery. Subscriptions another replica is claiming are
   * skipped (SKIP LOCKED). Run it in a transaction: the deliveries are read after the claim, so a
   * run another replica settled just before is not sent again.
   */
  async claimDue(q: Queryable, webhooks: number, perWebhook: number, leaseMs: number, token: string): Promise<ClaimedDelivery[]> {
    const claimed = await q.query<{ id: string }>(
      `WITH cand AS (
         SELECT w.id FROM webhook w
          CROSS JOIN LATERAL (
            SELECT d.id FROM webhook_delivery d
             WHERE d.webhook_id = w.id AND d.state = 'pending' AND d.next_attempt_at <= now()
             ORDER BY d.id LIMIT 1) h
          WHERE w.claimed_until IS NULL OR w.claimed_until <= now()
          ORDER BY h.id LIMIT $1
          FOR UPDATE OF w SKIP LOCKED)
       UPDATE webhook w SET claimed_until = now() + ${ms('$2')}, claim_token = $3 FROM cand WHERE w.id = cand.id RETURNING w.id`,
      [webhooks, leaseMs, token],
    );
    if (!claimed.rowCount) return [];
    const r = await q.query<ClaimedDelivery>(
      `SELECT ${DELIVERY_COLS}, w.url, w.secret_sealed, w.previous_secret_sealed, w.previous_secret_until, d.payload, e.payload AS event_payload
         FROM webhook w
         CROSS JOIN LATERAL (
           SELECT * FROM webhook_delivery d
            WHERE d.webhook_id = w.id AND d.state = 'pending' AND d.next_attempt_at <= now()
            ORDER BY d.id LIMIT $2) d
         LEFT JOIN event e ON e.id = d.event_id
        WHERE w.id = ANY($1::text[])
        ORDER BY d.id`,
      [claimed.rows.map((x) => x.id), perWebhook],
    );
    for (const d of r.rows) d.attempts += 1;
    return r.rows;
  },

  /**
   * Records a run's attempts, ends its deliveries and releases the subscription's claim, in one
   * statement: each delivery (tried as attempt number `attempt`) is delivered, failed, or due again
   * after retryMs. Deliveries of the run not tried are left as they were (due, in order). An
   * attempt is recorded even if the claim was lost meanwhile (its lease ran out and another replica
   * sent the delivery too); the delivery's state is then the other replica's.
   */
  async settle(
    q: Queryable,
    claim: { webhookId: string; token: string },
    done: { attempt: AttemptRow; attemptNo: number; outcome: 'delivered' | 'failed' | number }[],
  ): Promise<void> {
    const a = done.map((x) => x.attempt);
    await q.query(
      `WITH attempt AS (
         INSERT INTO webhook_attempt (delivery_id, attempted_at, duration_ms, status_code, error, response_excerpt)
         SELECT * FROM unnest($1::int8[], $2::timestamptz[], $3::int[], $4::int[], $5::text[], $6::text[])),
       released AS (
         UPDATE webhook SET claimed_until = NULL, claim_token = NULL WHERE id = $11 AND claim_token = $12)
       UPDATE webhook_delivery d SET
         attempts = u.att,
         state = CASE WHEN u.st = 'retry' THEN d.state ELSE u.st END,
         completed_at = CASE WHEN u.st = 'retry' THEN NULL ELSE now() END,
         next_attempt_at = CASE WHEN u.st = 'retry' THEN now() + make_interval(secs => u.ms / 1000) ELSE d.next_attempt_at END
       FROM unnest($7::int8[], $8::int[], $9::text[], $10::float8[]) AS u(id, att, st, ms)
       WHERE d.id = u.id AND d.attempts = u.att - 1 AND d.state = 'pending'`,
      [
        a.map((x) => x.delivery_id), a.map((x) => x.attempted_at), a.map((x) => x.duration_ms), a.map((x) => x.status_code), a.map((x) => x.error), a.map((x) => x.response_excerpt),
        done.map((x) => x.attempt.delivery_id), done.map((x) => x.attemptNo),
        done.map((x) => (typeof x.outcome === 'number' ? 'retry' : x.outcome)), done.map((x) => (typeof x.outcome === 'number' ? x.outcome : 0)),
        claim.webhookId, claim.token,
      ],
    );
  },

  async listDeliveries(q: Queryable, webhookId: string, state: string | null, beforeId: number | null, limit: number): Promise<DeliveryRow[]> {
    const r = await q.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLS} FROM webhook_delivery d LEFT JOIN event e ON e.id = d.event_id
        WHERE d.webhook_id = $1 AND ($2::text IS NULL OR d.state = $2) AND ($3::int8 IS NULL OR d.id < $3)
        ORDER BY d.id DESC LIMIT $4`,
      [webhookId, state, beforeId, limit],
    );
    return r.rows;
  },

  async getDelivery(q: Queryable, webhookId: string, id: number): Promise<DeliveryRow | null> {
    const r = await q.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLS} FROM webhook_delivery d LEFT JOIN event e ON e.id = d.event_id WHERE d.webhook_id = $1 AND d.id = $2`,
      [webhookId, id],
    );
    return r.rows[0] ?? null;
  },

  async attemptsOf(q: Queryable, deliveryIds: number[]): Promise<AttemptRow[]> {
    const r = await q.query<AttemptRow>(
      `SELECT delivery_id, attempted_at, duration_ms, status_code, error, response_excerpt FROM webhook_attempt
        WHERE delivery_id = ANY($1::int8[]) ORDER BY id`,
      [deliveryIds],
    );
    return r.rows;
  },

  /** Queues a delivery again now (its attempt log is kept and grows). */
  async requeue(q: Queryable, id: number): Promise<void> {
    await q.query(
      `UPDATE webhook_delivery SET state = 'pending', next_attempt_at = now(), completed_at = NULL, attempts = 0 WHERE id = $1`,
      [id],
    );
  },

  /** Pending deliveries and the age of the oldest, in seconds (metrics). */
  async backlog(q: Queryable): Promise<{ pending: number; oldest_s: number }> {
    const r = await q.query<{ pending: number; oldest_s: number | null }>(
      `SELECT count(*)::int8 AS pending, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest_s
         FROM webhook_delivery WHERE state = 'pending'`,
    );
    return { pending: r.rows[0].pending, oldest_s: r.rows[0].oldest_s ?? 0 };
  },
};
