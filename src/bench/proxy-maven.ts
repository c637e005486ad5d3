// Benchmark scenario 'proxy-maven' (issue 11): real Maven resolving the compile scope of 5 real
// artifacts (guava, jackson-databind, commons-lang3, slf4j-api, httpclient, with everything they
// pull in) and the plugins `mvn compile` runs (resources, compiler and their dependencies), three
// ways, interleaved: straight from a fixture Maven repository on loopback (the floor), through a
// fresh Hoard in front of it (cold: Hoard fetches, checks and retains every file), and again
// through that Hoard (warm). The fixture serves the machine's local repository (~/.m2/repository)
// as it is, so the artifacts are the real ones; every build starts from an empty local repository
// and reaches the repository only through a `<mirror>` of everything. Prints the medians, the
// ratios to the floor, the upstream requests each build made and Hoard's peak RSS. Pinned as
// proxy-npm is: mvn on CPU 1, the server it talks to on CPU 0 (Hoard, with the fixture beside mvn;
// for the floor the fixture itself). BENCH_HOARD_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=DIR`)
// go to Hoard's node. Never asserts.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { printSummary, setupProxyDomain } from './proxy-report.js';
import { MavenRepoFixture } from './maven-repo-fixture.js';
import { canPin, cpuSecondsOf, pinSelf, runProcess, startHoardProcess, clientCommand } from './processes.js';

const M2 = process.env.BENCH_M2 ?? path.join(os.homedir(), '.m2', 'repository');
const DEPS = [
  'com.google.guava:guava:33.4.8-jre',
  'com.fasterxml.jackson.core:jackson-databind:2.18.2',
  'org.apache.commons:commons-lang3:3.17.0',
  'org.slf4j:slf4j-api:2.0.16',
  'org.apache.httpcomponents:httpclient:4.5.14',
];
const PLUGINS: Record<string, string> = { 'maven-resources-plugin': '3.3.1', 'maven-compiler-plugin': '3.11.0' };
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));

interface Build {
  seconds: number;
  serverCpu: number;
  files: number;
  checksums: number;
  metadata: number;
  notFound: number;
}

export async function run(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const mvnVersion = await runProcess('mvn', ['-v'], { cwd: os.tmpdir() }).catch(() => null);
  if (!mvnVersion || mvnVersion.code !== 0) return console.log('proxy-maven: skipped: mvn is not installed');
  const lacking = [...DEPS, ...Object.entries(PLUGINS).map(([a, v]) => `org.apache.maven.plugins:${a}:${v}`)].filter((c) => {
    const [g, a, v] = c.split(':');
    return !existsSync(path.join(M2, ...g.split('.'), a, v, `${a}-${v}.pom`));
  });
  if (lacking.length) return console.log(`proxy-maven: skipped: ${M2} lacks ${lacking.join(', ')}`);
  const pinned = canPin();
  if (pinned) pinSelf('1');
  const fixture = await new MavenRepoFixture().start();
  fixture.addDirectory(M2);
  console.log(`fixture Maven repository on 127.0.0.1 (in this bench process) serving ${M2} as it is, with .sha1/.md5 computed from the files`);
  console.log(`project: mvn compile of one class, dependencies ${DEPS.join(', ')}; plugins ${Object.entries(PLUGINS).map(([a, v]) => `${a}:${v}`).join(', ')}`);
  console.log(`each build: ${mvnVersion.stdout.split('\n')[0].replace(/\x1b\[[0-9;]*m/g, '')}, \`mvn -B compile\`, an empty local repository, a <mirror> of * to the repository measured`);
  console.log(
    `Hoard: node dist/main.js serve, embedded PGlite + disk, metadata TTL 300 s; ${pinned ? 'mvn on CPU 1 at nice 10; Hoard on CPU 0 with the fixture (its upstream) on CPU 1; for the floor the fixture on CPU 0' : 'not pinned (no taskset or one CPU)'}`,
  );
  console.log(`runs: ${RUNS}, interleaved (floor, cold, warm / cold, warm, floor / ...); cold = a new Hoard with empty data, warm = the same Hoard right after\n`);

  const work = mkdtempSync(path.join(os.tmpdir(), 'hoard-bench-maven-'));
  const projectDir = writeProject(work);
  const floor: Build[] = [];
  const cold: Build[] = [];
  const warm: Build[] = [];
  const peaks: number[] = [];
  const atReady: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const doFloor = async () => {
        if (pinned) pinSelf('0');
        floor.push(await build(work, projectDir, fixture, `${fixture.url}/`, null, pinned, () => cpuSecondsOf(process.pid)));
        if (pinned) pinSelf('1');
      };
      if (i % 2 === 0) await doFloor();
      const h = await startHoardProcess({ HOARD_EXTERNAL_MAVEN_CENTRAL_URL: fixture.url }, { cpus: pinned ? '0' : undefined, nodeArgs: (process.env.BENCH_HOARD_NODE_ARGS ?? '').split(' ').filter(Boolean) });
      try {
        atReady.push(h.memory().rssKiB);
        const { endpoint, token } = await setupProxyDomain(h, 'maven-store', 'public:maven-central', 'maven');
        cold.push(await build(work, projectDir, fixture, endpoint, token, pinned, () => h.cpuSeconds()));
        warm.push(await build(work, projectDir, fixture, endpoint, token, pinned, () => h.cpuSeconds()));
        peaks.push(h.memory().peakKiB);
      } finally {
        await h.stop();
      }
      if (i % 2 === 1) await doFloor();
      const f = floor[floor.length - 1];
      console.log(
        `run ${i + 1}: floor ${f.seconds.toFixed(2)} s, cold ${cold[i].seconds.toFixed(2)} s, warm ${warm[i].seconds.toFixed(2)} s; ` +
          `server CPU ${f.serverCpu.toFixed(1)}/${cold[i].serverCpu.toFixed(1)}/${warm[i].serverCpu.toFixed(1)} s; ` +
          `Hoard peak RSS ${(peaks[i] / 1024).toFixed(0)} MiB; load average ${os.loadavg()[0].toFixed(1)}`,
      );
    }
  } finally {
    await fixture.stop();
    rmSync(work, { recursive: true, force: true });
  }
  printSummary({
    runs: RUNS,
    unit: 'build',
    client: 'mvn',
    server: 'server',
    issue: 11,
    goals: { cold: 1.3, warm: 1.15 },
    floor,
    cold,
    warm,
    requests: {
      legend: 'files + checksum files + maven-metadata.xml, of which 404',
      line: (md) => `${md((x) => x.files + x.checksums + x.metadata)} = ${md((x) => x.files)} + ${md((x) => x.checksums)} + ${md((x) => x.metadata)} (404: ${md((x) => x.notFound)})`,
    },
    peaks,
    atReady,
  });
}

