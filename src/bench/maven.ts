// Benchmark scenario 'maven': deploys 500 versions of one artifact and a 1 MB jar through the Maven
// PUT routes (files, then maven-metadata.xml, as mvn deploy does), then measures a warm
// artifact-level maven-metadata.xml, the jar and its .sha1 at concurrency 1 and 32, with Basic
// auth as Maven sends it, against GET /healthz measured in the same run as the baseline.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../config.js';
import { startServer } from '../server.js';
import { arn } from '../core/names.js';
import { measure, row } from './load.js';

const VERSIONS = Number(process.env.BENCH_MAVEN_VERSIONS ?? 500);

const pom = (a: string, v: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>` +
  `<groupId>com.bench</groupId><artifactId>${a}</artifactId><version>${v}</version><description>bench</description></project>\n`;

const metadata = (a: string, versions: string[]) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<metadata><groupId>com.bench</groupId><artifactId>${a}</artifactId><versioning>` +
  `<versions>${versions.map((v) => `<version>${v}</version>`).join('')}</versions><lastUpdated>20250101000000</lastUpdated></versioning></metadata>\n`;

export async function run(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hoard-bench-maven-'));
  const config = loadConfig({
    HOARD_HOST: '127.0.0.1',
    HOARD_PORT: '0',
    HOARD_DATA_DIR: dataDir,
    HOARD_ROOT_ACCOUNT_ID: '111122223333',
    HOARD_ROOT_ACCESS_KEY_ID: 'AKIABENCHMAVEN000000',
    HOARD_ROOT_SECRET_ACCESS_KEY: randomBytes(24).toString('hex'),
    HOARD_SHUTDOWN_GRACE_MS: '1000',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  });
  const server = await startServer(config, pino({ level: 'silent' }));
  try {
    const svc = server.services;
    const owner = '111122223333';
    await svc.domains.createDomain(owner, 'bench', undefined);
    const domain = await svc.domains.domain(owner, 'bench');
    await svc.domains.createRepository(domain, 'maven', owner, {});
    const { token } = svc.tokens.issue({ sub: arn.root(owner), acct: owner, domain: 'bench', owner }, 43200);
    const base = `${server.url}/maven/d/bench-${owner}/maven/`;
    const auth = { authorization: `Basic ${Buffer.from(`aws:${token}`).toString('base64')}` };
    console.log(`backend: ${svc.db.kind} + ${svc.blobs.kind} blobs`);
    const put = async (p: string, body: string | Buffer) => {
      const r = await fetch(base + p, { method: 'PUT', headers: auth, body });
      if (r.status !== 201 && r.status !== 200) throw new Error(`PUT ${p}: ${r.status} ${r.statusText}`);
    };

    // Deploy each version as mvn does: its pom, then the artifact-level metadata that publishes it.
    const t0 = Date.now();
    const versions: string[] = [];
    let lastMs = 0;
    for (let i = 0; i < VERSIONS; i++) {
      const v = `1.${Math.floor(i / 50)}.${i % 50}`;
      versions.push(v);
      const s = Date.now();
      await put(`com/bench/many/${v}/many-${v}.pom`, pom('many', v));
      await put('com/bench/many/maven-metadata.xml', metadata('many', versions));
      lastMs = Date.now() - s;
      if ((i + 1) % 100 === 0) console.log(`  deployed ${i + 1} versions (${((Date.now() - t0) / 1000).toFixed(1)} s, last deploy ${lastMs} ms)`);
    }
    const total = (Date.now() - t0) / 1000;
    console.log(`deployed ${VERSIONS} versions in ${total.toFixed(1)} s (${(VERSIONS / total).toFixed(0)}/s, 2 PUTs each); deploy #${VERSIONS} took ${lastMs} ms`);
    const jar = randomBytes(1024 * 1024);
    await put('com/bench/big/1.0.0/big-1.0.0.pom', pom('big', '1.0.0'));
    await put('com/bench/big/1.0.0/big-1.0.0.jar', jar);
    await put('com/bench/big/maven-metadata.xml', metadata('big', ['1.0.0']));

    const md = await (await fetch(`${base}com/bench/many/maven-metadata.xml`, { headers: auth })).text();
    const listed = md.match(/<version>/g)?.length ?? 0;
    if (listed !== VERSIONS) throw new Error(`metadata lists ${listed} versions, expected ${VERSIONS}`);
    console.log(`maven-metadata.xml ${(md.length / 1024).toFixed(0)} KiB (${listed} versions), jar ${(jar.length / 1024).toFixed(0)} KiB`);

    const targets: [string, string, Record<string, string>][] = [
      ['GET /healthz (baseline)', `${server.url}/healthz`, {}],
      [`GET maven-metadata.xml (${VERSIONS} versions)`, `${base}com/bench/many/maven-metadata.xml`, auth],
      ['GET jar 1 MB', `${base}com/bench/big/1.0.0/big-1.0.0.jar`, auth],
      ['GET jar.sha1', `${base}com/bench/big/1.0.0/big-1.0.0.jar.sha1`, auth],
    ];
    const durationSec = Number(process.env.BENCH_SECONDS ?? 5);
    for (const connections of [1, 32]) {
      console.log(`\nconcurrency ${connections} (median of 3 runs of ${durationSec} s)`);
      let baseline;
      for (const [label, url, headers] of targets) {
        const r = await measure(url, { connections, durationSec, headers, runs: 3 });
        baseline ??= r;
        console.log(row(label, r, label.includes('baseline') ? undefined : baseline));
      }
    }
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
