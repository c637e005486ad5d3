// Hoard's webhook API (service `hoard`, SigV4): subscriptions of a domain, their delivery log,
// redelivery, replay and test events. Each operation is authorized by the one policy evaluator
// with a `hoard:` action on the domain's ARN (root of the owning account is allowed). Replay is a
// bulk redelivery (hoard:RedeliverWebhook); a test event needs hoard:UpdateWebhook.
import { validation } from '../../errors.js';
import type { DomainRow } from '../../store/domains.js';
import { check } from '../../core/names.js';
import { body, op, type Operation, type OpInput, type PreInput } from '../operation.js';
import { domainFor, ownerOf } from '../resolve.js';

const DOMAIN_Q = { domain: { required: true }, 'domain-owner': {} } as const;
const HOOK_Q = { ...DOMAIN_Q, 'webhook-id': { required: true } } as const;
const PAGE_Q = { 'max-results': { type: 'int', min: 1, max: 100 }, 'next-token': {} } as const;

const domain = (action: string) => (input: PreInput) =>
  domainFor(input, `hoard:${action}`, check('domain', 'domain', input.q.domain as string), ownerOf(input));
const hookId = (i: PreInput) => i.q['webhook-id'] as string;

function fields(b: OpInput['body']) {
  const description = body.str(b, 'description');
  const pattern = b.eventPattern;
  if (pattern !== undefined && pattern !== null && typeof pattern !== 'string' && (typeof pattern !== 'object' || Array.isArray(pattern)))
    throw validation("'eventPattern' must be an EventBridge event pattern: a JSON object, or its text.");
  return {
    url: body.str(b, 'url'),
    eventPattern: pattern === undefined || pattern === null ? undefined : typeof pattern === 'string' ? pattern : JSON.stringify(pattern),
    description,
    enabled: body.bool(b, 'enabled'),
  };
}

function parseSince(v: string): Date {
  const d = /^[0-9]{1,12}(\.[0-9]+)?$/.test(v) ? new Date(Number(v) * 1000) : new Date(v);
  if (Number.isNaN(d.getTime())) throw validation(`'since' must be an ISO-8601 time (2026-01-31T12:00:00Z) or epoch seconds; got '${v}'.`);
  return d;
}

export const webhookOps: Operation[] = [
  op({
    name: 'CreateWebhook',
    method: 'POST',
    path: '/hoard/v1/webhooks',
    query: DOMAIN_Q,
    body: 'json',
    authorize: domain('CreateWebhook'),
    run: async (i, d: DomainRow) => i.svc.webhooks.create(d, fields(i.body)),
  }),
  {
    name: 'ListWebhooks',
    method: 'GET',
    path: '/hoard/v1/webhooks',
    query: { ...DOMAIN_Q, ...PAGE_Q },
    body: 'none',
    async run(i) {
      const d = await domain('ListWebhooks')(i);
      return i.svc.webhooks.list(d, i.q['max-results'] as number | undefined, i.q['next-token'] as string | undefined);
    },
  },
  {
    name: 'DescribeWebhook',
    method: 'GET',
    path: '/hoard/v1/webhook',
    query: HOOK_Q,
    body: 'none',
    async run(i) {
      const d = await domain('DescribeWebhook')(i);
      return { webhook: await i.svc.webhooks.describe(d, hookId(i)) };
    },
  },
  op({
    name: 'UpdateWebhook',
    method: 'PUT',
    path: '/hoard/v1/webhook',
    query: HOOK_Q,
    body: 'json',
    authorize: domain('UpdateWebhook'),
    async run(i, d: DomainRow) {
      return i.svc.webhooks.update(d, hookId(i), {
        ...fields(i.body),
        rotateSecret: body.bool(i.body, 'rotateSecret'),
        overlapSeconds: body.int(i.body, 'secretOverlapSeconds', 0, 7 * 24 * 3600),
      });
    },
  }),
  {
    name: 'DeleteWebhook',
    method: 'DELETE',
    path: '/hoard/v1/webhook',
    query: HOOK_Q,
    body: 'none',
    async run(i) {
      const d = await domain('DeleteWebhook')(i);
      return { webhook: await i.svc.webhooks.delete(d, hookId(i)) };
    },
  },
  {
    name: 'ListWebhookDeliveries',
    method: 'GET',
    path: '/hoard/v1/webhook/deliveries',
    query: { ...HOOK_Q, status: {}, ...PAGE_Q },
    body: 'none',
    async run(i) {
      const d = await domain('ListWebhookDeliveries')(i);
      return i.svc.webhooks.deliveries(d, hookId(i), {
        status: i.q.status as string | undefined,
        maxResults: i.q['max-results'] as number | undefined,
        nextToken: i.q['next-token'] as string | undefined,
      });
    },
  },
  {
    name: 'RedeliverWebhook',
    method: 'POST',
    path: '/hoard/v1/webhook/redeliver',
    query: { ...HOOK_Q, 'delivery-id': { required: true } },
    body: 'none',
    async run(i) {
      const d = await domain('RedeliverWebhook')(i);
      return { delivery: await i.svc.webhooks.redeliver(d, hookId(i), i.q['delivery-id'] as string) };
    },
  },
  {
    name: 'ReplayWebhook',
    method: 'POST',
    path: '/hoard/v1/webhook/replay',
    query: { ...HOOK_Q, since: { required: true } },
    body: 'none',
    async run(i) {
      const d = await domain('RedeliverWebhook')(i);
      return i.svc.webhooks.replay(d, hookId(i), parseSince(i.q.since as string));
    },
  },
  {
    name: 'TestWebhook',
    method: 'POST',
    path: '/hoard/v1/webhook/test',
    query: HOOK_Q,
    body: 'none',
    async run(i) {
      const d = await domain('UpdateWebhook')(i);
      return { delivery: await i.svc.webhooks.test(d, hookId(i), i.svc.config.region) };
    },
  },
];
