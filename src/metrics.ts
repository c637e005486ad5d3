// The server's Prometheus registry (served at /metrics): process defaults, HTTP latency by face,
// the database statements sent, and what the external connections cost (requests by outcome, their
// latency), in one place so the HTTP layer and core/upstreams.ts record into the same registry.
import client from 'prom-client';
import type { UpstreamMetrics } from './upstream/client.js';

export interface Metrics {
  registry: client.Registry;
  httpRequests: client.Histogram<'surface' | 'method' | 'status'>;
  upstream: UpstreamMetrics;
  webhooks: WebhookMetrics;
}

/** What webhook delivery costs and how far behind it is (recorded by core/webhooks/worker.ts). */
export interface WebhookMetrics {
  /** a delivery ended: delivered, or failed after its last attempt */
  delivery(outcome: 'delivered' | 'failed'): void;
  /** one attempt: 2xx, 4xx, 5xx, timeout, refused, blocked, error */
  attempt(outcome: string, seconds: number): void;
  /** pending deliveries across the cluster and the age of the oldest, in seconds */
  backlog(pending: number, oldestSeconds: number): void;
}

export function createMetrics(db: { statements(): number }): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  new client.Counter({
    name: 'hoard_db_statements_total',
    help: 'SQL statements sent to the database (BEGIN and COMMIT included)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(db.statements());
    },
  });
  const httpRequests = new client.Histogram({
    name: 'hoard_http_request_duration_seconds',
    help: 'HTTP request latency by surface and status',
    labelNames: ['surface', 'method', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [registry],
  });
  const upstreamRequests = new client.Counter({
    name: 'hoard_upstream_requests_total',
    help: 'Attempts to reach external connections by outcome: the HTTP status, timeout, unreachable (refused, reset, DNS), or offline (not asked during the offline window)',
    labelNames: ['connection', 'outcome'],
    registers: [registry],
  });
  const upstreamLatency = new client.Histogram({
    name: 'hoard_upstream_request_duration_seconds',
    help: 'Latency of attempts to reach external connections, to the response headers',
    labelNames: ['connection'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const webhookDeliveries = new client.Counter({
    name: 'hoard_webhook_deliveries_total',
    help: 'Webhook deliveries that ended, by outcome: delivered (a 2xx) or failed (no 2xx by the last attempt)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const webhookAttempts = new client.Counter({
    name: 'hoard_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome: 2xx, 3xx, 4xx, 5xx, timeout, refused, blocked (a refused address), error',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const webhookLatency = new client.Histogram({
    name: 'hoard_webhook_attempt_duration_seconds',
    help: 'Duration of webhook delivery attempts, to the end of the answer',
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const webhookPending = new client.Gauge({
    name: 'hoard_webhook_queue_depth',
    help: 'Webhook deliveries pending (due or waiting for a retry), across every replica',
    registers: [registry],
  });
  const webhookOldest = new client.Gauge({
    name: 'hoard_webhook_oldest_undelivered_seconds',
    help: 'Age of the oldest pending webhook delivery, in seconds (0 when none is pending)',
    registers: [registry],
  });
  return {
    registry,
    webhooks: {
      delivery: (outcome) => webhookDeliveries.inc({ outcome }),
      attempt(outcome, seconds) {
        webhookAttempts.inc({ outcome });
        webhookLatency.observe(seconds);
      },
      backlog(pending, oldest) {
        webhookPending.set(pending);
        webhookOldest.set(oldest);
      },
    },
    httpRequests,
    upstream: {
      request(connection, outcome, seconds) {
        upstreamRequests.inc({ connection, outcome });
        upstreamLatency.observe({ connection }, seconds);
      },
    },
  };
}
