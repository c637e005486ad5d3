// The upstream engine every format shares: the client of each configured external connection,
// the cache of upstream documents (TTL, revalidation with the upstream's validators, negative
// caching of 404s, stale-if-error) and "one fetch of one thing", in this process and across
// replicas. What a document means (npm packument, PyPI page, Maven metadata) is the adapter's:
// it hands in a fetcher that speaks its protocol and returns the processed forms to keep.
import { createHash } from 'node:crypto';
import type { Db } from '../store/db.js';
import { upstreamStore, type UpstreamDocumentRow } from '../store/upstream.js';
import { UpstreamClient, envName, type UpstreamMetrics, type UpstreamResponse, type UpstreamSettings } from '../upstream/client.js';
import { HoardError, badGateway } from '../errors.js';
import { byteCache } from '../byte-cache.js';

export interface UpstreamsConfig {
  /** connection name -> base URL (HOARD_EXTERNAL_<NAME>_URL) */
  urls: Record<string, string>;
  /** connection name -> Authorization header value (HOARD_EXTERNAL_<NAME>_AUTH) */
  auth: Record<string, string>;
  /** connection name -> other origins its documents may point files at (HOARD_EXTERNAL_<NAME>_ORIGINS) */
  origins?: Record<string, string[]>;
  metadataTtlMs: number;
  negativeTtlMs: number;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  /** after 3 failed requests in a row, the connection is not asked for this long (0 = always ask) */
  offlineMs: number;
}

/** What a fetcher returns: the processed forms of a fresh document, "unchanged", or "no such thing". */
export type FetchResult = { status: 200; parts: string[]; etag?: string; lastModified?: string } | { status: 304 } | { status: 404 };

export type DocumentFetcher = (client: UpstreamClient, validators: { etag?: string; lastModified?: string }) => Promise<FetchResult>;

/** The 502 for an upstream answer that is neither the thing nor its absence (401/403 point at the credentials). */
export function upstreamRefusal(client: UpstreamClient, status: number, what: string): HoardError {
  const auth = status === 401 || status === 403 ? ' (check HOARD_EXTERNAL_*_AUTH)' : '';
  return badGateway(`The upstream ${client.name} answered ${status} for ${what}${auth}; it cannot be fetched now.`);
}

/**
 * The DocumentFetcher every format's document is: GET `path` with the cached validators; 304 is
 * "unchanged" and 404/410 "no such thing" (their bodies dropped); any other non-200 is a 502 naming
 * `what`; a 200's text (at most `maxBytes`) goes to `parse`, whose parts are kept (null: no such thing).
 */
export function documentFetcher(
  path: string,
  o: { accept: string; maxBytes: number; what: string },
  parse: (text: string, res: UpstreamResponse, client: UpstreamClient) => string[] | null,
): DocumentFetcher {
  return async (client, validators) => {
    const res = await client.get(path, { ...validators, accept: o.accept });
    if (res.status === 304 || res.status === 404 || res.status === 410) {
      res.body.destroy();
      return { status: res.status === 304 ? 304 : 404 };
    }
    if (res.status !== 200) {
      res.body.destroy();
      throw upstreamRefusal(client, res.status, o.what);
    }
    const parts = parse(await UpstreamClient.text(res, o.maxBytes), res, client);
    return parts ? { status: 200, parts, etag: res.headers.etag, lastModified: res.headers['last-modified'] } : { status: 404 };
  };
}

export interface CachedDocument {
  status: 200 | 404;
  /** null when the caller already holds this revision (it passed `known`) */
  parts: string[] | null;
  revision: string;
  fetchedAt: Date;
  /** served from the cache because the upstream could not be asked (stale-if-error) */
  stale: boolean;
}

const POLL_MS = 50;
/** Fresh upstream documents kept in memory, so a hot document is not read back from the database on every request. */
const MEMORY_BYTES = 64 * 1024 * 1024;

export class Upstreams {
  private readonly clients = new Map<string, UpstreamClient>();
  private readonly inflight = new Map<string, Promise<unknown>>();
  /** documents as last stored or read, served from here until their TTL ends (then the database is asked) */
  private readonly memory = byteCache<UpstreamDocumentRow>(MEMORY_BYTES, (r) => 256 + (r.parts ?? []).reduce((a, p) => a + p.length, 0));
  /** PGlite: one process owns the database, so the in-process single flight is the whole story (no claim rows) */
  private readonly oneProcess: boolean;

  constructor(
    private readonly db: Db,
    readonly config: UpstreamsConfig,
    metrics?: UpstreamMetrics,
  ) {
    this.oneProcess = db.kind === 'pglite';
    for (const [name, url] of Object.entries(config.urls)) {
      const s: UpstreamSettings = {
        name,
        url,
        authorization: config.auth[name],
        otherOrigins: config.origins?.[name],
        connectTimeoutMs: config.connectTimeoutMs,
        readTimeoutMs: config.readTimeoutMs,
        retries: 2,
        offlineAfter: 3,
        offlineForMs: config.offlineMs,
      };
      this.clients.set(name, new UpstreamClient(s, metrics));
    }
  }

  /** The client of a connection, or a 502 saying it is not configured. */
  client(connection: string): UpstreamClient {
    const c = this.clients.get(connection);
    if (!c) {
      throw badGateway(`The external connection ${connection} is not available on this server (${envName(connection, 'URL')} is not set).`);
    }
    return c;
  }

