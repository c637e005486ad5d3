// Benchmark scenario 'proxy-npm' (issue 10 §4): real npm installing a real closure (express, koa,
// pg, jsonwebtoken, semver, typescript, vitest and everything they pull in) three ways, interleaved:
// straight from a fixture registry on loopback (the floor), through a fresh Hoard in front of it
// (cold: Hoard fetches, checks and retains everything), and again through that Hoard (warm, within
// the metadata TTL). Prints the medians, the ratios to the floor, the upstream requests each
// install made and Hoard's peak RSS. npm always runs on CPU 1 and the registry it talks to on
// CPU 0: Hoard (its own process, `node dist/main.js serve`) for cold and warm, with the fixture as
// its upstream on CPU 1 beside npm; for the floor, the fixture itself moves to CPU 0. Sharing npm's
// CPU would cost the fixture its latency (measured: the floor ~40% slower), so a floor with the
// fixture on CPU 1 would flatter Hoard. npm runs at nice 10 (processes.ts clientCommand), so the
// fixture beside it, standing in for a remote registry, answers without waiting for npm's time
// slice. Never asserts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { printSummary, setupProxyDomain } from './proxy-report.js';
import { realClosure } from './npm-closure.js';
import { NpmUpstreamFixture } from './npm-registry-fixture.js';
import { canPin, cpuSecondsOf, pinSelf, runProcess, startHoardProcess, clientCommand } from './processes.js';

const DEPS = ['express', 'koa', 'pg', 'jsonwebtoken', 'semver', 'typescript', 'vitest'];
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
const TTL_S = 300; // Hoard's default HOARD_UPSTREAM_METADATA_TTL_S, left as it is
const INSTALL = ['install', '--no-audit', '--no-fund', '--ignore-scripts'];

interface Install {
  seconds: number;
  /** CPU seconds the registry npm talked to used during the install (the fixture's process, or Hoard) */
  serverCpu: number;
  added: number;
  packuments: number;
  tarballs: number;
  other: number;
  notFound: number;
}

export async function run(): Promise<void> {
  // The SDK's notice about future Node versions says nothing about this measurement.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const pinned = canPin();
  if (pinned) pinSelf('1');
  console.log(`preparing: real npm install of ${DEPS.join(', ')} with npm's default configuration (the only network use)`);
  const t0 = performance.now();
  const closure = await realClosure(DEPS);
  if (typeof closure === 'string') {
    console.log(`proxy-npm: skipped: ${closure}`);
    return;
  }
  const fixture = await new NpmUpstreamFixture().start();
  for (const p of closure.packages) fixture.addTarball(p.manifest, p.tarball);
  const stubs = closure.packages.filter((p) => p.stub).length;
  const mib = closure.packages.reduce((a, p) => a + p.tarball.length, 0) / 2 ** 20;
  console.log(
    `closure: ${closure.packages.length} package versions in ${fixture.packages.size} packages (${closure.packages.length - stubs} installed here, ` +
      `${stubs} optional ones for other platforms as stubs), ${mib.toFixed(1)} MiB of tarballs; ` +
      `real install ${closure.installSeconds.toFixed(0)} s, packing ${((performance.now() - t0) / 1000 - closure.installSeconds).toFixed(0)} s`,
  );
  const npmVersion = (await runProcess('npm', ['--version'], { cwd: os.tmpdir() })).stdout.trim();
  const pgUrl = process.env.BENCH_PG_URL;
  console.log(
    `fixture registry on 127.0.0.1 (in this bench process); Hoard: node dist/main.js serve, ${pgUrl ? 'PostgreSQL (a fresh database per Hoard) + disk' : 'embedded PGlite + disk'}, ` +
      `metadata TTL ${TTL_S} s; ${pinned ? 'npm on CPU 1 at nice 10; Hoard on CPU 0 with the fixture (its upstream) on CPU 1; for the floor the fixture on CPU 0' : 'not pinned (no taskset or one CPU)'}`,
  );
  console.log(`each install: npm ${npmVersion} \`npm ${INSTALL.join(' ')}\` in a new folder holding only package.json (no lockfile), fresh npm cache`);
  console.log(`runs: ${RUNS}, interleaved (floor, cold, warm / cold, warm, floor / ...); cold = a new Hoard with empty data, warm = the same Hoard right after\n`);

  const floor: Install[] = [];
  const cold: Install[] = [];
  const warm: Install[] = [];
  const peaks: number[] = [];
  const atReady: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const doFloor = async () => {
        if (pinned) pinSelf('0'); // the fixture serves npm from the CPU Hoard gets
        floor.push(await install(fixture, closure.dependencies, `${fixture.url}/`, null, pinned, () => cpuSecondsOf(process.pid)));
        if (pinned) pinSelf('1');
      };
      if (i % 2 === 0) await doFloor();
      const db = pgUrl ? await freshDatabase(pgUrl) : null;
      const h = await startHoardProcess(
        { HOARD_EXTERNAL_NPMJS_URL: fixture.url, ...(db ? { DATABASE_URL: db.url } : {}) },
        { cpus: pinned ? '0' : undefined, nodeArgs: nodeArgs() },
      );
      try {
        atReady.push(h.memory().rssKiB);
        const { endpoint: registry, token } = await setupProxyDomain(h, 'npm-store', 'public:npmjs', 'npm');
        const coldStart = Date.now();
        cold.push(await install(fixture, closure.dependencies, registry, token, pinned, () => h.cpuSeconds()));
        warm.push(await install(fixture, closure.dependencies, registry, token, pinned, () => h.cpuSeconds()));
        if (Date.now() - coldStart > TTL_S * 1000) console.log(`  (run ${i + 1}: the warm install ended after the TTL; it may have revalidated documents)`);
        peaks.push(h.memory().peakKiB);
      } finally {
        await h.stop();
        await db?.drop();
      }
      if (i % 2 === 1) await doFloor();
      const f = floor[floor.length - 1];
      console.log(
        `run ${i + 1}: floor ${f.seconds.toFixed(2)} s, cold ${cold[i].seconds.toFixed(2)} s, warm ${warm[i].seconds.toFixed(2)} s; ` +
          `registry CPU ${f.serverCpu.toFixed(1)}/${cold[i].serverCpu.toFixed(1)}/${warm[i].serverCpu.toFixed(1)} s; ` +
          `packages added ${f.added}/${cold[i].added}/${warm[i].added}; Hoard peak RSS ${(peaks[i] / 1024).toFixed(0)} MiB; load average ${os.loadavg()[0].toFixed(1)}`,
      );
    }
  } finally {
    await fixture.stop();
  }
  printSummary({
    runs: RUNS,
    unit: 'install',
    client: 'npm',
    server: 'registry',
    issue: 10,
    goals: { cold: 1.3, warm: 1.1 },
    floor,
    cold,
    warm,
    requests: {
      legend: 'packuments + tarballs + other, of which 404',
      line: (md) =>
        `${md((x) => x.packuments + x.tarballs + x.other)} = ${md((x) => x.packuments)} packuments + ${md((x) => x.tarballs)} tarballs + ${md((x) => x.other)} other (404: ${md((x) => x.notFound)})`,
    },
    peaks,
    atReady,
  });
}

