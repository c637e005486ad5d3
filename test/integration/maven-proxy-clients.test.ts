// Real Maven 3.8 resolving through Hoard's external connection to a fixture Maven repository on
// loopback: `mvn compile` of a project whose dependencies (a parent pom, a library and its
// transitive dependency, real classes compiled here) exist only upstream, with a fresh local
// repository; again with the upstream stopped and another fresh local repository; and a build
// that meets tampered upstream bytes and fails with Hoard's 502 while nothing is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AssociateExternalConnectionCommand, ListPackageVersionsCommand } from '@aws-sdk/client-codeartifact';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { MavenRepoFixture } from '../../src/bench/maven-repo-fixture.js';
import { HAVE_MVN, localRepoCopy, missingPlugins, mvn, pluginManagement, tail } from '../support/maven.js';
import { setupDomain } from './npm-support.js';

const DOMAIN = 'mclients';
const MISSING = missingPlugins(['maven-resources-plugin', 'maven-compiler-plugin']);
if (!HAVE_MVN) console.warn('maven-proxy-clients.test: mvn is not installed; skipping');
if (MISSING.length) console.warn(`maven-proxy-clients.test: the local repository lacks ${MISSING.join(', ')}; skipping`);

/** Compiles Java sources with javac; returns the class files by jar entry name. */
function compile(work: string, name: string, sources: Record<string, string>, classpath: string[] = []): Record<string, Buffer> {
  const src = path.join(work, `${name}-src`);
  const out = path.join(work, `${name}-classes`);
  const files: string[] = [];
  for (const [cls, text] of Object.entries(sources)) {
    const f = path.join(src, `${cls.replace(/\./g, '/')}.java`);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, text);
    files.push(f);
  }
  const r = spawnSync('javac', ['--release', '17', '-d', out, ...(classpath.length ? ['-cp', classpath.join(':')] : []), ...files], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`javac failed: ${r.stderr}`);
  const entries: Record<string, Buffer> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else entries[path.relative(out, p).split(path.sep).join('/')] = readFileSync(p);
    }
  };
  walk(out);
  return entries;
}

