// One HTTP client per external connection (public:npmjs, public:pypi, public:maven-central, ...):
// a keep-alive pool, connect/headers/body timeouts, retries with backoff and jitter on 5xx and
// connection failures, conditional requests (ETag / Last-Modified), an offline window after
// repeated failures (so a dead upstream costs one timeout, not one per request) and metrics.
// A leaf like blobs/: it knows URLs and bytes, not packages.
import { Agent, request, type Dispatcher } from 'undici';
import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip } from 'node:zlib';
import { HoardError } from '../errors.js';

export interface UpstreamSettings {
  /** the external connection's name, e.g. public:npmjs */
  name: string;
  /** base URL, no trailing slash */
  url: string;
  /** value of the Authorization header sent upstream (HOARD_EXTERNAL_<NAME>_AUTH), if any */
  authorization?: string;
  /**
   * other origins the upstream's documents may point files at (HOARD_EXTERNAL_<NAME>_ORIGINS: a
   * public index serving its files from another host); the authorization is never sent there
   */
  otherOrigins?: string[];
  connectTimeoutMs: number;
  /** for the response headers, and for each gap between body chunks */
  readTimeoutMs: number;
  /** extra attempts after a failed one (5xx, reset, refused, timeout) */
  retries: number;
  /** consecutive failed requests after which the upstream is treated as offline */
  offlineAfter: number;
  offlineForMs: number;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable;
  url: string;
}

/** What the client tells its caller about a failure: unreachable (502) or too slow (504). */
export class UpstreamError extends HoardError {
  constructor(
    readonly connection: string,
    readonly reason: 'unreachable' | 'timeout' | 'offline' | 'bad-status',
    message: string,
  ) {
    super(reason === 'timeout' ? 'GatewayTimeout' : 'BadGateway', message);
  }
}

/** Counters and a histogram the server registers; optional so tests and tools can omit them. */
export interface UpstreamMetrics {
  request(connection: string, outcome: string, seconds: number): void;
}

/** The setting of a connection: public:maven-central, 'URL' -> HOARD_EXTERNAL_MAVEN_CENTRAL_URL. */
export const envName = (connection: string, what: 'URL' | 'AUTH' | 'ORIGINS') =>
  `HOARD_EXTERNAL_${connection.replace(/^public:/, '').replace(/-/g, '_').toUpperCase()}_${what}`;

const RETRY_STATUSES = new Set([500, 502, 503, 504, 429]);

export class UpstreamClient {
  private readonly agent: Agent;
  private failures = 0;
  private offlineUntil = 0;
  private readonly origin: string;

  constructor(
    readonly settings: UpstreamSettings,
    private readonly metrics?: UpstreamMetrics,
  ) {
    this.origin = new URL(settings.url).origin;
    this.agent = new Agent({
      connect: { timeout: settings.connectTimeoutMs },
      headersTimeout: settings.readTimeoutMs,
      bodyTimeout: settings.readTimeoutMs,
      keepAliveTimeout: 30_000,
      connections: 32,
    });
  }

  get name(): string {
    return this.settings.name;
  }

  /** True while the offline window after repeated failures lasts. */
  get offline(): boolean {
    return Date.now() < this.offlineUntil;
  }

  /** `path` is relative to the base URL (no leading slash needed), or an absolute URL on its origin or one of `otherOrigins`. */
  resolve(path: string): string {
    if (/^https?:\/\//i.test(path)) {
      const u = new URL(path);
      if (u.origin !== this.origin && !this.settings.otherOrigins?.includes(u.origin))
        throw new UpstreamError(
          this.name,
          'bad-status',
          `${this.name} pointed at another host (${u.origin}); only ${[this.origin, ...(this.settings.otherOrigins ?? [])].join(', ')} is fetched (add it to ${envName(this.name, 'ORIGINS')} if it is the upstream's own file host).`,
        );
      return u.toString();
    }
    return `${this.settings.url}/${path.replace(/^\/+/, '')}`;
  }

  /**
   * GET with validators. Answers every status but retried ones as they are (200, 304, 404, 410,
   * other 4xx: the caller decides); 5xx and connection failures are retried, then thrown as
   * UpstreamError. The caller must consume or destroy `body`.
   */
  async get(path: string, opts: { etag?: string; lastModified?: string; accept?: string } = {}): Promise<UpstreamResponse> {
    return this.send('GET', path, opts);
  }

