// Benchmark scenario 'proxy-pypi' (issue 11): real pip installing a real closure of about 35
// distributions (requests, flask, httpx, pydantic, rich, pytest, sqlalchemy ... and what they pull
// in; wheels obtained once with `pip download` and the machine's own pip configuration, the only
// use of it) three ways, interleaved: straight from the fixture index on loopback (the floor),
// through a fresh Hoard in front of it (cold: Hoard fetches, checks and retains everything), and
// again through that Hoard (warm, within the metadata TTL). Each install goes into a new venv with
// no pip cache and PIP_CONFIG_FILE=/dev/null. Prints the medians, the ratios to the floor, the
// upstream requests per install and Hoard's peak RSS. CPU placement as in proxy-npm: pip on CPU 1,
// Hoard on CPU 0 with the fixture (its upstream) on CPU 1; for the floor the fixture on CPU 0.
// Never asserts.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { printSummary, setupProxyDomain } from './proxy-report.js';
import { PypiIndexFixture } from './pypi-index-fixture.js';
import { canPin, cpuSecondsOf, pinSelf, runProcess, startHoardProcess, clientCommand } from './processes.js';
import { freshDatabase } from './proxy-npm.js';

const DEPS = ['requests', 'flask', 'httpx', 'pydantic', 'rich', 'click', 'attrs', 'python-dateutil', 'pyyaml', 'jinja2', 'pytest', 'sqlalchemy', 'tqdm', 'tabulate'];
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
const TTL_S = 300; // Hoard's default HOARD_UPSTREAM_METADATA_TTL_S
const PYTHON = process.env.BENCH_PYTHON ?? 'python3';

interface Install {
  seconds: number;
  serverCpu: number;
  installed: number;
  pages: number;
  metadata: number;
  files: number;
  other: number;
}

export async function run(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const pinned = canPin();
  if (pinned) pinSelf('1');
  const wheels = mkdtempSync(path.join(os.tmpdir(), 'hoard-bench-wheels-'));
  try {
    console.log(`preparing: pip download --only-binary :all: of ${DEPS.join(', ')} with the machine's pip configuration (the only use of it)`);
    const dl = await runProcess(PYTHON, ['-m', 'pip', 'download', '--quiet', '--retries', '0', '--only-binary', ':all:', '-d', wheels, ...DEPS], {
      cwd: wheels,
      timeoutMs: 15 * 60_000,
    });
    const files = readdirSync(wheels).filter((f) => f.endsWith('.whl'));
    if (dl.code !== 0 || files.length === 0) {
      console.log(`proxy-pypi: skipped: pip download failed (exit ${dl.code}):\n${(dl.stdout + dl.stderr).trim().split('\n').slice(-8).join('\n')}`);
      return;
    }
    const fixture = await new PypiIndexFixture().start();
    let bytes = 0;
    for (const f of files) {
      const b = readFileSync(path.join(wheels, f));
      bytes += b.length;
      await fixture.addFile(f.split('-')[0], f, b);
    }
    const pipVersion = (await runProcess(PYTHON, ['-m', 'pip', '--version'], { cwd: wheels, env: cleanEnv(wheels) })).stdout.trim().split(' from ')[0];
    const pgUrl = process.env.BENCH_PG_URL;
    console.log(`closure: ${files.length} wheels in ${fixture.projects.size} projects, ${(bytes / 2 ** 20).toFixed(1)} MiB`);
    console.log(
      `fixture index on 127.0.0.1 (in this bench process; JSON pages, .metadata files); Hoard: node dist/main.js serve, ` +
        `${pgUrl ? 'PostgreSQL (a fresh database per Hoard) + disk' : 'embedded PGlite + disk'}, metadata TTL ${TTL_S} s; ` +
        `${pinned ? 'pip on CPU 1 at nice 10; Hoard on CPU 0 with the fixture on CPU 1; for the floor the fixture on CPU 0' : 'not pinned (no taskset or one CPU)'}`,
    );
    console.log(`each install: ${pipVersion} \`pip install --no-cache-dir ${DEPS.join(' ')}\` into a new venv (made before the clock starts), PIP_CONFIG_FILE=/dev/null`);
    console.log(`runs: ${RUNS}, interleaved; cold = a new Hoard with empty data, warm = the same Hoard right after\n`);

    const floor: Install[] = [];
    const cold: Install[] = [];
    const warm: Install[] = [];
    const peaks: number[] = [];
    try {
      for (let i = 0; i < RUNS; i++) {
        const doFloor = async () => {
          if (pinned) pinSelf('0');
          floor.push(await install(fixture, fixture.indexUrl, pinned, () => cpuSecondsOf(process.pid)));
          if (pinned) pinSelf('1');
        };
        if (i % 2 === 0) await doFloor();
        const db = pgUrl ? await freshDatabase(pgUrl) : null;
        const h = await startHoardProcess(
          { HOARD_EXTERNAL_PYPI_URL: `${fixture.url}/simple`, ...(db ? { DATABASE_URL: db.url } : {}) },
          { cpus: pinned ? '0' : undefined, nodeArgs: (process.env.BENCH_HOARD_NODE_ARGS ?? '').split(' ').filter(Boolean) },
        );
        try {
          const { endpoint: ep, token } = await setupProxyDomain(h, 'py-store', 'public:pypi', 'pypi');
          const index = `${ep.replace('://', `://aws:${token}@`)}simple/`;
          cold.push(await install(fixture, index, pinned, () => h.cpuSeconds()));
          warm.push(await install(fixture, index, pinned, () => h.cpuSeconds()));
          peaks.push(h.memory().peakKiB);
        } finally {
          await h.stop();
          await db?.drop();
        }
        if (i % 2 === 1) await doFloor();
        const f = floor[floor.length - 1];
        console.log(
          `run ${i + 1}: floor ${f.seconds.toFixed(2)} s, cold ${cold[i].seconds.toFixed(2)} s, warm ${warm[i].seconds.toFixed(2)} s; ` +
            `index CPU ${f.serverCpu.toFixed(2)}/${cold[i].serverCpu.toFixed(2)}/${warm[i].serverCpu.toFixed(2)} s; ` +
            `installed ${f.installed}/${cold[i].installed}/${warm[i].installed}; Hoard peak RSS ${(peaks[i] / 1024).toFixed(0)} MiB; load average ${os.loadavg()[0].toFixed(1)}`,
        );
      }
    } finally {
      await fixture.stop();
    }
    printSummary({
      runs: RUNS,
      unit: 'install',
      client: 'pip',
      server: 'index',
      issue: 11,
      goals: { cold: 1.3, warm: 1.15 },
      floor,
      cold,
      warm,
      requests: {
        legend: 'pages + .metadata + files + other',
        line: (md) => `${md((x) => x.pages + x.metadata + x.files + x.other)} = ${md((x) => x.pages)} + ${md((x) => x.metadata)} + ${md((x) => x.files)} + ${md((x) => x.other)}`,
      },
      peaks,
    });
  } finally {
    rmSync(wheels, { recursive: true, force: true });
  }
}

