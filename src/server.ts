// Builds the services and the Koa app from a Config; starts and stops the HTTP server.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import pino, { type Logger } from 'pino';
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
import { uiRouter } from './ui/index.js';
import { formatAdapters } from './formats/index.js';
import { PackageService } from './core/packages.js';
import { Upstreams } from './core/upstreams.js';
import { startCollector } from './core/collector.js';
import { startTempSweeper } from './core/temp-sweeper.js';
import { AuditLog, startAuditPruner, type AuditMark } from './core/audit.js';
import { WebhookService } from './core/webhooks/service.js';
import { startWebhookWorkers } from './core/webhooks/worker.js';
import { isHoardError } from './errors.js';
import { isUnavailable, waitUntilAvailable } from './outage.js';
import { setErrorStatus, statusOf } from './formats/shared/errors.js';
import type { Services } from './services.js';
import { createMetrics } from './metrics.js';

/** Longest a readiness check waits for one dependency before calling it unavailable. */
const READY_CHECK_TIMEOUT_MS = 5_000;

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
  // At start-up the database and S3 may still be starting (compose, a restart): each step waits for
  // its dependency, bounded by HOARD_STARTUP_WAIT_MS, instead of exiting.
  const wait = <T>(what: string, fn: () => Promise<T>) => waitUntilAvailable(what, fn, { timeoutMs: config.startupWaitMs, log });
  const db = await openDb(config.databaseUrl, config.dataDir, {
    log,
    startupWaitMs: config.startupWaitMs,
    connectTimeoutMs: config.dbConnectTimeoutMs,
    pgliteSharedBuffers: config.pgliteSharedBuffers,
  });
  try {
    return await buildOnDb(config, log, db, wait);
  } catch (e) {
    await db.close().catch(() => {});
    throw e;
  }
}

async function buildOnDb(
  config: Config,
  log: Logger,
  db: Services['db'],
  wait: <T>(what: string, fn: () => Promise<T>) => Promise<T>,
): Promise<{ svc: Services; bootstrap: RunningServer['bootstrap'] }> {
  const applied = await wait('database', () => migrate(db));
  if (applied.length) log.info({ applied }, 'migrations applied');
  const blobs = await wait('blob store', () => createBlobStore(config.s3 ? { s3: config.s3 } : { dataDir: config.dataDir }, { log }));
  const identity = new IdentityService(db, config.masterKey);
  const domains = new DomainService(db, config.region, config.s3 ? `arn:aws:s3:::${config.s3.bucket}` : undefined);
  const tokens = new TokenService(config.tokenSigningKey, config.tokenVerifyKeys);
  const metrics = createMetrics(db);
  const upstreams = new Upstreams(
    db,
    {
      urls: config.externalUrls,
      auth: config.externalAuth,
      origins: config.externalOrigins,
      metadataTtlMs: config.upstreamMetadataTtlMs,
      negativeTtlMs: config.upstreamNegativeTtlMs,
      connectTimeoutMs: config.upstreamConnectTimeoutMs,
      readTimeoutMs: config.upstreamTimeoutMs,
      offlineMs: config.upstreamOfflineMs,
    },
    metrics.upstream,
  );
  const packages = new PackageService(db, blobs, domains, config.region, upstreams);
  const svc: Services = {
    config,
    db,
    blobs,
    identity,
    domains,
    packages,
    upstreams,
    access: new Access(identity, domains),
    tokens,
    dataPlaneAuth: new DataPlaneAuth(tokens, identity),
    log,
    metrics,
    audit: new AuditLog(db, { enabled: config.audit, flushMs: config.auditFlushMs, log }),
    webhooks: new WebhookService(db, config.masterKey, () => config.webhooks.allowPrivate),
  };
  const bootstrap = await wait('database', () => identity.bootstrap(config.root));
  return { svc, bootstrap };
}

