// Repository operations: create, describe, update, delete, list, endpoints, external connections.
import { validation } from '../../errors.js';
import { check, checkFormat, repositoryEndpoint } from '../../core/names.js';
import { checkUpstreamList } from '../../core/domain-model.js';
import { body, op, type OpInput, type Operation, type PreInput } from '../operation.js';
import { domainFor, ownerOf, repoNames, repositoryFor } from '../resolve.js';

const REPO_Q = { domain: { required: true }, 'domain-owner': {}, repository: { required: true } } as const;
const PAGE_Q = { 'max-results': { type: 'int', min: 1, max: 1000 }, 'next-token': {} } as const;

/**
 * Adding a repository as an upstream needs AssociateWithDownstreamRepository on that upstream,
 * evaluated against the upstream repository itself: its own policy (and any Deny in it) counts,
 * and an upstream that does not exist is refused before it is reported missing.
 */
async function checkUpstreamGrants(input: OpInput, n: { domain: string; owner: string; repository: string }, upstreams: string[] | undefined) {
  const { domain, owner } = n;
  checkUpstreamList(upstreams ?? [], n.repository);
  for (const u of upstreams ?? []) {
    await repositoryFor(input, 'codeartifact:AssociateWithDownstreamRepository', { domain, owner, repository: u });
  }
}

function page(q: PreInput['q']) {
  const token = q['next-token'] as string | undefined;
  if (token !== undefined) check('nextToken', 'nextToken', token);
  return { max: (q['max-results'] as number | undefined) ?? 100, token };
}

export const repositoryOps: Operation[] = [
  op({
    name: 'CreateRepository',
    method: 'POST',
    path: '/v1/repository',
    query: REPO_Q,
    body: 'json',
    async authorize(input) {
      const n = repoNames(input);
      check('repository', 'repository', n.repository);
      return { n, d: await domainFor(input, 'codeartifact:CreateRepository', n.domain, n.owner) };
    },
    async run(input, { n, d }) {
      const upstreams = body.upstreams(input.body, 'upstreams');
      await checkUpstreamGrants(input, n, upstreams);
      const repository = await input.svc.domains.createRepository(d, n.repository, input.caller.accountId, {
        description: body.str(input.body, 'description'),
        upstreams,
        tags: body.tags(input.body, 'tags'),
      });
      return { repository };
    },
  }),
  {
    name: 'DescribeRepository',
    method: 'GET',
    path: '/v1/repository',
    query: REPO_Q,
    body: 'none',
    async run(input) {
      const n = repoNames(input);
      const { domain } = await repositoryFor(input, 'codeartifact:DescribeRepository', n);
      return { repository: await input.svc.domains.describeRepository(domain, n.repository) };
    },
  },
  op({
    name: 'UpdateRepository',
    method: 'PUT',
    path: '/v1/repository',
    query: REPO_Q,
    body: 'json',
    async authorize(input) {
      const n = repoNames(input);
      return { n, ...(await repositoryFor(input, 'codeartifact:UpdateRepository', n)) };
    },
    async run(input, { n, domain }) {
      const upstreams = body.upstreams(input.body, 'upstreams');
      await checkUpstreamGrants(input, n, upstreams);
      const repository = await input.svc.domains.updateRepository(domain, n.repository, {
        description: body.str(input.body, 'description'),
        upstreams,
      });
      return { repository };
    },
  }),
  {
    name: 'DeleteRepository',
    method: 'DELETE',
    path: '/v1/repository',
    query: REPO_Q,
    body: 'none',
    async run(input) {
      const n = repoNames(input);
      const { domain } = await repositoryFor(input, 'codeartifact:DeleteRepository', n);
      return { repository: await input.svc.domains.deleteRepository(domain, n.repository) };
    },
  },
  op({
    name: 'ListRepositories',
    method: 'POST',
    path: '/v1/repositories',
    query: { 'repository-prefix': {}, ...PAGE_Q },
    body: 'json',
    async authorize({ svc, caller }) {
      await svc.access.require(caller, 'codeartifact:ListRepositories', { scope: 'global', owner: caller.accountId, resource: '*' });
    },
    async run({ svc, caller, q }) {
      const p = page(q);
      const r = await svc.domains.listRepositories(
        { administrator: caller.accountId, prefix: q['repository-prefix'] as string | undefined },
        p.max,
        p.token,
      );
      return { repositories: r.items, nextToken: r.nextToken };
    },
  }),
  op({
    name: 'ListRepositoriesInDomain',
    method: 'POST',
    path: '/v1/domain/repositories',
    query: { domain: { required: true }, 'domain-owner': {}, 'administrator-account': {}, 'repository-prefix': {}, ...PAGE_Q },
    body: 'json',
    authorize: (input) => domainFor(input, 'codeartifact:ListRepositoriesInDomain', input.q.domain as string, ownerOf(input)),
    async run({ q, svc }, d) {
      const admin = q['administrator-account'] as string | undefined;
      if (admin !== undefined) check('accountId', 'administratorAccount', admin);
      const p = page(q);
      const r = await svc.domains.listRepositories(
        { domain: d, administrator: admin, prefix: q['repository-prefix'] as string | undefined },
        p.max,
        p.token,
      );
      return { repositories: r.items, nextToken: r.nextToken };
    },
  }),
  {
    name: 'GetRepositoryEndpoint',
    method: 'GET',
    path: '/v1/repository/endpoint',
    query: { ...REPO_Q, format: { required: true }, endpointType: {} },
    body: 'none',
    async run(input) {
      const n = repoNames(input);
      const format = checkFormat('format', input.q.format as string);
      const endpointType = input.q.endpointType as string | undefined;
      if (endpointType !== undefined && endpointType !== 'ipv4' && endpointType !== 'dualstack')
        throw validation(`Unknown endpointType ${endpointType}; use ipv4 or dualstack.`);
      await repositoryFor(input, 'codeartifact:GetRepositoryEndpoint', n);
      return { repositoryEndpoint: repositoryEndpoint(input.svc.config.publicUrl, format, n.domain, n.owner, n.repository) };
    },
  },
  op({
    name: 'AssociateExternalConnection',
    method: 'POST',
    path: '/v1/repository/external-connection',
    query: { ...REPO_Q, 'external-connection': { required: true } },
    body: 'json',
    authorize: (input) => repositoryFor(input, 'codeartifact:AssociateExternalConnection', repoNames(input)),
    async run(input, { domain, repo }) {
      const repository = await input.svc.domains.associateExternalConnection(
        domain,
        repo.name,
        input.q['external-connection'] as string,
      );
      return { repository };
    },
  }),
  {
    name: 'DisassociateExternalConnection',
    method: 'DELETE',
    path: '/v1/repository/external-connection',
    query: { ...REPO_Q, 'external-connection': { required: true } },
    body: 'none',
    async run(input) {
      const n = repoNames(input);
      const { domain } = await repositoryFor(input, 'codeartifact:DisassociateExternalConnection', n);
      const repository = await input.svc.domains.disassociateExternalConnection(
        domain,
        n.repository,
        input.q['external-connection'] as string,
      );
      return { repository };
    },
  },
];
