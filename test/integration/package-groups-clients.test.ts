// Package-group origin controls with real clients: with /npm/acme/* set to EXTERNAL_UPSTREAM=BLOCK,
// a package that exists only in the external (fixture) npm registry does not install while a
// package outside the group does; INTERNAL_UPSTREAM limits which repositories read through to an
// upstream repository; with PUBLISH=ALLOW_SPECIFIC_REPOSITORIES [internal], `npm
// publish`, `twine upload` and `mvn deploy` pass into internal and are refused in scratch,
// each client showing a message that names the group and the restriction.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssociateExternalConnectionCommand,
  CreatePackageGroupCommand,
  DescribePackageCommand,
  GetRepositoryEndpointCommand,
  UpdatePackageGroupOriginConfigurationCommand,
  type PackageFormat,
} from '@aws-sdk/client-codeartifact';
import { startHoard, tempHome, type TestHoard } from '../support/hoard.js';
import { NpmUpstreamFixture } from '../../src/bench/npm-registry-fixture.js';
import { Client, out, project, removeTemp, setupDomain, tmpDir, writePackage } from './npm-support.js';
import { HAVE_MVN, localRepoCopy, missingPlugins, mvn, pluginManagement, tail } from '../support/maven.js';
import { baseEnv, buildProject, findPythonTools, run, writeProject, type PythonTools } from '../support/python.js';

const DOMAIN = 'guarded';
const python = findPythonTools();
const noPython = 'missing' in python ? python.missing : null;
if (noPython) console.warn(`package-groups-clients: twine case skipped: ${noPython}`);
const flat = (s: string) => s.replace(/\s+/g, ' ');

