// Identity and access end to end: the admin CLI, users with and without identity policies,
// cross-account sharing through domain and repository policies, explicit Deny, signatures and tokens.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateDomainCommand,
  CreateRepositoryCommand,
  DescribeDomainCommand,
  DeleteDomainPermissionsPolicyCommand,
  DeleteRepositoryCommand,
  DescribeRepositoryCommand,
  GetAuthorizationTokenCommand,
  ListDomainsCommand,
  PutDomainPermissionsPolicyCommand,
  PutRepositoryPermissionsPolicyCommand,
  CodeartifactClient,
} from '@aws-sdk/client-codeartifact';
import { signRequest } from '../../src/auth/sigv4.js';
import { TokenService } from '../../src/auth/tokens.js';
import { failure } from '../support/versions.js';
import { startHoard, cliEnv, tempHome, type TestHoard } from '../support/hoard.js';

const run = promisify(execFile);
const policy = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });


describe('identity and access', () => {
  let h: TestHoard;
  let home: string;
  let hoard: (args: string[], creds?: { accessKeyId: string; secretAccessKey: string }) => Promise<Record<string, any>>;
  let alice: { accessKeyId: string; secretAccessKey: string };
  let other: { accountId: string; accessKeyId: string; secretAccessKey: string };
  const A = '111122223333';

  beforeAll(async () => {
    h = await startHoard();
    home = tempHome();
    hoard = async (args, creds) => {
      const r = await run('node', ['dist/main.js', ...args, '--json'], { env: cliEnv(h, home, creds) });
      return JSON.parse(r.stdout);
    };
    await h.sdk().send(new CreateDomainCommand({ domain: 'shared' }));
    await h.sdk().send(new CreateRepositoryCommand({ domain: 'shared', repository: 'libs' }));
  });
  afterAll(async () => h?.stop());

  it('creates accounts, users and keys through the admin CLI', async () => {
    const acct = await hoard(['admin', 'create-account', '--account-id', '444455556666']);
    expect(acct.account.accountId).toBe('444455556666');
    other = { accountId: '444455556666', ...acct.accessKey };
    const user = await hoard(['admin', 'create-user', '--user-name', 'alice']);
    expect(user.user.arn).toBe(`arn:aws:iam::${A}:user/alice`);
    const key = await hoard(['admin', 'create-access-key', '--user-name', 'alice']);
    alice = { accessKeyId: key.accessKey.accessKeyId, secretAccessKey: key.accessKey.secretAccessKey };
    expect(alice.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    // Only the operator root creates accounts; a user cannot use the admin API at all.
    await expect(hoard(['admin', 'create-account'], other)).rejects.toThrow(/operator account/);
    await expect(hoard(['admin', 'create-user', '--user-name', 'bob'], alice)).rejects.toThrow(/Only an account root/);
    await expect(hoard(['admin', 'put-user-policy', '--user-name', 'alice', '--policy-document', '{"Version":"2012-10-17"}'])).rejects.toThrow(
      /ValidationException/,
    );
  });

  it('a user needs an identity policy; root does not', async () => {
    const sdk = h.sdk(alice);
    const denied = await failure(sdk.send(new DescribeDomainCommand({ domain: 'shared' })));
    expect(denied).toMatchObject({ name: 'AccessDeniedException', status: 403 });
    expect(denied.message).toContain(`arn:aws:iam::${A}:user/alice is not authorized to perform: codeartifact:DescribeDomain`);
    await hoard([
      'admin',
      'put-user-policy',
      '--user-name',
      'alice',
      '--policy-document',
      policy([{ Effect: 'Allow', Action: ['codeartifact:Describe*', 'codeartifact:GetAuthorizationToken'], Resource: '*' }]),
    ]);
    expect((await sdk.send(new DescribeDomainCommand({ domain: 'shared' }))).domain?.name).toBe('shared');
    expect((await sdk.send(new DescribeRepositoryCommand({ domain: 'shared', repository: 'libs' }))).repository?.name).toBe('libs');
    // GetAuthorizationToken also needs sts:GetServiceBearerToken, as on AWS.
    expect((await failure(sdk.send(new GetAuthorizationTokenCommand({ domain: 'shared' })))).message).toContain('sts:GetServiceBearerToken');
    await hoard([
      'admin',
      'put-user-policy',
      '--user-name',
      'alice',
      '--policy-document',
      policy([
        { Effect: 'Allow', Action: ['codeartifact:Describe*', 'codeartifact:GetAuthorizationToken', 'sts:GetServiceBearerToken'], Resource: '*' },
      ]),
    ]);
    expect((await sdk.send(new GetAuthorizationTokenCommand({ domain: 'shared' }))).authorizationToken).toBeTruthy();
    // Not granted: listing domains.
    expect((await failure(sdk.send(new ListDomainsCommand({})))).name).toBe('AccessDeniedException');
  });

  it('an explicit Deny in a repository policy beats the identity Allow', async () => {
    await h.sdk().send(
      new PutRepositoryPermissionsPolicyCommand({
        domain: 'shared',
        repository: 'libs',
        policyDocument: policy([
          { Sid: 'NoAlice', Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${A}:user/alice` }, Action: 'codeartifact:DescribeRepository', Resource: '*' },
        ]),
      }),
    );
    const e = await failure(h.sdk(alice).send(new DescribeRepositoryCommand({ domain: 'shared', repository: 'libs' })));
    expect(e.name).toBe('AccessDeniedException');
    expect(e.message).toContain('NoAlice');
    // The owner root is still allowed (the Deny names alice only).
    await h.sdk().send(new DescribeRepositoryCommand({ domain: 'shared', repository: 'libs' }));
  });

  it('a domain policy naming the account delegates to it: a user without an identity policy still gets nothing', async () => {
    await h.sdk().send(new CreateRepositoryCommand({ domain: 'shared', repository: 'doomed' }));
    await h.server.services.identity.createUser(A, 'nobody');
    const k = await h.server.services.identity.createAccessKey(A, 'nobody');
    const nobody = h.sdk({ accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey });
    await h.sdk().send(
      new PutDomainPermissionsPolicyCommand({
        domain: 'shared',
        policyDocument: policy([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: 'codeartifact:*', Resource: '*' }]),
      }),
    );
    const e = await failure(nobody.send(new DeleteRepositoryCommand({ domain: 'shared', repository: 'doomed' })));
    expect(e).toMatchObject({ name: 'AccessDeniedException', status: 403 });
    expect(e.message).toContain('which delegates to the account');
    expect((await h.sdk().send(new DescribeRepositoryCommand({ domain: 'shared', repository: 'doomed' }))).repository?.name).toBe('doomed');
    await h.sdk().send(new DeleteDomainPermissionsPolicyCommand({ domain: 'shared' }));
  });

  it('another account needs the domain policy and the repository policy', async () => {
    const b = h.sdk({ accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey });
    // Nothing shared yet: refused (and the domain's existence is not revealed).
    expect((await failure(b.send(new DescribeDomainCommand({ domain: 'shared', domainOwner: A })))).name).toBe('AccessDeniedException');
    expect((await failure(b.send(new DescribeDomainCommand({ domain: 'nonexistent', domainOwner: A })))).name).toBe('AccessDeniedException');
    await h.sdk().send(
      new PutDomainPermissionsPolicyCommand({
        domain: 'shared',
        policyDocument: policy([
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${other.accountId}:root` },
            Action: ['codeartifact:GetAuthorizationToken', 'codeartifact:DescribeDomain'],
            Resource: '*',
          },
        ]),
      }),
    );
    expect((await b.send(new DescribeDomainCommand({ domain: 'shared', domainOwner: A }))).domain?.owner).toBe(A);
    expect((await b.send(new GetAuthorizationTokenCommand({ domain: 'shared', domainOwner: A }))).authorizationToken).toBeTruthy();
    // The repository policy does not grant account B yet.
    expect((await failure(b.send(new DescribeRepositoryCommand({ domain: 'shared', domainOwner: A, repository: 'libs' })))).name).toBe(
      'AccessDeniedException',
    );
    await h.sdk().send(
      new PutRepositoryPermissionsPolicyCommand({
        domain: 'shared',
        repository: 'libs',
        policyDocument: policy([
          { Effect: 'Allow', Principal: { AWS: other.accountId }, Action: ['codeartifact:DescribeRepository', 'codeartifact:ReadFromRepository'], Resource: '*' },
        ]),
      }),
    );
    expect((await b.send(new DescribeRepositoryCommand({ domain: 'shared', domainOwner: A, repository: 'libs' }))).repository?.name).toBe('libs');
    // Writes were not shared.
    expect((await failure(b.send(new CreateRepositoryCommand({ domain: 'shared', domainOwner: A, repository: 'theirs' })))).name).toBe(
      'AccessDeniedException',
    );
  });

  it('refuses bad signatures, unknown keys, expired signatures and deleted keys', async () => {
    const wrong = h.sdk({ accessKeyId: h.accessKeyId, secretAccessKey: 'not-the-secret-at-all' });
    expect(await failure(wrong.send(new ListDomainsCommand({})))).toMatchObject({ name: 'InvalidSignatureException', status: 403 });
    const unknown = h.sdk({ accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'whatever-secret-123' });
    expect(await failure(unknown.send(new ListDomainsCommand({})))).toMatchObject({ name: 'UnrecognizedClientException', status: 403 });
    const late = new CodeartifactClient({
      endpoint: h.url,
      region: 'us-east-1',
      credentials: { accessKeyId: h.accessKeyId, secretAccessKey: h.secretAccessKey },
      systemClockOffset: -20 * 60 * 1000,
      maxAttempts: 1,
    });
    const expired = await failure(late.send(new ListDomainsCommand({})));
    expect(expired.name).toBe('InvalidSignatureException');
    expect(expired.message).toMatch(/Signature expired/);
    const wrongRegion = new CodeartifactClient({
      endpoint: h.url,
      region: 'eu-west-1',
      credentials: { accessKeyId: h.accessKeyId, secretAccessKey: h.secretAccessKey },
      maxAttempts: 1,
    });
    expect((await failure(wrongRegion.send(new ListDomainsCommand({})))).name).toBe('InvalidSignatureException');
    const unsigned = await fetch(`${h.url}/v1/domains`, { method: 'POST' });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    const garbage = await fetch(`${h.url}/v1/domains`, { method: 'POST', headers: { authorization: 'AWS4-HMAC-SHA256 garbage' } });
    expect(garbage.status).toBe(400);
    expect(garbage.headers.get('x-amzn-errortype')).toBe('IncompleteSignatureException');

    const k = await hoard(['admin', 'create-access-key']);
    const temp = { accessKeyId: k.accessKey.accessKeyId, secretAccessKey: k.accessKey.secretAccessKey };
    await h.sdk(temp).send(new ListDomainsCommand({}));
    await hoard(['admin', 'delete-access-key', '--access-key-id', temp.accessKeyId]);
    expect((await failure(h.sdk(temp).send(new ListDomainsCommand({})))).name).toBe('UnrecognizedClientException');
  });

  it('refuses unknown query parameters, oversize bodies and unknown operations; keeps serving', async () => {
    const signed = async (method: string, path: string, body?: string) => {
      const url = `${h.url}${path}`;
      const headers = await signRequest({
        method,
        url,
        body,
        headers: body ? { 'content-type': 'application/json' } : {},
        accessKeyId: h.accessKeyId,
        secretAccessKey: h.secretAccessKey,
        region: 'us-east-1',
        service: 'codeartifact',
      });
      delete headers.host;
      return fetch(url, { method, headers, body });
    };
    const unknownParam = await signed('GET', '/v1/domain?domain=shared&bogus=1');
    expect(unknownParam.status).toBe(400);
    expect((await unknownParam.json()).message).toMatch(/Unknown query parameter 'bogus'/);
    const big = await signed('POST', '/v1/repository?domain=shared&repository=big', JSON.stringify({ description: 'x'.repeat(2 * 1024 * 1024) }));
    expect(big.status).toBe(413);
    const notJson = await signed('POST', '/v1/repository?domain=shared&repository=nj', '{"description":');
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).reason).toBe('CANNOT_PARSE');
    const op = await signed('GET', '/v1/no-such-operation');
    expect(op.status).toBe(404);
    expect(op.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });

  it('data-plane tokens: Bearer and Basic accepted; foreign key, expired, other domain and garbage refused', async () => {
    const auth = h.server.services.dataPlaneAuth;
    const { authorizationToken } = await h.sdk().send(new GetAuthorizationTokenCommand({ domain: 'shared' }));
    const t = authorizationToken!;
    expect((await auth.authenticate(`Bearer ${t}`, 'shared', A)).principal.arn).toBe(`arn:aws:iam::${A}:root`);
    const basic = `Basic ${Buffer.from(`aws:${t}`).toString('base64')}`;
    expect((await auth.authenticate(basic, 'shared', A)).via).toBe('basic');
    expect((await auth.authenticate(undefined, 'shared', A)).principal.kind).toBe('anonymous');

    const foreign = new TokenService(Buffer.alloc(32, 7)).issue({ sub: `arn:aws:iam::${A}:root`, acct: A, domain: 'shared', owner: A }, 900);
    await expect(auth.authenticate(`Bearer ${foreign.token}`, 'shared', A)).rejects.toThrow(/key this server does not know/);
    const expired = h.server.services.tokens.issue(
      { sub: `arn:aws:iam::${A}:root`, acct: A, domain: 'shared', owner: A },
      900,
      Date.now() - 3600_000,
    );
    await expect(auth.authenticate(`Bearer ${expired.token}`, 'shared', A)).rejects.toThrow(/expired/);
    await expect(auth.authenticate(`Bearer ${t}`, 'other', A)).rejects.toThrow(/issued for domain shared/);
    await expect(auth.authenticate('Bearer not.a.token', 'shared', A)).rejects.toThrow(/malformed|invalid/);
    await expect(auth.authenticate('Digest abc', 'shared', A)).rejects.toThrow(/Unsupported authorization scheme/);
  });
});