/** A child environment with nothing of the machine's pip setup. */
function cleanEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'LANG', 'PYENV_ROOT', 'TMPDIR']) if (process.env[k]) env[k] = process.env[k];
  const xdg = path.join(home, '.xdg-empty');
  mkdirSync(xdg, { recursive: true });
  return { ...env, HOME: home, XDG_CONFIG_DIRS: xdg, PIP_CONFIG_FILE: '/dev/null', PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' };
}

/** One `pip install` of the closure from `index` into a new venv, without a cache. */
async function install(fixture: PypiIndexFixture, index: string, pinned: boolean, serverCpu: () => number): Promise<Install> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'hoard-bench-pip-'));
  try {
    const env = cleanEnv(work);
    const venv = await runProcess(PYTHON, ['-m', 'venv', path.join(work, 'venv')], { cwd: work, env });
    if (venv.code !== 0) throw new Error(`python -m venv failed:\n${venv.stderr}`);
    const python = path.join(work, 'venv', 'bin', 'python');
    const args = ['-m', 'pip', 'install', '--no-cache-dir', '--retries', '0', '--index-url', index, ...DEPS];
    fixture.resetCounts();
    const cpu0 = serverCpu();
    const [cmd, argv] = clientCommand(python, args, pinned);
    const r = await runProcess(cmd, argv, { cwd: work, env, timeoutMs: 20 * 60_000 });
    if (r.code !== 0) throw new Error(`pip install from ${index.replace(/:[^:@/]+@/, ':****@')} failed (exit ${r.code}):\n${(r.stdout + r.stderr).trim().split('\n').slice(-15).join('\n')}`);
    const cpu = serverCpu() - cpu0;
    const installed = (/Successfully installed (.*)/.exec(r.stdout)?.[1] ?? '').split(' ').filter(Boolean).length;
    const c = { pages: 0, metadata: 0, files: 0, other: 0 };
    for (const [key, n] of fixture.hits) {
      const p = key.split(' ')[1];
      if (p.startsWith('/simple/')) c.pages += n;
      else if (p.startsWith('/files/') && p.endsWith('.metadata')) c.metadata += n;
      else if (p.startsWith('/files/')) c.files += n;
      else c.other += n;
    }
    return { seconds: r.seconds, serverCpu: cpu, installed, ...c };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