export function buildApp(svc: Services): Koa {
  const app = new Koa({ proxy: false });
  // Koa's default prints every stream error to stderr; a client hanging up mid-download
  // (ECONNRESET, premature close) is routine, so it is logged quietly instead.
  app.on('error', (err: NodeJS.ErrnoException) => {
    const routine =
      err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.code === 'ERR_STREAM_PREMATURE_CLOSE' || err.code === BODY_IDLE_CODE;
    if (routine) svc.log.debug({ code: err.code }, 'client went away mid-response');
    else svc.log.error({ err: { message: err.message, stack: err.stack } }, 'unhandled application error');
  });
  const { registry, httpRequests: requests } = svc.metrics;

  // Request id, body idle timeout, access log and a last-resort error handler (each face maps its
  // own errors first).
  app.use(async (ctx, next) => {
    const id = randomUUID();
    ctx.state.requestId = id;
    ctx.set('x-amzn-RequestId', id);
    ctx.set('x-request-id', id);
    ctx.set('X-Content-Type-Options', 'nosniff'); // no browser guesses a type: see formats/shared/download.ts
    const start = process.hrtime.bigint();
    const unwatch = watchBody(ctx, svc.config.bodyIdleTimeoutMs);
    try {
      await next();
      // An answer given before the request body was read (413, 401, a refused upload) must not
      // leave the rest of that body on a kept-alive connection: close it, so no client reuses a
      // socket the server is about to drop.
      if (!ctx.req.complete && !ctx.headerSent) ctx.set('Connection', 'close');
    } catch (e) {
      if (isHoardError(e)) {
        // A kind that escaped its face (a dependency outage, say) still gets its status: 503 + Retry-After.
        setErrorStatus(ctx, statusOf(e));
        ctx.type = 'text/plain';
        ctx.body = `${e.message} (request id ${id})\n`;
        if (ctx.status >= 500) ctx.state.error = e;
      } else {
        ctx.state.error = e;
        ctx.status = 500;
        ctx.type = 'text/plain';
        ctx.body = `Internal error; request id ${id}\n`;
      }
    } finally {
      unwatch();
      // Audited requests (control plane, Hoard's API, data-plane writes and logins) leave a row
      // with the final outcome, refusals included; it is buffered, never awaited here.
      const audit = ctx.state.audit as AuditMark | undefined;
      if (audit)
        svc.audit.record(audit, {
          requestId: id,
          status: ctx.status,
          errorType: ctx.response.get('x-amzn-ErrorType') || undefined,
          sourceIp: ctx.ip,
          userAgent: ctx.get('user-agent'),
        });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const surface = ctx.path.split('/')[1] || 'root';
      requests.observe({ surface, method: ctx.method, status: String(ctx.status) }, ms / 1000);
      const err = ctx.state.error as Error | undefined;
      const cause = (err as { cause?: Error } | undefined)?.cause;
      const entry = {
        reqId: id,
        method: ctx.method,
        path: ctx.path, // never the query string: tokens can travel there
        status: ctx.status,
        ms: Math.round(ms * 10) / 10,
        principal: ctx.state.principal,
        ...(err ? { err: { message: err.message, stack: err.stack, ...(cause ? { cause: cause.message } : {}) } } : {}),
      };
      if (ctx.state.bodyTimedOut) svc.log.warn(entry, 'request body timed out');
      else if (isUnavailable(err) || (!err && ctx.status === 503)) svc.log.warn(entry, 'request answered 503: service unavailable');
      else if (err || ctx.status >= 500) svc.log.error(entry, 'request failed');
      else svc.log.info(entry, 'request');
    }
  });

  const ops = new Router();
  ops.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  // Each dependency answers "ok" or "unavailable"; why is logged, never sent (errors name hosts).
  ops.get('/readyz', async (ctx) => {
    const probe = async (dependency: string, fn: () => Promise<unknown>): Promise<'ok' | 'unavailable'> => {
      try {
        await withDeadline(fn(), READY_CHECK_TIMEOUT_MS, `no answer within ${READY_CHECK_TIMEOUT_MS} ms`);
        return 'ok';
      } catch (e) {
        const cause = (e as { cause?: Error }).cause ?? (e as Error);
        svc.log.warn({ dependency, err: { message: cause?.message, code: (cause as NodeJS.ErrnoException)?.code } }, 'readiness check failed');
        return 'unavailable';
      }
    };
    const [database, blobs] = await Promise.all([probe('database', () => svc.db.query('SELECT 1')), probe('blobs', () => svc.blobs.check())]);
    const checks = { database, blobs };
    const ok = database === 'ok' && blobs === 'ok';
    ctx.set('Cache-Control', 'no-store');
    setErrorStatus(ctx, ok ? 200 : 503);
    ctx.body = { status: ok ? 'ready' : 'not ready', checks };
  });
  ops.get('/metrics', async (ctx) => {
    const token = svc.config.metricsToken;
    if (token !== null && !bearerMatches(ctx.get('Authorization'), token)) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer realm="hoard-metrics"');
      ctx.set('Cache-Control', 'no-store');
      ctx.type = 'text/plain';
      ctx.body = 'The metrics need the header Authorization: Bearer <token>, with the token set in HOARD_METRICS_TOKEN.\n';
      return;
    }
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  app.use(ops.routes());
  const ui = uiRouter(svc);
  app.use(ui.routes()).use(ui.allowedMethods());
  for (const a of formatAdapters(svc)) {
    if (a.refresher) svc.packages.registerRefresher(a.format, a.refresher);
    if (a.dataHooks) svc.packages.registerDataHooks(a.format, a.dataHooks);
    app.use(a.router.routes()).use(a.router.allowedMethods());
  }
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
  // Temporaries of interrupted uploads are removed at start and then on an interval.
  const sweeper = startTempSweeper(svc.blobs, { intervalMs: config.tempSweepIntervalMs, graceMs: config.tempGraceMs, log: svc.log });
  // Audit rows older than HOARD_AUDIT_RETENTION_DAYS are pruned in the background.
  const auditPruner = startAuditPruner(svc.db, {
    intervalMs: config.auditPruneIntervalMs,
    retentionDays: config.auditRetentionDays,
    log: svc.log,
  });
  // Webhooks: the dispatcher reads the outbox; delivery workers send what is due (every replica).
  const webhookWorkers = startWebhookWorkers(svc.db, {
    config: config.webhooks,
    masterKey: config.masterKey,
    metrics: svc.metrics.webhooks,
    log: svc.log,
    userAgent: 'Hoard-Webhooks/1',
  });
  svc.webhooks.wake = webhookWorkers.wake;
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
        // Every request has finished: what they left in the audit buffer is written before the database closes.
        await svc.audit.close();
        await auditPruner.stop();
        await collector.stop();
        await webhookWorkers.stop();
        await svc.upstreams.close();
        await sweeper.stop();
        await svc.db.close();
      })();
      return closing;
    },
  };
}

