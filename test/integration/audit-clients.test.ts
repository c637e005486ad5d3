// The audit trail for the other data-plane writers, driven by their real clients (twine upload,
// mvn deploy, generic publish with the aws CLI), and its life cycle: HOARD_AUDIT=off records
// nothing, a row buffered just before a clean stop is written, old rows are pruned.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CreateDomainCommand, CreateRepositoryCommand, GetAuthorizationTokenCommand, GetRepositoryEndpointCommand } from '@aws-sdk/client-codeartifact';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, startHoard, tempHome, type TestHoard } from '../support/hoard.js';
import { HAVE_MVN, localRepoCopy, missingPlugins, mvn, pluginManagement, tail } from '../support/maven.js';
import { baseEnv, findPythonTools, run as runPython, type PythonTools } from '../support/python.js';
import { makeWheel } from '../support/pypi-fixtures.js';
import { loadConfig } from '../../src/config.js';
import { auditStore, type AuditRow, type StoredAuditRow } from '../../src/store/audit.js';

const run = promisify(execFile);
const hasAws = await run('aws', ['--version']).then(
  () => true,
  () => false,
);
const python = findPythonTools();
const noPython = 'missing' in python ? python.missing : null;
const noMaven = !HAVE_MVN || missingPlugins(['maven-install-plugin', 'maven-deploy-plugin']).length > 0;

const rowsOf = async (h: TestHoard, action: string): Promise<StoredAuditRow[]> => {
  const all = await auditStore.lookup(h.server.services.db, { account: h.accountId, includeUnowned: true }, 10_000);
  return all.filter((r) => r.action === action).reverse();
};

