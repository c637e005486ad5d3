// Dependencies a test owns, so it can stop, freeze and restart them: a throwaway PostgreSQL 15
// cluster (as .ci/run's start_postgres builds one: loopback only, a free port, its socket in the
// temp dir; as root the server runs as the postgres OS user), and an s3rver in its own process
// (SIGSTOP freezes it, SIGKILL makes its port refuse). Both are removed by stop().
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
const ROOT = path.resolve(import.meta.dirname, '../..');
export const PG_BIN = process.env.HOARD_CI_PG_BIN ?? '/usr/lib/postgresql/15/bin';
export const hasPostgresBinaries = () => existsSync(path.join(PG_BIN, 'initdb')) && existsSync(path.join(PG_BIN, 'pg_ctl'));

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** True once something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect({ host: '127.0.0.1', port });
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export class TestPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** initdb a cluster; started unless `start: false` (then start() later, e.g. to test waiting for it). */
  static async create(opts: { start?: boolean } = {}): Promise<TestPostgres> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hoard-test-pg-'));
    const pg = new TestPostgres(dir, await freePort());
    if (isRoot()) chownSync(dir, uidOf('postgres'), gidOf('postgres'));
    await pg.asPg(path.join(PG_BIN, 'initdb'), ['-D', `${dir}/data`, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C']);
    // Loopback only, socket in the temp dir. fsync may be off (the machine does not crash during a
    // test) but commits stay synchronous: an acknowledged write must survive `-m immediate`.
    const conf = ['', `listen_addresses = '127.0.0.1'`, `port = ${pg.port}`, `unix_socket_directories = '${dir}'`, 'fsync = off', 'max_connections = 100', ''];
    await pg.asPg('sh', ['-c', `cat >> '${dir}/data/postgresql.conf'`], conf.join('\n'));
    await pg.asPg('sh', ['-c', `cat > '${dir}/data/pg_hba.conf'`], 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
    if (opts.start !== false) await pg.start();
    return pg;
  }

  private async asPg(file: string, args: string[], stdin?: string): Promise<void> {
    const [cmd, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
    await new Promise<void>((resolve, reject) => {
      const child = spawn(cmd, argv, { cwd: this.dir, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${file} ${args.join(' ')} exited ${code}: ${out}`))));
      child.stdin.end(stdin ?? '');
    });
  }

  private ctl(args: string[]): Promise<void> {
    return this.asPg(path.join(PG_BIN, 'pg_ctl'), ['-D', `${this.dir}/data`, ...args]);
  }

  start(): Promise<void> {
    return this.ctl(['-l', `${this.dir}/postgres.log`, '-w', '-t', '60', 'start']);
  }

  stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    return this.ctl(['-m', mode, '-w', '-t', '60', 'stop']);
  }

  restart(mode: 'fast' | 'immediate'): Promise<void> {
    return this.ctl(['-l', `${this.dir}/postgres.log`, '-m', mode, '-w', '-t', '60', 'restart']);
  }

  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An s3rver in a child process on a fixed port and folder, so it can be frozen, killed and started again. */
export class TestS3 {
  private child: ChildProcess | null = null;
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** S3_* settings for a Hoard on this server (bucket named by the caller). */
  env(bucket: string): Record<string, string> {
    return { S3_ENDPOINT: this.endpoint, S3_BUCKET: bucket, S3_ACCESS_KEY: 'S3RVER', S3_SECRET_KEY: 'S3RVER', S3_REGION: 'us-east-1' };
  }

  static async create(): Promise<TestS3> {
    const s = new TestS3(mkdtempSync(path.join(os.tmpdir(), 'hoard-test-s3-')), await freePort());
    await s.start();
    return s;
  }

  async start(): Promise<void> {
    const launcher = path.join(ROOT, 'test/support/s3rver.cjs');
    this.child = spawn(process.execPath, [launcher, '--address', '127.0.0.1', '--port', String(this.port), '--directory', `${this.dir}/data`, '--silent'], {
      stdio: 'ignore',
    });
    await until('s3rver to listen', () => portOpen(this.port), 30_000);
  }

  /** SIGSTOP: connections are accepted by the kernel but nothing is ever answered. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  /** SIGKILL: the port refuses connections until start(). */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGCONT');
    c.kill('SIGKILL');
    await gone;
    this.child = null;
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const isRoot = () => process.getuid?.() === 0;
const uidOf = (user: string) => Number(execFileSync('id', ['-u', user]).toString().trim());
const gidOf = (user: string) => Number(execFileSync('id', ['-g', user]).toString().trim());