describe('package-group origin controls with real clients', () => {
  let h: TestHoard;
  let up: NpmUpstreamFixture;
  let token: string;
  let endpoint: (repo: string) => string;
  const client = (repo: string) => {
    const c = new Client(h, tmpDir('hoard-cache-'));
    c.configure(endpoint(repo), token);
    return c;
  };
  const group = async (packageGroup: string, restrictions: Record<string, string>, allowed: string[] = []) => {
    const sdk = h.sdk();
    await sdk.send(new CreatePackageGroupCommand({ domain: DOMAIN, packageGroup }));
    await sdk.send(
      new UpdatePackageGroupOriginConfigurationCommand({
        domain: DOMAIN,
        packageGroup,
        restrictions,
        addAllowedRepositories: allowed.map((repositoryName) => ({ repositoryName, originRestrictionType: 'PUBLISH' })),
      }),
    );
  };
  const stored = (repository: string, format: PackageFormat, namespace: string | undefined, pkg: string) =>
    h
      .sdk()
      .send(new DescribePackageCommand({ domain: DOMAIN, repository, format, namespace, package: pkg }))
      .then(
        () => true,
        () => false,
      );

  beforeAll(async () => {
    up = await new NpmUpstreamFixture().start();
    await up.add('@acme/x', [{ version: '1.0.0' }]);
    await up.add('@other/x', [{ version: '1.0.0' }]);
    h = await startHoard({ HOARD_EXTERNAL_NPMJS_URL: up.url, HOARD_UPSTREAM_OFFLINE_S: '0', HOARD_UPSTREAM_TIMEOUT_MS: '3000' });
    const d = await setupDomain(h, DOMAIN, [
      { name: 'npm-store' },
      { name: 'internal', upstreams: ['npm-store'] },
      { name: 'scratch', upstreams: ['npm-store'] },
    ]);
    await h.sdk().send(new AssociateExternalConnectionCommand({ domain: DOMAIN, repository: 'npm-store', externalConnection: 'public:npmjs' }));
    token = d.token;
    endpoint = d.endpoint;
    await group('/npm/acme/*', { EXTERNAL_UPSTREAM: 'BLOCK', PUBLISH: 'ALLOW_SPECIFIC_REPOSITORIES' }, ['internal']);
  });
  afterAll(async () => {
    await h?.stop();
    await up?.stop().catch(() => {});
    removeTemp();
  });

  it('EXTERNAL_UPSTREAM=BLOCK: @acme/x from the external registry does not install, @other/x does', async () => {
    const c = client('internal');
    const blocked = await c.npm(['install', '@acme/x@1.0.0'], project());
    expect(blocked.code, out(blocked)).not.toBe(0);
    expect(out(blocked)).toMatch(/E404/);
    // On the wire: no packument, no tarball; nothing was fetched or retained.
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${endpoint('internal')}@acme%2fx`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${endpoint('internal')}@acme/x/-/x-1.0.0.tgz`, { headers: auth })).status).toBe(404);
    expect(await stored('npm-store', 'npm', 'acme', 'x')).toBe(false);

    const p = project();
    const ok = await c.npm(['install', '@other/x@1.0.0'], p);
    expect(ok.code, out(ok)).toBe(0);
    expect(await stored('npm-store', 'npm', 'other', 'x')).toBe(true);
    expect(await stored('internal', 'npm', 'other', 'x')).toBe(true);
  });

  it('PUBLISH=ALLOW_SPECIFIC_REPOSITORIES [internal]: npm publish of @acme/y passes into internal and is refused in scratch', async () => {
    const pkg = writePackage({ name: '@acme/y', version: '1.0.0' });
    const ok = await client('internal').npm(['publish'], pkg);
    expect(ok.code, out(ok)).toBe(0);
    const refused = await client('scratch').npm(['publish'], pkg);
    expect(refused.code).not.toBe(0);
    expect(flat(out(refused))).toContain(
      '403 Forbidden - PUT',
    );
    expect(flat(out(refused))).toContain(
      'Publishing @acme/y to repository scratch is not allowed: package group /npm/acme/* sets PUBLISH to ALLOW_SPECIFIC_REPOSITORIES; scratch is not on its allowed repositories list.',
    );
    expect(await stored('scratch', 'npm', 'acme', 'y')).toBe(false);
    // Outside the group, scratch publishes as before.
    const other = await client('scratch').npm(['publish'], writePackage({ name: '@other/y', version: '1.0.0' }));
    expect(other.code, out(other)).toBe(0);
  });

  it('INTERNAL_UPSTREAM: a version in an upstream repository is visible only to the repositories the group allows', async () => {
    const pub = await client('npm-store').npm(['publish'], writePackage({ name: '@int/z', version: '1.0.0' }));
    expect(pub.code, out(pub)).toBe(0);
    const auth = { authorization: `Bearer ${token}` };
    const packument = (repo: string) => fetch(`${endpoint(repo)}@int%2fz`, { headers: auth }).then((r) => r.status);
    expect([await packument('internal'), await packument('scratch')]).toEqual([200, 200]);
    await h.sdk().send(new CreatePackageGroupCommand({ domain: DOMAIN, packageGroup: '/npm/int/*' }));
    await h.sdk().send(
      new UpdatePackageGroupOriginConfigurationCommand({
        domain: DOMAIN,
        packageGroup: '/npm/int/*',
        restrictions: { INTERNAL_UPSTREAM: 'ALLOW_SPECIFIC_REPOSITORIES' },
        addAllowedRepositories: [{ repositoryName: 'internal', originRestrictionType: 'INTERNAL_UPSTREAM' }],
      }),
    );
    expect([await packument('internal'), await packument('scratch')]).toEqual([200, 404]);
    const installed = await client('scratch').npm(['install', '@int/z@1.0.0'], project());
    expect(installed.code).not.toBe(0);
    const ok = await client('internal').npm(['install', '@int/z@1.0.0'], project());
    expect(ok.code, out(ok)).toBe(0);
    expect(await stored('internal', 'npm', 'int', 'z')).toBe(true);
    expect(await stored('scratch', 'npm', 'int', 'z')).toBe(false);
  });

  it.skipIf(noPython)('the same for a PyPI project: twine upload passes into internal and is refused in scratch', async () => {
    const tools = python as PythonTools;
    await group('/pypi//acme-lib$', { PUBLISH: 'ALLOW_SPECIFIC_REPOSITORIES' }, ['internal']);
    const work = mkdtempSync(path.join(os.tmpdir(), 'hoard-pg-py-'));
    try {
      writeProject(path.join(work, 'src'), { name: 'Acme_Lib', version: '0.1.0' });
      const built = await buildProject(tools, path.join(work, 'src'), path.join(work, 'dist'));
      const twine = (repo: string) =>
        run(tools.twine[0], [...tools.twine.slice(1), 'upload', built.wheel], {
          env: baseEnv(tempHome(), { TWINE_USERNAME: 'aws', TWINE_PASSWORD: token, TWINE_REPOSITORY_URL: `${h.url}/pypi/d/${DOMAIN}-${h.accountId}/${repo}/` }),
        });
      const ok = await twine('internal');
      expect(ok.status, ok.out).toBe(0);
      const refused = await twine('scratch');
      expect(refused.status).not.toBe(0);
      expect(flat(refused.out)).toMatch(
        /403 Forbidden .*Publishing acme-lib to repository scratch is not allowed: package group \/pypi\/\/acme-lib\$ sets PUBLISH to ALLOW_SPECIFIC_REPOSITORIES/,
      );
      expect(await stored('scratch', 'pypi', undefined, 'acme-lib')).toBe(false);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it.skipIf(!HAVE_MVN || missingPlugins(['maven-install-plugin', 'maven-deploy-plugin']).length > 0)(
    'the same for a Maven group: mvn deploy passes into internal and is refused in scratch, naming the group',
    async () => {
      await group('/maven/com.acme~', { PUBLISH: 'ALLOW_SPECIFIC_REPOSITORIES' }, ['internal']);
      const work = mkdtempSync(path.join(os.tmpdir(), 'hoard-groups-mvn-'));
      try {
        const home = path.join(work, 'home');
        mkdirSync(home);
        const settings = path.join(work, 'settings.xml');
        writeFileSync(
          settings,
          `<settings><servers><server><id>hoard</id><username>aws</username><password>${token}</password></server></servers></settings>\n`,
        );
        // A pom-packaged project: deploy needs only the install and deploy plugins, no compiler.
        writeFileSync(
          path.join(work, 'pom.xml'),
          `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion><groupId>com.acme.tools</groupId>` +
            `<artifactId>core</artifactId><version>1.0.0</version><packaging>pom</packaging><build>${pluginManagement()}</build></project>\n`,
        );
        const repo = localRepoCopy(work);
        const deploy = async (repository: string) => {
          const url = (await h.sdk().send(new GetRepositoryEndpointCommand({ domain: DOMAIN, repository, format: 'maven' }))).repositoryEndpoint!;
          return mvn({ cwd: work, home, settings, repo, args: ['deploy', `-DaltDeploymentRepository=hoard::${url}`] });
        };
        const ok = await deploy('internal');
        expect(ok.ok, tail(ok.out)).toBe(true);
        expect(await stored('internal', 'maven', 'com.acme.tools', 'core')).toBe(true);
        const refused = await deploy('scratch');
        expect(refused.ok).toBe(false);
        expect(flat(refused.out)).toContain(
          'Publishing com.acme.tools:core to repository scratch is not allowed: package group /maven/com.acme~ sets PUBLISH to ALLOW_SPECIFIC_REPOSITORIES; scratch is not on its allowed repositories list.',
        );
        expect(await stored('scratch', 'maven', 'com.acme.tools', 'core')).toBe(false);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    },
  );
});
