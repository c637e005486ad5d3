// A real npm dependency closure for the proxy-npm benchmark: the real `npm install` of a few
// well-known packages in a temporary folder, with npm's own default registry configuration (the
// only step of the bench that uses the network), then every package of the installed tree turned
// into a fixture package: its folder packed under package/ and gzipped, its package.json as the
// manifest. Optional packages npm skipped for this platform (native binaries for other systems)
// become stubs from the lockfile's entry (name, version, os, cpu), so their packuments exist as
// they do on the real registry and npm skips them the same way.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { runProcess, type ProcessResult } from './processes.js';

export interface ClosurePackage {
  manifest: Record<string, unknown> & { name: string; version: string };
  tarball: Buffer;
  /** true for an optional package of another platform, present only as a stub */
  stub: boolean;
}

export interface Closure {
  /** the project's dependencies as npm saved them (name -> range) */
  dependencies: Record<string, string>;
  packages: ClosurePackage[];
  /** what the preparation cost, for the report */
  installSeconds: number;
}

/** npm's error codes that mean "no network". */
const OFFLINE = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ERR_SOCKET_TIMEOUT)\b/;

/** What went wrong in npm's words, without its URLs: its error code (e.g. EAI_AGAIN when offline). */
function npmFailure(what: string, r: ProcessResult): string {
  const code = /npm error code (\S+)/.exec(r.stderr)?.[1];
  const how = r.signal ? `ended by ${r.signal} after ${r.seconds.toFixed(0)} s` : `exit ${r.code}${code ? `, npm error code ${code}` : ''}`;
  return `${what} failed (${how})`;
}

/**
 * Installs `deps` for real and returns the closure, or a sentence saying why it could not (no
 * network, npm failing). npm runs with the user's configuration as it is (its default registry),
 * with a temporary cache so nothing cached earlier stands in for the network.
 */
export async function realClosure(deps: string[]): Promise<Closure | string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hoard-bench-closure-'));
  try {
    // A quick look first: without a network, npm install can retry for many minutes. (A registry
    // that does not answer ping at all is left to the install to judge.)
    const ping = await runProcess('npm', ['ping', '--fetch-retries=0', '--fetch-timeout=20000'], { cwd: dir, timeoutMs: 60_000 });
    if (ping.code !== 0 && (ping.signal || OFFLINE.test(ping.stderr)))
      return `the network is unavailable, so the real packages cannot be installed: ${npmFailure('npm ping of the default registry', ping)}`;
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'hoard-bench-closure', version: '1.0.0', private: true }));
    const args = ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--cache', path.join(dir, '.npm-cache'), ...deps];
    const r = await runProcess('npm', args, { cwd: dir, timeoutMs: 10 * 60_000 });
    if (r.code !== 0) return npmFailure(`npm install of ${deps.join(' ')}`, r);
    const project = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const lock = JSON.parse(readFileSync(path.join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
    const packages: ClosurePackage[] = [];
    const seen = new Set<string>();
    for (const [key, entry] of Object.entries(lock.packages)) {
      if (!key || entry.link || entry.inBundle) continue;
      const name = entry.name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
      const id = `${name}@${entry.version}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const folder = path.join(dir, key);
      if (existsSync(path.join(folder, 'package.json'))) {
        const manifest = JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8')) as ClosurePackage['manifest'];
        const bundles = Array.isArray(manifest.bundleDependencies) || Array.isArray(manifest.bundledDependencies);
        packages.push({ manifest: { ...manifest, name, version: entry.version }, tarball: await pack(folder, bundles), stub: false });
      } else {
        packages.push(await stub(name, entry, dir));
      }
    }
    return { dependencies: project.dependencies, packages, installSeconds: r.seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface LockEntry {
  name?: string;
  version: string;
  link?: boolean;
  inBundle?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  engines?: Record<string, string>;
  license?: string;
  optional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  bin?: Record<string, string>;
}

/** A package folder as a registry tarball: every file under package/, without its installed node_modules (unless it bundles them). */
async function pack(folder: string, keepNodeModules: boolean): Promise<Buffer> {
  const entries = readdirSync(folder).filter((f) => keepNodeModules || f !== 'node_modules');
  const chunks: Buffer[] = [];
  const stream = tar.create({ cwd: folder, gzip: true, portable: true, prefix: 'package' }, entries);
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** A package npm did not install here (another platform's binary): its lockfile facts in a package.json. */
async function stub(name: string, e: LockEntry, work: string): Promise<ClosurePackage> {
  const manifest: ClosurePackage['manifest'] = { name, version: e.version, description: `${name} (another platform; a stub in the benchmark fixture)` };
  for (const k of ['os', 'cpu', 'libc', 'engines', 'license', 'dependencies', 'optionalDependencies', 'peerDependencies', 'bin'] as const)
    if (e[k] !== undefined) manifest[k] = e[k];
  const folder = path.join(work, '.stubs', name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'package.json'), JSON.stringify(manifest, null, 2));
  return { manifest, tarball: await pack(folder, false), stub: true };
}
