// A webhook receiver on loopback for tests and the bench: verifies every delivery with the
// standardwebhooks library, records what arrived (and when), and can misbehave on demand: answer
// 503, or go down (its port refuses connections) and come back on the same port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  event: Record<string, any>;
  at: number;
  verified: boolean;
  headers: Record<string, string>;
}

export class WebhookReceiver {
  /** ok: verify and answer 204; 503: answer 503; hang: keep the request open without answering */
  mode: 'ok' | '503' | 'hang' = 'ok';
  /** requests held open in 'hang' mode */
  hanging = 0;
  /** in 'ok' mode, answer this long after a delivery arrived (a slow receiver) */
  delayMs = 0;
  /** every POST that arrived, in order (duplicates included) */
  readonly all: Received[] = [];
  /** secrets to verify with; a delivery verifying with any of them counts as verified */
  secrets: string[] = [];
  private server: http.Server | null = null;
  private waiters: (() => void)[] = [];
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Deliveries by webhook-id, each once (what a receiver that dedupes sees). */
  unique(): Map<string, Received> {
    const m = new Map<string, Received>();
    for (const r of this.all) if (!m.has(r.id)) m.set(r.id, r);
    return m;
  }

  async start(port = 0): Promise<this> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        if (this.mode === 'hang') {
          this.hanging++;
          for (const w of this.waiters.splice(0)) w();
          return;
        }
        if (this.mode === '503') {
          res.writeHead(503, { 'content-type': 'text/plain' }).end('receiver is busy');
          return;
        }
        const body = Buffer.concat(chunks).toString('utf8');
        const headers = req.headers as Record<string, string>;
        const verified = this.secrets.some((s) => {
          try {
            new Webhook(s).verify(body, headers);
            return true;
          } catch {
            return false;
          }
        });
        this.all.push({ id: headers['webhook-id'], event: JSON.parse(body), at: Date.now(), verified, headers });
        const answer = () => {
          res.writeHead(verified ? 204 : 401).end();
          for (const w of this.waiters.splice(0)) w();
        };
        if (this.delayMs > 0) setTimeout(answer, this.delayMs);
        else answer();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  /** Stops listening: connections are refused until start() again (same port). */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }

  /** Resolves once pred() holds, checked after each delivery (fails after timeoutMs). */
  async until(what: string, pred: () => boolean, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received ${this.all.length}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 250);
      });
    }
  }
}
