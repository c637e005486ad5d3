// The audit trail: each control-plane call, each call of Hoard's own API, GetAuthorizationToken and
// each npm write or login (publish, dist-tag, deprecate, unpublish, login) leaves exactly one row per
// request with the right principal, action, resource and outcome, refusals included; `hoard audit`
// finds them by each filter, newest first, paginated; no secret or token is ever stored.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CodeartifactClient, CreateRepositoryCommand, DescribeDomainCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-codeartifact';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, startHoard, tempHome, type TestHoard } from '../support/hoard.js';
import { call, type ClientOptions } from '../../src/cli/client.js';
import { Client, out, removeTemp, setupDomain, tmpDir, writePackage } from './npm-support.js';

const run = promisify(execFile);
const hasScript = await run('script', ['--version']).then(
  () => true,
  () => false,
);

interface Ev {
  eventId: string;
  eventTime: number;
  accountId?: string;
  principalArn: string;
  sourceIp?: string;
  userAgent?: string;
  action: string;
  resourceArn?: string;
  requestId: string;
  outcome: string;
  httpStatus: number;
  detail?: string;
}

describe('audit trail', () => {
  let h: TestHoard;
  let c: Client;
  let registry: string;
  let token: string;
  let root: ClientOptions;
  let reader: { accessKeyId: string; secretAccessKey: string; arn: string };
  let readerToken: string;
  const home = tempHome();
  const secrets: string[] = [];
  const rootArn = () => `arn:aws:iam::${h.accountId}:root`;
  const arnOf = (kind: string, rest: string) => `arn:aws:codeartifact:us-east-1:${h.accountId}:${kind}/${rest}`;

  /** `hoard audit ... --json`, as a user runs it. */
  const audit = async (args: string[]): Promise<Ev[]> => {
    const r = await run('node', ['dist/main.js', 'audit', ...args, '--json'], { env: cliEnv(h, home) });
    return (JSON.parse(r.stdout) as { events: Ev[] }).events;
  };
  const lookup = (body: Record<string, unknown>, creds = root) => call(creds, 'hoard', 'POST', '/admin/v1/audit-events', {}, body);

  beforeAll(async () => {
    h = await startHoard();
    root = { endpoint: h.url, region: 'us-east-1', credentials: { accessKeyId: h.accessKeyId, secretAccessKey: h.secretAccessKey } };
    const d = await setupDomain(h, 'acme', [{ name: 'app' }]);
    registry = d.endpoint('app');
    token = d.token;
    c = new Client(h, tmpDir('hoard-npm-cache-'));
    c.configure(registry, token);
    await call(root, 'hoard', 'POST', '/admin/v1/users', { userName: 'reader' }, {});
    const key = (await call(root, 'hoard', 'POST', '/admin/v1/access-keys', { userName: 'reader' }, {})).accessKey as Record<string, string>;
    reader = { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, arn: key.principalArn };
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['codeartifact:GetAuthorizationToken', 'codeartifact:ReadFromRepository', 'sts:GetServiceBearerToken'], Resource: '*' }],
    };
    await call(root, 'hoard', 'PUT', '/admin/v1/user-policy', { userName: 'reader' }, { policyDocument: JSON.stringify(policy) });
    readerToken = (await h.sdk(reader).send(new GetAuthorizationTokenCommand({ domain: 'acme' }))).authorizationToken!;
    secrets.push(h.secretAccessKey, reader.secretAccessKey, token, readerToken);
  });
  afterAll(async () => {
    await h?.stop();
    removeTemp();
  });

  it('records each control-plane and Hoard API call once, with its request id, and refusals with their error code', async () => {
    const created = await h.sdk().send(new CreateRepositoryCommand({ domain: 'acme', repository: 'audited' }));
    const tok = await h.sdk().send(new GetAuthorizationTokenCommand({ domain: 'acme' }));
    secrets.push(tok.authorizationToken!);
    const denied = await h
      .sdk(reader)
      .send(new CreateRepositoryCommand({ domain: 'acme', repository: 'not-allowed' }))
      .catch((e: { name: string; $metadata: { requestId?: string } }) => e);
    expect(denied).toMatchObject({ name: 'AccessDeniedException' });
    const bogus = new CodeartifactClient({ endpoint: h.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIANOSUCHKEY0000000', secretAccessKey: 'no-such-secret-value' }, maxAttempts: 1 });
    await expect(bogus.send(new DescribeDomainCommand({ domain: 'acme' }))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    secrets.push('no-such-secret-value');

    const creates = await audit(['--action', 'codeartifact:CreateRepository']);
    const ok = creates.filter((e) => e.resourceArn === arnOf('repository', 'acme/audited'));
    expect(ok).toHaveLength(1);
    expect(ok[0]).toMatchObject({ principalArn: rootArn(), accountId: h.accountId, outcome: 'Success', httpStatus: 200, requestId: created.$metadata.requestId });
    expect(ok[0].sourceIp).toMatch(/127\.0\.0\.1$/);
    expect(ok[0].userAgent).toContain('aws-sdk-js');
    const refused = creates.filter((e) => e.resourceArn === arnOf('repository', 'acme/not-allowed'));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ principalArn: reader.arn, outcome: 'AccessDeniedException', httpStatus: 403, requestId: (denied as { $metadata: { requestId: string } }).$metadata.requestId });

    const tokens = (await audit(['--action', 'GetAuthorizationToken', '--principal', rootArn()])).filter((e) => e.requestId === tok.$metadata.requestId);
    expect(tokens).toEqual([expect.objectContaining({ action: 'codeartifact:GetAuthorizationToken', resourceArn: arnOf('domain', 'acme'), outcome: 'Success' })]);
    // An unknown key is nobody: the call is recorded as anonymous, naming what it asked for.
    const anon = await audit(['--principal', 'anonymous', '--action', 'codeartifact:DescribeDomain']);
    expect(anon).toHaveLength(1);
    expect(anon[0]).toMatchObject({ outcome: 'UnrecognizedClientException', httpStatus: 403 });
    // Hoard's own API, under its hoard: names: the user and key made in beforeAll.
    const users = await audit(['--action', 'hoard:CreateUser']);
    expect(users).toEqual([expect.objectContaining({ principalArn: rootArn(), resourceArn: `arn:aws:iam::${h.accountId}:user/reader`, outcome: 'Success' })]);
    expect(await audit(['--action', 'hoard:CreateAccessKey'])).toHaveLength(1);
    expect(await audit(['--action', 'hoard:PutUserPolicy'])).toHaveLength(1);
  });

  it('records each npm write and login once: publish, dist-tag add and rm, deprecate, unpublish, refusals', async () => {
    const pkg = arnOf('package', 'acme/app/npm//widget');
    for (const v of ['1.0.0', '1.1.0']) {
      const r = await c.npm(['publish'], writePackage({ name: 'widget', version: v }));
      expect(r.code, out(r)).toBe(0);
    }
    for (const args of [['dist-tag', 'add', 'widget@1.0.0', 'beta'], ['dist-tag', 'rm', 'widget', 'beta'], ['deprecate', 'widget@1.0.0', 'use 1.1'], ['unpublish', 'widget@1.1.0']]) {
      const r = await c.npm(args);
      expect(r.code, out(r)).toBe(0);
    }
    // The reader may read but not publish: refused with 403; no token at all: 401.
    const readerClient = new Client(h, c.cache);
    readerClient.configure(registry, readerToken);
    const denied = await readerClient.npm(['publish'], writePackage({ name: 'widget', version: '9.0.0' }));
    expect(denied.code).not.toBe(0);
    const anonymous = new Client(h, c.cache);
    anonymous.configure(registry, 'not-a-token');
    expect((await anonymous.npm(['publish'], writePackage({ name: 'widget', version: '9.0.1' }))).code).not.toBe(0);

    const rows = (await audit(['--resource-prefix', pkg, '--max-results', '1000'])).reverse();
    expect(rows.map((e) => [e.detail, e.action, e.principalArn, e.outcome])).toEqual([
      ['npm publish', 'codeartifact:PublishPackageVersion', rootArn(), 'Success'],
      ['npm publish', 'codeartifact:PublishPackageVersion', rootArn(), 'Success'],
      ['npm dist-tag add', 'codeartifact:PublishPackageVersion', rootArn(), 'Success'],
      ['npm dist-tag rm', 'codeartifact:PublishPackageVersion', rootArn(), 'Success'],
      ['npm deprecate', 'codeartifact:PublishPackageVersion', rootArn(), 'Success'],
      // npm unpublish of one version is two requests: the document without it, then its tarball.
      ['npm unpublish', 'codeartifact:DeletePackageVersions', rootArn(), 'Success'],
      ['npm unpublish', 'codeartifact:DeletePackageVersions', rootArn(), 'Success'],
      ['npm publish', 'codeartifact:PublishPackageVersion', reader.arn, 'AccessDeniedException'],
    ]);
    expect(rows.every((e) => e.resourceArn === pkg && e.accountId === h.accountId)).toBe(true);
    // The token that does not verify never reaches the package: its refusal names the repository.
    const unauth = await audit(['--principal', 'anonymous', '--resource-prefix', arnOf('repository', 'acme/app')]);
    expect(unauth.map((e) => [e.detail, e.action, e.outcome, e.httpStatus])).toEqual([['npm publish', 'codeartifact:PublishPackageVersion', 'UnauthenticatedException', 401]]);
    secrets.push('not-a-token');
  });

  it.skipIf(!hasScript)('records npm login (legacy) as GetAuthorizationToken on the domain, a wrong password as anonymous and refused', async () => {
    const fresh = new Client(h, c.cache, tmpDir('hoard-home-'));
    const ok = await fresh.npmTty(['login', '--auth-type=legacy', `--registry=${registry}`], [
      [/Username:/, h.accessKeyId.toLowerCase()],
      [/Password:/, h.secretAccessKey],
    ]);
    expect(ok.code, out(ok)).toBe(0);
    const issued = /_authToken=(\S+)/.exec(readFileSync(path.join(fresh.home, '.npmrc'), 'utf8'))![1];
    secrets.push(issued);
    const bad = await fresh.npmTty(['login', '--auth-type=legacy', `--registry=${registry}`], [
      [/Username:/, h.accessKeyId.toLowerCase()],
      [/Password:/, 'wrong-password-for-audit'],
    ]);
    expect(bad.code).not.toBe(0);
    secrets.push('wrong-password-for-audit');
    const logins = (await audit(['--action', 'GetAuthorizationToken', '--resource-prefix', arnOf('domain', 'acme')])).filter((e) => e.detail === 'npm login');
    expect(logins.reverse().map((e) => [e.principalArn, e.outcome, e.resourceArn])).toEqual([
      [rootArn(), 'Success', arnOf('domain', 'acme')],
      ['anonymous', 'UnauthenticatedException', arnOf('domain', 'acme')],
    ]);
  });

  it('hoard audit filters by time, principal, action, resource prefix and outcome, newest first', async () => {
    // Each `hoard audit` is itself a recorded LookupAuditEvents: comparisons leave those out.
    const calls = (evs: Ev[]) => evs.filter((e) => e.action !== 'hoard:LookupAuditEvents');
    const all = calls(await audit(['--max-results', '1000']));
    expect(all.length).toBeGreaterThan(15);
    const times = all.map((e) => e.eventTime);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(calls(await audit(['--since', '1h', '--max-results', '1000']))).toEqual(all);
    expect(await audit(['--until', '1h'])).toEqual([]);
    expect(await audit(['--since', new Date(Date.now() + 3_600_000).toISOString()])).toEqual([]);
    const byReader = await audit(['--principal', reader.arn, '--max-results', '1000']);
    expect(byReader.length).toBeGreaterThanOrEqual(3); // GetAuthorizationToken, CreateRepository refused, npm publish refused
    expect(byReader.every((e) => e.principalArn === reader.arn)).toBe(true);
    const failures = calls(await audit(['--outcome', 'failure', '--max-results', '1000']));
    expect(failures.length).toBeGreaterThanOrEqual(4);
    expect(failures.every((e) => e.outcome !== 'Success')).toBe(true);
    const deniedRows = await audit(['--outcome', 'AccessDeniedException']);
    expect(deniedRows.map((e) => e.principalArn)).toEqual([reader.arn, reader.arn]);
    expect(calls(await audit(['--outcome', 'success', '--max-results', '1000'])).length).toBe(all.length - failures.length);
    const publishes = await audit(['--action', 'PublishPackageVersion', '--max-results', '1000']);
    expect(publishes.length).toBeGreaterThanOrEqual(7);
    expect(publishes.every((e) => e.action === 'codeartifact:PublishPackageVersion')).toBe(true);
    const inRepo = await audit(['--resource-prefix', arnOf('repository', 'acme/audited')]);
    expect(inRepo.map((e) => e.action)).toEqual(['codeartifact:CreateRepository']);
    // --max-results stops early; the table form has one line per event.
    expect(await audit(['--action', 'PublishPackageVersion', '--max-results', '3'])).toEqual(publishes.slice(0, 3));
    const table = await run('node', ['dist/main.js', 'audit', '--action', 'hoard:CreateUser'], { env: cliEnv(h, home) });
    expect(table.stdout).toMatch(new RegExp(`^\\S+Z  ${rootArn()}  hoard:CreateUser  arn:aws:iam::${h.accountId}:user/reader  Success  \\S+\\n$`));
    // Bad input is told what it got.
    await expect(run('node', ['dist/main.js', 'audit', '--since', 'yesterday'], { env: cliEnv(h, home) })).rejects.toMatchObject({
      stderr: expect.stringContaining("--since takes a duration ago (30m, 1h, 7d) or an ISO time (2026-12-07T16:00:00Z); got 'yesterday'."),
    });
  });

  it('LookupAuditEvents pages with nextToken without gaps or repeats, and refuses bad input with a ValidationException', async () => {
    const all = (await lookup({ maxResults: 1000 })).events as Ev[];
    const seen: Ev[] = [];
    let nextToken: string | undefined;
    do {
      const page = await lookup({ maxResults: 4, nextToken });
      expect((page.events as Ev[]).length).toBeLessThanOrEqual(4);
      seen.push(...(page.events as Ev[]));
      nextToken = page.nextToken as string | undefined;
    } while (nextToken);
    // Each page is itself a LookupAuditEvents call, recorded after the first page was read.
    expect(seen.map((e) => e.eventId).slice(-all.length)).toEqual(all.map((e) => e.eventId));
    expect(new Set(seen.map((e) => e.eventId)).size).toBe(seen.length);
    await expect(lookup({ maxResults: 0 })).rejects.toThrow(/^ValidationException: 'maxResults' must be a whole number between 1 and 1000\.$/);
    await expect(lookup({ nextToken: 'garbage' })).rejects.toThrow(/^ValidationException: The pagination token is not valid/);
    await expect(lookup({ startTime: 'last tuesday' })).rejects.toThrow(/^ValidationException: 'startTime' must be a time: epoch seconds or an ISO 8601 string/);
    await expect(lookup({ startTime: 2_000_000_000, endTime: 1_000_000_000 })).rejects.toThrow(/^ValidationException: startTime must not be after endTime\.$/);
  });

  it('needs hoard:LookupAuditEvents: a user without it is refused (and that is recorded too)', async () => {
    const readerOpts = { ...root, credentials: { accessKeyId: reader.accessKeyId, secretAccessKey: reader.secretAccessKey } };
    await expect(lookup({}, readerOpts)).rejects.toThrow(/^AccessDeniedException: .*hoard:LookupAuditEvents/);
    const rows = await audit(['--action', 'hoard:LookupAuditEvents', '--principal', reader.arn]);
    expect(rows).toEqual([expect.objectContaining({ outcome: 'AccessDeniedException', resourceArn: rootArn(), accountId: h.accountId })]);
    // An identity policy may grant it (the policy grammar knows the action).
    await call(root, 'hoard', 'POST', '/admin/v1/users', { userName: 'auditor' }, {});
    const key = (await call(root, 'hoard', 'POST', '/admin/v1/access-keys', { userName: 'auditor' }, {})).accessKey as Record<string, string>;
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'hoard:LookupAuditEvents', Resource: '*' }] };
    await call(root, 'hoard', 'PUT', '/admin/v1/user-policy', { userName: 'auditor' }, { policyDocument: JSON.stringify(policy) });
    const auditorOpts = { ...root, credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey } };
    const seen = (await lookup({ action: 'hoard:LookupAuditEvents' }, auditorOpts)) as { events: Ev[] };
    expect(seen.events.some((e) => e.principalArn === reader.arn && e.outcome === 'AccessDeniedException')).toBe(true);
    secrets.push(key.secretAccessKey);
  });

  it('stores no secret: no access-key secret, token or password appears in any audit row', async () => {
    await h.server.services.audit.flush();
    const dump = JSON.stringify((await h.server.services.db.query('SELECT * FROM audit_event')).rows);
    expect(dump.length).toBeGreaterThan(1000);
    expect(secrets.length).toBeGreaterThanOrEqual(7);
    for (const s of secrets) expect(dump.includes(s), `a secret of ${s.length} characters is stored`).toBe(false);
    expect(dump).not.toMatch(/bearer |basic /i);
  });
});
