// Benchmark scenario 'npm-memory' (also the last part of 'npm'): the server's resident memory while
// 4 clients each publish a 200 MB package at once through the npm publish route, against its
// resident memory just before. The server runs in a child process, so its RSS is its own; clients
// stream their bodies from files (base64 written as they go), so nothing here holds a package.
import { fork, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import pino from 'pino';
import { loadConfig } from '../config.js';
import { startServer } from '../server.js';
import { arn } from '../core/names.js';

const MB = 1024 * 1024;
const ROLE = 'hoard-npm-memory-server';

interface Info {
  url: string;
  token: string;
  backend: string;
}

/** The Hoard under test: a child process, started from this file. */
async function serverProcess(): Promise<void> {
  const dataDir = process.env.BENCH_DATA_DIR!;
  const config = loadConfig({
    HOARD_HOST: '127.0.0.1',
    HOARD_PORT: '0',
    HOARD_DATA_DIR: dataDir,
    HOARD_ROOT_ACCOUNT_ID: '111122223333',
    HOARD_ROOT_ACCESS_KEY_ID: 'AKIABENCHNPMMEM00000',
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
  process.on('message', (m) => {
    if (m === 'stop') void server.close().then(() => process.exit(0));
  });
  process.send!({ url: server.url, token, backend: `${svc.db.kind} + ${svc.blobs.kind} blobs` } satisfies Info);
}

if (process.env.HOARD_BENCH_ROLE === ROLE) await serverProcess();

/** One ustar header. */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

interface Package {
  name: string;
  version: string;
  file: string;
  size: number;
  integrity: string;
  shasum: string;
}

/** A .tgz of package.json and `mb` MB of random bytes, written to a file while it is hashed. */
async function writePackage(dir: string, name: string, mb: number): Promise<Package> {
  const version = '1.0.0';
  const file = path.join(dir, `${name}.tgz`);
  const pj = Buffer.from(JSON.stringify({ name, version, description: 'npm-memory bench package' }));
  const gz = createGzip({ level: 1 });
  const out = createWriteStream(file);
  const sha512 = createHash('sha512');
  const sha1 = createHash('sha1');
  gz.on('data', (c: Buffer) => (sha512.update(c), sha1.update(c)));
  gz.pipe(out);
  const write = async (b: Buffer) => {
    if (!gz.write(b)) await once(gz, 'drain');
  };
  await write(Buffer.concat([tarHeader('package/package.json', pj.length), pj, Buffer.alloc(512 - (pj.length % 512))]));
  await write(tarHeader('package/data.bin', mb * MB));
  const chunk = Buffer.alloc(MB);
  for (let i = 0; i < mb; i++) await write(randomFillSync(chunk));
  gz.end(Buffer.alloc(1024));
  await once(out, 'close');
  return { name, version, file, size: statSync(file).size, integrity: `sha512-${sha512.digest('base64')}`, shasum: sha1.digest('hex') };
}

/** npm's publish body, streamed: the JSON around the attachment, the attachment base64-encoded as it is read. */
function publish(registry: string, token: string, p: Package): Promise<number> {
  const head = JSON.stringify({
    _id: p.name,
    name: p.name,
    'dist-tags': { latest: p.version },
    versions: { [p.version]: { name: p.name, version: p.version, _id: `${p.name}@${p.version}`, dist: { integrity: p.integrity, shasum: p.shasum } } },
    _attachments: { [`${p.name}-${p.version}.tgz`]: { content_type: 'application/octet-stream', length: p.size, data: '' } },
  }).replace(/"data":""\}\}\}$/, '"data":"');
  const tail = '"}}}';
  const length = head.length + 4 * Math.ceil(p.size / 3) + tail.length;
  const u = new URL(`${registry}${p.name}`);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    void (async () => {
      req.write(head);
      // Chunks of a multiple of 3 bytes encode without padding until the last one.
      for await (const c of createReadStream(p.file, { highWaterMark: 3 * 64 * 1024 })) {
        if (!req.write((c as Buffer).toString('base64'))) await once(req, 'drain');
      }
      req.end(tail);
    })().catch(reject);
  });
}

/** Resident set size of a process (VmRSS), or the kernel's record of its peak (VmHWM), in bytes (Linux). */
function rss(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Resets the kernel's peak (VmHWM) to the current RSS; false where that is not allowed. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Prints the server's RSS before and at its peak while `clients` publish `mb` MB packages at once. */
export async function publishMemory(mb = Number(process.env.BENCH_NPM_MEMORY_MB ?? 200), clients = Number(process.env.BENCH_NPM_MEMORY_CLIENTS ?? 4)): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hoard-bench-npm-memory-'));
  let child: ChildProcess | null = null;
  try {
    console.log(`\npublish memory: ${clients} clients each publish a ${mb} MB package at once; the server's RSS (a child process)`);
    const packages = [];
    for (let i = 0; i < clients; i++) packages.push(await writePackage(dir, `mem-${i}`, mb));
    child = fork(new URL(import.meta.url), [], {
      env: { ...process.env, HOARD_BENCH_ROLE: ROLE, BENCH_DATA_DIR: path.join(dir, 'data') },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const [info] = (await once(child, 'message')) as [Info];
    const registry = `${info.url}/npm/d/bench-111122223333/npm/`;
    // Warm up the publish path with a small package, then settle.
    const warm = await writePackage(dir, 'warm-up', 1);
    if ((await publish(registry, info.token, warm)) !== 201) throw new Error('warm-up publish failed');
    await new Promise((r) => setTimeout(r, 2000));
    const before = rss(child.pid!);
    const kernelPeak = resetPeak(child.pid!);
    let peak = before;
    let samples = 0;
    const timer = setInterval(() => {
      peak = Math.max(peak, rss(child!.pid!));
      samples++;
    }, 25);
    const t0 = Date.now();
    const statuses = await Promise.all(packages.map((p) => publish(registry, info.token, p)));
    clearInterval(timer);
    if (kernelPeak) peak = Math.max(peak, rss(child.pid!, 'VmHWM'));
    const secs = (Date.now() - t0) / 1000;
    if (statuses.some((s) => s !== 201)) throw new Error(`publishes answered ${statuses.join(', ')}`);
    const total = packages.reduce((a, p) => a + p.size, 0);
    const f = (b: number) => `${(b / MB).toFixed(0)} MB`;
    console.log(`backend: ${info.backend}; ${clients} x ${f(packages[0].size)} tarballs (${f(total * (4 / 3))} of JSON bodies) published in ${secs.toFixed(1)} s`);
    const how = `${samples} samples of VmRSS${kernelPeak ? ' and the kernel\'s VmHWM, reset before' : ''}`;
    console.log(`server RSS before ${f(before)}, peak during the publishes ${f(peak)} (${how}): grew ${f(peak - before)} (goal: under 256 MB)`);
  } finally {
    if (child && child.exitCode === null) {
      child.send('stop');
      await once(child, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export const run = () => publishMemory();
