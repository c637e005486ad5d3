// Every resource a request touches is authorized against its own policy, not only the one in its
// URL: an upstream being associated (CreateRepository, UpdateRepository), a copy's source and
// destination. Driven through the SDK and the npm face.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CopyPackageVersionsCommand,
  CreateDomainCommand,
  CreateRepositoryCommand,
  DescribeRepositoryCommand,
  GetAuthorizationTokenCommand,
  PutRepositoryPermissionsPolicyCommand,
  UpdateRepositoryCommand,
} from '@aws-sdk/client-codeartifact';
import { failure } from '../support/versions.js';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { makeTgz, publishBody } from './npm-support.js';

const policy = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const A = '111122223333';

describe('second resources are authorized against their own policies', () => {
  let h: TestHoard;
  let user: { accessKeyId: string; secretAccessKey: string };
  let userToken: string;
  const npm = (repo: string, p: string, token: string, init: RequestInit = {}) =>
    fetch(`${h.url}/npm/d/acme-${A}/${repo}/${p}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
    });

  beforeAll(async () => {
    h = await startHoard();
    const root = h.sdk();
    await root.send(new CreateDomainCommand({ domain: 'acme' }));
    for (const repository of ['secret', 'mine', 'open', 'target']) await root.send(new CreateRepositoryCommand({ domain: 'acme', repository }));
    // A package only `secret` holds, published by the root over npm.
    const rootToken = (await root.send(new GetAuthorizationTokenCommand({ domain: 'acme' }))).authorizationToken!;
    const pj = { name: 'topsecret', version: '1.0.0' };
    expect((await npm('secret', 'topsecret', rootToken, { method: 'PUT', body: JSON.stringify(publishBody(pj, await makeTgz(pj))) })).status).toBe(201);
    const pk = { name: 'public-thing', version: '1.0.0' };
    expect((await npm('open', 'public-thing', rootToken, { method: 'PUT', body: JSON.stringify(publishBody(pk, await makeTgz(pk))) })).status).toBe(201);

    // The user may do everything everywhere by its identity policy...
    const identity = h.server.services.identity;
    await identity.createUser(A, 'u');
    const key = await identity.createAccessKey(A, 'u');
    user = { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
    await identity.putUserPolicy(A, 'u', policy([{ Effect: 'Allow', Action: ['codeartifact:*', 'sts:GetServiceBearerToken'], Resource: '*' }]));
    // ...except on `secret`, whose policy denies it everything.
    await root.send(
      new PutRepositoryPermissionsPolicyCommand({
        domain: 'acme',
        repository: 'secret',
        policyDocument: policy([{ Sid: 'NotU', Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${A}:user/u` }, Action: 'codeartifact:*', Resource: '*' }]),
      }),
    );
    userToken = (await h.sdk(user).send(new GetAuthorizationTokenCommand({ domain: 'acme' }))).authorizationToken!;
  });
  afterAll(async () => h?.stop());

  it('the Deny holds on the repository itself', async () => {
    expect(await failure(h.sdk(user).send(new DescribeRepositoryCommand({ domain: 'acme', repository: 'secret' })))).toMatchObject({
      name: 'AccessDeniedException',
      status: 403,
    });
    expect((await npm('secret', 'topsecret', userToken)).status).toBe(403);
  });

  it('UpdateRepository cannot add a denied repository as an upstream, so nothing of it is readable downstream', async () => {
    const e = await failure(
      h.sdk(user).send(new UpdateRepositoryCommand({ domain: 'acme', repository: 'mine', upstreams: [{ repositoryName: 'secret' }] })),
    );
    expect(e).toMatchObject({ name: 'AccessDeniedException', status: 403 });
    expect(e.message).toContain('codeartifact:AssociateWithDownstreamRepository');
    expect(e.message).toContain(`repository/acme/secret`);
    const mine = await h.sdk().send(new DescribeRepositoryCommand({ domain: 'acme', repository: 'mine' }));
    expect(mine.repository?.upstreams ?? []).toEqual([]);
    // The packument and the tarball stay out of reach through `mine`.
    expect((await npm('mine', 'topsecret', userToken)).status).toBe(404);
    expect((await npm('mine', 'topsecret/-/topsecret-1.0.0.tgz', userToken)).status).toBe(404);
  });

  it('CreateRepository cannot name a denied repository as an upstream either', async () => {
    const e = await failure(
      h.sdk(user).send(new CreateRepositoryCommand({ domain: 'acme', repository: 'sneaky', upstreams: [{ repositoryName: 'secret' }] })),
    );
    expect(e).toMatchObject({ name: 'AccessDeniedException', status: 403 });
    expect(e.message).toContain('codeartifact:AssociateWithDownstreamRepository');
    expect((await failure(h.sdk().send(new DescribeRepositoryCommand({ domain: 'acme', repository: 'sneaky' })))).name).toBe(
      'ResourceNotFoundException',
    );
  });

  it('an upstream the user may associate still works, and a missing one is a 404', async () => {
    const r = await h.sdk(user).send(new UpdateRepositoryCommand({ domain: 'acme', repository: 'mine', upstreams: [{ repositoryName: 'open' }] }));
    expect(r.repository?.upstreams?.map((u) => u.repositoryName)).toEqual(['open']);
    expect((await npm('mine', 'public-thing', userToken)).status).toBe(200);
    const missing = await failure(
      h.sdk(user).send(new UpdateRepositoryCommand({ domain: 'acme', repository: 'mine', upstreams: [{ repositoryName: 'nowhere' }] })),
    );
    expect(missing).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
  });

  it('the root, whom the Deny does not name, may still chain `secret`', async () => {
    const r = await h.sdk().send(new CreateRepositoryCommand({ domain: 'acme', repository: 'chained', upstreams: [{ repositoryName: 'secret' }] }));
    expect(r.repository?.upstreams?.map((u) => u.repositoryName)).toEqual(['secret']);
  });

  it('CopyPackageVersions checks the source and the destination against their own policies', async () => {
    // Source denied: reading `secret` is refused even though CopyPackageVersions on `target` is allowed.
    const fromSecret = await failure(
      h.sdk(user).send(
        new CopyPackageVersionsCommand({
          domain: 'acme',
          sourceRepository: 'secret',
          destinationRepository: 'target',
          format: 'npm',
          package: 'topsecret',
          versions: ['1.0.0'],
        }),
      ),
    );
    expect(fromSecret).toMatchObject({ name: 'AccessDeniedException', status: 403 });
    expect(fromSecret.message).toContain('codeartifact:ReadFromRepository');
    // Destination denied: copying into `secret` is refused.
    const intoSecret = await failure(
      h.sdk(user).send(
        new CopyPackageVersionsCommand({
          domain: 'acme',
          sourceRepository: 'open',
          destinationRepository: 'secret',
          format: 'npm',
          package: 'public-thing',
          versions: ['1.0.0'],
        }),
      ),
    );
    expect(intoSecret).toMatchObject({ name: 'AccessDeniedException', status: 403 });
    expect(intoSecret.message).toContain('codeartifact:CopyPackageVersions');
    // Neither denied: the copy goes through.
    const ok = await h.sdk(user).send(
      new CopyPackageVersionsCommand({
        domain: 'acme',
        sourceRepository: 'open',
        destinationRepository: 'target',
        format: 'npm',
        package: 'public-thing',
        versions: ['1.0.0'],
      }),
    );
    expect(Object.keys(ok.successfulVersions ?? {})).toEqual(['1.0.0']);
  });
});