function writeProject(work: string): string {
  const dir = path.join(work, 'project');
  mkdirSync(path.join(dir, 'src/main/java/bench'), { recursive: true });
  const deps = DEPS.map((c) => c.split(':'))
    .map(([g, a, v]) => `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`)
    .join('');
  const plugins = Object.entries(PLUGINS)
    .map(([a, v]) => `<plugin><groupId>org.apache.maven.plugins</groupId><artifactId>${a}</artifactId><version>${v}</version></plugin>`)
    .join('');
  writeFileSync(
    path.join(dir, 'pom.xml'),
    `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>bench</groupId><artifactId>proxy-maven</artifactId><version>1.0</version>
  <properties><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding><maven.compiler.release>17</maven.compiler.release></properties>
  <dependencies>${deps}</dependencies>
  <build><pluginManagement><plugins>${plugins}</plugins></pluginManagement></build>
</project>
`,
  );
  writeFileSync(
    path.join(dir, 'src/main/java/bench/Main.java'),
    'package bench;\npublic class Main { public static void main(String[] a) { System.out.println(com.google.common.base.Strings.repeat("x", 2) + org.apache.commons.lang3.StringUtils.capitalize("y")); } }\n',
  );
  return dir;
}

/** One `mvn -B compile` of the project (a fresh copy) with an empty local repository, everything mirrored to `url`. */
async function build(
  work: string,
  projectDir: string,
  fixture: MavenRepoFixture,
  url: string,
  token: string | null,
  pinned: boolean,
  serverCpu: () => number,
): Promise<Build> {
  const runDir = mkdtempSync(path.join(work, 'run-'));
  try {
    const settings = path.join(runDir, 'settings.xml');
    writeFileSync(
      settings,
      `<?xml version="1.0" encoding="UTF-8"?>
<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">
  ${token ? `<servers><server><id>bench</id><username>aws</username><password>${token}</password></server></servers>` : ''}
  <mirrors><mirror><id>bench</id><mirrorOf>*</mirrorOf><url>${url}</url></mirror></mirrors>
</settings>
`,
      { mode: 0o600 },
    );
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: runDir, MAVEN_OPTS: '-Xmx512m' };
    if (process.env.JAVA_HOME) env.JAVA_HOME = process.env.JAVA_HOME;
    const args = ['-B', '-q', '-s', settings, `-Dmaven.repo.local=${path.join(runDir, 'repo')}`, '-f', path.join(projectDir, 'pom.xml'), 'compile'];
    fixture.resetCounts();
    const cpu0 = serverCpu();
    const [cmd, argv] = clientCommand('mvn', args, pinned);
    const r = await runProcess(cmd, argv, { cwd: runDir, env, timeoutMs: 20 * 60_000 });
    if (r.code !== 0) throw new Error(`mvn compile from ${url} failed (exit ${r.code}):\n${(r.stdout + r.stderr).trim().split('\n').slice(-15).join('\n')}`);
    const cpu = serverCpu() - cpu0;
    const c = { files: 0, checksums: 0, metadata: 0 };
    for (const [key, n] of fixture.hits) {
      if (/\.(sha1|md5|sha256|sha512)$/.test(key)) c.checksums += n;
      else if (key.endsWith('/maven-metadata.xml')) c.metadata += n;
      else c.files += n;
    }
    return { seconds: r.seconds, serverCpu: cpu, ...c, notFound: fixture.notFound };
  } finally {
    rmSync(runDir, { recursive: true, force: true });
    rmSync(path.join(projectDir, 'target'), { recursive: true, force: true });
  }
}
