// The dispatcher: turns outbox rows (event) into one delivery per matching subscription. It reads
// the outbox in batches, off the publish path (a publish only writes its event row), one replica at
// a time (a transaction-scoped advisory lock, so deliveries are numbered in event order), and marks them dispatched in the same
// transaction as the deliveries it writes: each event is matched exactly once. A subscription gets
// only events written after it was created (earlier ones are reachable by replay); a disabled one
// gets none.
import type { Db } from '../../store/db.js';
import { webhookStore, type OutboxEvent } from '../../store/webhooks.js';
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
export const envelopeOf = (e: OutboxEvent) => deliverable(e as never) as unknown as Record<string, unknown>;

/** One batch; returns how many events it handled and how many deliveries it queued. */
export async function dispatchBatch(db: Db, limit = DISPATCH_BATCH): Promise<{ events: number; deliveries: number }> {
  return db.transaction(async (tx) => {
    if (!(await webhookStore.tryDispatchLock(tx))) return { events: 0, deliveries: 0 };
    const events = await webhookStore.claimEvents(tx, limit);
    if (!events.length) return { events: 0, deliveries: 0 };
    const domains = [...new Set(events.map((e) => e.domain_id))];
    const subs = await webhookStore.enabledIn(tx, domains);
    const rows: { webhookId: string; eventId: number }[] = [];
    if (subs.length)
      for (const e of events) {
        let envelope: Record<string, unknown> | null = null;
        for (const s of subs) {
          if (s.domain_id !== e.domain_id || s.created_at > e.created_at) continue;
          envelope ??= envelopeOf(e);
          if (predicateFor(s.event_pattern)(envelope)) rows.push({ webhookId: s.id, eventId: e.id });
        }
      }
    const deliveries = await webhookStore.insertDeliveries(tx, rows, 'event');
    await webhookStore.markDispatched(tx, events.map((e) => e.id));
    return { events: events.length, deliveries };
  });
}
