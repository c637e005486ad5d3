// Benchmark scenario 'pypi': a warm project page with 500 files (HTML and JSON) and a wheel
// download, at concurrency 1 and 32, against a Hoard on a random loopback port with embedded
// storage. The files are published through the upload API (the adapter's own write path).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeZip } from './zip.js';
import { CodeartifactClient, CreateDomainCommand, CreateRepositoryCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-codeartifact';
import { loadConfig } from '../config.js';
import { startServer } from '../server.js';
import { measure, row } from './load.js';

const FILES = 500;
const PIP_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01';

/** A stored (uncompressed) zip: enough of a wheel for the server, which reads only METADATA. */
const zip = (entries: { name: string; data: Buffer }[]) => makeZip(entries.map((e) => ({ ...e, stored: true })));

function wheel(version: string, payloadBytes: number): { filename: string; bytes: Buffer } {
  const di = `bench_project-${version}.dist-info`;
  const metadata = `Metadata-Version: 2.1\nName: bench-project\nVersion: ${version}\nSummary: Bench\nRequires-Python: >=3.8,<4\nRequires-Dist: requests>=2\n\nA project with many releases.\n`;
  const bytes = zip([
    { name: 'bench_project/__init__.py', data: Buffer.alloc(payloadBytes, 0x23) },
    { name: `${di}/METADATA`, data: Buffer.from(metadata) },
    { name: `${di}/WHEEL`, data: Buffer.from('Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n') },
    { name: `${di}/RECORD`, data: Buffer.alloc(0) },
  ]);
  return { filename: `bench_project-${version}-py3-none-any.whl`, bytes };
}

export async function run(): Promise<void> {
  // autocannon drops its connections mid-response when a run ends; Koa reports each such
  // disconnect on stderr. Count them instead of printing pages of stack traces.
  let disconnects = 0;
  const consoleError = console.error;
  console.error = (...args: unknown[]) => {
    if (/ECONNRESET|ERR_STREAM_PREMATURE_CLOSE|EPIPE/.test(args.map(String).join(' '))) disconnects++;
    else consoleError(...args);
  };
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hoard-bench-pypi-'));
  const root = { id: 'AKIABENCHPYPI0000001', secret: `bench-${createHash('sha256').update(dataDir).digest('hex').slice(0, 24)}` };
  const server = await startServer(
    loadConfig({
      HOARD_HOST: '127.0.0.1',
      HOARD_PORT: '0',
      HOARD_DATA_DIR: dataDir,
      HOARD_ROOT_ACCOUNT_ID: '111122223333',
      HOARD_ROOT_ACCESS_KEY_ID: root.id,
      HOARD_ROOT_SECRET_ACCESS_KEY: root.secret,
      HOARD_LOG_LEVEL: 'silent',
      // Embedded storage by default; DATABASE_URL (an empty database) and S3_* bench the services.
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k === 'DATABASE_URL' || k.startsWith('S3_'))),
    }),
  );
  try {
    const sdk = new CodeartifactClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: root.id, secretAccessKey: root.secret },
    });
    await sdk.send(new CreateDomainCommand({ domain: 'bench' }));
    await sdk.send(new CreateRepositoryCommand({ domain: 'bench', repository: 'py' }));
    const token = (await sdk.send(new GetAuthorizationTokenCommand({ domain: 'bench' }))).authorizationToken!;
    const endpoint = `${server.url}/pypi/d/bench-111122223333/py/`;
    const headers = { authorization: `Bearer ${token}` };

    const started = Date.now();
    let download = '';
    for (let i = 0; i < FILES; i++) {
      const version = `1.${i}.0`;
      // One 256 KiB wheel for the download figure; the rest small.
      const w = wheel(version, i === 0 ? 256 * 1024 : 512);
      const form = new FormData();
      for (const [k, v] of [
        [':action', 'file_upload'],
        ['protocol_version', '1'],
        ['name', 'bench-project'],
        ['version', version],
        ['filetype', 'bdist_wheel'],
        ['pyversion', 'py3'],
        ['sha256_digest', createHash('sha256').update(w.bytes).digest('hex')],
      ])
        form.append(k, v);
      form.append('content', new Blob([w.bytes]), w.filename);
      const r = await fetch(endpoint, { method: 'POST', headers, body: form });
      if (r.status !== 200) throw new Error(`upload ${w.filename}: ${r.status} ${r.statusText}`);
      if (i === 0) download = `${endpoint}packages/bench-project/${version}/${w.filename}`;
    }
    const uploadSec = (Date.now() - started) / 1000;
    console.log(`published ${FILES} wheels through the upload API in ${uploadSec.toFixed(1)} s (${(FILES / uploadSec).toFixed(0)} uploads/s, sequential)`);

    const page = `${endpoint}simple/bench-project/`;
    const html = await fetch(page, { headers });
    const json = await fetch(page, { headers: { ...headers, accept: PIP_ACCEPT } });
    console.log(`project page: HTML ${(await html.text()).length} bytes, JSON ${(await json.text()).length} bytes, ${FILES} files`);

    for (const connections of [1, 32]) {
      const baseline = await measure(`${server.url}/healthz`, { connections });
      console.log(row(`GET /healthz (baseline)              c=${connections}`, baseline));
      // The floor every data-plane request pays: endpoint lookup, token and permission check (a 301).
      const floor = await measure(`${endpoint}simple/Bench_Project/`, { connections, headers });
      console.log(row(`auth floor (a 301 after the checks)  c=${connections}`, { ...floor, non2xx: 0 }, baseline));
      const h = await measure(page, { connections, headers: { ...headers, accept: 'text/html' } });
      console.log(row(`project page HTML (500 files)        c=${connections}`, h, baseline));
      const j = await measure(page, { connections, headers: { ...headers, accept: PIP_ACCEPT } });
      console.log(row(`project page JSON (500 files)        c=${connections}`, j, baseline));
      const d = await measure(download, { connections, headers: { ...headers, 'accept-encoding': 'identity' } });
      console.log(row(`wheel download (256 KiB)             c=${connections}`, d, baseline));
    }
    console.log(`(${disconnects} client disconnects at the ends of runs were reported by Koa and not printed)`);
  } finally {
    console.error = consoleError;
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
