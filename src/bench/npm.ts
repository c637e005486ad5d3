// Benchmark scenario 'npm': publishes a package with 3,000 versions and a 1 MB tarball through the
// npm publish route, then measures warm full and abbreviated packument GETs and the tarball GET at
// concurrency 1 and 32, against GET /healthz measured in the same run as the baseline. The server
// runs in a worker thread of this process; autocannon runs on the main thread. Last, the server's
// memory while 4 clients publish 200 MB packages at once (npm-memory.ts, its own server process).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import { once } from 'node:events';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../config.js';
import { startServer } from '../server.js';
import { arn } from '../core/names.js';
import { measure, row } from './load.js';
import { publishMemory } from './npm-memory.js';

const VERSIONS = Number(process.env.BENCH_NPM_VERSIONS ?? 3000);
const CORGI = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

/** A gzipped ustar archive with files under package/, built in memory (no temp files per version). */
function tgz(files: Record<string, string | Buffer>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, data] of Object.entries(files)) {
    const body = Buffer.isBuffer(data) ? data : Buffer.from(data);
    const h = Buffer.alloc(512);
    h.write(`package/${name}`, 0, 100, 'utf8');
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

/** A manifest shaped like a real one (dependencies, scripts, repository...), about 1 KB per version. */
function manifest(name: string, version: string) {
  return {
    name,
    version,
    description: 'A package with many versions, for the npm benchmark',
    main: 'index.js',
    license: 'MIT',
    author: 'Bench <bench@example.invalid>',
    keywords: ['bench', 'hoard', 'npm'],
    repository: { type: 'git', url: 'git+https://example.invalid/bench/many.git' },
    scripts: { test: 'node test.js', build: 'tsc -p .' },
    engines: { node: '>=18' },
    dependencies: { 'dep-a': '^1.2.3', 'dep-b': '~2.0.0', 'dep-c': '>=3 <5', '@scope/dep-d': '^0.4.1' },
    devDependencies: { typescript: '^5.0.0', vitest: '^4.0.0', 'dep-e': '1.0.0' },
  };
}

function body(pj: { name: string; version: string }, t: Buffer) {
  return JSON.stringify({
    _id: pj.name,
    name: pj.name,
    'dist-tags': { latest: pj.version },
    versions: {
      [pj.version]: {
        ...pj,
        _id: `${pj.name}@${pj.version}`,
        dist: { integrity: `sha512-${createHash('sha512').update(t).digest('base64')}`, shasum: createHash('sha1').update(t).digest('hex') },
      },
    },
    _attachments: { [`${pj.name}-${pj.version}.tgz`]: { content_type: 'application/octet-stream', data: t.toString('base64'), length: t.length } },
  });
}

/** A small keep-alive load generator on node:http (bodies read and dropped, not decompressed). */
async function keepAliveLoad(url: string, headers: Record<string, string>, connections: number, durationSec: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const lat: number[] = [];
  let errors = 0;
  const end = Date.now() + durationSec * 1000;
  const one = () =>
    new Promise<void>((resolve) => {
      const s = performance.now();
      http
        .get(url, { agent, headers }, (res) => {
          if (res.statusCode !== 200) errors++;
          res.on('data', () => {});
          res.on('end', () => (lat.push(performance.now() - s), resolve()));
        })
        .on('error', () => (errors++, resolve()));
    });
  const t0 = Date.now();
  await Promise.all(Array.from({ length: connections }, async () => {
    while (Date.now() < end) await one();
  }));
  agent.destroy();
  lat.sort((a, b) => a - b);
  const pct = (p: number) => Math.round(lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0);
  return { rps: lat.length / ((Date.now() - t0) / 1000), p50: pct(0.5), p99: pct(0.99), errors, non2xx: 0 };
}

interface ServerInfo {
  url: string;
  token: string;
  backend: string;
}

/**
 * The Hoard under test runs in a worker thread: its own event loop, so the load generator (which
 * has to receive megabytes per packument) does not share a thread with the server it measures.
 */
async function serverThread(): Promise<void> {
  const { dataDir } = workerData as { dataDir: string };
  const config = loadConfig({
    HOARD_HOST: '127.0.0.1',
    HOARD_PORT: '0',
    HOARD_DATA_DIR: dataDir,
    HOARD_ROOT_ACCOUNT_ID: '111122223333',
    HOARD_ROOT_ACCESS_KEY_ID: 'AKIABENCHNPM00000000',
    HOARD_ROOT_SECRET_ACCESS_KEY: randomBytes(24).toString('hex'),
    HOARD_SHUTDOWN_GRACE_MS: '1000',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  });
  const server = await startServer(config, pino({ level: 'silent' }));
  const svc = server.services;
  const owner = '111122223333';
  await svc.domains.createDomain(owner, 'bench', undefined);
  const domain = await svc.domains.domain(owner, 'bench');
  await svc.domains.createRepository(domain, 'npm', owner, {});
  const { token } = svc.tokens.issue({ sub: arn.root(owner), acct: owner, domain: 'bench', owner }, 43200);
  const info: ServerInfo = { url: server.url, token, backend: `${svc.db.kind} + ${svc.blobs.kind} blobs` };
  let reference: http.Server | null = null;
  parentPort!.on('message', (m) => {
    if (m === 'stop') void Promise.all([server.close(), reference && new Promise((r) => reference!.close(r))]).then(() => parentPort!.postMessage('stopped'));
    if (m === 'reference') {
      const full = readFileSync(path.join(dataDir, 'ref-full.json'));
      const abbr = readFileSync(path.join(dataDir, 'ref-abbr.json'));
      reference = http.createServer((req, res) => {
        if (req.url === '/tgz') {
          res.setHeader('content-type', 'application/octet-stream');
          res.setHeader('content-length', statSync(path.join(dataDir, 'ref-big.tgz')).size);
          return pipeline(createReadStream(path.join(dataDir, 'ref-big.tgz')), res, () => {});
        }
        res.setHeader('content-type', 'application/json');
        res.end(req.url === '/full' ? full : abbr);
      });
      reference.listen(0, '127.0.0.1', () => parentPort!.postMessage(`http://127.0.0.1:${(reference!.address() as AddressInfo).port}`));
    }
  });
  parentPort!.postMessage(info);
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'hoard-npm-bench') await serverThread();

export async function run(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hoard-bench-npm-'));
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'hoard-npm-bench', dataDir } });
  const [info] = (await once(worker, 'message')) as [ServerInfo];
  try {
    const reg = `${info.url}/npm/d/bench-111122223333/npm/`;
    const auth = { authorization: `Bearer ${info.token}` };
    const token = info.token;
    console.log(`backend: ${info.backend}; server in a worker thread, load generator on the main thread`);

    // Publish through the npm publish route, four uploads in flight (the package lock serialises the commits).
    const t0 = Date.now();
    let done = 0;
    let next = 0;
    const publishOne = async (i: number) => {
      const version = `1.${Math.floor(i / 100)}.${i % 100}`;
      const pj = manifest('many', version);
      const t = tgz({ 'package.json': JSON.stringify(pj), 'index.js': `module.exports = '${version}';\n` });
      const r = await fetch(`${reg}many`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: body(pj, t) });
      if (r.status !== 201) throw new Error(`publish ${version}: ${r.status} ${await r.text()}`);
      if (++done % 500 === 0) console.log(`  published ${done} versions (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    };
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < VERSIONS) await publishOne(next++);
      }),
    );
    const total = (Date.now() - t0) / 1000;
    console.log(`published ${VERSIONS} versions in ${total.toFixed(1)} s (${(VERSIONS / total).toFixed(0)} publishes/s)`);
    const one = async (version: string) => {
      const pj = manifest('many', version);
      const s = performance.now();
      const r = await fetch(`${reg}many`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: body(pj, tgz({ 'package.json': JSON.stringify(pj) })) });
      if (r.status !== 201) throw new Error(`publish ${version}: ${r.status}`);
      return performance.now() - s;
    };
    const lastMs = [await one('9.0.0'), await one('9.0.1'), await one('9.0.2')].sort((a, b) => a - b)[1];
    console.log(`one more publish into the ${VERSIONS}-version package: ${lastMs.toFixed(0)} ms (median of 3, documents rebuilt in the transaction)`);
    const bigPj = { ...manifest('big', '1.0.0'), dependencies: {}, devDependencies: {} };
    const big = tgz({ 'package.json': JSON.stringify(bigPj), 'blob.bin': randomBytes(1024 * 1024) });
    const rb = await fetch(`${reg}big`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: body(bigPj, big) });
    if (rb.status !== 201) throw new Error(`publish big: ${rb.status}`);

    // The same bytes from a bare node:http server in the same worker: what the machine can do at all.
    const docFull = Buffer.from(await (await fetch(`${reg}many`, { headers: auth })).arrayBuffer());
    const docAbbr = Buffer.from(await (await fetch(`${reg}many`, { headers: { ...auth, accept: CORGI } })).arrayBuffer());
    writeFileSync(path.join(dataDir, 'ref-full.json'), docFull);
    writeFileSync(path.join(dataDir, 'ref-abbr.json'), docAbbr);
    writeFileSync(path.join(dataDir, 'ref-big.tgz'), big);
    worker.postMessage('reference');
    const [refUrl] = (await once(worker, 'message')) as [string];
    console.log(`full packument ${(docFull.length / 1024).toFixed(0)} KiB, abbreviated ${(docAbbr.length / 1024).toFixed(0)} KiB, tarball ${(big.length / 1024).toFixed(0)} KiB`);

    const etag = (await fetch(`${reg}many`, { headers: { ...auth, accept: CORGI } })).headers.get('etag')!;
    // [label, url, headers, reference url (same bytes, bare node:http)]
    const targets: [string, string, Record<string, string>, string | null][] = [
      ['GET /healthz (baseline)', `${info.url}/healthz`, {}, null],
      ['GET packument, full', `${reg}many`, auth, `${refUrl}/full`],
      ['GET packument, abbreviated', `${reg}many`, { ...auth, accept: CORGI }, `${refUrl}/abbr`],
      ['GET packument, abbreviated, 304 (non-2xx)', `${reg}many`, { ...auth, accept: CORGI, 'if-none-match': etag }, null],
      ['GET tarball 1 MB', `${reg}big/-/big-1.0.0.tgz`, auth, `${refUrl}/tgz`],
    ];
    if (process.env.BENCH_HOLD) {
      // For profiling with an external load generator: print what it needs and keep serving.
      console.log(JSON.stringify({ url: `${reg}many`, big: `${reg}big/-/big-1.0.0.tgz`, token }));
      await new Promise((resolve) => setTimeout(resolve, Number(process.env.BENCH_HOLD) * 1000));
      return;
    }
    const durationSec = Number(process.env.BENCH_SECONDS ?? 5);
    // autocannon stalls on gzip bodies over keep-alive (curl does not), so gzip is measured with node:http.
    const gzipHeaders = { ...auth, accept: CORGI, 'accept-encoding': 'gzip' };
    for (const connections of [1, 32]) {
      console.log(`\nconcurrency ${connections} (median of 3 runs of ${durationSec} s; ratios: against /healthz, and against the same bytes from bare node:http)`);
      let baseline;
      for (const [label, url, headers, ref] of targets) {
        const r = await measure(url, { connections, durationSec, headers, runs: 3 });
        baseline ??= r;
        let line = row(label, r, label.includes('baseline') ? undefined : baseline);
        if (ref) {
          const b = await measure(ref, { connections, durationSec, runs: 3 });
          line += `, ${(r.rps / b.rps).toFixed(2)}x bare (${b.rps.toFixed(0)} req/s, p50 ${b.p50} ms, p99 ${b.p99} ms)`;
        }
        console.log(line);
      }
      const gz = await keepAliveLoad(`${reg}many`, gzipHeaders, connections, durationSec);
      console.log(row('GET packument, abbreviated, gzip (node:http)', gz, baseline));
    }
  } finally {
    worker.postMessage('stop');
    await once(worker, 'message');
    await worker.terminate();
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (!process.env.BENCH_HOLD) await publishMemory();
}