describe.skipIf(!HAVE_MVN || MISSING.length > 0)('mvn through an external connection (Maven 3.8)', () => {
  let h: TestHoard;
  let up: MavenRepoFixture;
  let work: string;
  let settings: string;

  const versionsIn = async (repo: string, group: string, artifact: string) => {
    const r = await h
      .sdk()
      .send(new ListPackageVersionsCommand({ domain: DOMAIN, repository: repo, format: 'maven', namespace: group, package: artifact }))
      .catch((e: Error) => {
        if (e.name === 'ResourceNotFoundException') return { versions: [] };
        throw e;
      });
    return (r.versions ?? []).map((v) => `${v.version}:${v.origin?.originType}`);
  };
  const blobCount = async () => {
    let n = 0;
    const svc = h.server.services;
    const d = await svc.domains.findDomain(h.accountId, DOMAIN);
    for await (const _ of svc.blobs.list(`d${d!.id}`)) n++;
    return n;
  };

  /** A one-module project depending on `deps` (g:a:v) whose Main calls `call`. */
  function project(name: string, deps: string[], call: string): string {
    const dir = path.join(work, name);
    mkdirSync(path.join(dir, 'src/main/java/com/example/consumer'), { recursive: true });
    const depXml = deps
      .map((c) => c.split(':'))
      .map(([g, a, v]) => `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`)
      .join('');
    writeFileSync(
      path.join(dir, 'pom.xml'),
      `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example.consumer</groupId><artifactId>${name}</artifactId><version>1.0</version>
  <properties><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding><maven.compiler.release>17</maven.compiler.release></properties>
  <dependencies>${depXml}</dependencies>
  <build>${pluginManagement()}</build>
</project>
`,
    );
    writeFileSync(
      path.join(dir, 'src/main/java/com/example/consumer/Main.java'),
      `package com.example.consumer;\npublic class Main { public static void main(String[] a) { System.out.println(${call}); } }\n`,
    );
    return dir;
  }

  /** `mvn compile` in dir with a fresh local repository (the machine's plugins, none of the fixture's artifacts). */
  const build = (dir: string, label: string) => {
    const d = path.join(work, label);
    mkdirSync(d, { recursive: true });
    return mvn({ cwd: dir, home: work, settings, repo: localRepoCopy(d), args: ['compile'] });
  };

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'hoard-mvn-proxy-'));
    up = await new MavenRepoFixture().start();
    const words = compile(work, 'words', { 'com.fixture.words.Words': 'package com.fixture.words;\npublic class Words { public static String hello() { return "hello "; } }\n' });
    const greeter = compile(
      work,
      'greeter',
      { 'com.fixture.greeter.Greeter': 'package com.fixture.greeter;\npublic class Greeter { public static String greet(String n) { return com.fixture.words.Words.hello() + n; } }\n' },
      [path.join(work, 'words-classes')],
    );
    up.addArtifact({ groupId: 'com.fixture', artifactId: 'fixture-parent', version: '1.0.0', packaging: 'pom' });
    up.addArtifact({ groupId: 'com.fixture', artifactId: 'words', version: '1.0.0', parent: 'com.fixture:fixture-parent:1.0.0', jarEntries: words });
    up.addArtifact({ groupId: 'com.fixture', artifactId: 'words', version: '1.1.0', parent: 'com.fixture:fixture-parent:1.0.0', jarEntries: words });
    up.addArtifact({
      groupId: 'com.fixture',
      artifactId: 'greeter',
      version: '2.0.0',
      parent: 'com.fixture:fixture-parent:1.0.0',
      dependencies: ['com.fixture:words:1.0.0'],
      jarEntries: greeter,
    });
    up.addArtifact({ groupId: 'com.fixture', artifactId: 'tampered', version: '1.0.0', jarEntries: words });
    h = await startHoard({ HOARD_EXTERNAL_MAVEN_CENTRAL_URL: up.url, HOARD_UPSTREAM_TIMEOUT_MS: '3000', HOARD_UPSTREAM_OFFLINE_S: '0' });
    const d = await setupDomain(h, DOMAIN, [{ name: 'maven-store' }, { name: 'app', upstreams: ['maven-store'] }]);
    await h.sdk().send(new AssociateExternalConnectionCommand({ domain: DOMAIN, repository: 'maven-store', externalConnection: 'public:maven-central' }));
    const endpoint = `${h.url}/maven/d/${DOMAIN}-${h.accountId}/app/`;
    // The repository as `hoard login --tool maven` writes it: a server with the token, an active profile naming the endpoint.
    settings = path.join(work, 'settings.xml');
    writeFileSync(
      settings,
      `<?xml version="1.0" encoding="UTF-8"?>
<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">
  <servers><server><id>hoard</id><username>aws</username><password>${d.token}</password></server></servers>
  <profiles><profile><id>hoard</id><activation><activeByDefault>true</activeByDefault></activation>
    <repositories><repository><id>hoard</id><url>${endpoint}</url></repository></repositories>
  </profile></profiles>
</settings>
`,
      { mode: 0o600 },
    );
  });
  afterAll(async () => {
    await h?.stop();
    await up?.stop().catch(() => {});
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('mvn compile resolves a parent pom, a library and its transitive dependency from upstream, with a fresh local repository', async () => {
    const dir = project('first', ['com.fixture:greeter:2.0.0'], 'com.fixture.greeter.Greeter.greet("x")');
    const r = await build(dir, 'repo-1');
    expect(r.ok, tail(r.out)).toBe(true);
    expect(existsSync(path.join(dir, 'target/classes/com/example/consumer/Main.class'))).toBe(true);
    expect(r.out).toMatch(/Downloaded from hoard: .*greeter-2\.0\.0\.jar/);
    for (const [a, v] of [['greeter', '2.0.0'], ['words', '1.0.0'], ['fixture-parent', '1.0.0']]) {
      expect(await versionsIn('app', 'com.fixture', a)).toEqual([`${v}:EXTERNAL`]);
      expect(await versionsIn('maven-store', 'com.fixture', a)).toEqual([`${v}:EXTERNAL`]);
    }
    expect(up.count('com/fixture/greeter/2.0.0/greeter-2.0.0.jar')).toBe(1);
  });

  it('builds again with the upstream stopped and another fresh local repository', async () => {
    await up.stop();
    try {
      const dir = project('second', ['com.fixture:greeter:2.0.0'], 'com.fixture.greeter.Greeter.greet("y")');
      const r = await build(dir, 'repo-2');
      expect(r.ok, tail(r.out)).toBe(true);
      expect(existsSync(path.join(dir, 'target/classes/com/example/consumer/Main.class'))).toBe(true);
    } finally {
      await up.restart();
    }
  });

  it('fails the build with the 502 when the upstream serves tampered bytes, and stores nothing', async () => {
    const blobs = await blobCount();
    const dir = project('third', ['com.fixture:tampered:1.0.0'], 'com.fixture.words.Words.hello()');
    up.mode = 'corrupt';
    let r;
    try {
      r = await build(dir, 'repo-3');
    } finally {
      up.mode = 'up';
    }
    expect(r.ok).toBe(false);
    console.log(r.out.split('\n').find((l) => l.includes('[ERROR] Failed to execute goal')));
    expect(r.out).toMatch(/502/);
    expect(r.out).toMatch(/com\/fixture\/tampered\/1\.0\.0\/tampered-1\.0\.0\.pom from public:maven-central does not match its published sha1 checksum/);
    expect(await versionsIn('app', 'com.fixture', 'tampered')).toEqual([]);
    expect(await versionsIn('maven-store', 'com.fixture', 'tampered')).toEqual([]);
    expect(await blobCount()).toBe(blobs);
  });
});
