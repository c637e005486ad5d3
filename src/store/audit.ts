// Queries of the audit trail (migrations/0010_audit.sql): batched inserts, the filtered newest-first
// lookup behind LookupAuditEvents (keyset pagination on (event_time, id)), and pruning.
import type { Queryable } from './db.js';

export interface AuditRow {
  time: Date;
  accountId: string | null;
  principalArn: string;
  principalAccount: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  action: string;
  resourceArn: string | null;
  requestId: string;
  outcome: string;
  httpStatus: number;
  detail: string | null;
}

export interface StoredAuditRow extends AuditRow {
  id: number;
}

export interface AuditFilter {
  /** the account looking: rows of its resources and rows of its principals */
  account: string;
  /** also rows that name no account (unauthenticated calls naming none): the operator's */
  includeUnowned: boolean;
  startTime?: Date;
  endTime?: Date;
  principalArn?: string;
  /** exact `ns:Name`, or `Name` for that name in any namespace */
  action?: string;
  resourceArnPrefix?: string;
  /** 'Success', 'Failure' (anything refused) or an exact error code */
  outcome?: string;
  /** the last row of the previous page */
  after?: { time: Date; id: number };
}

const COLUMNS = [
  'event_time',
  'account_id',
  'principal_arn',
  'principal_account',
  'source_ip',
  'user_agent',
  'action',
  'resource_arn',
  'request_id',
  'outcome',
  'http_status',
  'detail',
] as const;

interface DbRow {
  id: number;
  event_time: Date | string;
  account_id: string | null;
  principal_arn: string;
  principal_account: string | null;
  source_ip: string | null;
  user_agent: string | null;
  action: string;
  resource_arn: string | null;
  request_id: string;
  outcome: string;
  http_status: number;
  detail: string | null;
}

export const auditStore = {
  /**
   * One INSERT for the whole batch, of column arrays (one SQL text whatever the batch size, so a
   * single prepared statement serves every flush).
   */
  async insertMany(q: Queryable, rows: AuditRow[]): Promise<void> {
    if (rows.length === 0) return;
    const col = <T>(f: (r: AuditRow) => T) => rows.map(f);
    await q.query(
      `INSERT INTO audit_event (${COLUMNS.join(', ')})
       SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::int[], $12::text[])`,
      [
        col((r) => r.time.toISOString()), col((r) => r.accountId), col((r) => r.principalArn), col((r) => r.principalAccount),
        col((r) => r.sourceIp), col((r) => r.userAgent), col((r) => r.action), col((r) => r.resourceArn),
        col((r) => r.requestId), col((r) => r.outcome), col((r) => r.httpStatus), col((r) => r.detail),
      ],
    );
  },

  /** Up to `limit` rows matching the filter, newest first. */
  async lookup(q: Queryable, f: AuditFilter, limit: number): Promise<StoredAuditRow[]> {
    const params: unknown[] = [f.account];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const where = [`(account_id = $1 OR principal_account = $1${f.includeUnowned ? ' OR account_id IS NULL' : ''})`];
    if (f.startTime) where.push(`event_time >= ${p(f.startTime.toISOString())}::timestamptz`);
    if (f.endTime) where.push(`event_time <= ${p(f.endTime.toISOString())}::timestamptz`);
    if (f.principalArn !== undefined) where.push(`principal_arn = ${p(f.principalArn)}`);
    if (f.action !== undefined)
      where.push(f.action.includes(':') ? `action = ${p(f.action)}` : `split_part(action, ':', 2) = ${p(f.action)}`);
    if (f.resourceArnPrefix !== undefined) where.push(`starts_with(resource_arn, ${p(f.resourceArnPrefix)})`);
    if (f.outcome === 'Success') where.push(`outcome = 'Success'`);
    else if (f.outcome === 'Failure') where.push(`outcome <> 'Success'`);
    else if (f.outcome !== undefined) where.push(`outcome = ${p(f.outcome)}`);
    if (f.after) where.push(`(event_time, id) < (${p(f.after.time.toISOString())}::timestamptz, ${p(f.after.id)}::int8)`);
    const r = await q.query<DbRow>(
      `SELECT id, ${COLUMNS.join(', ')} FROM audit_event WHERE ${where.join(' AND ')}
        ORDER BY event_time DESC, id DESC LIMIT ${p(limit)}::int`,
      params,
    );
    return r.rows.map(fromDb);
  },

  /**
   * Deletes up to `limit` rows older than the cutoff; SKIP LOCKED lets several servers prune at
   * once without waiting on each other. Returns how many went.
   */
  async pruneBatch(q: Queryable, before: Date, limit: number): Promise<number> {
    const r = await q.query(
      `DELETE FROM audit_event WHERE id IN (
         SELECT id FROM audit_event WHERE event_time < $1::timestamptz
          ORDER BY event_time LIMIT $2::int FOR UPDATE SKIP LOCKED)`,
      [before.toISOString(), limit],
    );
    return r.rowCount;
  },
};

function fromDb(r: DbRow): StoredAuditRow {
  return {
    id: Number(r.id),
    time: new Date(r.event_time),
    accountId: r.account_id,
    principalArn: r.principal_arn,
    principalAccount: r.principal_account,
    sourceIp: r.source_ip,
    userAgent: r.user_agent,
    action: r.action,
    resourceArn: r.resource_arn,
    requestId: r.request_id,
    outcome: r.outcome,
    httpStatus: Number(r.http_status),
    detail: r.detail,
  };
}