  configured(connection: string): boolean {
    return this.clients.has(connection);
  }

  /**
   * The cached document `key` of `connection`: from the cache while its TTL lasts, else asked of
   * the upstream (conditionally when a copy exists). When the upstream fails and a copy exists,
   * the copy is served, marked stale; with no copy the failure (502/504) goes to the caller.
   * `known`: a revision the caller holds; its parts are then not read again.
   */
  async document(connection: string, key: string, fetch: DocumentFetcher, known?: string): Promise<CachedDocument> {
    const memoryKey = `${connection}\n${key}`;
    const remember = (r: UpstreamDocumentRow) => {
      if (r.parts) this.memory.set(memoryKey, r);
      return r;
    };
    const held = this.memory.get(memoryKey);
    const row = held && this.fresh(held) ? held : await upstreamStore.getDocument(this.db, connection, key, known);
    if (row && this.fresh(row)) return withKnown(view(remember(row), false), known);
    const started = new Date();
    return this.once(
      `doc|${connection}|${key}`,
      async () => {
        // Another replica may have fetched it meanwhile; with PGlite there is none, and the row read above is current.
        const cur = this.oneProcess && (!row || row.parts) ? row : await upstreamStore.getDocument(this.db, connection, key);
        if (cur && this.fresh(cur) && cur.fetched_at >= started) return view(remember(cur), false);
        try {
          const validators = cur?.status === 200 ? { etag: cur.etag ?? undefined, lastModified: cur.last_modified ?? undefined } : {};
          const r = await fetch(this.client(connection), validators);
          if (r.status === 304 && cur) {
            await upstreamStore.confirmDocument(this.db, connection, key);
            return view(remember({ ...cur, fetched_at: new Date() }), false);
          }
          const next: Omit<UpstreamDocumentRow, 'fetched_at'> =
            r.status === 200
              ? {
                  connection,
                  key,
                  status: 200,
                  etag: r.etag ?? null,
                  last_modified: r.lastModified ?? null,
                  parts: r.parts,
                  revision: revisionOf(r.parts),
                }
              : { connection, key, status: 404, etag: null, last_modified: null, parts: [], revision: '404' };
          await upstreamStore.putDocument(this.db, next);
          return view(remember({ ...next, fetched_at: new Date() }), false);
        } catch (e) {
          if (cur?.status === 200 && e instanceof HoardError && (e.kind === 'BadGateway' || e.kind === 'GatewayTimeout')) return view(cur, true);
          throw e;
        }
      },
      async () => {
        const c = await upstreamStore.getDocument(this.db, connection, key);
        return c && c.fetched_at >= started ? view(c, false) : null;
      },
    ).then((d) => withKnown(d, known));
  }

  /**
   * True while the upstream's "not found" for `key` (e.g. a file's exact path) is remembered: for
   * the negative TTL after rememberMissing. Only 404/410 answers are ever remembered.
   */
  async missing(connection: string, key: string): Promise<boolean> {
    if (this.config.negativeTtlMs <= 0) return false;
    const row = await upstreamStore.getDocument(this.db, connection, key, '404');
    return !!row && row.status === 404 && this.fresh(row);
  }

  /** Remembers that the upstream answered 404 or 410 for `key` (see missing). */
  async rememberMissing(connection: string, key: string): Promise<void> {
    if (this.config.negativeTtlMs <= 0) return;
    await upstreamStore.putDocument(this.db, { connection, key, status: 404, etag: null, last_modified: null, parts: [], revision: '404' });
  }

  /**
   * Runs `work` once for `key` at a time: callers in this process share one run; another
   * replica's run (a claim row) is waited for, checking `settled` for its result, and taken over
   * if its claim outlives twice the read timeout. On PGlite one process owns the database, so the
   * in-process sharing is all there is to do.
   */
  async once<T>(key: string, work: () => Promise<T>, settled: () => Promise<T | null>): Promise<T> {
    const running = this.inflight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const p = (async () => {
      if (this.oneProcess) return work();
      const staleMs = 2 * this.config.readTimeoutMs + this.config.connectTimeoutMs;
      const deadline = Date.now() + staleMs;
      for (;;) {
        if (await upstreamStore.claim(this.db, key, staleMs)) {
          try {
            return await work();
          } finally {
            await upstreamStore.release(this.db, key).catch(() => {});
          }
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
        const done = await settled();
        if (done !== null) return done;
        if (Date.now() > deadline && !(await upstreamStore.claimed(this.db, key))) continue;
      }
    })();
    this.inflight.set(key, p);
    try {
      return await p;
    } finally {
      this.inflight.delete(key);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close()));
  }

  private fresh(row: UpstreamDocumentRow): boolean {
    const ttl = row.status === 404 ? this.config.negativeTtlMs : this.config.metadataTtlMs;
    return Date.now() - row.fetched_at.getTime() < ttl;
  }
}

/** The caller already holds revision `known`: its parts are not handed back. */
const withKnown = (d: CachedDocument, known?: string): CachedDocument => (known && d.revision === known ? { ...d, parts: null } : d);

function view(row: Omit<UpstreamDocumentRow, 'connection' | 'key' | 'etag' | 'last_modified'>, stale: boolean): CachedDocument {
  return { status: row.status, parts: row.parts, revision: row.revision, fetchedAt: row.fetched_at, stale };
}

const revisionOf = (parts: string[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${p.length}:`).update(p);
  return h.digest('base64url').slice(0, 22);
};
