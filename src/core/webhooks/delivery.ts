// One delivery attempt: POST the event JSON to the target, signed per Standard Webhooks
// (webhook-id = the event id, webhook-timestamp = now, webhook-signature = "v1,<base64 HMAC>" for
// every active secret, so a receiver mid-rotation verifies with either). 2xx is success; anything
// else, a timeout or a refused connection is a failure the caller retries. The first 4 KB of the
// answer are kept; the rest is drained so the kept-alive connection can be reused.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { checkedLookup, hostOf, isPublicAddress, refusal } from './target.js';

export const EXCERPT_BYTES = 4096;
/** Past this much answer body the connection is dropped rather than drained. */
const DRAIN_LIMIT = 1024 * 1024;

export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  excerpt: string | null;
  /** for metrics: 2xx, 3xx, 4xx, 5xx, timeout, refused, blocked, error */
  outcome: string;
}

/** Each secret's key bytes, as the standardwebhooks library reads a `whsec_` secret. */
const keys = new Map<string, Buffer>();
const keyOf = (secret: string): Buffer => {
  let k = keys.get(secret);
  if (!k) {
    if (keys.size > 1000) keys.clear();
    k = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
    keys.set(secret, k);
  }
  return k;
};

/**
 * The signature header value: one v1 signature per secret, space-separated. The signature is the
 * Standard Webhooks one (base64 HMAC-SHA256 of `id.timestamp.body`), computed with node:crypto:
 * the standardwebhooks library signs in JavaScript at eight times the cost, which a publish-heavy
 * domain with several subscriptions pays per delivery. A unit test holds both to the same output.
 */
export function signatureHeader(secrets: string[], id: string, at: Date, body: string): string {
  const signed = `${id}.${Math.floor(at.getTime() / 1000)}.`;
  return secrets.map((s) => `v1,${createHmac('sha256', keyOf(s)).update(signed).update(body).digest('base64')}`).join(' ');
}

export class Sender {
  private readonly agents: { http: http.Agent; https: https.Agent };
  private readonly lookup: ReturnType<typeof checkedLookup>;

  constructor(private readonly opts: { timeoutMs: number; allowPrivate: () => boolean; userAgent: string }) {
    this.lookup = checkedLookup(opts.allowPrivate);
    this.agents = {
      http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
      https: new https.Agent({ keepAlive: true, maxSockets: 64 }),
    };
  }

  async send(target: string, messageId: string, body: string, secrets: string[]): Promise<AttemptResult> {
    const start = process.hrtime.bigint();
    const elapsed = () => Math.round(Number(process.hrtime.bigint() - start) / 1e6);
    const fail = (outcome: string, error: string, statusCode: number | null = null, excerpt: string | null = null): AttemptResult => ({
      ok: false,
      statusCode,
      durationMs: elapsed(),
      error,
      excerpt,
      outcome,
    });
    let u: URL;
    try {
      u = new URL(target);
    } catch {
      return fail('error', `not a URL: ${target}`);
    }
    const host = hostOf(u);
    // An address literal is connected to without any lookup: check it here.
    if (net.isIP(host) && !this.opts.allowPrivate() && !isPublicAddress(host)) return fail('blocked', refusal(host, host).message);
    const at = new Date();
    const headers = {
      'content-type': 'application/json',
      'user-agent': this.opts.userAgent,
      'webhook-id': messageId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signatureHeader(secrets, messageId, at, body),
      'content-length': String(Buffer.byteLength(body)),
    };
    const mod = u.protocol === 'https:' ? https : http;
    return new Promise<AttemptResult>((resolve) => {
      let settled = false;
      const done = (r: AttemptResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      const req = mod.request(
        u,
        { method: 'POST', headers, agent: u.protocol === 'https:' ? this.agents.https : this.agents.http, lookup: this.lookup as never },
        (res) => {
          const chunks: Buffer[] = [];
          let kept = 0;
          let seen = 0;
          res.on('data', (c: Buffer) => {
            seen += c.length;
            if (kept < EXCERPT_BYTES) {
              chunks.push(c.subarray(0, EXCERPT_BYTES - kept));
              kept += Math.min(c.length, EXCERPT_BYTES - kept);
            }
            if (seen > DRAIN_LIMIT) res.destroy();
          });
          const finish = () => {
            const status = res.statusCode ?? 0;
            const excerpt = Buffer.concat(chunks).toString('utf8');
            if (status >= 200 && status < 300) done({ ok: true, statusCode: status, durationMs: elapsed(), error: null, excerpt, outcome: '2xx' });
            else done(fail(`${Math.floor(status / 100)}xx`, `the receiver answered ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`, status, excerpt));
          };
          res.on('end', finish);
          res.on('close', finish);
          res.on('error', finish);
        },
      );
      const timer = setTimeout(() => {
        req.destroy();
        done(fail('timeout', `no complete answer within ${this.opts.timeoutMs} ms`));
      }, this.opts.timeoutMs);
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EHOARDTARGET') done(fail('blocked', e.message));
        else if (e.code === 'ECONNREFUSED') done(fail('refused', `connection refused by ${u.host}`));
        else done(fail('error', `${e.code ? `${e.code}: ` : ''}${e.message}`));
      });
      req.end(body);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
