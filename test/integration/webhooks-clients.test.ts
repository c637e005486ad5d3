// Webhooks fed by the real clients: a publish through npm, a twine upload and a mvn deploy each
// arrive once at a loopback receiver (verified with the standardwebhooks library) through a
// subscription whose pattern selects publishes, and never through one whose pattern does not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { CreateRepositoryCommand } from '@aws-sdk/client-codeartifact';
import { cliEnv, startHoard, tempHome, type TestHoard } from '../support/hoard.js';
import { hoardApi } from '../support/hoard-api.js';
import { WebhookReceiver, type Received } from '../support/webhook-receiver.js';
import { Client, out, removeTemp, setupDomain, tmpDir, writePackage } from './npm-support.js';
import { baseEnv, findPythonTools, run, type PythonTools } from '../support/python.js';
import { makeWheel } from '../support/pypi-fixtures.js';
import { HAVE_MVN, localRepoCopy, missingPlugins, mvn, pluginManagement, tail } from '../support/maven.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const python = findPythonTools();
const MVN_OK = HAVE_MVN && missingPlugins().length === 0;

// A version is published: npm and twine create it Published; Maven creates it Unfinished and
// publishes it when its metadata arrives (a status change).
const PUBLISHES = {
  source: ['aws.codeartifact'],
  detail: {
    packageVersionState: ['Published'],
    $or: [{ operationType: ['Created'] }, { changes: { statusChanged: [true] } }],
  },
};
const NOT_THESE = { detail: { packageFormat: [{ 'anything-but': ['npm', 'pypi', 'maven'] }] } };

describe('webhooks from real clients', () => {
  let h: TestHoard;
  let token: string;
  let domain: Awaited<ReturnType<typeof setupDomain>>;
  const rx = new WebhookReceiver();
  const other = new WebhookReceiver();
  let api: ReturnType<typeof hoardApi>;

  /** The publishes that arrived for one package, once its version has settled. */
  const arrivals = async (name: string, count = 1): Promise<Received[]> => {
    await rx.until(`${name} to arrive`, () => rx.all.filter((r) => r.event.detail.packageName === name).length >= count, 120_000);
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would be here by now
    return rx.all.filter((r) => r.event.detail.packageName === name);
  };

  beforeAll(async () => {
    h = await startHoard({ HOARD_WEBHOOK_ALLOW_PRIVATE: 'true', HOARD_WEBHOOK_POLL_MS: '50' });
    api = hoardApi(h);
    await rx.start();
    await other.start();
    domain = await setupDomain(h, 'clients', [{ name: 'npm-repo' }]);
    await h.sdk().send(new CreateRepositoryCommand({ domain: 'clients', repository: 'py-repo' }));
    await h.sdk().send(new CreateRepositoryCommand({ domain: 'clients', repository: 'mvn-repo' }));
    token = domain.token;
    const yes = await api('POST', '/hoard/v1/webhooks', { domain: 'clients' }, { url: rx.url, eventPattern: PUBLISHES });
    const no = await api('POST', '/hoard/v1/webhooks', { domain: 'clients' }, { url: other.url, eventPattern: NOT_THESE });
    expect([yes.status, no.status]).toEqual([200, 200]);
    rx.secrets = [yes.json.secret];
    other.secrets = [no.json.secret];
  });
  afterAll(async () => {
    // Nothing the clients published matched the other subscription.
    expect(other.all).toEqual([]);
    await h?.stop();
    await rx.stop();
    await other.stop();
    removeTemp();
  });

  it('npm publish arrives once', async () => {
    const c = new Client(h, tmpDir('hoard-npm-cache-'));
    c.configure(domain.endpoint('npm-repo'), token);
    const r = await c.npm(['publish'], writePackage({ name: '@team/hooked', version: '1.2.3' }));
    expect(r.code, out(r)).toBe(0);
    const got = await arrivals('hooked');
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      verified: true,
      event: { detail: { packageFormat: 'npm', packageNamespace: 'team', packageName: 'hooked', packageVersion: '1.2.3', repositoryName: 'npm-repo', operationType: 'Created' } },
    });
  });

  it.skipIf('missing' in python)('twine upload arrives once', async () => {
    const tools = python as PythonTools;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hoard-twine-'));
    try {
      const wheel = path.join(dir, 'hooked_py-0.1.0-py3-none-any.whl');
      writeFileSync(wheel, makeWheel({ name: 'hooked-py', version: '0.1.0' }).bytes);
      const endpoint = `${h.url}/pypi/d/clients-${h.accountId}/py-repo/`;
      const up = await run(tools.twine[0], [...tools.twine.slice(1), 'upload', '--repository-url', endpoint, '-u', 'aws', '-p', token, wheel], {
        env: baseEnv(dir),
      });
      expect(up.status, up.out).toBe(0);
      const got = await arrivals('hooked-py');
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({ verified: true, event: { detail: { packageFormat: 'pypi', packageVersion: '0.1.0', repositoryName: 'py-repo' } } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!MVN_OK)('mvn deploy arrives once', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'hoard-mvn-hook-'));
    try {
      const settings = path.join(work, 'settings.xml');
      const home = tempHome();
      await promisify(execFile)(
        'node',
        [path.join(ROOT, 'dist/main.js'), 'login', '--tool', 'maven', '--domain', 'clients', '--repository', 'mvn-repo', '--settings', settings],
        { env: cliEnv(h, home) },
      );
      const endpoint = `${h.url}/maven/d/clients-${h.accountId}/mvn-repo/`;
      const proj = path.join(work, 'proj');
      mkdirSync(path.join(proj, 'src/main/java/com/acme/hook'), { recursive: true });
      writeFileSync(path.join(proj, 'src/main/java/com/acme/hook/Hook.java'), 'package com.acme.hook;\npublic class Hook {}\n');
      writeFileSync(
        path.join(proj, 'pom.xml'),
        `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme.hook</groupId><artifactId>hooked-jar</artifactId><version>3.0.0</version>
  <properties><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding><maven.compiler.release>17</maven.compiler.release></properties>
  <distributionManagement><repository><id>clients-mvn-repo</id><url>${endpoint}</url></repository></distributionManagement>
  <build>${pluginManagement()}<plugins><plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-surefire-plugin</artifactId><executions><execution><id>default-test</id><phase>none</phase></execution></executions></plugin></plugins></build>
</project>
`,
      );
      const r = await mvn({ cwd: proj, home: work, settings, repo: localRepoCopy(work), args: ['deploy'] });
      expect(r.ok, tail(r.out)).toBe(true);
      const got = await arrivals('hooked-jar');
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({
        verified: true,
        event: { detail: { packageFormat: 'maven', packageNamespace: 'com.acme.hook', packageVersion: '3.0.0', packageVersionState: 'Published' } },
      });
      rmSync(home, { recursive: true, force: true });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
