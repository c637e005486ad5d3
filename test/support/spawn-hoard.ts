// `hoard serve` as its own process (the built dist/main.js), for tests that need what only the
// real entry point does (the process umask) or a server whose event loop is not the test's own
// (so a stalled server cannot stall the test that watches it). Embedded backend, a fresh data
// folder unless one is given, known root credentials.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CodeartifactClient } from '@aws-sdk/client-codeartifact';

export interface SpawnedHoard {
  url: string;
  port: number;
  dataDir: string;
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  child: ChildProcess;
  sdk(): CodeartifactClient;
  /** SIGTERM (SIGKILL if it is stuck), wait for the exit, remove the data folder (unless it was given) */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export async function spawnHoard(opts: { dataDir?: string; env?: Record<string, string> } = {}): Promise<SpawnedHoard> {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'hoard-spawned-'));
  const port = await freePort();
  const accountId = '111122223333';
  // A restart on the same data (or a second replica) passes the first one's key in opts.env.
  const accessKeyId = opts.env?.HOARD_ROOT_ACCESS_KEY_ID ?? `AKIASPAWN${randomBytes(4).toString('hex').toUpperCase()}00`;
  const secretAccessKey = opts.env?.HOARD_ROOT_SECRET_ACCESS_KEY ?? `secret-${randomBytes(16).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOARD_LOG_LEVEL: 'warn',
    HOARD_HOST: '127.0.0.1',
    HOARD_PORT: String(port),
    HOARD_DATA_DIR: dataDir,
    HOARD_ROOT_ACCOUNT_ID: accountId,
    HOARD_ROOT_ACCESS_KEY_ID: accessKeyId,
    HOARD_ROOT_SECRET_ACCESS_KEY: secretAccessKey,
    HOARD_SHUTDOWN_GRACE_MS: '2000',
    ...opts.env,
  };
  const child = spawn('node', ['dist/main.js', 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('To log in')) resolve();
    });
    child.stderr!.on('data', (d) => (out += d));
    child.on('exit', (code) => reject(new Error(`hoard serve exited ${code}: ${out}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    dataDir,
    accountId,
    accessKeyId,
    secretAccessKey,
    child,
    sdk: () => new CodeartifactClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 }),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        // A server whose event loop is stuck never runs its SIGTERM handler.
        const stuck = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(stuck);
      }
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
