// Builds the services and the Koa app from a Config; starts and stops the HTTP server.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import pino, { type Logger } from 'pino';
import client from 'prom-client';
import type { Config } from './config.js';
import { openDb } from './store/db.js';
import { migrate } from './store/migrate.js';
import { createBlobStore } from './blobs/index.js';
import { IdentityService } from './core/identity.js';
import { DomainService } from './core/domains.js';
import { Access } from './auth/access.js';
import { TokenService } from './auth/tokens.js';
import { DataPlaneAuth } from './auth/data-plane.js';
import { controlPlaneRouter } from './api/control-plane.js';
import { formatRouters } from './formats/index.js';
import { PackageService } from './core/packages.js';
import { startCollector } from './core/collector.js';
import type { Services } from './services.js';

export interface RunningServer {
  url: string;
  port: number;
  services: Services;
  /** Stops accepting connections, finishes in-flight requests (up to the grace period), closes the stores. */
  close(): Promise<void>;
  /** Set when the first start created the operator account; the caller prints it once. */
  bootstrap: { accountId: string; accessKeyId: string; secretAccessKey: string; generated: boolean } | null;
}

export async function buildServices(config: Config, log: Logger): Promise<{ svc: Services; bootstrap: RunningServer['bootstrap'] }> {
  const db = await openDb(config.databaseUrl, config.dataDir);
  const applied = await migrate(db);
  if (applied.length) log.info({ applied }, 'migrations applied');
  const blobs = await createBlobStore(config.s3 ? { s3: config.s3 } : { dataDir: config.dataDir });
  const identity = new IdentityService(db, config.masterKey);
  const domains = new DomainService(db, config.region, config.s3 ? `arn:aws:s3:::${config.s3.bucket}` : undefined);
  const tokens = new TokenService(config.tokenSigningKey, config.tokenVerifyKeys);
  const packages = new PackageService(db, blobs, domains, config.region);
  const svc: Services = {
    config,
    db,
    blobs,
    identity,
    domains,
    packages,
    access: new Access(identity, domains),
    tokens,
    dataPlaneAuth: new DataPlaneAuth(tokens, identity),
    log,
  };
  const bootstrap = await identity.bootstrap(config.root);
  return { svc, bootstrap };
}

export function buildApp(svc: Services): Koa {
  const app = new Koa({ proxy: false });
  // Koa's default prints every stream error to stderr; a client hanging up mid-download
  // (ECONNRESET, premature close) is routine, so it is logged quietly instead.
  app.on('error', (err: NodeJS.ErrnoException) => {
    const routine = err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.code === 'ERR_STREAM_PREMATURE_CLOSE';
    if (routine) svc.log.debug({ code: err.code }, 'client went away mid-response');
    else svc.log.error({ err: { message: err.message, stack: err.stack } }, 'unhandled application error');
  });
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const requests = new client.Histogram({
    name: 'hoard_http_request_duration_seconds',
    help: 'HTTP request latency by surface and status',
    labelNames: ['surface', 'method', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [registry],
  });

  // Request id, access log and a last-resort error handler (each face maps its own errors first).
  app.use(async (ctx, next) => {
    const id = randomUUID();
    ctx.state.requestId = id;
    ctx.set('x-amzn-RequestId', id);
    ctx.set('x-request-id', id);
    ctx.set('X-Content-Type-Options', 'nosniff'); // no browser guesses a type: see formats/shared/download.ts
    const start = process.hrtime.bigint();
    try {
      await next();
      // An answer given before the request body was read (413, 401, a refused upload) must not
      // leave the rest of that body on a kept-alive connection: close it, so no client reuses a
      // socket the server is about to drop.
      if (!ctx.req.complete && !ctx.headerSent) ctx.set('Connection', 'close');
    } catch (e) {
      ctx.state.error = e;
      ctx.status = 500;
      ctx.type = 'text/plain';
      ctx.body = `Internal error; request id ${id}\n`;
    } finally {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const surface = ctx.path.split('/')[1] || 'root';
      requests.observe({ surface, method: ctx.method, status: String(ctx.status) }, ms / 1000);
      const err = ctx.state.error as Error | undefined;
      const entry = {
        reqId: id,
        method: ctx.method,
        path: ctx.path, // never the query string: tokens can travel there
        status: ctx.status,
        ms: Math.round(ms * 10) / 10,
        principal: ctx.state.principal,
        ...(err ? { err: { message: err.message, stack: err.stack } } : {}),
      };
      if (err || ctx.status >= 500) svc.log.error(entry, 'request failed');
      else svc.log.info(entry, 'request');
    }
  });

  const ops = new Router();
  ops.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  ops.get('/readyz', async (ctx) => {
    const checks: Record<string, string> = {};
    await svc.db.query('SELECT 1').then(
      () => (checks.database = 'ok'),
      (e: Error) => (checks.database = e.message),
    );
    await svc.blobs.check().then(
      () => (checks.blobs = 'ok'),
      (e: Error) => (checks.blobs = e.message),
    );
    const ok = Object.values(checks).every((v) => v === 'ok');
    ctx.status = ok ? 200 : 503;
    ctx.body = { status: ok ? 'ready' : 'not ready', checks };
  });
  ops.get('/metrics', async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  app.use(ops.routes());
  for (const r of formatRouters(svc)) app.use(r.routes()).use(r.allowedMethods());
  const cp = controlPlaneRouter(svc);
  app.use(cp.routes());
  return app;
}

export async function startServer(config: Config, log?: Logger): Promise<RunningServer> {
  const logger = log ?? pino({ level: config.logLevel, redact: ['req.headers.authorization'] });
  const { svc, bootstrap } = await buildServices(config, logger);
  const app = buildApp(svc);
  const server = http.createServer(app.callback());
  // Large uploads (Maven, PyPI, generic) must not be cut off by Node's 5-minute default.
  server.requestTimeout = 60 * 60 * 1000;
  server.headersTimeout = 60 * 1000;
  server.keepAliveTimeout = 65 * 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  if (config.port === 0) {
    // A random port is only known now: hand out URLs with it.
    config.publicUrl = config.publicUrl.replace(/:0$/, `:${port}`);
  }
  // Unreferenced blobs (disposed, deleted) are collected in the background after a grace period.
  const collector = startCollector(svc.db, svc.blobs, {
    intervalMs: config.blobGcIntervalMs,
    graceMs: config.blobGcGraceMs,
    log: svc.log,
  });
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    services: svc,
    bootstrap,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            server.closeAllConnections();
          }, config.shutdownGraceMs);
          server.close(() => {
            clearTimeout(timer);
            resolve();
          });
          server.closeIdleConnections();
        });
        await collector.stop();
        await svc.db.close();
      })();
      return closing;
    },
  };
}
