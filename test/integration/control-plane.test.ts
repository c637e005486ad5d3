// Every foundation operation driven through the official AWS SDK, with the error each bad input gets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssociateExternalConnectionCommand,
  CreateDomainCommand,
  CreateRepositoryCommand,
  DeleteDomainCommand,
  DeleteDomainPermissionsPolicyCommand,
  DeleteRepositoryCommand,
  DeleteRepositoryPermissionsPolicyCommand,
  DescribeDomainCommand,
  DescribeRepositoryCommand,
  DisassociateExternalConnectionCommand,
  GetAuthorizationTokenCommand,
  GetDomainPermissionsPolicyCommand,
  GetRepositoryEndpointCommand,
  GetRepositoryPermissionsPolicyCommand,
  ListDomainsCommand,
  ListRepositoriesCommand,
  ListRepositoriesInDomainCommand,
  ListTagsForResourceCommand,
  PutDomainPermissionsPolicyCommand,
  PutRepositoryPermissionsPolicyCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateRepositoryCommand,
  paginateListRepositoriesInDomain,
  type CodeartifactClient,
} from '@aws-sdk/client-codeartifact';
import { failure } from '../support/versions.js';
import { startHoard, type TestHoard } from '../support/hoard.js';


const policy = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

describe('control plane through @aws-sdk/client-codeartifact', () => {
  let h: TestHoard;
  let sdk: CodeartifactClient;
  beforeAll(async () => {
    h = await startHoard();
    sdk = h.sdk();
  });
  afterAll(async () => h?.stop());

  it('creates, describes and lists domains', async () => {
    const created = await sdk.send(
      new CreateDomainCommand({ domain: 'acme', tags: [{ key: 'team', value: 'platform' }], encryptionKey: 'alias/hoard' }),
    );
    expect(created.domain).toMatchObject({
      name: 'acme',
      owner: h.accountId,
      arn: `arn:aws:codeartifact:us-east-1:${h.accountId}:domain/acme`,
      status: 'Active',
      repositoryCount: 0,
      assetSizeBytes: 0,
      encryptionKey: 'alias/hoard',
    });
    expect(created.domain?.createdTime).toBeInstanceOf(Date);
    expect(Math.abs(created.domain!.createdTime!.getTime() - Date.now())).toBeLessThan(60_000);
    const described = await sdk.send(new DescribeDomainCommand({ domain: 'acme', domainOwner: h.accountId }));
    expect(described.domain?.name).toBe('acme');
    await sdk.send(new CreateDomainCommand({ domain: 'beta' }));
    const listed = await sdk.send(new ListDomainsCommand({ maxResults: 1 }));
    expect(listed.domains?.map((d) => d.name)).toEqual(['acme']);
    const next = await sdk.send(new ListDomainsCommand({ maxResults: 1, nextToken: listed.nextToken }));
    expect(next.domains?.map((d) => d.name)).toEqual(['beta']);
    expect(next.nextToken).toBeUndefined();
  });

  it('refuses duplicate and malformed domains', async () => {
    expect(await failure(sdk.send(new CreateDomainCommand({ domain: 'acme' })))).toMatchObject({
      name: 'ConflictException',
      status: 409,
    });
    for (const bad of ['A', 'Upper', '-x', 'x-', '1abc', 'a'.repeat(51), 'has_underscore']) {
      const e = await failure(sdk.send(new CreateDomainCommand({ domain: bad })));
      expect(e, bad).toMatchObject({ name: 'ValidationException', status: 400 });
      expect(e.message).toMatch(/domain/);
    }
    expect(await failure(sdk.send(new DescribeDomainCommand({ domain: 'missing' })))).toMatchObject({
      name: 'ResourceNotFoundException',
      status: 404,
    });
    expect(await failure(sdk.send(new DescribeDomainCommand({ domain: 'acme', domainOwner: '12345' })))).toMatchObject({
      name: 'ValidationException',
    });
  });

  it('manages repositories with ordered upstreams', async () => {
    await sdk.send(new CreateRepositoryCommand({ domain: 'acme', repository: 'base', description: 'bottom' }));
    await sdk.send(new CreateRepositoryCommand({ domain: 'acme', repository: 'mid' }));
    const top = await sdk.send(
      new CreateRepositoryCommand({
        domain: 'acme',
        repository: 'top',
        upstreams: [{ repositoryName: 'mid' }, { repositoryName: 'base' }],
        tags: [{ key: 'tier', value: 'top' }],
      }),
    );
    expect(top.repository).toMatchObject({
      name: 'top',
      domainName: 'acme',
      domainOwner: h.accountId,
      administratorAccount: h.accountId,
      arn: `arn:aws:codeartifact:us-east-1:${h.accountId}:repository/acme/top`,
      upstreams: [{ repositoryName: 'mid' }, { repositoryName: 'base' }],
      externalConnections: [],
    });
    const upd = await sdk.send(
      new UpdateRepositoryCommand({ domain: 'acme', repository: 'mid', description: 'middle', upstreams: [{ repositoryName: 'base' }] }),
    );
    expect(upd.repository).toMatchObject({ description: 'middle', upstreams: [{ repositoryName: 'base' }] });
    const d = await sdk.send(new DescribeRepositoryCommand({ domain: 'acme', repository: 'base' }));
    expect(d.repository?.description).toBe('bottom');
    const inDomain = await sdk.send(new ListRepositoriesInDomainCommand({ domain: 'acme' }));
    expect(inDomain.repositories?.map((r) => r.name)).toEqual(['base', 'mid', 'top']);
    const prefixed = await sdk.send(new ListRepositoriesCommand({ repositoryPrefix: 'mi' }));
    expect(prefixed.repositories?.map((r) => r.name)).toEqual(['mid']);
    const pages: string[][] = [];
    for await (const page of paginateListRepositoriesInDomain({ client: sdk, pageSize: 2 }, { domain: 'acme' }))
      pages.push(page.repositories!.map((r) => r.name!));
    expect(pages).toEqual([['base', 'mid'], ['top']]);
    const dd = await sdk.send(new DescribeDomainCommand({ domain: 'acme' }));
    expect(dd.domain?.repositoryCount).toBe(3);
  });

  it('refuses bad repository changes with the errors AWS gives', async () => {
    const cases: [() => Promise<unknown>, string][] = [
      [() => sdk.send(new CreateRepositoryCommand({ domain: 'acme', repository: 'base' })), 'ConflictException'],
      [() => sdk.send(new CreateRepositoryCommand({ domain: 'acme', repository: '-bad' })), 'ValidationException'],
      [() => sdk.send(new CreateRepositoryCommand({ domain: 'acme', repository: 'x' })), 'ValidationException'],
      [() => sdk.send(new CreateRepositoryCommand({ domain: 'nodomain', repository: 'abc' })), 'ResourceNotFoundException'],
      [
        () => sdk.send(new CreateRepositoryCommand({ domain: 'acme', repository: 'orphan', upstreams: [{ repositoryName: 'ghost' }] })),
        'ResourceNotFoundException',
      ],
      // base <- mid <- top: making base depend on top closes a cycle
      [() => sdk.send(new UpdateRepositoryCommand({ domain: 'acme', repository: 'base', upstreams: [{ repositoryName: 'top' }] })), 'ValidationException'],
      [() => sdk.send(new UpdateRepositoryCommand({ domain: 'acme', repository: 'base', upstreams: [{ repositoryName: 'base' }] })), 'ValidationException'],
      [() => sdk.send(new DescribeRepositoryCommand({ domain: 'acme', repository: 'ghost' })), 'ResourceNotFoundException'],
      // base is an upstream of mid: deleting it would break mid
      [() => sdk.send(new DeleteRepositoryCommand({ domain: 'acme', repository: 'base' })), 'ConflictException'],
      // a domain with repositories cannot be deleted
      [() => sdk.send(new DeleteDomainCommand({ domain: 'acme' })), 'ConflictException'],
      [() => sdk.send(new CreateRepositoryCommand({ domain: 'acme', repository: 'long', description: 'd'.repeat(1001) })), 'ValidationException'],
    ];
    for (const [p, name] of cases) expect((await failure(p())).name).toBe(name);
    // Nothing half-made: the refused repository does not exist.
    expect((await failure(sdk.send(new DescribeRepositoryCommand({ domain: 'acme', repository: 'orphan' })))).name).toBe(
      'ResourceNotFoundException',
    );
    const ups = await sdk.send(new DescribeRepositoryCommand({ domain: 'acme', repository: 'base' }));
    expect(ups.repository?.upstreams).toEqual([]);
    const many = Array.from({ length: 11 }, (_, i) => ({ repositoryName: `r${i}x` }));
    expect((await failure(sdk.send(new UpdateRepositoryCommand({ domain: 'acme', repository: 'top', upstreams: many })))).name).toBe(
      'ValidationException',
    );
  });

  it('returns endpoints in the single-host path form and issues tokens', async () => {
    for (const format of ['npm', 'pypi', 'maven', 'generic'] as const) {
      const r = await sdk.send(new GetRepositoryEndpointCommand({ domain: 'acme', repository: 'top', format }));
      expect(r.repositoryEndpoint).toBe(`${h.url}/${format}/d/acme-${h.accountId}/top/`);
    }
    expect((await failure(sdk.send(new GetRepositoryEndpointCommand({ domain: 'acme', repository: 'top', format: 'bogus' as 'npm' })))).name).toBe(
      'ValidationException',
    );
    const t = await sdk.send(new GetAuthorizationTokenCommand({ domain: 'acme' }));
    expect(t.authorizationToken).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(Math.round((t.expiration!.getTime() - Date.now()) / 1000)).toBeGreaterThan(43200 - 60);
    const short = await sdk.send(new GetAuthorizationTokenCommand({ domain: 'acme', durationSeconds: 900 }));
    expect(Math.round((short.expiration!.getTime() - Date.now()) / 1000)).toBeLessThanOrEqual(900);
    for (const bad of [1, 899, 43201])
      expect((await failure(sdk.send(new GetAuthorizationTokenCommand({ domain: 'acme', durationSeconds: bad })))).name, String(bad)).toBe(
        'ValidationException',
      );
    expect((await failure(sdk.send(new GetAuthorizationTokenCommand({ domain: 'nope' })))).name).toBe('ResourceNotFoundException');
  });

  it('associates one external connection per repository', async () => {
    const r = await sdk.send(
      new AssociateExternalConnectionCommand({ domain: 'acme', repository: 'base', externalConnection: 'public:npmjs' }),
    );
    expect(r.repository?.externalConnections).toEqual([
      { externalConnectionName: 'public:npmjs', packageFormat: 'npm', status: 'Available' },
    ]);
    expect(
      await failure(sdk.send(new AssociateExternalConnectionCommand({ domain: 'acme', repository: 'base', externalConnection: 'public:pypi' }))),
    ).toMatchObject({ name: 'ServiceQuotaExceededException', status: 402 });
    expect(
      (await failure(sdk.send(new AssociateExternalConnectionCommand({ domain: 'acme', repository: 'mid', externalConnection: 'public:nope' })))).name,
    ).toBe('ValidationException');
    const gone = await sdk.send(
      new DisassociateExternalConnectionCommand({ domain: 'acme', repository: 'base', externalConnection: 'public:npmjs' }),
    );
    expect(gone.repository?.externalConnections).toEqual([]);
    expect(
      (await failure(sdk.send(new DisassociateExternalConnectionCommand({ domain: 'acme', repository: 'base', externalConnection: 'public:npmjs' })))).name,
    ).toBe('ResourceNotFoundException');
  });

  it('puts, gets and deletes permission policies with revision checks', async () => {
    const doc = policy([
      { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'codeartifact:GetAuthorizationToken', Resource: '*' },
    ]);
    expect((await failure(sdk.send(new GetDomainPermissionsPolicyCommand({ domain: 'acme' })))).name).toBe('ResourceNotFoundException');
    const put = await sdk.send(new PutDomainPermissionsPolicyCommand({ domain: 'acme', policyDocument: doc }));
    expect(put.policy).toMatchObject({ resourceArn: `arn:aws:codeartifact:us-east-1:${h.accountId}:domain/acme`, document: doc });
    const rev = put.policy!.revision!;
    expect((await sdk.send(new GetDomainPermissionsPolicyCommand({ domain: 'acme' }))).policy?.revision).toBe(rev);
    // A stale revision is a conflict; the current one replaces the policy.
    expect((await failure(sdk.send(new PutDomainPermissionsPolicyCommand({ domain: 'acme', policyDocument: doc, policyRevision: 'stale' })))).name).toBe(
      'ConflictException',
    );
    const put2 = await sdk.send(new PutDomainPermissionsPolicyCommand({ domain: 'acme', policyDocument: doc, policyRevision: rev }));
    expect(put2.policy?.revision).not.toBe(rev);
    expect((await failure(sdk.send(new DeleteDomainPermissionsPolicyCommand({ domain: 'acme', policyRevision: rev })))).name).toBe(
      'ConflictException',
    );
    const del = await sdk.send(new DeleteDomainPermissionsPolicyCommand({ domain: 'acme', policyRevision: put2.policy!.revision }));
    expect(del.policy?.document).toBe(doc);

    const repoDoc = policy([{ Effect: 'Allow', Principal: '*', Action: 'codeartifact:ReadFromRepository', Resource: '*' }]);
    const rp = await sdk.send(new PutRepositoryPermissionsPolicyCommand({ domain: 'acme', repository: 'top', policyDocument: repoDoc }));
    expect(rp.policy?.resourceArn).toBe(`arn:aws:codeartifact:us-east-1:${h.accountId}:repository/acme/top`);
    expect((await sdk.send(new GetRepositoryPermissionsPolicyCommand({ domain: 'acme', repository: 'top' }))).policy?.document).toBe(repoDoc);
    await sdk.send(new DeleteRepositoryPermissionsPolicyCommand({ domain: 'acme', repository: 'top' }));
    expect((await failure(sdk.send(new GetRepositoryPermissionsPolicyCommand({ domain: 'acme', repository: 'top' })))).name).toBe(
      'ResourceNotFoundException',
    );
  });

  it('rejects malformed, unknown-action and oversize policies with ValidationException', async () => {
    const bad = [
      '{not json',
      '[]',
      policy([{ Effect: 'Allow', Principal: '*', Action: 'codeartifact:ReadFromRepo', Resource: '*' }]),
      policy([{ Effect: 'Maybe', Principal: '*', Action: 'codeartifact:*', Resource: '*' }]),
      policy([{ Effect: 'Allow', Action: 'codeartifact:*', Resource: '*' }]), // resource policy without Principal
      policy([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' }]),
      policy(
        Array.from({ length: 80 }, (_, i) => ({
          Sid: `S${i}`,
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::444455556666:root' },
          Action: 'codeartifact:ReadFromRepository',
          Resource: '*',
        })),
      ),
    ];
    for (const doc of bad) {
      const e = await failure(sdk.send(new PutRepositoryPermissionsPolicyCommand({ domain: 'acme', repository: 'top', policyDocument: doc })));
      expect(e.name, doc.slice(0, 60)).toBe('ValidationException');
      expect(e.message.length).toBeGreaterThan(10);
    }
  });

  it('tags domains and repositories', async () => {
    const domainArn = `arn:aws:codeartifact:us-east-1:${h.accountId}:domain/acme`;
    const repoArn = `arn:aws:codeartifact:us-east-1:${h.accountId}:repository/acme/top`;
    expect((await sdk.send(new ListTagsForResourceCommand({ resourceArn: domainArn }))).tags).toEqual([{ key: 'team', value: 'platform' }]);
    await sdk.send(new TagResourceCommand({ resourceArn: repoArn, tags: [{ key: 'env', value: 'prod' }, { key: 'tier', value: 'gold' }] }));
    expect((await sdk.send(new ListTagsForResourceCommand({ resourceArn: repoArn }))).tags).toEqual([
      { key: 'env', value: 'prod' },
      { key: 'tier', value: 'gold' },
    ]);
    await sdk.send(new UntagResourceCommand({ resourceArn: repoArn, tagKeys: ['env'] }));
    expect((await sdk.send(new ListTagsForResourceCommand({ resourceArn: repoArn }))).tags).toEqual([{ key: 'tier', value: 'gold' }]);
    expect((await failure(sdk.send(new ListTagsForResourceCommand({ resourceArn: 'arn:aws:s3:::bucket' })))).name).toBe('ValidationException');
    expect(
      (await failure(sdk.send(new ListTagsForResourceCommand({ resourceArn: `arn:aws:codeartifact:us-east-1:${h.accountId}:repository/acme/none` })))).name,
    ).toBe('ResourceNotFoundException');
  });

  it('deletes repositories and then the empty domain', async () => {
    await sdk.send(new DeleteRepositoryCommand({ domain: 'acme', repository: 'top' }));
    await sdk.send(new DeleteRepositoryCommand({ domain: 'acme', repository: 'mid' }));
    const gone = await sdk.send(new DeleteRepositoryCommand({ domain: 'acme', repository: 'base' }));
    expect(gone.repository?.name).toBe('base');
    const d = await sdk.send(new DeleteDomainCommand({ domain: 'acme' }));
    expect(d.domain).toMatchObject({ name: 'acme', repositoryCount: 0 });
    expect((await failure(sdk.send(new DescribeDomainCommand({ domain: 'acme' })))).name).toBe('ResourceNotFoundException');
  });
});
