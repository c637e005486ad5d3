// The control plane over Maven packages: versions deployed the way `mvn deploy` sends them (jar,
// pom, checksums, then maven-metadata.xml), inspected through the SDK (pom fields, dependency
// scopes), then unlisted (the real mvn stops resolving the version from a range), restored, and
// copied to a second repository that the real mvn resolves from.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CopyPackageVersionsCommand,
  CreateDomainCommand,
  CreateRepositoryCommand,
  DescribePackageVersionCommand,
  GetAuthorizationTokenCommand,
  GetRepositoryEndpointCommand,
  ListPackageVersionAssetsCommand,
  ListPackageVersionDependenciesCommand,
  ListPackageVersionsCommand,
  UpdatePackageVersionsStatusCommand,
  type CodeartifactClient,
} from '@aws-sdk/client-codeartifact';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { HAVE_MVN, localRepoCopy, mvn as runMvn, pluginManagement } from '../support/maven.js';
import { makeZip } from '../support/pypi-fixtures.js';

const hex = (algo: string, b: Buffer | string) => createHash(algo).update(b).digest('hex');

const pom = (version: string) => `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent><groupId>com.acme</groupId><artifactId>acme-parent</artifactId><version>7</version></parent>
  <groupId>com.acme</groupId><artifactId>core</artifactId><version>${version}</version>
  <description>Core library ${version}</description>
  <url>https://core.example.test/</url>
  <licenses><license><name>Apache-2.0</name><url>https://licenses.example.test/Apache-2.0</url></license></licenses>
  <scm><url>https://git.example.test/core</url></scm>
  <dependencies>
    <dependency><groupId>org.example</groupId><artifactId>runtime-dep</artifactId><version>1.2</version><scope>runtime</scope></dependency>
    <dependency><groupId>org.example</groupId><artifactId>test-dep</artifactId><version>4.13</version><scope>test</scope></dependency>
    <dependency><groupId>org.example</groupId><artifactId>provided-dep</artifactId><version>2.0</version><scope>provided</scope></dependency>
  </dependencies>
</project>
`;

// The consumed pom must resolve without the parent: the copy a consumer sees has no parent.
const plainPom = (version: string) => `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId><artifactId>core</artifactId><version>${version}</version>
  <description>Core library ${version}</description>
</project>
`;

