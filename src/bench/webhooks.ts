// Benchmark scenario 'webhooks': 1,000 generic publishes (8 at a time) into a Hoard with 3
// webhooks that all match, delivered to a receiver on loopback (in this process) that verifies each
// with the standardwebhooks library once the run is over. Prints deliveries per second, p50/p99 from a publish's commit (its
// response) to the receipt of each of its deliveries, and the publish rate with webhooks on versus
// off, measured in the same run (the 'off' server runs with HOARD_WEBHOOKS=off and HOARD_AUDIT=off
// and has no webhooks), and the server's CPU time per publish in both (less at the mercy of a noisy
// machine than the rate; 'on' also until the last delivery arrived). Runs alternate on/off; medians of BENCH_RUNS (default 3). Hoard runs as its
// own process (`node dist/main.js serve`), pinned to CPU 0 with the bench on CPU 1 where taskset works;
// BENCH_PG_URL runs each Hoard on a fresh database there instead of the embedded default.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { CreateDomainCommand, CreateRepositoryCommand, PublishPackageVersionCommand } from '@aws-sdk/client-codeartifact';
import { signRequest } from '../auth/sigv4.js';
import { median } from './load.js';
import { canPin, pinSelf, startHoardProcess, type HoardProcess } from './processes.js';
import { freshDatabase } from './proxy-npm.js';

const PUBLISHES = Number(process.env.BENCH_WEBHOOK_PUBLISHES ?? 1000);
const CONCURRENCY = 8;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PATTERNS = [
  { source: ['aws.codeartifact'] },
  { detail: { packageFormat: ['generic'], operationType: ['Created'] } },
  { detail: { packageName: [{ prefix: 'bench-' }], changes: { assetsAdded: [{ numeric: ['>', 0] }] } } },
];

interface Receiver {
  url: string;
  secrets: string[];
  /** receipt time (ms, performance.now) of each delivery, by package@version, one entry per delivery */
  arrivals: Map<string, number[]>;
  count: number;
  /** checks every delivery's signature with standardwebhooks; returns how many failed */
  verify(): number;
  close(): Promise<void>;
}

async function receiver(): Promise<Receiver> {
  const r = { secrets: [] as string[], arrivals: new Map<string, number[]>(), count: 0, received: [] as { body: string; headers: Record<string, string> }[] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const body = Buffer.concat(chunks).toString('utf8');
      // Verified after the run (verify()), so the receiver takes little of the client's CPU meanwhile.
      r.received.push({ body, headers: req.headers as Record<string, string> });
      const d = JSON.parse(body).detail;
      const key = `${d.packageName}@${d.packageVersion}`;
      const list = r.arrivals.get(key) ?? [];
      list.push(at);
      r.arrivals.set(key, list);
      r.count++;
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    ...r,
    get count() {
      return r.count;
    },
    verify() {
      const signers = r.secrets.map((x) => new Webhook(x));
      return r.received.filter(({ body, headers }) =>
        !signers.some((w) => {
          try {
            w.verify(body, headers);
            return true;
          } catch {
            return false;
          }
        }),
      ).length;
    },
    set secrets(v: string[]) {
      r.secrets = v;
    },
    get secrets() {
      return r.secrets;
    },
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: () => new Promise((res) => (server.closeAllConnections(), server.close(() => res()))),
  } as Receiver;
}

async function createWebhook(h: HoardProcess, url: string, pattern: unknown): Promise<string> {
  const target = `${h.url}/hoard/v1/webhooks?domain=bench`;
  const body = JSON.stringify({ url, eventPattern: pattern });
  const headers = await signRequest({ method: 'POST', url: target, headers: { 'content-type': 'application/json' }, body, ...h.credentials, region: 'us-east-1', service: 'hoard' });
  delete headers.host;
  const res = await fetch(target, { method: 'POST', headers, body });
  const j = (await res.json()) as { secret?: string; message?: string };
  if (!res.ok || !j.secret) throw new Error(`CreateWebhook answered ${res.status}: ${j.message}`);
  return j.secret;
}

/** Publishes PUBLISHES versions, CONCURRENCY at a time; returns publishes per second and each one's commit time. */
async function publishAll(h: HoardProcess): Promise<{ rate: number; committed: Map<string, number>; started: number }> {
  const sdk = h.sdk();
  const committed = new Map<string, number>();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < PUBLISHES) {
        const i = next++;
        const pkg = `bench-${i % 20}`;
        const version = `1.0.${i}`;
        const bytes = Buffer.from(`${pkg}@${version}`);
        await sdk.send(
          new PublishPackageVersionCommand({
            domain: 'bench', repository: 'bin', format: 'generic', namespace: 'ns', package: pkg, packageVersion: version,
            assetName: 'a.bin', assetContent: bytes, assetSHA256: createHash('sha256').update(bytes).digest('hex'),
          }),
        );
        committed.set(`${pkg}@${version}`, performance.now());
      }
    }),
  );
  return { rate: PUBLISHES / ((performance.now() - started) / 1000), committed, started };
}

