// Helpers for the npm tests: a domain and repositories made with the SDK, packages written to
// disk, and the real npm, pnpm and yarn run with a temporary HOME, userconfig and cache.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { CreateDomainCommand, CreateRepositoryCommand, GetAuthorizationTokenCommand, ListPackageVersionsCommand, type PackageVersionSummary } from '@aws-sdk/client-codeartifact';
import { cliEnv, type TestHoard } from '../support/hoard.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const PNPM = path.join(ROOT, 'node_modules/pnpm/bin/pnpm.cjs');
export const YARN = path.join(ROOT, 'node_modules/@yarnpkg/cli-dist/bin/yarn.js');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function setupDomain(h: TestHoard, domain: string, repos: { name: string; upstreams?: string[] }[]) {
  const sdk = h.sdk();
  await sdk.send(new CreateDomainCommand({ domain }));
  for (const r of repos)
    await sdk.send(
      new CreateRepositoryCommand({ domain, repository: r.name, upstreams: r.upstreams?.map((repositoryName) => ({ repositoryName })) }),
    );
  const tok = await sdk.send(new GetAuthorizationTokenCommand({ domain }));
  return {
    token: tok.authorizationToken!,
    endpoint: (repo: string) => `${h.url}/npm/d/${domain}-${h.accountId}/${repo}/`,
  };
}

/** A client workspace: its own HOME (.npmrc there), a shared cache, and runners for npm, pnpm and yarn. */
export class Client {
  readonly home: string;
  constructor(
    readonly h: TestHoard,
    readonly cache: string,
    home?: string,
  ) {
    this.home = home ?? tmpDir('hoard-home-');
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      ...cliEnv(this.h, this.home),
      npm_config_cache: this.cache,
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_fetch_retries: '0',
      COREPACK_ENABLE_STRICT: '0',
      YARN_ENABLE_TELEMETRY: '0',
      YARN_ENABLE_GLOBAL_CACHE: '0',
      YARN_CACHE_FOLDER: path.join(this.cache, 'yarn'),
      PNPM_HOME: path.join(this.home, '.pnpm-home'),
      ...extra,
    };
  }

  /** `input`: text for stdin, or answers written one at a time as each prompt appears (npm reads each with a new readline). */
  run(cmd: string, args: string[], cwd: string, extra: Record<string, string> = {}, input?: string | [RegExp, string][]): Promise<RunResult> {
    const [file, argv] =
      cmd === 'npm' ? ['npm', args] : cmd === 'script' ? ['script', args] : ['node', [cmd === 'pnpm' ? PNPM : YARN, ...args]];
    return new Promise((resolve, reject) => {
      const child = spawn(file, argv, { cwd, env: this.env(extra), stdio: ['pipe', 'pipe', 'pipe'], timeout: 120_000 });
      let stdout = '';
      let stderr = '';
      const answers = Array.isArray(input) ? [...input] : null;
      let seen = 0;
      const prompt = () => {
        const text = stdout + stderr;
        if (!answers?.length || !answers[0][0].test(text.slice(seen))) return;
        seen = text.length;
        const [, answer] = answers.shift()!;
        if (answers.length) child.stdin.write(`${answer}\n`);
        else child.stdin.end(`${answer}\n`);
      };
      child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), prompt()));
      child.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), prompt()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
      if (!answers) child.stdin.end(typeof input === 'string' ? input : '');
    });
  }

  npm(args: string[], cwd = this.home, extra?: Record<string, string>, input?: string | [RegExp, string][]) {
    return this.run('npm', args, cwd, extra, input);
  }

  /** npm on a pseudo-terminal (util-linux `script`): npm's prompts read a second line only from a TTY. */
  npmTty(args: string[], answers: [RegExp, string][], cwd = this.home) {
    const quoted = args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    return this.run('script', ['-qfec', `npm ${quoted}`, '/dev/null'], cwd, {}, answers);
  }

  pnpm(args: string[], cwd: string, extra?: Record<string, string>) {
    return this.run('pnpm', args, cwd, extra);
  }

  yarn(args: string[], cwd: string, extra?: Record<string, string>) {
    return this.run('yarn', args, cwd, extra);
  }

  /** Writes an .npmrc for `registry` with the token (what `hoard login --tool npm` writes). */
  configure(registry: string, token: string) {
    const u = new URL(registry);
    writeFileSync(path.join(this.home, '.npmrc'), `registry=${registry}\n//${u.host}${u.pathname}:_authToken=${token}\n`);
  }
}

