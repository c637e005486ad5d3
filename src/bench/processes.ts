// Child processes for the benchmarks that measure Hoard from outside: a command run to its end,
// CPU pinning with taskset where the machine has it, and a Hoard started as its own process
// (`node dist/main.js serve` with HOARD_* settings, a temporary data folder, a free port), with
// its peak resident memory read from /proc before it stops.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { CodeartifactClient } from '@aws-sdk/client-codeartifact';

export interface ProcessResult {
  code: number;
  /** the signal that ended it, if one did (a timeout sends SIGTERM) */
  signal: string | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs a command to its end, collecting its output; `seconds` is its wall-clock time. */
export function runProcess(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<ProcessResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: opts.timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? 128, signal, stdout, stderr, seconds: (performance.now() - started) / 1000 }));
  });
}

/** True when `taskset` works here and there are at least two CPUs to split. */
export function canPin(): boolean {
  if (os.cpus().length < 2) return false;
  const r = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
  return r.status === 0;
}

/** Moves every thread of this process (and so the children it starts later) onto `cpus`, e.g. '1'. */
export function pinSelf(cpus: string): void {
  spawnSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' });
}

/**
 * How a proxy bench runs its client (npm, pip, mvn): on CPU 1 when pinned, at a lower priority
 * (nice 10) so that the fixture registry sharing that CPU, which stands in for a remote registry
 * with CPUs of its own, answers without waiting for the client's time slice. Alone on its CPU
 * (the floor) the client runs as fast as without it.
 */
export function clientCommand(cmd: string, args: string[], pinned: boolean): [string, string[]] {
  return pinned ? ['nice', ['-n', '10', 'taskset', '-c', '1', cmd, ...args]] : [cmd, args];
}

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export interface HoardProcess {
  url: string;
  pid: number;
  accountId: string;
  dataDir: string;
  /** the root key (for requests the SDK does not make, e.g. Hoard's own API) */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** the official SDK, signed with the root key */
  sdk(): CodeartifactClient;
  /** VmRSS (now) and VmHWM (peak) of the server process, in KiB (0 where /proc is not there) */
  memory(): { rssKiB: number; peakKiB: number };
  /** CPU time (user + system) the server process has used so far, in seconds (0 where /proc is not there) */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

const MAIN = new URL('../main.js', import.meta.url).pathname;

/**
 * Starts `hoard serve` as its own process on a free port with an empty data folder (embedded
 * PGlite + disk unless `env` names DATABASE_URL / S3_*), pinned to `cpus` when given; resolves
 * once /readyz answers 200. Its log goes to a file in the data folder's parent, not through us.
 * `nodeArgs` go to node before the script (e.g. --cpu-prof, which NODE_OPTIONS does not take).
 */
export async function startHoardProcess(env: Record<string, string>, opts: { cpus?: string; nodeArgs?: string[] } = {}): Promise<HoardProcess> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'hoard-bench-serve-'));
  const dataDir = path.join(work, 'data');
  const port = await freePort();
  const accountId = '111122223333';
  const accessKeyId = 'AKIABENCHPROXY000000';
  const secretAccessKey = randomBytes(24).toString('hex');
  const keep = ['PATH', 'LANG', 'TZ'];
  const childEnv: NodeJS.ProcessEnv = {};
  for (const k of keep) if (process.env[k]) childEnv[k] = process.env[k];
  Object.assign(childEnv, {
    HOARD_HOST: '127.0.0.1',
    HOARD_PORT: String(port),
    HOARD_DATA_DIR: dataDir,
    HOARD_ROOT_ACCOUNT_ID: accountId,
    HOARD_ROOT_ACCESS_KEY_ID: accessKeyId,
    HOARD_ROOT_SECRET_ACCESS_KEY: secretAccessKey,
    HOARD_SHUTDOWN_GRACE_MS: '2000',
    ...env,
  });
  const log = openSync(path.join(work, 'hoard.log'), 'a', 0o600);
  const node = [process.execPath, ...(opts.nodeArgs ?? []), MAIN, 'serve'];
  const [cmd, args] = opts.cpus ? ['taskset', ['-c', opts.cpus, ...node]] : [node[0], node.slice(1)];
  const child = spawn(cmd, args, { env: childEnv, stdio: ['ignore', log, log] });
  closeSync(log);
  let exited = false;
  child.on('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`hoard serve exited at start; see ${path.join(work, 'hoard.log')}`);
    const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`hoard serve did not become ready in 60 s; see ${path.join(work, 'hoard.log')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid!; // taskset execs node, so this is the server's own pid
  return {
    url,
    pid,
    accountId,
    dataDir,
    credentials: { accessKeyId, secretAccessKey },
    sdk: () => new CodeartifactClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 }),
    memory() {
      let status = '';
      try {
        status = readFileSync(`/proc/${pid}/status`, 'utf8');
      } catch {
        // not Linux: no figures
      }
      const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
      return { rssKiB: kib('VmRSS'), peakKiB: kib('VmHWM') };
    },
    cpuSeconds: () => cpuSecondsOf(pid),
    async stop() {
      if (!exited) {
        const gone = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(work, { recursive: true, force: true });
    },
  };
}

let ticks = 0;

/** utime + stime of a process from /proc/<pid>/stat, in seconds. */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
    ticks ||= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    return (Number(f[11]) + Number(f[12])) / ticks;
  } catch {
    return 0;
  }
}