async function oneRun(mode: 'on' | 'off', cpus: string | undefined) {
  const env: Record<string, string> =
    mode === 'on' ? { HOARD_WEBHOOK_ALLOW_PRIVATE: 'true' } : { HOARD_WEBHOOKS: 'off', HOARD_AUDIT: 'off' };
  const db = process.env.BENCH_PG_URL ? await freshDatabase(process.env.BENCH_PG_URL) : null;
  if (db) env.DATABASE_URL = db.url;
  const h = await startHoardProcess(env, { cpus });
  const rx = await receiver();
  try {
    await h.sdk().send(new CreateDomainCommand({ domain: 'bench' }));
    await h.sdk().send(new CreateRepositoryCommand({ domain: 'bench', repository: 'bin' }));
    if (mode === 'on') {
      rx.secrets = await Promise.all(PATTERNS.map((p) => createWebhook(h, rx.url, p)));
    }
    const cpu0 = h.cpuSeconds();
    const p = await publishAll(h);
    const cpuPublish = (h.cpuSeconds() - cpu0) * 1000 / PUBLISHES;
    if (mode === 'off') return { rate: p.rate, cpuPublish };
    const want = PUBLISHES * PATTERNS.length;
    const deadline = Date.now() + 600_000;
    while (rx.count < want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const cpuAll = (h.cpuSeconds() - cpu0) * 1000 / PUBLISHES;
    const lat: number[] = [];
    let last = 0;
    for (const [key, at] of p.committed) for (const t of rx.arrivals.get(key) ?? []) (lat.push(t - at), (last = Math.max(last, t)));
    lat.sort((a, b) => a - b);
    const pct = (q: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * q))] ?? NaN;
    return {
      rate: p.rate,
      cpuPublish,
      cpuAll,
      delivered: rx.count,
      unverified: rx.verify(),
      perSecond: rx.count / ((last - p.started) / 1000),
      p50: pct(0.5),
      p99: pct(0.99),
    };
  } finally {
    await rx.close();
    await h.stop();
    await db?.drop();
  }
}

export async function run(): Promise<void> {
  const pin = canPin();
  if (pin) pinSelf('1');
  const cpus = pin ? '0' : undefined;
  console.log(
    `${PUBLISHES} generic publishes, ${CONCURRENCY} at a time; 'on': ${PATTERNS.length} matching webhooks to a loopback receiver in this process (every delivery verified with standardwebhooks after the run); ` +
      `'off': HOARD_WEBHOOKS=off and HOARD_AUDIT=off (the audit setting is harmless where audit has not landed), no webhooks. ` +
      `${RUNS} runs, on/off alternating; Hoard ${pin ? 'on CPU 0, this bench on CPU 1' : 'unpinned (no taskset)'}; ${process.env.BENCH_PG_URL ? 'PostgreSQL (BENCH_PG_URL, a fresh database per Hoard)' : 'embedded PGlite'} + disk, default webhook settings.`,
  );
  const on: Awaited<ReturnType<typeof oneRun>>[] = [];
  const off: number[] = [];
  const offCpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const order: ('on' | 'off')[] = i % 2 ? ['off', 'on'] : ['on', 'off'];
    for (const mode of order) {
      const r = await oneRun(mode, cpus);
      if (mode === 'on') on.push(r);
      else (off.push(r.rate), offCpu.push(r.cpuPublish));
      const extra = mode === 'on' && 'delivered' in r
        ? `; ${r.delivered}/${PUBLISHES * PATTERNS.length} delivered (${r.unverified} unverified), ${r.perSecond!.toFixed(0)} deliveries/s, commit-to-receipt p50 ${r.p50!.toFixed(0)} ms, p99 ${r.p99!.toFixed(0)} ms`
        : '';
      const cpu = `, Hoard CPU ${r.cpuPublish.toFixed(2)} ms per publish${'cpuAll' in r ? ` (${r.cpuAll!.toFixed(2)} ms until the last delivery)` : ''}`;
      console.log(`  run ${i + 1} ${mode.padEnd(3)}: ${r.rate.toFixed(1)} publishes/s${cpu}${extra}`);
    }
  }
  const m = (f: (r: (typeof on)[number]) => number | undefined) => median(on.map((r) => f(r) ?? NaN));
  const onRate = m((r) => r.rate);
  const offRate = median(off);
  console.log(`medians of ${RUNS}:`);
  console.log(`  publishes/s with webhooks on  ${onRate.toFixed(1)}`);
  console.log(`  publishes/s with webhooks off ${offRate.toFixed(1)}  (on/off = ${(onRate / offRate).toFixed(3)}; goal >= 0.90)`);
  const onCpu = m((r) => r.cpuPublish);
  const offCpuM = median(offCpu);
  console.log(`  Hoard CPU per publish while publishing: on ${onCpu.toFixed(2)} ms, off ${offCpuM.toFixed(2)} ms (off/on = ${(offCpuM / onCpu).toFixed(3)}); on, until the last delivery: ${m((r) => ('cpuAll' in r ? r.cpuAll : undefined)).toFixed(2)} ms`);
  console.log(`  deliveries/s ${m((r) => ('perSecond' in r ? r.perSecond : undefined)).toFixed(0)}`);
  console.log(`  commit-to-receipt p50 ${m((r) => ('p50' in r ? r.p50 : undefined)).toFixed(0)} ms, p99 ${m((r) => ('p99' in r ? r.p99 : undefined)).toFixed(0)} ms`);
}
