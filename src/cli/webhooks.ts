// `hoard webhooks create|list|describe|update|delete|deliveries|redeliver|replay|test`: Hoard's
// webhook API (service `hoard`) from the command line; --json prints the API's answer as is.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { call, CliError, clientOptionsFromEnv } from './client.js';

export const WEBHOOKS_USAGE = `  hoard webhooks create --domain D --url URL [--event-pattern JSON|file://PATH] [--description TEXT] [--disabled] [--json]
  hoard webhooks list --domain D [--max-results N] [--next-token T] [--json]
  hoard webhooks describe --domain D --webhook-id ID [--json]
  hoard webhooks update --domain D --webhook-id ID [--url URL] [--event-pattern JSON|file://PATH] [--description TEXT]
              [--enabled true|false] [--rotate-secret [--secret-overlap-seconds N]] [--json]
  hoard webhooks delete --domain D --webhook-id ID [--json]
  hoard webhooks deliveries --domain D --webhook-id ID [--status PENDING|DELIVERED|FAILED] [--max-results N] [--next-token T] [--json]
  hoard webhooks redeliver --domain D --webhook-id ID --delivery-id N [--json]
  hoard webhooks replay --domain D --webhook-id ID --since TIME [--json]
  hoard webhooks test --domain D --webhook-id ID [--json]
  (every webhooks command also takes --domain-owner ID and --endpoint-url URL)`;

const SUBS = ['create', 'list', 'describe', 'update', 'delete', 'deliveries', 'redeliver', 'replay', 'test'];

type Json = Record<string, any>;

export async function webhooksCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || !SUBS.includes(sub)) throw new CliError(`webhooks needs one of ${SUBS.join(', ')}\n${WEBHOOKS_USAGE}`);
  const { values: v } = parseArgs({
    args: rest,
    options: {
      domain: { type: 'string' },
      'domain-owner': { type: 'string' },
      'webhook-id': { type: 'string' },
      url: { type: 'string' },
      'event-pattern': { type: 'string' },
      description: { type: 'string' },
      disabled: { type: 'boolean' },
      enabled: { type: 'string' },
      'rotate-secret': { type: 'boolean' },
      'secret-overlap-seconds': { type: 'string' },
      status: { type: 'string' },
      'max-results': { type: 'string' },
      'next-token': { type: 'string' },
      'delivery-id': { type: 'string' },
      since: { type: 'string' },
      'endpoint-url': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const need = (k: keyof typeof v): string => {
    const x = v[k];
    if (typeof x !== 'string' || !x) throw new CliError(`webhooks ${sub} needs --${k}`);
    return x;
  };
  const opts = clientOptionsFromEnv(v['endpoint-url']);
  const dq = { domain: need('domain'), 'domain-owner': v['domain-owner'] };
  const hq = () => ({ ...dq, 'webhook-id': need('webhook-id') });
  const page = { 'max-results': v['max-results'], 'next-token': v['next-token'] };
  const pattern = () => {
    const raw = v['event-pattern'];
    return raw === undefined ? undefined : raw.startsWith('file://') ? readFileSync(raw.slice(7), 'utf8') : raw;
  };
  const enabled = () => {
    if (v.enabled === undefined) return undefined;
    if (v.enabled !== 'true' && v.enabled !== 'false') throw new CliError('--enabled takes true or false');
    return v.enabled === 'true';
  };
  const api = (method: string, path: string, query: Record<string, string | undefined>, body?: unknown) =>
    call(opts, 'hoard', method, path, query, body) as Promise<Json>;
  let out: Json;
  switch (sub) {
    case 'create':
      out = await api('POST', '/hoard/v1/webhooks', dq, {
        url: need('url'),
        eventPattern: pattern(),
        description: v.description,
        enabled: v.disabled ? false : undefined,
      });
      break;
    case 'list':
      out = await api('GET', '/hoard/v1/webhooks', { ...dq, ...page });
      break;
    case 'describe':
      out = await api('GET', '/hoard/v1/webhook', hq());
      break;
    case 'update': {
      const overlap = v['secret-overlap-seconds'];
      if (overlap !== undefined && !/^[0-9]{1,7}$/.test(overlap)) throw new CliError('--secret-overlap-seconds takes a whole number of seconds');
      out = await api('PUT', '/hoard/v1/webhook', hq(), {
        url: v.url,
        eventPattern: pattern(),
        description: v.description,
        enabled: enabled(),
        rotateSecret: v['rotate-secret'] || undefined,
        secretOverlapSeconds: overlap === undefined ? undefined : Number(overlap),
      });
      break;
    }
    case 'delete':
      out = await api('DELETE', '/hoard/v1/webhook', hq());
      break;
    case 'deliveries':
      out = await api('GET', '/hoard/v1/webhook/deliveries', { ...hq(), status: v.status, ...page });
      break;
    case 'redeliver':
      out = await api('POST', '/hoard/v1/webhook/redeliver', { ...hq(), 'delivery-id': need('delivery-id') });
      break;
    case 'replay':
      out = await api('POST', '/hoard/v1/webhook/replay', { ...hq(), since: need('since') });
      break;
    default:
      out = await api('POST', '/hoard/v1/webhook/test', hq());
  }
  console.log(v.json ? JSON.stringify(out, null, 2) : human(sub, out));
  return 0;
}

const time = (s: number | undefined) => (s === undefined ? '-' : new Date(s * 1000).toISOString());

function hook(w: Json): string {
  return `${w.webhookId}  ${w.enabled ? 'enabled ' : 'disabled'}  ${w.url}\n  pattern: ${w.eventPattern}${w.description ? `\n  description: ${w.description}` : ''}`;
}

function delivery(d: Json): string {
  const lines = [`${d.deliveryId}  ${d.status.padEnd(9)} ${d.kind.padEnd(6)} event ${d.eventId}  created ${time(d.createdTime)}${d.nextAttemptTime ? `  next attempt ${time(d.nextAttemptTime)}` : ''}`];
  for (const a of d.attempts ?? [])
    lines.push(`    ${time(a.attemptedTime)}  ${a.statusCode ?? '---'}  ${String(a.durationMs).padStart(5)} ms  ${a.error ?? 'ok'}`);
  return lines.join('\n');
}

function human(sub: string, o: Json): string {
  switch (sub) {
    case 'create':
      return `Created webhook ${o.webhook.webhookId} -> ${o.webhook.url}\nSigning secret (shown only now; store it with the receiver): ${o.secret}`;
    case 'update':
      return `${hook(o.webhook)}${o.secret ? `\nNew signing secret (shown only now): ${o.secret}${o.webhook.previousSecretExpiresTime ? `\nThe previous secret also signs until ${time(o.webhook.previousSecretExpiresTime)}.` : ''}` : ''}`;
    case 'list':
      return [...o.webhooks.map(hook), ...(o.nextToken ? [`(more: --next-token ${o.nextToken})`] : [])].join('\n') || 'No webhooks.';
    case 'describe':
      return hook(o.webhook);
    case 'delete':
      return `Deleted webhook ${o.webhook.webhookId}`;
    case 'deliveries':
      return [...o.deliveries.map(delivery), ...(o.nextToken ? [`(more: --next-token ${o.nextToken})`] : [])].join('\n') || 'No deliveries.';
    case 'replay':
      return `Queued ${o.deliveriesQueued} deliveries from ${o.eventsScanned} events${o.truncated ? ' (stopped at the replay limit; replay again from a later time)' : ''}.`;
    default:
      return `Queued delivery ${o.delivery.deliveryId} (event ${o.delivery.eventId}).`;
  }
}
