// What another account learns from a refusal: one AccessDenied for "not found" and "denied" alike,
// naming no policy statement, on the control plane and on the package-manager faces; the owner
// account keeps its explanatory messages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateDomainCommand,
  CreateRepositoryCommand,
  DescribeDomainCommand,
  DescribeRepositoryCommand,
  GetAuthorizationTokenCommand,
  PutDomainPermissionsPolicyCommand,
  PutRepositoryPermissionsPolicyCommand,
  type CodeartifactClient,
} from '@aws-sdk/client-codeartifact';
import { failure } from '../support/versions.js';
import { startHoard, type TestHoard } from '../support/hoard.js';

const policy = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const A = '111122223333';
const B = '444455556666';

describe('refusals seen by another account', () => {
  let h: TestHoard;
  let b: CodeartifactClient;
  let bToken: string;

  beforeAll(async () => {
    h = await startHoard();
    const root = h.sdk();
    for (const domain of ['open', 'closed', 'guarded']) await root.send(new CreateDomainCommand({ domain }));
    await root.send(new CreateRepositoryCommand({ domain: 'open', repository: 'libs' }));
    await root.send(new CreateRepositoryCommand({ domain: 'open', repository: 'walled' }));
    const acct = await h.server.services.identity.createAccount(B);
    b = h.sdk({ accessKeyId: acct.accessKeyId, secretAccessKey: acct.secretAccessKey });
    // `open` admits B; `guarded` denies B by a named statement; `closed` says nothing about B.
    await root.send(
      new PutDomainPermissionsPolicyCommand({
        domain: 'open',
        policyDocument: policy([{ Effect: 'Allow', Principal: { AWS: B }, Action: ['codeartifact:GetAuthorizationToken', 'codeartifact:DescribeDomain'], Resource: '*' }]),
      }),
    );
    await root.send(
      new PutDomainPermissionsPolicyCommand({
        domain: 'guarded',
        policyDocument: policy([{ Sid: 'KeepOutB', Effect: 'Deny', Principal: { AWS: B }, Action: 'codeartifact:*', Resource: '*' }]),
      }),
    );
    await root.send(
      new PutRepositoryPermissionsPolicyCommand({
        domain: 'open',
        repository: 'libs',
        policyDocument: policy([{ Effect: 'Allow', Principal: { AWS: B }, Action: 'codeartifact:DescribeRepository', Resource: '*' }]),
      }),
    );
    await root.send(
      new PutRepositoryPermissionsPolicyCommand({
        domain: 'open',
        repository: 'walled',
        policyDocument: policy([{ Sid: 'WallB', Effect: 'Deny', Principal: { AWS: B }, Action: 'codeartifact:*', Resource: '*' }]),
      }),
    );
    bToken = (await b.send(new GetAuthorizationTokenCommand({ domain: 'open', domainOwner: A }))).authorizationToken!;
  });
  afterAll(async () => h?.stop());

  /** The message with the caller-chosen name replaced, so refusals about different names compare. */
  const norm = (message: string, name: string) => message.split(name).join('NAME');

  it('DescribeDomain: a missing domain, a domain without a grant and a domain with a Deny read the same', async () => {
    const messages: string[] = [];
    for (const domain of ['nonexistent', 'closed', 'guarded']) {
      const e = await failure(b.send(new DescribeDomainCommand({ domain, domainOwner: A })));
      expect(e).toMatchObject({ name: 'AccessDeniedException', status: 403 });
      messages.push(norm(e.message, domain));
    }
    expect(new Set(messages).size).toBe(1);
    expect(messages[0]).toBe(
      `User: arn:aws:iam::${B}:root is not authorized to perform: codeartifact:DescribeDomain on resource: arn:aws:codeartifact:us-east-1:${A}:domain/NAME`,
    );
    expect(messages[0]).not.toContain('KeepOutB');
    expect(messages[0]).not.toContain('because');
  });

  it('DescribeRepository: a missing repository and a denied one read the same', async () => {
    expect((await b.send(new DescribeRepositoryCommand({ domain: 'open', domainOwner: A, repository: 'libs' }))).repository?.name).toBe('libs');
    const messages: string[] = [];
    for (const repository of ['nowhere', 'walled']) {
      const e = await failure(b.send(new DescribeRepositoryCommand({ domain: 'open', domainOwner: A, repository })));
      expect(e).toMatchObject({ name: 'AccessDeniedException', status: 403 });
      messages.push(norm(e.message, repository));
    }
    expect(messages[0]).toBe(messages[1]);
    expect(messages[0]).not.toContain('WallB');
  });

  it('the owner account keeps its explanations (statement ids, not found)', async () => {
    await h.server.services.identity.createUser(A, 'carol');
    const k = await h.server.services.identity.createAccessKey(A, 'carol');
    await h.server.services.identity.putUserPolicy(A, 'carol', policy([{ Effect: 'Allow', Action: 'codeartifact:*', Resource: '*' }]));
    await h.sdk().send(
      new PutRepositoryPermissionsPolicyCommand({
        domain: 'open',
        repository: 'walled',
        policyDocument: policy([{ Sid: 'WallCarol', Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${A}:user/carol` }, Action: 'codeartifact:*', Resource: '*' }]),
      }),
    );
    const carol = h.sdk({ accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey });
    const denied = await failure(carol.send(new DescribeRepositoryCommand({ domain: 'open', repository: 'walled' })));
    expect(denied.message).toContain('because explicit deny in repository policy statement "WallCarol"');
    expect(await failure(carol.send(new DescribeDomainCommand({ domain: 'nonexistent' })))).toMatchObject({
      name: 'ResourceNotFoundException',
      status: 404,
    });
    // Put B's Deny back for the next test.
    await h.sdk().send(
      new PutRepositoryPermissionsPolicyCommand({
        domain: 'open',
        repository: 'walled',
        policyDocument: policy([{ Sid: 'WallB', Effect: 'Deny', Principal: { AWS: B }, Action: 'codeartifact:*', Resource: '*' }]),
      }),
    );
  });

  it('npm, PyPI and Maven faces: a missing repository and a denied one read the same to another account', async () => {
    const get = (format: string, repo: string, p: string, auth: string) =>
      fetch(`${h.url}/${format}/d/open-${A}/${repo}/${p}`, { headers: { authorization: auth } });
    const basic = `Basic ${Buffer.from(`aws:${bToken}`).toString('base64')}`;
    const faces: [string, string, string, (r: Response) => Promise<string>][] = [
      ['npm', 'left-pad', `Bearer ${bToken}`, async (r) => ((await r.json()) as { error: string }).error],
      ['pypi', 'simple/', basic, async (r) => r.text()],
      ['maven', 'com/acme/app/maven-metadata.xml', basic, async (r) => ((await r.json()) as { detail: string }).detail],
    ];
    for (const [format, p, auth, message] of faces) {
      const walled = await get(format, 'walled', p, auth);
      const missing = await get(format, 'nowhere', p, auth);
      expect([format, walled.status, missing.status]).toEqual([format, 403, 403]);
      const [mw, mm] = [norm(await message(walled), 'walled'), norm(await message(missing), 'nowhere')];
      expect(mw).toBe(mm);
      expect(mw).toContain(`arn:aws:iam::${B}:root is not authorized`);
      expect(mw).not.toContain('WallB');
    }
  });
});
