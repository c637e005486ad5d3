// The webhook workers every replica runs (started and stopped by server.ts, like the blob
// collector). On each tick the dispatcher drains the outbox into deliveries, claiming the
// subscriptions that had nothing pending and sending their new deliveries at once; then the
// delivery loop claims subscriptions with due deliveries (store/webhooks.ts claimDue: FOR UPDATE
// SKIP LOCKED, a lease, one replica per subscription at a time, so each receiver gets its events in
// order) and sends each one's oldest in order. A run's attempts, their outcomes and the release of
// its claim are recorded in one statement. A failure is retried after the next step of the
// schedule (with +-20 % jitter); after the last step the delivery is failed and stays listed for
// redelivery.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../store/db.js';
import { webhookStore, type ClaimedDelivery } from '../../store/webhooks.js';
import type { WebhookConfig } from '../../config.js';
import type { WebhookMetrics } from '../../metrics.js';
import { openSecret } from '../secrets.js';
import { dispatchBatch, DISPATCH_BATCH, envelopeOf } from './dispatcher.js';
import { Sender } from './delivery.js';

interface Log {
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
  error(o: object, m: string): void;
}

export interface WebhookWorkers {
  /** Look for work now (a test event or redelivery queued on this replica). */
  wake(): void;
  stop(): Promise<void>;
}

const BACKLOG_EVERY_MS = 2_000;
/** Deliveries of one subscription claimed (and recorded) together, sent one after the other. */
const RUN_LENGTH = 50;