const created: string[] = [];

export function tmpDir(prefix = 'hoard-npm-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Removes every folder this file's tests made (homes, caches, packages, projects). */
export function removeTemp(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Writes a package folder: package.json plus an index.js (and any extra files). */
export function writePackage(pj: Record<string, unknown>, files: Record<string, string> = {}): string {
  const dir = tmpDir('hoard-pkg-');
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ main: 'index.js', license: 'MIT', ...pj }, null, 2));
  writeFileSync(path.join(dir, 'index.js'), `module.exports = ${JSON.stringify(`${String(pj.name)}@${String(pj.version)}`)};\n`);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

/** A fresh project folder that depends on nothing yet. */
export function project(extra: Record<string, unknown> = {}): string {
  const dir = tmpDir('hoard-proj-');
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, ...extra }, null, 2));
  return dir;
}

export const out = (r: RunResult) => `${r.stdout}\n${r.stderr}`;

/** A package tarball as npm packs it (files under package/), built in memory. */
export async function makeTgz(pj: Record<string, unknown>, files: Record<string, string> = {}): Promise<Buffer> {
  const dir = tmpDir('hoard-tgz-');
  const pkg = path.join(dir, 'package');
  mkdirSync(pkg);
  writeFileSync(path.join(pkg, 'package.json'), JSON.stringify(pj));
  for (const [f, text] of Object.entries({ 'index.js': 'module.exports = 1;\n', ...files })) {
    mkdirSync(path.dirname(path.join(pkg, f)), { recursive: true });
    writeFileSync(path.join(pkg, f), text);
  }
  const chunks: Buffer[] = [];
  const stream = tar.create({ gzip: true, cwd: dir, portable: true }, ['package']);
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The body libnpmpublish sends for one version (protocols.md A.7). */
export function publishBody(
  pj: { name: string; version: string; [k: string]: unknown },
  tgz: Buffer,
  opts: { tag?: string; integrity?: string; shasum?: string; data?: string; length?: number; extraAttachments?: Record<string, unknown> } = {},
) {
  const integrity = opts.integrity ?? `sha512-${createHash('sha512').update(tgz).digest('base64')}`;
  const shasum = opts.shasum ?? createHash('sha1').update(tgz).digest('hex');
  const file = `${pj.name}-${pj.version}.tgz`;
  return {
    _id: pj.name,
    name: pj.name,
    'dist-tags': { [opts.tag ?? 'latest']: pj.version },
    access: null,
    versions: {
      [pj.version]: {
        ...pj,
        _id: `${pj.name}@${pj.version}`,
        _nodeVersion: '20.0.0',
        _npmVersion: '11.0.0',
        dist: { integrity, shasum, tarball: `http://example.invalid/${pj.name}/-/${file}` },
      },
    },
    _attachments: {
      [file]: { content_type: 'application/octet-stream', data: opts.data ?? tgz.toString('base64'), length: opts.length ?? tgz.length },
      ...opts.extraAttachments,
    },
  };
}

/** A response body parsed as JSON, loosely typed: the assertions say what it must hold. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;
export const json = async (r: Response | Promise<Response>): Promise<Loose> => (await r).json();

/** The versions a repository holds of an npm package (none when it has no such package: ResourceNotFound). */
export async function npmVersionsIn(h: TestHoard, domain: string, repository: string, pkg: string, namespace?: string): Promise<PackageVersionSummary[]> {
  const r = await h
    .sdk()
    .send(new ListPackageVersionsCommand({ domain, repository, format: 'npm', package: pkg, namespace }))
    .catch((e: Error) => {
      if (e.name === 'ResourceNotFoundException') return { versions: [] };
      throw e;
    });
  return r.versions ?? [];
}

/** A .yarnrc.yml for yarn 4 against `registry` with `token`; yarn quarantines versions younger than a day
 * (by the packument's `time`) unless npmMinimalAgeGate is 0, and test packages are seconds old. */
export function yarnrc(registry: string, token: string): string {
  return [
    'nodeLinker: node-modules',
    `npmRegistryServer: "${registry}"`,
    'npmAlwaysAuth: true',
    `npmAuthToken: "${token}"`,
    'unsafeHttpWhitelist: ["127.0.0.1"]',
    'enableTelemetry: false',
    'enableGlobalCache: false',
    'npmMinimalAgeGate: 0',
    '',
  ].join('\n');
}