/** BENCH_HOARD_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where Hoard's time goes. */
const nodeArgs = () => (process.env.BENCH_HOARD_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** One `npm install` of the project from `registry` in a new folder with a new cache, HOME and config. */
async function install(
  fixture: NpmUpstreamFixture,
  dependencies: Record<string, string>,
  registry: string,
  token: string | null,
  pinned: boolean,
  serverCpu: () => number,
): Promise<Install> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'hoard-bench-install-'));
  try {
    const project = path.join(work, 'project');
    const home = path.join(work, 'home');
    mkdirSync(project);
    mkdirSync(home);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'bench-project', version: '1.0.0', private: true, dependencies }, null, 2));
    const auth = token ? `${registry.replace(/^https?:/, '')}:_authToken=${token}\n` : '';
    writeFileSync(path.join(home, '.npmrc'), `registry=${registry}\n${auth}`, { mode: 0o600 });
    writeFileSync(path.join(home, 'global-npmrc'), '');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      npm_config_userconfig: path.join(home, '.npmrc'),
      npm_config_globalconfig: path.join(home, 'global-npmrc'),
      npm_config_cache: path.join(work, 'cache'),
      npm_config_update_notifier: 'false',
    };
    fixture.resetCounts();
    const cpu0 = serverCpu();
    const [cmd, args] = clientCommand('npm', INSTALL, pinned);
    const r = await runProcess(cmd, args, { cwd: project, env, timeoutMs: 30 * 60_000 });
    if (r.code !== 0) throw new Error(`npm install from ${registry} failed (exit ${r.code}):\n${(r.stdout + r.stderr).trim().split('\n').slice(-15).join('\n')}`);
    const cpu = serverCpu() - cpu0;
    const added = Number(/added (\d+) package/.exec(r.stdout)?.[1] ?? -1);
    const c = { packuments: 0, tarballs: 0, other: 0 };
    for (const [key, n] of fixture.hits) {
      if (key.startsWith('GET /') && key.includes('/-/') && key.endsWith('.tgz')) c.tarballs += n;
      else if (key.startsWith('GET /') && !key.startsWith('GET /-/')) c.packuments += n;
      else c.other += n;
    }
    return { seconds: r.seconds, serverCpu: cpu, added, ...c, notFound: fixture.notFound };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A new, empty database in the cluster at `clusterUrl`, dropped afterwards. */
export async function freshDatabase(clusterUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `hoard_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: clusterUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(clusterUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: clusterUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await c.end();
    },
  };
}
