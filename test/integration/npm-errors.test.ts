// Bad input and refused access on the npm endpoint: each case with the status and message the client
// shows. After all of them the server still serves, and no partial version is ever visible.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { GetAuthorizationTokenCommand } from '@aws-sdk/client-codeartifact';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { Client, makeTgz, out, project, publishBody, setupDomain, tmpDir, writePackage, removeTemp, json } from './npm-support.js';

const LIMIT = 200_000;

describe('npm endpoint: bad input and access', () => {
  let h: TestHoard;
  let reg: string;
  let token: string;
  let c: Client;
  const req = (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${reg}${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  const error = async (r: Response) => ((await r.json()) as { error: string }).error;
  /** A request with the path exactly as written (fetch would normalise `..` segments). */
  const rawGet = (p: string) =>
    new Promise<number>((resolve, reject) => {
      const u = new URL(reg);
      const r = http.request({ host: u.hostname, port: u.port, path: `${u.pathname}${p}`, headers: { authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      r.on('error', reject);
      r.end();
    });

  beforeAll(async () => {
    h = await startHoard({ HOARD_MAX_UPLOAD_BYTES: String(LIMIT) });
    const d = await setupDomain(h, 'errs', [{ name: 'repo' }]);
    await setupDomain(h, 'other', [{ name: 'repo' }]);
    reg = d.endpoint('repo');
    token = d.token;
    c = new Client(h, tmpDir('hoard-npm-cache-'));
    const pj = { name: 'good', version: '1.0.0' };
    expect((await req('PUT', 'good', publishBody(pj, await makeTgz(pj)))).status).toBe(201);
  });
  afterAll(async () => {
    await h?.stop();
    removeTemp();
  });

  it('refuses package names npm refuses outright (validate-npm-package-name) with 400', async () => {
    const cases: [string, RegExp][] = [
      ['.hidden', /cannot start with a period/],
      ['_under', /cannot start with an underscore/],
      ['node_modules', /not a valid package name/],
      ['@..%2fevil', /scope/],
      ['a%20b', /URL-friendly/],
      ['@scope%2f', /exactly one slash|length must be greater/],
      ['favicon.ico', /not a valid package name/],
      ['%20lead', /leading or trailing spaces/],
    ];
    for (const [p, message] of cases) {
      const name = decodeURIComponent(p);
      const tgz = await makeTgz({ name, version: '1.0.0' });
      const r = await req('PUT', p, publishBody({ name, version: '1.0.0' }, tgz));
      expect(r.status, p).toBe(400);
      expect(await error(r), p).toMatch(message);
    }
    // Names valid for old packages are names (here simply absent): see npm-wire and npm-cli for publishing them.
    expect((await req('GET', 'UPPER')).status).toBe(404);
  });

  it('refuses path traversal in names and tarball file names', async () => {
    expect(await rawGet('..%2f..%2fetc%2fpasswd')).toBe(400);
    expect(await rawGet('../../../etc/passwd')).toBe(400);
    expect(await rawGet('%2e%2e')).toBe(400);
    expect(await rawGet('good/-/..%2f..%2f..%2fetc%2fpasswd')).toBe(404);
    expect(await rawGet('good/-/../../good-1.0.0.tgz')).toBe(404);
    expect(await rawGet('good/-/good-1.0.0.tgz%00.tgz')).toBe(404);
    expect(await rawGet('good/-/good-1.0.0.tgz')).toBe(200);
  });

  it('refuses bodies whose attachment does not match, names another package, or is cut short', async () => {
    const pj = { name: 'bad-body', version: '1.0.0' };
    const tgz = await makeTgz(pj);
    const zeros = `sha512-${Buffer.alloc(64).toString('base64')}`;
    let r = await req('PUT', 'bad-body', publishBody(pj, tgz, { integrity: zeros }));
    expect(r.status).toBe(400);
    expect(await error(r)).toMatch(/does not match dist.integrity/);
    r = await req('PUT', 'bad-body', publishBody(pj, tgz, { integrity: '', shasum: '0'.repeat(40) }));
    expect(r.status).toBe(400);
    expect(await error(r)).toMatch(/does not match dist.shasum/);
    const otherTgz = await makeTgz({ name: 'someone-else', version: '1.0.0' });
    r = await req('PUT', 'bad-body', publishBody(pj, otherTgz));
    expect(r.status).toBe(400);
    expect(await error(r)).toBe("The tarball's package.json is for someone-else@1.0.0, but this publish is for bad-body@1.0.0.");
    const b64 = tgz.toString('base64');
    r = await req('PUT', 'bad-body', publishBody(pj, tgz, { data: b64.slice(0, b64.length - 7) }));
    expect(r.status).toBe(400);
    expect(await error(r)).toMatch(/not valid base64 \(truncated/);
    r = await req('PUT', 'bad-body', publishBody(pj, tgz, { data: b64.slice(0, b64.length - 8) }));
    expect(r.status).toBe(400);
    expect(await error(r)).toMatch(/truncated upload/);
    const junk = Buffer.from('this is not a tarball at all, just words');
    r = await req('PUT', 'bad-body', publishBody(pj, junk));
    expect(r.status).toBe(400);
    expect(await error(r)).toMatch(/not a valid gzipped tarball|no package.json/);
    r = await req('PUT', 'bad-body', { ...publishBody(pj, tgz), name: 'another' });
    expect(r.status).toBe(400);
    expect(await error(r)).toMatch(/does not match the package in the URL/);
    const wrongVersion = publishBody(pj, tgz);
    wrongVersion.versions = { '1.0': wrongVersion.versions['1.0.0'] };
    r = await req('PUT', 'bad-body', wrongVersion);
    expect(r.status).toBe(400);
    expect(await error(r)).toMatch(/Invalid version "1.0"/);
  });

  it('refuses JSON that is not an object, and bodies over the size limit (413)', async () => {
    for (const body of ['[]', '"just a string"', 'null', '{"name": ', '42']) {
      const r = await req('PUT', 'bad-json', body);
      expect(r.status, body).toBe(400);
      expect(await error(r)).toMatch(/JSON/);
    }
    const pj = { name: 'too-big', version: '1.0.0' };
    const big = await makeTgz(pj, { 'blob.bin': randomBytes(LIMIT).toString('base64') });
    const r = await req('PUT', 'too-big', publishBody(pj, big));
    expect(r.status).toBe(413);
    expect(await error(r)).toMatch(/larger than the 200000 byte limit/);
  });

  it('no partial version is visible after any refusal, and the server keeps serving', async () => {
    for (const name of ['bad-body', 'too-big', 'bad-json', '@scope/thing']) expect((await req('GET', name.replace('/', '%2f'))).status, name).toBe(404);
    const good = await json(req('GET', 'good'));
    expect(Object.keys(good.versions)).toEqual(['1.0.0']);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });

  it('answers a missing, wrong or other-domain token with 401 and says to run hoard login', async () => {
    const noToken = await fetch(`${reg}good`);
    expect(noToken.status).toBe(401);
    // No challenge header: npm then prints the body's error (with one it prints a generic message).
    expect(noToken.headers.get('www-authenticate')).toBeNull();
    expect(await error(noToken)).toMatch(/hoard login --tool npm --domain errs --repository repo/);
    const wrong = await fetch(`${reg}good`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(wrong.status).toBe(401);
    expect(await error(wrong)).toMatch(/malformed.*hoard login --tool npm/);
    const other = (await h.sdk().send(new GetAuthorizationTokenCommand({ domain: 'other' }))).authorizationToken!;
    const cross = await fetch(`${reg}good`, { headers: { authorization: `Bearer ${other}` } });
    expect(cross.status).toBe(401);
    expect(await error(cross)).toMatch(/issued for domain other.*hoard login --tool npm/);
    // What the npm CLI shows.
    c.configure(reg, 'expired-or-wrong');
    const r = await c.npm(['install', 'good'], project());
    expect(r.code).not.toBe(0);
    expect(out(r)).toMatch(/401 Unauthorized - GET .*good - The authorization token is malformed\. Run `hoard login --tool npm --domain errs --repository repo`/);
  });

  it('refuses publish to a read-only principal (403) and unpublish to one without delete permission', async () => {
    const svc = h.server.services;
    const policy = (actions: string[]) =>
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sts:GetServiceBearerToken', 'codeartifact:GetAuthorizationToken', ...actions], Resource: '*' }] });
    const tokenFor = async (user: string, actions: string[]) => {
      await svc.identity.createUser(h.accountId, user);
      const key = await svc.identity.createAccessKey(h.accountId, user);
      await svc.identity.putUserPolicy(h.accountId, user, policy(actions));
      const tok = await h.sdk(key).send(new GetAuthorizationTokenCommand({ domain: 'errs' }));
      return tok.authorizationToken!;
    };
    const reader = await tokenFor('reader', ['codeartifact:ReadFromRepository']);
    const publisher = await tokenFor('publisher', ['codeartifact:ReadFromRepository', 'codeartifact:PublishPackageVersion']);
    c.configure(reg, reader);
    let r = await c.npm(['install', 'good'], project());
    expect(r.code, out(r)).toBe(0);
    r = await c.npm(['publish'], writePackage({ name: 'not-allowed', version: '1.0.0' }));
    expect(r.code).not.toBe(0);
    expect(out(r)).toMatch(/403 Forbidden - PUT .*not-allowed - arn:aws:iam::111122223333:user\/reader is not authorized to perform codeartifact:PublishPackageVersion/);
    c.configure(reg, publisher);
    r = await c.npm(['publish'], writePackage({ name: 'mine', version: '1.0.0' }));
    expect(r.code, out(r)).toBe(0);
    r = await c.npm(['publish'], writePackage({ name: 'mine', version: '1.1.0' }));
    expect(r.code, out(r)).toBe(0);
    r = await c.npm(['unpublish', 'mine@1.0.0']);
    expect(r.code).not.toBe(0);
    expect(out(r)).toMatch(/403 Forbidden.*not authorized to perform codeartifact:DeletePackageVersions/);
    r = await c.npm(['unpublish', 'mine', '--force']);
    expect(r.code).not.toBe(0);
    expect(out(r)).toMatch(/not authorized to perform codeartifact:DeletePackageVersions/);
    const doc = await json(req('GET', 'mine'));
    expect(Object.keys(doc.versions)).toEqual(['1.0.0', '1.1.0']);
  });
});