  /** POST of a small body (npm's audit), retried like a GET: the requests sent this way are queries. */
  async post(path: string, body: Buffer, opts: { contentType?: string; contentEncoding?: string; accept?: string } = {}): Promise<UpstreamResponse> {
    return this.send('POST', path, { ...opts, body });
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    opts: { etag?: string; lastModified?: string; accept?: string; body?: Buffer; contentType?: string; contentEncoding?: string },
  ): Promise<UpstreamResponse> {
    const url = this.resolve(path);
    if (this.offline) {
      this.metrics?.request(this.name, 'offline', 0);
      throw new UpstreamError(this.name, 'offline', `The upstream ${this.name} is unreachable (it failed ${this.settings.offlineAfter} times in a row; retrying after a pause).`);
    }
    const headers: Record<string, string> = { 'user-agent': 'hoard', 'accept-encoding': 'gzip, br' };
    if (opts.accept) headers.accept = opts.accept;
    if (opts.etag) headers['if-none-match'] = opts.etag;
    else if (opts.lastModified) headers['if-modified-since'] = opts.lastModified;
    // The upstream's credentials go to its own origin only, never to a file host it points at.
    if (this.settings.authorization && new URL(url).origin === this.origin) headers.authorization = this.settings.authorization;
    if (opts.contentType) headers['content-type'] = opts.contentType;
    if (opts.contentEncoding) headers['content-encoding'] = opts.contentEncoding;
    let lastError: UpstreamError | null = null;
    for (let attempt = 0; attempt <= this.settings.retries; attempt++) {
      if (attempt > 0) await sleep(backoff(attempt));
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      let res: Dispatcher.ResponseData<unknown>;
      try {
        res = await request(url, { method, headers, body: opts.body, dispatcher: this.agent, maxRedirections: 0 } as Parameters<typeof request>[1]);
      } catch (e) {
        lastError = this.failure(e, url);
        this.metrics?.request(this.name, lastError.reason, seconds());
        // A connection refused or reset is worth another try; an upstream too slow to answer is not.
        if (lastError.reason === 'timeout') break;
        continue;
      }
      // undici reports a body destroyed before its end as an error: callers that drop a body
      // (a 304, a 404, a retried 5xx) must not turn that into an unhandled 'error' event. Readers
      // (async iteration, pipeline) still see real errors.
      res.body.on('error', () => {});
      if (RETRY_STATUSES.has(res.statusCode)) {
        res.body.destroy();
        lastError = new UpstreamError(this.name, 'bad-status', `The upstream ${this.name} answered ${res.statusCode} for ${url}.`);
        this.metrics?.request(this.name, String(res.statusCode), seconds());
        continue;
      }
      this.failures = 0;
      this.metrics?.request(this.name, String(res.statusCode), seconds());
      return { status: res.statusCode, headers: flatten(res.headers), body: decoded(res), url };
    }
    this.failures++;
    if (this.failures >= this.settings.offlineAfter) this.offlineUntil = Date.now() + this.settings.offlineForMs;
    throw lastError!;
  }

  /** Reads a whole (small) response body, refusing more than `limit` bytes. */
  static async text(res: UpstreamResponse, limit: number): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of res.body) {
      size += (c as Buffer).length;
      if (size > limit) {
        res.body.destroy();
        throw new HoardError('BadGateway', `The upstream document at ${res.url} is larger than ${limit} bytes.`);
      }
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks, size).toString('utf8');
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private failure(e: unknown, url: string): UpstreamError {
    const code = (e as { code?: string }).code ?? '';
    const timeout = code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
    return new UpstreamError(
      this.name,
      timeout ? 'timeout' : 'unreachable',
      timeout
        ? `The upstream ${this.name} did not answer ${url} in time.`
        : `The upstream ${this.name} is unreachable (${code || (e as Error).message}).`,
    );
  }
}

function flatten(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** The body with any content coding the upstream applied removed (undici's request() does not). */
function decoded(res: Dispatcher.ResponseData<unknown>): Readable {
  const enc = String(res.headers['content-encoding'] ?? '').toLowerCase();
  if (enc !== 'gzip' && enc !== 'br') return res.body;
  // Streaming inflation (never in one piece on the event loop); an error on either side ends both.
  const out = enc === 'gzip' ? createGunzip() : createBrotliDecompress();
  pipeline(res.body, out, () => {});
  out.on('error', () => {});
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** 100 ms, 200 ms, 400 ms ... plus up to 100 ms of jitter. */
const backoff = (attempt: number) => 100 * 2 ** (attempt - 1) + Math.random() * 100;
