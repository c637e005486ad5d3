// `hoard audit`: reads the audit trail through LookupAuditEvents, newest first, following
// nextToken until --max-results events are shown; a table by default, JSON with --json.
import { parseArgs } from 'node:util';
import { call, CliError, clientOptionsFromEnv } from './client.js';

export const AUDIT_USAGE = `  hoard audit [--since 1h|30m|7d|ISO-TIME] [--until ISO-TIME|DURATION] [--principal ARN|anonymous]
              [--action NAME] [--resource-prefix ARN] [--outcome success|failure|ERROR-CODE]
              [--max-results N] [--account ID] [--endpoint-url URL] [--json]`;

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30m`, `1h`, `7d` (ago from now) or an ISO 8601 time. */
export function parseTime(flag: string, v: string, now = Date.now()): Date {
  const m = /^([0-9]{1,9})([smhd])$/.exec(v);
  if (m) return new Date(now - Number(m[1]) * UNITS[m[2]]);
  const d = /^[0-9]{4}-[0-9]{2}-[0-9]{2}/.test(v) ? new Date(v) : null;
  if (!d || Number.isNaN(d.getTime()))
    throw new CliError(`--${flag} takes a duration ago (30m, 1h, 7d) or an ISO time (2026-12-07T16:00:00Z); got '${v}'.`);
  return d;
}

interface WireEvent {
  eventTime: number;
  principalArn: string;
  action: string;
  resourceArn?: string;
  outcome: string;
  sourceIp?: string;
  detail?: string;
}

export async function auditCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      principal: { type: 'string' },
      action: { type: 'string' },
      'resource-prefix': { type: 'string' },
      outcome: { type: 'string' },
      'max-results': { type: 'string' },
      account: { type: 'string' },
      'endpoint-url': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const max = values['max-results'] === undefined ? 100 : Number(values['max-results']);
  if (!Number.isInteger(max) || max < 1 || max > 100_000) throw new CliError(`--max-results takes a whole number from 1 to 100000; got '${values['max-results']}'.`);
  const opts = clientOptionsFromEnv(values['endpoint-url']);
  const filter = {
    startTime: values.since === undefined ? undefined : parseTime('since', values.since).getTime() / 1000,
    endTime: values.until === undefined ? undefined : parseTime('until', values.until).getTime() / 1000,
    principalArn: values.principal,
    action: values.action,
    resourceArnPrefix: values['resource-prefix'],
    outcome: values.outcome,
  };
  const events: WireEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await call(opts, 'hoard', 'POST', '/admin/v1/audit-events', { account: values.account }, {
      ...filter,
      maxResults: Math.min(1000, max - events.length),
      nextToken,
    });
    events.push(...((page.events as WireEvent[]) ?? []));
    nextToken = page.nextToken as string | undefined;
  } while (nextToken && events.length < max);
  if (values.json) {
    console.log(JSON.stringify({ events, ...(nextToken ? { nextToken } : {}) }, null, 2));
    return 0;
  }
  if (events.length === 0) console.log('No audit events match.');
  for (const e of events)
    console.log(
      [new Date(e.eventTime * 1000).toISOString(), e.principalArn, e.action, e.resourceArn ?? '-', e.outcome, e.sourceIp ?? '-', e.detail ?? '']
        .join('  ')
        .trimEnd(),
    );
  if (nextToken) console.log(`(more events: raise --max-results to see them)`);
  return 0;
}