describe.skipIf(!HAVE_MVN)('control plane over Maven packages', () => {
  let h: TestHoard;
  let sdk: CodeartifactClient;
  let auth: string;
  let work: string;
  let token: string;
  const endpoint: Record<string, string> = {};
  const core = (repository = 'libs') => ({ domain: 'mv', repository, format: 'maven' as const, namespace: 'com.acme', package: 'core' });

  const put = async (url: string, body: string | Buffer) => {
    const r = await fetch(url, { method: 'PUT', body, headers: { authorization: auth } });
    expect(r.status, url).toBe(201);
  };
  /** What mvn deploy sends for one release: the jar, the pom, their checksums, then the artifact metadata. */
  async function deploy(version: string, versions: string[], withParent: boolean) {
    const dir = `${endpoint.libs}com/acme/core/`;
    // A valid (empty) jar: the consumer's javac opens it.
    const jar = makeZip([{ name: 'META-INF/MANIFEST.MF', data: Buffer.from(`Manifest-Version: 1.0\nImplementation-Version: ${version}\n`) }]);
    const p = withParent ? pom(version) : plainPom(version);
    for (const [name, body] of [
      [`${version}/core-${version}.jar`, jar],
      [`${version}/core-${version}.pom`, p],
    ] as const) {
      await put(dir + name, body);
      for (const a of ['sha1', 'md5']) await put(`${dir}${name}.${a}`, hex(a, body));
    }
    const md = `<?xml version="1.0" encoding="UTF-8"?>
<metadata><groupId>com.acme</groupId><artifactId>core</artifactId><versioning><latest>${version}</latest><release>${version}</release>
<versions>${versions.map((v) => `<version>${v}</version>`).join('')}</versions><lastUpdated>20240101000000</lastUpdated></versioning></metadata>
`;
    await put(`${dir}maven-metadata.xml`, md);
    for (const a of ['sha1', 'md5']) await put(`${dir}maven-metadata.xml.${a}`, hex(a, md));
  }

  function mvn(repoName: string, args: string[]): Promise<{ ok: boolean; out: string; repo: string }> {
    const settings = path.join(work, `settings-${repoName}.xml`);
    writeFileSync(
      settings,
      `<settings><servers><server><id>hoard</id><username>aws</username><password>${token}</password></server></servers>
<mirrors><mirror><id>hoard</id><mirrorOf>*</mirrorOf><url>${endpoint[repoName]}</url></mirror></mirrors></settings>`,
    );
    // Plugins come from the machine's local repository (hard-linked); com/acme never is there.
    const repo = localRepoCopy(mkdtempSync(path.join(work, 'm2-')));
    rmSync(path.join(repo, 'com', 'acme'), { recursive: true, force: true });
    return runMvn({ cwd: work, home: work, settings, repo, args }).then((r) => ({ ...r, repo }));
  }
  /** Compiles a consumer that depends on com.acme:core by range; returns the version mvn downloaded. */
  async function resolveRange(repoName: string, range: string) {
    writeFileSync(
      path.join(work, 'pom.xml'),
      `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>com.example</groupId><artifactId>consumer</artifactId><version>1</version>
<properties><maven.compiler.release>17</maven.compiler.release><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>
<dependencies><dependency><groupId>com.acme</groupId><artifactId>core</artifactId><version>${range}</version></dependency></dependencies>
<build>${pluginManagement()}</build></project>`,
    );
    mkdirSync(path.join(work, 'src/main/java/com/example'), { recursive: true });
    writeFileSync(path.join(work, 'src/main/java/com/example/Main.java'), 'package com.example;\npublic class Main {}\n');
    const r = await mvn(repoName, ['compile']);
    const jars = existsSync(path.join(r.repo, 'com/acme/core'))
      ? readdirSync(path.join(r.repo, 'com/acme/core')).filter((v) => existsSync(path.join(r.repo, 'com/acme/core', v, `core-${v}.jar`)))
      : [];
    return { ...r, version: jars.join(',') };
  }

  beforeAll(async () => {
    h = await startHoard();
    sdk = h.sdk();
    await sdk.send(new CreateDomainCommand({ domain: 'mv' }));
    for (const repository of ['libs', 'promoted']) {
      await sdk.send(new CreateRepositoryCommand({ domain: 'mv', repository }));
      endpoint[repository] = (await sdk.send(new GetRepositoryEndpointCommand({ domain: 'mv', repository, format: 'maven' }))).repositoryEndpoint!;
    }
    token = (await sdk.send(new GetAuthorizationTokenCommand({ domain: 'mv' }))).authorizationToken!;
    auth = `Basic ${Buffer.from(`aws:${token}`).toString('base64')}`;
    work = mkdtempSync(path.join(os.tmpdir(), 'hoard-mvv-'));
    mkdirSync(work, { recursive: true });
  });
  afterAll(async () => {
    await h?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('describes deployed versions with their pom fields and dependency scopes', async () => {
    await deploy('0.9', ['0.9'], true);
    await deploy('1.0', ['0.9', '1.0'], false);
    await deploy('1.1', ['0.9', '1.0', '1.1'], false);
    const versions = await sdk.send(new ListPackageVersionsCommand(core()));
    expect(versions.versions?.map((v) => `${v.version}:${v.status}`)).toEqual(['0.9:Published', '1.0:Published', '1.1:Published']);
    expect(versions.defaultDisplayVersion).toBe('1.1');
    const d = await sdk.send(new DescribePackageVersionCommand({ ...core(), packageVersion: '0.9' }));
    expect(d.packageVersion).toMatchObject({
      namespace: 'com.acme',
      packageName: 'core',
      summary: 'Core library 0.9',
      homePage: 'https://core.example.test/',
      sourceCodeRepository: 'https://git.example.test/core',
      licenses: [{ name: 'Apache-2.0', url: 'https://licenses.example.test/Apache-2.0' }],
      status: 'Published',
    });
    const deps = await sdk.send(new ListPackageVersionDependenciesCommand({ ...core(), packageVersion: '0.9' }));
    // CodeArtifact lists the <parent> pom too, as a dependency of type parent.
    expect(deps.dependencies).toEqual(
      expect.arrayContaining([
        { namespace: 'com.acme', package: 'acme-parent', dependencyType: 'parent', versionRequirement: '7' },
        { namespace: 'org.example', package: 'runtime-dep', dependencyType: 'runtime', versionRequirement: '1.2' },
        { namespace: 'org.example', package: 'test-dep', dependencyType: 'test', versionRequirement: '4.13' },
        { namespace: 'org.example', package: 'provided-dep', dependencyType: 'provided', versionRequirement: '2.0' },
      ]),
    );
    expect(deps.dependencies).toHaveLength(4);
    const assets = await sdk.send(new ListPackageVersionAssetsCommand({ ...core(), packageVersion: '1.1' }));
    expect(assets.assets?.map((a) => a.name)).toEqual(expect.arrayContaining(['core-1.1.jar', 'core-1.1.pom']));
  });

  it('unlisting hides a version from mvn range resolution; restoring brings it back', async () => {
    const before = await resolveRange('libs', '[1.0,2.0)');
    expect(before.ok, before.out.slice(-3000)).toBe(true);
    expect(before.version).toBe('1.1');
    await sdk.send(new UpdatePackageVersionsStatusCommand({ ...core(), versions: ['1.1'], targetStatus: 'Unlisted' }));
    const unlisted = await resolveRange('libs', '[1.0,2.0)');
    expect(unlisted.ok, unlisted.out.slice(-3000)).toBe(true);
    expect(unlisted.version).toBe('1.0');
    await sdk.send(new UpdatePackageVersionsStatusCommand({ ...core(), versions: ['1.1'], targetStatus: 'Published' }));
  });

  it('copies to a second repository that mvn resolves from', async () => {
    const r = await sdk.send(
      new CopyPackageVersionsCommand({ domain: 'mv', sourceRepository: 'libs', destinationRepository: 'promoted', format: 'maven', namespace: 'com.acme', package: 'core', versions: ['1.0'] }),
    );
    expect(r.successfulVersions?.['1.0']).toMatchObject({ status: 'Published' });
    const got = await resolveRange('promoted', '[1.0,2.0)');
    expect(got.ok, got.out.slice(-3000)).toBe(true);
    expect(got.version).toBe('1.0');
  });
});
