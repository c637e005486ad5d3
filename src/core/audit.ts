// The audit trail: who did what, when, from where, and how it ended. A request that is audited
// carries an AuditMark in its state (the control plane marks every operation, the data plane its
// writes and logins); the server's outermost middleware turns the mark into a row once the answer
// is known, so refused calls are recorded like the rest. Rows are buffered and written in batches
// (one multi-row INSERT) off the request path, flushed on shutdown; pruned after the retention.
import type { Db } from '../store/db.js';
import { auditStore, type AuditFilter, type AuditRow, type StoredAuditRow } from '../store/audit.js';
import type { Principal } from './identity.js';
import { runEvery, type PeriodicHandle } from './periodic.js';

/** What a route knows about an audited request; fields are refined as the request goes on. */
export interface AuditMark {
  action: string;
  resource: string | null;
  /** the account whose resource or API is called; the caller's when null */
  account: string | null;
  principal: Principal | null;
  detail?: string;
}

type State = Record<string, unknown>;

/** Marks the request as audited (or refines the mark it has). */
export function markAudit(state: State, m: Partial<AuditMark> & { action: string }): AuditMark {
  const cur = state.audit as AuditMark | undefined;
  if (cur) return Object.assign(cur, m);
  const mark: AuditMark = { resource: null, account: null, principal: null, ...m };
  state.audit = mark;
  return mark;
}

/** Refines the mark of an audited request; does nothing for a request that is not audited. */
export function refineAudit(state: State, m: Partial<AuditMark>): void {
  const cur = state.audit as AuditMark | undefined;
  if (cur) Object.assign(cur, m);
}

export interface RequestFacts {
  requestId: string;
  status: number;
  /** x-amzn-ErrorType, when the face answered in AWS's shape */
  errorType?: string;
  sourceIp?: string;
  userAgent?: string;
}

/** Error codes for answers that carry none of their own (the package-manager faces). */
const CODE_FOR_STATUS: Record<number, string> = {
  400: 'ValidationException',
  401: 'UnauthenticatedException',
  403: 'AccessDeniedException',
  404: 'ResourceNotFoundException',
  405: 'MethodNotAllowed',
  408: 'RequestTimeout',
  409: 'ConflictException',
  413: 'PayloadTooLarge',
  429: 'ThrottlingException',
  500: 'InternalServerException',
  502: 'BadGateway',
  503: 'ServiceUnavailableException',
  504: 'GatewayTimeout',
};

export function outcomeOf(status: number, errorType?: string): string {
  if (status < 400) return 'Success';
  return errorType || CODE_FOR_STATUS[status] || `HTTP${status}`;
}

/** The row for a finished request. The principal is only ever one whose credentials held. */
export function auditRow(mark: AuditMark, facts: RequestFacts, now = new Date()): AuditRow {
  const p = mark.principal;
  const known = p && p.kind !== 'anonymous' ? p : null;
  return {
    time: now,
    accountId: mark.account ?? known?.accountId ?? null,
    principalArn: known?.arn ?? 'anonymous',
    principalAccount: known?.accountId ?? null,
    sourceIp: facts.sourceIp?.slice(0, 64) || null,
    userAgent: facts.userAgent?.slice(0, 512) || null,
    action: mark.action,
    resourceArn: mark.resource,
    requestId: facts.requestId,
    outcome: outcomeOf(facts.status, facts.errorType),
    httpStatus: facts.status,
    detail: mark.detail?.slice(0, 512) ?? null,
  };
}

export interface AuditLogOptions {
  enabled: boolean;
  /** how long a row may wait in the buffer */
  flushMs?: number;
  log: { error(o: object, m: string): void; warn(o: object, m: string): void };
}

const BATCH = 200;
/** Rows kept while the database cannot take them; beyond this the oldest are dropped (and logged). */
const MAX_BUFFERED = 20_000;

/** Buffered writer and reader of the audit trail. */
export class AuditLog {
  private buffer: AuditRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly opts: AuditLogOptions,
  ) {}

  get enabled(): boolean {
    return this.opts.enabled;
  }

  /** Queues the row of a finished request; never throws, never waits for the database. */
  record(mark: AuditMark, facts: RequestFacts): void {
    if (!this.opts.enabled) return;
    this.buffer.push(auditRow(mark, facts));
    if (this.buffer.length > MAX_BUFFERED) {
      const dropped = this.buffer.splice(0, this.buffer.length - MAX_BUFFERED);
      this.opts.log.error({ dropped: dropped.length }, 'audit buffer full (the database is not taking rows): oldest audit rows dropped');
    }
    if (this.buffer.length >= BATCH) void this.flush();
    else if (!this.timer && !this.closed) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, this.opts.flushMs ?? 250);
      this.timer.unref();
    }
  }

  /** Writes what is buffered; flushes never overlap. A failed batch stays buffered for the next flush. */
  flush(): Promise<void> {
    this.chain = this.chain.then(() => this.writeOut());
    return this.chain;
  }

  private async writeOut(): Promise<void> {
    while (this.buffer.length) {
      const batch = this.buffer.splice(0, BATCH);
      try {
        await auditStore.insertMany(this.db, batch);
      } catch (e) {
        this.buffer.unshift(...batch);
        this.opts.log.warn({ err: { message: (e as Error).message }, buffered: this.buffer.length }, 'audit rows not written yet; will retry');
        if (!this.timer && !this.closed) {
          this.timer = setTimeout(() => {
            this.timer = null;
            void this.flush();
          }, 1_000);
          this.timer.unref();
        }
        return;
      }
    }
  }

  /** Flushes everything (called on shutdown, after the last request finished). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
    if (this.buffer.length) this.opts.log.error({ lost: this.buffer.length }, 'audit rows could not be written before shutdown');
  }

  /** Newest first. What this server buffered is written first, so a caller reads its own calls. */
  async lookup(filter: AuditFilter, limit: number): Promise<StoredAuditRow[]> {
    await this.flush();
    return auditStore.lookup(this.db, filter, limit);
  }
}

/** Deletes rows older than retentionDays, in batches; returns how many went. */
export async function pruneAudit(db: Db, retentionDays: number, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  let total = 0;
  for (let i = 0; i < 1000; i++) {
    const n = await db.transaction((tx) => auditStore.pruneBatch(tx, cutoff, 1000));
    total += n;
    if (n < 1000) break;
  }
  return total;
}

export type PrunerHandle = PeriodicHandle;

/** Runs pruneAudit every intervalMs (0 = never), as core/collector.ts runs the blob collector. */
export function startAuditPruner(
  db: Db,
  opts: { intervalMs: number; retentionDays: number; log: { info(o: object, m: string): void; error(o: object, m: string): void } },
): PrunerHandle {
  return runEvery(
    opts.intervalMs,
    async () => {
      const n = await pruneAudit(db, opts.retentionDays);
      if (n) opts.log.info({ rows: n, retentionDays: opts.retentionDays }, 'old audit rows pruned');
    },
    { onError: (e) => opts.log.error({ err: { message: e.message, stack: e.stack } }, 'audit pruning failed') },
  );
}
