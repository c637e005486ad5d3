// The server's Prometheus registry (served at /metrics): process defaults, HTTP latency by face,
// and what the external connections cost (requests by outcome, their latency), in one place so
// the HTTP layer and core/upstreams.ts record into the same registry.
import client from 'prom-client';
import type { UpstreamMetrics } from './upstream/client.js';

export interface Metrics {
  registry: client.Registry;
  httpRequests: client.Histogram<'surface' | 'method' | 'status'>;
  upstream: UpstreamMetrics;
}

export function createMetrics(): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
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
  return {
    registry,
    httpRequests,
    upstream: {
      request(connection, outcome, seconds) {
        upstreamRequests.inc({ connection, outcome });
        upstreamLatency.observe({ connection }, seconds);
      },
    },
  };
}