export function startWebhookWorkers(
  db: Db,
  opts: { config: WebhookConfig; masterKey: Buffer; metrics: WebhookMetrics; log: Log; userAgent: string },
): WebhookWorkers {
  const cfg = opts.config;
  if (!cfg.enabled) return { wake() {}, stop: async () => {} };
  const sender = new Sender({ timeoutMs: cfg.timeoutMs, allowPrivate: () => cfg.allowPrivate, userAgent: opts.userAgent });
  let stopped = false;
  let inFlight = 0;
  const running = new Set<Promise<void>>();
  let claiming: Promise<void> | null = null;
  let again = false;
  let ticking: Promise<void> | null = null;
  let lastBacklog = 0;

  const secretsOf = (d: ClaimedDelivery): string[] => {
    const s = [openSecret(opts.masterKey, d.secret_sealed)];
    if (d.previous_secret_sealed && d.previous_secret_until && d.previous_secret_until.getTime() > Date.now())
      s.push(openSecret(opts.masterKey, d.previous_secret_sealed));
    return s;
  };

  /** The JSON a delivery sends; written once per event the dispatcher read, whatever the number of subscriptions it matched. */
  const bodies = new WeakMap<object, string>();
  const bodyOf = (d: ClaimedDelivery): string => {
    if (d.payload) return JSON.stringify(d.payload);
    let b = bodies.get(d.event_payload!);
    if (b === undefined) bodies.set(d.event_payload!, (b = JSON.stringify(envelopeOf({ id: d.event_id!, payload: d.event_payload! }))));
    return b;
  };

  /**
   * Runs being sent on this replica, by subscription. While `appendable` (the run holds every due
   * delivery the subscription had, and room), deliveries the dispatcher queues for the subscription
   * join its end instead of waiting for a claim: a subscription that stays busy costs no claim query.
   */
  const open = new Map<string, { run: ClaimedDelivery[]; appendable: boolean }>();

  /** Sends one subscription's claimed run in order; stops at the first failure (the rest wait for it). */
  const deliverRun = async (run: ClaimedDelivery[], token: string) => {
    const done: Parameters<typeof webhookStore.settle>[2] = [];
    let sent = 0;
    const secrets = secretsOf(run[0]); // one subscription: one set of secrets for the whole run
    const started = Date.now();
    const webhookId = run[0].webhook_id;
    open.set(webhookId, { run, appendable: run.length < RUN_LENGTH });
    for (let i = 0; i < run.length; i++) {
      const d = run[i];
      if (stopped) break;
      // Never past the lease: what could not be sent within it is left for the next claim.
      if (sent > 0 && Date.now() - started + cfg.timeoutMs >= cfg.leaseMs) break;
      const body = bodyOf(d);
      const r = await sender.send(d.url, d.message_id, body, secrets);
      sent++;
      opts.metrics.attempt(r.outcome, r.durationMs / 1000);
      const step = cfg.retryScheduleMs[d.attempts - 1];
      const end: 'delivered' | 'failed' | null = r.ok ? 'delivered' : step === undefined ? 'failed' : null;
      done.push({
        attempt: {
          delivery_id: d.id,
          attempted_at: new Date(Date.now() - r.durationMs),
          duration_ms: r.durationMs,
          status_code: r.statusCode,
          error: r.error,
          response_excerpt: r.excerpt,
        },
        attemptNo: d.attempts,
        outcome: end ?? Math.round(step! * (0.8 + 0.4 * Math.random())),
      });
      if (end) opts.metrics.delivery(end);
      if (end === 'failed') opts.log.warn({ webhook: d.webhook_id, delivery: d.id, attempts: d.attempts, error: r.error }, 'webhook delivery failed for good');
      else if (!end) opts.log.info({ webhook: d.webhook_id, delivery: d.id, attempt: d.attempts, error: r.error }, 'webhook delivery failed; will retry');
      if (!r.ok) break;
    }
    open.delete(webhookId); // before any await: nothing joins a run that has stopped sending
    await webhookStore.settle(db, { webhookId, token }, done);
    // More may be due at once: what this run left unsent, or the rest of a backlog a full run was
    // taken from. Otherwise the next tick looks (a claim per finished run would cost more than it finds).
    return sent < run.length || run.length >= RUN_LENGTH;
  };

  /** Starts sending claimed deliveries: one run per subscription, in order. */
  const startRuns = (batch: ClaimedDelivery[], token: string) => {
    const runs = new Map<string, ClaimedDelivery[]>();
    for (const d of batch) runs.set(d.webhook_id, [...(runs.get(d.webhook_id) ?? []), d]);
    for (const [webhook, run] of runs) {
      inFlight++;
      let more = false;
      const p: Promise<void> = deliverRun(run, token)
        .then((m) => void (more = m))
        .catch((e: Error) => opts.log.error({ err: { message: e.message, stack: e.stack }, webhook }, 'webhook deliveries could not be recorded'))
        .finally(() => {
          inFlight--;
          running.delete(p);
          if (more) void pump();
        });
      running.add(p);
    }
  };

  /**
   * Hands deliveries just queued for subscriptions with an open run to that run, in order, as far
   * as it has room; a subscription whose run closed meanwhile or is full keeps them pending (and
   * its run takes no more, so none overtakes them) for the next claim.
   */
  const join = (rows: ClaimedDelivery[]) => {
    let left = false;
    for (const d of rows) {
      const o = open.get(d.webhook_id);
      if (o?.appendable && o.run.length < RUN_LENGTH) o.run.push(d);
      else {
        if (o) o.appendable = false;
        left = true;
      }
    }
    if (left) void pump();
  };

  const pump = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (claiming) {
      again = true;
      return claiming;
    }
    claiming = claimLoop().finally(() => {
      claiming = null;
    });
    return claiming;
  };

  const claimLoop = async (): Promise<void> => {
    try {
      do {
        again = false;
        while (!stopped && inFlight < cfg.concurrency) {
          const token = randomUUID();
          const batch = await db.transaction((tx) => webhookStore.claimDue(tx, cfg.concurrency - inFlight, RUN_LENGTH, cfg.leaseMs, token));
          if (!batch.length) break;
          startRuns(batch, token);
        }
      } while (again && !stopped);
    } catch (e) {
      opts.log.error({ err: { message: (e as Error).message } }, 'claiming webhook deliveries failed');
    }
  };

  const tick = () => {
    if (ticking || stopped) return;
    ticking = (async () => {
      try {
        for (let i = 0; i < 20; i++) {
          const token = randomUUID();
          const held = (w: string) => open.get(w)?.appendable === true;
          const r = await dispatchBatch(db, DISPATCH_BATCH, { webhooks: stopped ? 0 : cfg.concurrency - inFlight, perWebhook: RUN_LENGTH, leaseMs: cfg.leaseMs, token, held });
          startRuns(r.claimed, token);
          join(r.forHeld);
          if (r.events < DISPATCH_BATCH) break;
        }
        await pump();
        if (Date.now() - lastBacklog >= BACKLOG_EVERY_MS) {
          lastBacklog = Date.now();
          const b = await webhookStore.backlog(db);
          opts.metrics.backlog(b.pending, b.oldest_s);
        }
      } catch (e) {
        opts.log.error({ err: { message: (e as Error).message } }, 'webhook dispatch failed');
      }
    })().finally(() => {
      ticking = null;
    });
  };

  const timer = setInterval(tick, cfg.pollMs);
  timer.unref();
  tick();
  return {
    wake: () => void pump(),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await ticking;
      await claiming;
      // Deliveries in flight finish (each is bounded by the timeout) and are recorded.
      await Promise.allSettled([...running]);
      sender.close();
    },
  };
}
