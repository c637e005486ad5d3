// Revocation of authorization tokens: deleting an access key voids the tokens its principal was
// issued before, and `hoard admin delete-user` voids the user's tokens; each package-manager face
// then answers 401 in its own shape. The server handling the deletion refuses at once (it clears
// its identity lookup cache); another replica would within that cache's 2 s, which a single
// server cannot show, so these tests assert only the immediate refusal.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDomainCommand, CreateRepositoryCommand, GetAuthorizationTokenCommand, ListDomainsCommand } from '@aws-sdk/client-codeartifact';
import { failure } from '../support/versions.js';
import { cliEnv, startHoard, tempHome, type TestHoard } from '../support/hoard.js';

const run = promisify(execFile);
const A = '111122223333';

describe('token revocation', () => {
  let h: TestHoard;
  let home: string;
  const hoard = async (args: string[]) => JSON.parse((await run('node', ['dist/main.js', ...args, '--json'], { env: cliEnv(h, home) })).stdout);
  const base = (format: string) => `${h.url}/${format}/d/acme-${A}/libs/`;
  const basic = (t: string) => `Basic ${Buffer.from(`aws:${t}`).toString('base64')}`;

  /** One request per face: npm whoami (Bearer), the PyPI simple index and a Maven file (Basic). */
  async function faces(token: string) {
    const npm = await fetch(`${base('npm')}-/whoami`, { headers: { authorization: `Bearer ${token}` } });
    const pypi = await fetch(`${base('pypi')}simple/`, { headers: { authorization: basic(token) } });
    const maven = await fetch(`${base('maven')}com/acme/app/maven-metadata.xml`, { headers: { authorization: basic(token) } });
    return { npm, pypi, maven };
  }

  /** Every face answers 401 in its own shape, saying why. */
  async function expectRefused(token: string, why: RegExp) {
    const { npm, pypi, maven } = await faces(token);
    expect([npm.status, pypi.status, maven.status]).toEqual([401, 401, 401]);
    // npm: JSON {error}, no challenge (npm prints body.error only without one).
    expect(npm.headers.get('www-authenticate')).toBeNull();
    expect(((await npm.json()) as { error: string }).error).toMatch(why);
    // pip: a Basic challenge, the reason phrase, an HTML page for the index.
    expect(pypi.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(pypi.headers.get('content-type')).toMatch(/^text\/html/);
    expect(pypi.statusText).toMatch(why);
    // Maven: a Basic challenge and problem+json.
    expect(maven.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(maven.headers.get('content-type')).toBe('application/problem+json');
    expect(((await maven.json()) as { detail: string }).detail).toMatch(why);
  }

  async function expectAccepted(token: string) {
    const { npm, pypi, maven } = await faces(token);
    expect([npm.status, pypi.status, maven.status]).toEqual([200, 200, 404]);
  }

  beforeAll(async () => {
    h = await startHoard();
    home = tempHome();
    await h.sdk().send(new CreateDomainCommand({ domain: 'acme' }));
    await h.sdk().send(new CreateRepositoryCommand({ domain: 'acme', repository: 'libs' }));
  });
  afterAll(async () => h?.stop());

  const userWithKeys = async (name: string) => {
    const identity = h.server.services.identity;
    await identity.createUser(A, name);
    await identity.putUserPolicy(
      A,
      name,
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['codeartifact:*', 'sts:GetServiceBearerToken'], Resource: '*' }] }),
    );
    const k1 = await identity.createAccessKey(A, name);
    const k2 = await identity.createAccessKey(A, name);
    return [k1, k2].map((k) => ({ accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey }));
  };
  const tokenFor = async (creds: { accessKeyId: string; secretAccessKey: string }) =>
    (await h.sdk(creds).send(new GetAuthorizationTokenCommand({ domain: 'acme' }))).authorizationToken!;

  it('deleting an access key refuses the tokens issued before; a token from a remaining key works', async () => {
    const [k1, k2] = await userWithKeys('dev');
    const before = await tokenFor(k1);
    const rootToken = await tokenFor({ accessKeyId: h.accessKeyId, secretAccessKey: h.secretAccessKey });
    await expectAccepted(before);
    await hoard(['admin', 'delete-access-key', '--access-key-id', k1.accessKeyId]);
    await expectRefused(before, /token was revoked: an access key of arn:aws:iam::111122223333:user\/dev was deleted/);
    // A token issued afterwards, with the key that is left, is good; other principals are untouched.
    await expectAccepted(await tokenFor(k2));
    await expectAccepted(rootToken);
  });

  it('hoard admin delete-user refuses the user’s tokens and keys, also after a user of the same name is made again', async () => {
    const [k1] = await userWithKeys('temp');
    const token = await tokenFor(k1);
    await expectAccepted(token);
    expect(await hoard(['admin', 'delete-user', '--user-name', 'temp'])).toEqual({});
    await expectRefused(token, /arn:aws:iam::111122223333:user\/temp\) no longer exists/);
    expect((await failure(h.sdk(k1).send(new ListDomainsCommand({})))).name).toBe('UnrecognizedClientException');
    // Same name, new user: the old token stays refused.
    await userWithKeys('temp');
    await expectRefused(token, /no longer exists/);
    // Deleting a user that is not there says so.
    await expect(hoard(['admin', 'delete-user', '--user-name', 'ghost'])).rejects.toThrow(/User ghost not found/);
  });
});
