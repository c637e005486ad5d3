// `hoard serve` as an operator meets it: bad settings stop it with one line and exit 2; the first
// start creates and prints root credentials once; SIGTERM finishes in-flight requests; the data
// folder is private to the server's user.
import { spawn, execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, statSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { signRequest } from '../../src/auth/sigv4-sign.js';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  ListDomainsCommand,
  CodeartifactClient,
  CreateDomainCommand,
  CreateRepositoryCommand,
  PublishPackageVersionCommand,
} from '@aws-sdk/client-codeartifact';
import { createHash } from 'node:crypto';
import { spawnHoard } from '../support/spawn-hoard.js';

const run = promisify(execFile);

function serveEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOARD_LOG_LEVEL: 'warn', ...extra };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Starts `hoard serve` and resolves with its output once it says it is listening. */
function serve(env: NodeJS.ProcessEnv) {
  const child = spawn('node', ['dist/main.js', 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('To log in')) resolve(out);
    });
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  return { child, ready, output: () => out };
}

describe('hoard serve', () => {
  it('stops with one line naming the bad setting and exit code 2', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ HOARD_PORT: 'eighty' }, /^hoard: configuration error: HOARD_PORT: not a whole number: eighty\n$/],
      [{ HOARD_PORT: '70000' }, /HOARD_PORT: must be between 0 and 65535/],
      [{ HOARD_REGION: 'mars' }, /HOARD_REGION/],
      [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
      [{ S3_ENDPOINT: 'http://127.0.0.1:9' }, /S3_BUCKET: required/],
      [{ HOARD_MASTER_KEY: 'short' }, /HOARD_MASTER_KEY: must be 32 bytes/],
      [{ HOARD_ROOT_ACCOUNT_ID: '12' }, /HOARD_ROOT_ACCOUNT_ID: must be exactly 12 digits/],
      [{ HOARD_ROOT_ACCESS_KEY_ID: 'AKIAONLYTHEID0000000' }, /HOARD_ROOT_SECRET_ACCESS_KEY/],
      [{ HOARD_PUBLIC_URL: 'ftp://x' }, /HOARD_PUBLIC_URL/],
      [{ HOARD_EXTERNAL_NPMJS_URL: 'not a url' }, /HOARD_EXTERNAL_NPMJS_URL/],
    ];
    for (const [env, re] of cases) {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hoard-cfg-'));
      const r = await run('node', ['dist/main.js', 'serve'], { env: serveEnv({ HOARD_DATA_DIR: dataDir, ...env }) }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(r.code, JSON.stringify(env)).toBe(2);
      expect(r.stderr, JSON.stringify(env)).toMatch(re);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('creates the operator account on first start, prints its credentials once, and shuts down gracefully', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hoard-first-'));
    const port = await freePort();
    const env = serveEnv({ HOARD_DATA_DIR: dataDir, HOARD_PORT: String(port) });
    const first = serve(env);
    const out = await first.ready;
    const id = /AWS_ACCESS_KEY_ID=(\S+)/.exec(out)?.[1];
    const secret = /AWS_SECRET_ACCESS_KEY=(\S+)/.exec(out)?.[1];
    expect(id).toMatch(/^AKIA/);
    expect(out).toContain(`aws codeartifact create-domain --domain my-domain --endpoint-url http://127.0.0.1:${port}`);
    expect(out).toContain('hoard login --tool npm');
    // Generated keys live in the data folder, readable by the owner only.
    for (const f of ['master.key', 'token-signing.key']) expect(statSync(path.join(dataDir, f)).mode & 0o777).toBe(0o600);
    // The secret is never written anywhere in plain text.
    expect(readFileSync(path.join(dataDir, 'master.key'), 'utf8')).not.toContain(secret!);
    const client = new CodeartifactClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: id!, secretAccessKey: secret! },
      maxAttempts: 1,
    });
    await client.send(new ListDomainsCommand({}));

    // SIGTERM while a request is in flight (signed, its body only half sent: the server is still
    // reading it): the request still gets its answer, then the process exits 0.
    const body = '{"maxResults":5}';
    const signed = await signRequest({
      method: 'POST',
      url: `http://127.0.0.1:${port}/v1/domains`,
      headers: { 'content-type': 'application/json' },
      body,
      accessKeyId: id!,
      secretAccessKey: secret!,
      region: 'us-east-1',
      service: 'codeartifact',
    });
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => sock.once('connect', resolve));
    let answer = '';
    sock.on('data', (d) => (answer += d));
    const closed = new Promise((resolve) => sock.once('close', resolve));
    const head = Object.entries(signed)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    sock.write(`POST /v1/domains HTTP/1.1\r\n${head}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 8)}`);
    await new Promise((r) => setTimeout(r, 300));
    first.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    sock.write(body.slice(8));
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain('"domains"');
    const code = await new Promise<number | null>((resolve) => first.child.on('exit', resolve));
    expect(code).toBe(0);

    // Second start on the same data: no new credentials printed, the old key still works.
    const second = serve(env);
    const out2 = await second.ready;
    expect(out2).not.toContain('AWS_SECRET_ACCESS_KEY=');
    await client.send(new ListDomainsCommand({}));
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.on('exit', resolve));
  });

  it('uses the configured root credentials when the store is empty', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hoard-root-'));
    const port = await freePort();
    const s = serve(
      serveEnv({
        HOARD_DATA_DIR: dataDir,
        HOARD_PORT: String(port),
        HOARD_ROOT_ACCOUNT_ID: '999988887777',
        HOARD_ROOT_ACCESS_KEY_ID: 'AKIACONFIGUREDROOT01',
        HOARD_ROOT_SECRET_ACCESS_KEY: 'configured-root-secret-0123456789',
      }),
    );
    const out = await s.ready;
    expect(out).toContain('created the operator account 999988887777 with the root key from HOARD_ROOT_ACCESS_KEY_ID');
    expect(out).not.toContain('configured-root-secret');
    const r = await new CodeartifactClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIACONFIGUREDROOT01', secretAccessKey: 'configured-root-secret-0123456789' },
      maxAttempts: 1,
    }).send(new ListDomainsCommand({}));
    expect(r.domains).toEqual([]);
    s.child.kill('SIGTERM');
    await new Promise((resolve) => s.child.on('exit', resolve));
  });

  it('keeps the data folder private: 0700 (an existing 0755 one tightened), its own files 0600, nothing reachable by others', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hoard-modes-'));
    chmodSync(dataDir, 0o755); // as an operator's `mkdir data` leaves it
    const h = await spawnHoard({ dataDir });
    try {
      const sdk = h.sdk();
      await sdk.send(new CreateDomainCommand({ domain: 'modes' }));
      await sdk.send(new CreateRepositoryCommand({ domain: 'modes', repository: 'rr' }));
      const asset = Buffer.from('private content\n');
      const sha = createHash('sha256').update(asset).digest('hex');
      await sdk.send(
        new PublishPackageVersionCommand({
          domain: 'modes', repository: 'rr', format: 'generic', namespace: 'ns', package: 'p', packageVersion: '1.0',
          assetName: 'a.txt', assetContent: asset, assetSHA256: sha,
        }),
      );
      const mode = (p: string) => statSync(p).mode & 0o777;
      expect(mode(dataDir).toString(8)).toBe('700');
      for (const f of ['master.key', 'token-signing.key']) expect(mode(path.join(dataDir, f)).toString(8)).toBe('600');
      const blob = walk(dataDir).find((p) => path.basename(p) === sha);
      expect(blob, 'the published blob is on disk').toBeDefined();
      expect(mode(blob!).toString(8)).toBe('600');
      // Hoard's own files and folders give nothing to group or others; PGlite sets some modes of
      // its own (0666 files), which the closed folders above them shield.
      const own = walk(dataDir).filter((p) => !p.startsWith(path.join(dataDir, 'pglite') + path.sep));
      expect(own.filter((p) => mode(p) & 0o077).map((p) => `${p} ${mode(p).toString(8)}`)).toEqual([]);
      const reachable = (p: string) => {
        for (let d = path.dirname(p); d.length >= dataDir.length; d = path.dirname(d)) if (!(mode(d) & 0o011)) return false;
        return (mode(p) & 0o066) !== 0;
      };
      expect(walk(dataDir).filter(reachable)).toEqual([]);
    } finally {
      await h.stop();
    }
  });
});

/** Every file and folder below `dir`. */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...walk(p));
  }
  return out;
}
