// The audit trail in Hoard's own API: which resource an operation acts on (for its audit row,
// derived the same way for every operation of the table, Hoard's own included), and
// LookupAuditEvents (hoard:LookupAuditEvents on the account), newest first, paginated.
import { accessDenied, validation } from '../errors.js';
import { arn, check } from '../core/names.js';
import type { Principal } from '../core/identity.js';
import { decodeToken, encodeToken } from '../core/pagination.js';
import type { StoredAuditRow } from '../store/audit.js';
import { body, op, type Operation } from './operation.js';

type Raw = Record<string, unknown>;

/**
 * The resource and the account of an operation's audit row, from what the request names: a
 * package, package group, repository or domain in the query (or, for the few operations that name
 * it in their body, the body); a `resourceArn`; for Hoard's account-level API the user or account.
 * Only names are read, never a secret member.
 */
export function auditTarget(
  region: string,
  service: string,
  query: Raw,
  bodyObj: Raw | undefined,
  caller: Principal | null,
): { resource: string | null; account: string | null } {
  const s = (v: unknown) => (typeof v === 'string' && v !== '' && v.length <= 1024 ? v : undefined);
  const q = (k: string) => s(query[k]);
  const b = (k: string) => s(bodyObj?.[k]);
  const self = caller && caller.kind !== 'anonymous' ? caller.accountId : null;
  const domain = q('domain') ?? b('domain');
  const owner = q('domain-owner') ?? b('domainOwner') ?? self;
  if (domain && owner) {
    const group = q('package-group') ?? b('packageGroup');
    if (group) return { resource: `arn:aws:codeartifact:${region}:${owner}:package-group/${domain}${group}`, account: owner };
    const repo = q('repository') ?? q('source-repository') ?? b('repository');
    const format = q('format');
    const pkg = q('package');
    if (repo && format && pkg) return { resource: arn.package(region, owner, domain, repo, format, q('namespace') ?? '', pkg), account: owner };
    if (repo) return { resource: arn.repository(region, owner, domain, repo), account: owner };
    return { resource: arn.domain(region, owner, domain), account: owner };
  }
  const resourceArn = q('resourceArn');
  if (resourceArn) {
    const m = /^arn:aws:codeartifact:[a-z0-9-]+:([0-9]{12}):/.exec(resourceArn);
    return { resource: resourceArn, account: m ? m[1] : self };
  }
  if (service === 'hoard') {
    const account = q('account') ?? self;
    if (!account) return { resource: null, account: null };
    const user = q('userName');
    return { resource: user ? arn.user(account, user) : arn.root(account), account };
  }
  return { resource: null, account: self };
}

const MAX_RESULTS = 1000;

/** Epoch seconds (as the SDKs send timestamps) or an ISO 8601 time. */
function time(b: Raw, k: string): Date | undefined {
  const v = b[k];
  if (v === undefined || v === null) return undefined;
  const d = typeof v === 'number' && Number.isFinite(v) && v >= 0 ? new Date(v * 1000) : typeof v === 'string' && v.length <= 64 ? new Date(v) : null;
  if (!d || Number.isNaN(d.getTime()))
    throw validation(`'${k}' must be a time: epoch seconds or an ISO 8601 string such as 2026-12-07T16:00:00Z.`);
  return d;
}

interface PageKey {
  t: string;
  id: number;
}

function pageKey(token: string | undefined): { time: Date; id: number } | undefined {
  if (token === undefined) return undefined;
  const k = decodeToken<PageKey>(token);
  const t = typeof k.t === 'string' ? new Date(k.t) : null;
  if (!t || Number.isNaN(t.getTime()) || !Number.isSafeInteger(k.id))
    throw validation('The pagination token is not valid; pass the nextToken of the previous page unchanged.', 'CANNOT_PARSE');
  return { time: t, id: k.id };
}

function wireEvent(r: StoredAuditRow) {
  return {
    eventId: String(r.id),
    eventTime: r.time,
    accountId: r.accountId ?? undefined,
    principalArn: r.principalArn,
    sourceIp: r.sourceIp ?? undefined,
    userAgent: r.userAgent ?? undefined,
    action: r.action,
    resourceArn: r.resourceArn ?? undefined,
    requestId: r.requestId,
    outcome: r.outcome,
    httpStatus: r.httpStatus,
    detail: r.detail ?? undefined,
  };
}

export const auditOps: Operation[] = [
  op({
    name: 'LookupAuditEvents',
    method: 'POST',
    path: '/admin/v1/audit-events',
    query: { account: {} },
    body: 'json',
    async authorize({ caller, svc, q }) {
      const requested = q.account as string | undefined;
      const account = requested === undefined ? caller.accountId : check('accountId', 'account', requested);
      if (caller.kind !== 'anonymous' && account !== caller.accountId) {
        if (caller.kind !== 'root' || !(await svc.identity.isOperator(caller.accountId)))
          throw accessDenied(`Only the operator account's root may read the audit trail of account ${account}.`);
        if (!(await svc.identity.accountExists(account))) throw validation(`Account ${account} does not exist.`);
      }
      await svc.access.require(caller, 'hoard:LookupAuditEvents', { scope: 'global', owner: account, resource: arn.root(account) });
      return { account, operator: await svc.identity.isOperator(account) };
    },
    async run({ svc, body: b }, { account, operator }) {
      const maxResults = body.int(b, 'maxResults', 1, MAX_RESULTS) ?? 50;
      const startTime = time(b, 'startTime');
      const endTime = time(b, 'endTime');
      if (startTime && endTime && startTime > endTime) throw validation('startTime must not be after endTime.');
      const outcome = body.str(b, 'outcome');
      const rows = await svc.audit.lookup(
        {
          account,
          includeUnowned: operator,
          startTime,
          endTime,
          principalArn: body.str(b, 'principalArn'),
          action: body.str(b, 'action'),
          resourceArnPrefix: body.str(b, 'resourceArnPrefix'),
          outcome: outcome === undefined ? undefined : outcome.toLowerCase() === 'success' ? 'Success' : outcome.toLowerCase() === 'failure' ? 'Failure' : outcome,
          after: pageKey(body.str(b, 'nextToken')),
        },
        maxResults + 1,
      );
      const page = rows.slice(0, maxResults);
      const last = page[page.length - 1];
      return {
        events: page.map(wireEvent),
        nextToken: rows.length > maxResults && last ? encodeToken({ t: last.time.toISOString(), id: last.id } satisfies PageKey) : undefined,
      };
    },
  }),
];
