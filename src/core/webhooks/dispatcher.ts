// The dispatcher: turns outbox rows (event) into one delivery per matching subscription. It reads
// the outbox in batches, off the publish path (a publish only writes its event row), one replica at
// a time (a transaction-scoped advisory lock, so deliveries are numbered in event order), and marks them dispatched in the same
// transaction as the deliveries it writes: each event is matched exactly once. A subscription gets
// only events written after it was created (earlier ones are reachable by replay); a disabled one
// gets none. A subscription with nothing pending is claimed by the dispatcher's replica in the same
// transaction and its new deliveries sent at once: the common case of a healthy receiver then
// costs no claim query.
import type { Db } from '../../store/db.js';
import { webhookStore, type ClaimedDelivery, type NewDelivery, type OutboxEvent } from '../../store/webhooks.js';
import { deliverable } from '../events.js';
import { compilePattern, type EventPredicate } from './patterns.js';

export const DISPATCH_BATCH = 500;

/** Compiled patterns by their text (a pattern changes rarely; compiling per event would not do). */
const compiled = new Map<string, EventPredicate>();
export function predicateFor(pattern: string): EventPredicate {
  let p = compiled.get(pattern);
  if (!p) {
    try {
      p = compilePattern(pattern);
    } catch {
      p = () => false; // stored patterns were validated; one that no longer compiles matches nothing
    }
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(pattern, p);
  }
  return p;
}

/** The envelope a receiver gets for an outbox row (with its sequence number). */
export const envelopeOf = (e: Pick<OutboxEvent, 'id' | 'payload'>) => deliverable(e as never) as unknown as Record<string, unknown>;

/**
 * Subscriptions the dispatcher may claim as it queues their deliveries, so the replica sends them
 * at once without a claim query: at most `webhooks`, each with nothing pending (so nothing older
 * can be overtaken) and no claim, under a lease of `leaseMs` named `token`; at most `perWebhook`
 * deliveries each.
 */
export interface DispatchClaim {
  webhooks: number;
  perWebhook: number;
  leaseMs: number;
  token: string;
  /** Subscriptions this replica is sending to right now, whose run could take more: their new deliveries are returned too. */
  held: (webhookId: string) => boolean;
}

/**
 * One batch; returns how many events it handled, how many deliveries it queued, the runs it claimed
 * and the deliveries it queued for subscriptions `held` (still pending: the caller hands them to the
 * open run, or lets a claim take them).
 */
export async function dispatchBatch(
  db: Db,
  limit = DISPATCH_BATCH,
  claim?: DispatchClaim,
): Promise<{ events: number; deliveries: number; claimed: ClaimedDelivery[]; forHeld: ClaimedDelivery[] }> {
  return db.transaction(async (tx) => {
    const none = { events: 0, deliveries: 0, claimed: [], forHeld: [] };
    if (!(await webhookStore.tryDispatchLock(tx))) return none;
    const events = await webhookStore.claimEvents(tx, limit);
    if (!events.length) return none;
    const domains = [...new Set(events.map((e) => e.domain_id))];
    const subs = await webhookStore.enabledIn(tx, domains);
    const rows: NewDelivery[] = [];
    if (subs.length)
      for (const e of events) {
        let envelope: Record<string, unknown> | null = null;
        for (const s of subs) {
          if (s.domain_id !== e.domain_id || s.created_at > e.created_at) continue;
          envelope ??= envelopeOf(e);
          if (predicateFor(s.event_pattern)(envelope)) rows.push({ webhookId: s.id, eventId: e.id });
        }
      }
    const mine =
      claim && claim.webhooks > 0 && rows.length
        ? await webhookStore.claimIdle(tx, [...new Set(rows.map((r) => r.webhookId))].slice(0, claim.webhooks), claim.leaseMs, claim.token)
        : new Set<string>();
    const held = new Set(claim ? rows.map((r) => r.webhookId).filter((w) => !mine.has(w) && claim.held(w)) : []);
    const queued = await webhookStore.insertDeliveries(tx, rows, 'event');
    await webhookStore.markDispatched(tx, events.map((e) => e.id));
    if (!mine.size && !held.size) return { events: events.length, deliveries: queued.length, claimed: [], forHeld: [] };
    const byId = new Map(events.map((e) => [e.id, e]));
    const subById = new Map(subs.map((s) => [s.id, s]));
    const taken = new Map<string, number>();
    const claimed: ClaimedDelivery[] = [];
    const forHeld: ClaimedDelivery[] = [];
    for (const d of queued) {
      const to = mine.has(d.webhook_id) ? claimed : held.has(d.webhook_id) ? forHeld : null;
      const n = taken.get(d.webhook_id) ?? 0;
      if (!to || (to === claimed && n >= claim!.perWebhook)) continue;
      taken.set(d.webhook_id, n + 1);
      const e = byId.get(d.event_id!)!;
      const s = subById.get(d.webhook_id)!;
      to.push({
        ...d,
        kind: 'event',
        state: 'pending',
        attempts: 1,
        completed_at: null,
        message_id: e.payload.id,
        url: s.url,
        secret_sealed: s.secret_sealed,
        previous_secret_sealed: s.previous_secret_sealed,
        previous_secret_until: s.previous_secret_until,
        payload: null,
        event_payload: e.payload,
      });
    }
    return { events: events.length, deliveries: queued.length, claimed, forHeld };
  });
}