describe('audit trail: twine, mvn, generic publish', () => {
  let h: TestHoard;
  let token: string;
  const work = mkdtempSync(path.join(os.tmpdir(), 'hoard-audit-clients-'));
  const pkgArn = (repo: string, format: string, ns: string, name: string) =>
    `arn:aws:codeartifact:us-east-1:${h.accountId}:package/dd/${repo}/${format}/${ns}/${name}`;
  const root = () => `arn:aws:iam::${h.accountId}:root`;
  const written = async (action: string) => {
    await h.server.services.audit.flush();
    return rowsOf(h, action);
  };

  beforeAll(async () => {
    h = await startHoard();
    const sdk = h.sdk();
    await sdk.send(new CreateDomainCommand({ domain: 'dd' }));
    await sdk.send(new CreateRepositoryCommand({ domain: 'dd', repository: 'rr' }));
    token = (await sdk.send(new GetAuthorizationTokenCommand({ domain: 'dd' }))).authorizationToken!;
  });
  afterAll(async () => {
    await h?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it.skipIf(noPython)('twine upload leaves one row per upload, a refused one as anonymous with its error', async () => {
    const tools = python as PythonTools;
    const wheel = path.join(work, 'audit_pkg-1.0-py3-none-any.whl');
    writeFileSync(wheel, makeWheel({ name: 'audit-pkg', version: '1.0' }).bytes);
    const twine = (password: string) =>
      runPython(tools.twine[0], [...tools.twine.slice(1), 'upload', wheel], {
        env: baseEnv(tempHome(), { TWINE_USERNAME: 'aws', TWINE_PASSWORD: password, TWINE_REPOSITORY_URL: `${h.url}/pypi/d/dd-${h.accountId}/rr/` }),
      });
    const ok = await twine(token);
    expect(ok.status, ok.out).toBe(0);
    const refused = await twine('not-a-token');
    expect(refused.status).not.toBe(0);
    const rows = (await written('codeartifact:PublishPackageVersion')).filter((r) => r.detail === 'twine upload');
    expect(rows.map((r) => [r.principalArn, r.resourceArn, r.outcome, r.httpStatus])).toEqual([
      [root(), pkgArn('rr', 'pypi', '', 'audit-pkg'), 'Success', 200],
      ['anonymous', `arn:aws:codeartifact:us-east-1:${h.accountId}:repository/dd/rr`, 'UnauthenticatedException', 401],
    ]);
    expect(rows[0].userAgent).toMatch(/twine|python-requests/i);
  });

  it.skipIf(noMaven)('mvn deploy leaves one row per file it PUTs, each on the package', async () => {
    const home = path.join(work, 'home');
    mkdirSync(home, { recursive: true });
    const settings = path.join(work, 'settings.xml');
    writeFileSync(settings, `<settings><servers><server><id>hoard</id><username>aws</username><password>${token}</password></server></servers></settings>\n`);
    const project = path.join(work, 'mvn');
    mkdirSync(project);
    writeFileSync(
      path.join(project, 'pom.xml'),
      `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion><groupId>com.acme.tools</groupId>` +
        `<artifactId>core</artifactId><version>1.0.0</version><packaging>pom</packaging><build>${pluginManagement()}</build></project>\n`,
    );
    const url = (await h.sdk().send(new GetRepositoryEndpointCommand({ domain: 'dd', repository: 'rr', format: 'maven' }))).repositoryEndpoint!;
    const r = await mvn({ cwd: project, home, settings, repo: localRepoCopy(project), args: ['deploy', `-DaltDeploymentRepository=hoard::${url}`] });
    expect(r.ok, tail(r.out)).toBe(true);
    const rows = (await written('codeartifact:PublishPackageVersion')).filter((x) => x.detail?.startsWith('maven deploy '));
    const files = rows.map((x) => x.detail!.slice('maven deploy '.length));
    expect(files).toContain('com/acme/tools/core/1.0.0/core-1.0.0.pom');
    expect(files).toContain('com/acme/tools/core/maven-metadata.xml');
    expect(new Set(files).size).toBe(files.length); // one row per PUT, none twice
    expect(rows.every((x) => x.principalArn === root() && x.outcome === 'Success' && x.resourceArn === pkgArn('rr', 'maven', 'com.acme.tools', 'core'))).toBe(true);
  });

  it.skipIf(!hasAws)('generic publish with the aws CLI leaves one PublishPackageVersion row on the package', async () => {
    const file = path.join(work, 'bundle.bin');
    writeFileSync(file, 'audited bundle\n');
    const sha = (await run('sha256sum', [file])).stdout.split(' ')[0];
    await run(
      'aws',
      ['codeartifact', 'publish-package-version', '--domain', 'dd', '--repository', 'rr', '--format', 'generic', '--namespace', 'ci', '--package', 'bundle',
        '--package-version', '1.0.0', '--asset-content', file, '--asset-name', 'bundle.bin', '--asset-sha256', sha, '--endpoint-url', h.url],
      { env: cliEnv(h, tempHome()) },
    );
    const rows = (await written('codeartifact:PublishPackageVersion')).filter((x) => x.resourceArn === pkgArn('rr', 'generic', 'ci', 'bundle'));
    expect(rows.map((x) => [x.principalArn, x.outcome, x.detail])).toEqual([[root(), 'Success', null]]);
    expect(rows[0].userAgent).toMatch(/^aws-cli\//);
  });
});

describe('audit trail life cycle', () => {
  it('HOARD_AUDIT=off records nothing', async () => {
    const h = await startHoard({ HOARD_AUDIT: 'off' });
    try {
      await h.sdk().send(new CreateDomainCommand({ domain: 'quiet' }));
      await h.server.services.audit.flush();
      expect((await h.server.services.db.query('SELECT count(*)::int AS n FROM audit_event')).rows).toEqual([{ n: 0 }]);
    } finally {
      await h.stop();
    }
    const dir = tempHome();
    expect(() => loadConfig({ HOARD_DATA_DIR: dir, HOARD_AUDIT: 'maybe' })).toThrow('HOARD_AUDIT: one of on, off; got maybe');
    expect(() => loadConfig({ HOARD_DATA_DIR: dir, HOARD_AUDIT_RETENTION_DAYS: '0' })).toThrow('HOARD_AUDIT_RETENTION_DAYS: must be between 1 and 36500, got 0');
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a row still buffered at a clean stop, and prunes rows older than HOARD_AUDIT_RETENTION_DAYS', async () => {
    // Nothing is flushed on a timer here (10 minutes): only the stop can write the row.
    const h = await startHoard({ HOARD_AUDIT_FLUSH_MS: '600000', HOARD_AUDIT_RETENTION_DAYS: '30', HOARD_AUDIT_PRUNE_INTERVAL_MS: '100' });
    try {
      await h.sdk().send(new CreateDomainCommand({ domain: 'last' }));
      expect(await rowsOf(h, 'codeartifact:CreateDomain')).toEqual([]);
      await h.restart();
      const rows = await rowsOf(h, 'codeartifact:CreateDomain');
      expect(rows.map((r) => [r.principalArn, r.resourceArn, r.outcome])).toEqual([
        [`arn:aws:iam::${h.accountId}:root`, `arn:aws:codeartifact:us-east-1:${h.accountId}:domain/last`, 'Success'],
      ]);

      const old = (days: number, requestId: string): AuditRow => ({
        time: new Date(Date.now() - days * 86_400_000),
        accountId: h.accountId,
        principalArn: 'anonymous',
        principalAccount: null,
        sourceIp: null,
        userAgent: null,
        action: 'codeartifact:Old',
        resourceArn: null,
        requestId,
        outcome: 'Success',
        httpStatus: 200,
        detail: null,
      });
      await auditStore.insertMany(h.server.services.db, [old(31, 'past-retention'), old(29, 'within-retention')]);
      const remaining = async () => (await rowsOf(h, 'codeartifact:Old')).map((r) => r.requestId);
      for (let i = 0; i < 300 && (await remaining()).length > 1; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await remaining()).toEqual(['within-retention']);
    } finally {
      await h.stop();
    }
  });
});