/** Resolves or rejects with p, or rejects with `message` after ms. */
function withDeadline<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** `Authorization: Bearer <token>` compared in constant time. */
function bearerMatches(header: string, token: string): boolean {
  if (header.slice(0, 7).toLowerCase() !== 'bearer ') return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(header.slice(7).trim()), digest(token));
}

const BODY_IDLE_CODE = 'ERR_BODY_IDLE_TIMEOUT';

/**
 * The body idle timeout, for every route: while a request body is still arriving, a client that
 * sends nothing for idleMs gets a 408 with Connection: close (when nothing was answered yet), and
 * the request is destroyed, so a handler reading it fails. Time counts only while the server waits
 * for the client: bytes waiting unread in the request mean the server is the slow side (a slow
 * upload to S3, say) and reset the clock; and the watch ends once the body is complete, so slow
 * server-side work is never cut. Returns the function that ends the watch.
 */
function watchBody(ctx: Koa.Context, idleMs: number): () => void {
  const req = ctx.req;
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody || req.complete) return () => {};
  const socket = req.socket;
  let seen = socket.bytesRead;
  let lastProgress = Date.now();
  const timer = setInterval(
    () => {
      if (req.complete || req.destroyed) return clearInterval(timer);
      const now = Date.now();
      if (socket.bytesRead !== seen || req.readableLength > 0) {
        seen = socket.bytesRead;
        lastProgress = now;
        return;
      }
      if (now - lastProgress < idleMs) return;
      clearInterval(timer);
      ctx.state.bodyTimedOut = true;
      const err = Object.assign(new Error(`The request body sent nothing for ${idleMs} ms.`), { code: BODY_IDLE_CODE });
      const res = ctx.res;
      if (res.headersSent) return void req.destroy(err);
      res.writeHead(408, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close', 'Cache-Control': 'no-store' });
      // Destroying the request closes the socket: first let the 408 go out (briefly, if the client reads nothing).
      const fallback = setTimeout(() => req.destroy(err), 1_000);
      fallback.unref();
      res.end(`The request body sent nothing for ${idleMs} ms (HOARD_BODY_IDLE_TIMEOUT_MS); request id ${String(ctx.state.requestId)}\n`, () => {
        clearTimeout(fallback);
        req.destroy(err);
      });
    },
    Math.max(25, Math.min(1_000, Math.floor(idleMs / 4))),
  );
  timer.unref();
  return () => clearInterval(timer);
}
