// Domain and repository permission policies, and resource tags.
import { notFound, validation } from '../../errors.js';
import { check, parseResourceArn } from '../../core/names.js';
import { decodePatternFromArn } from '../../core/package-group-pattern.js';
import { parsePolicy, PolicyValidationError } from '../../auth/policy.js';
import { authorizedInRun, body, op, type Operation, type PreInput } from '../operation.js';
import { domainFor, ownerOf, repoNames, repositoryFor } from '../resolve.js';

const DOMAIN_Q = { domain: { required: true }, 'domain-owner': {} } as const;
const REPO_Q = { ...DOMAIN_Q, repository: { required: true } } as const;

/** Validates a resource policy before it is stored: grammar, known actions, size. */
function validPolicy(doc: string | undefined): string {
  if (doc === undefined)
    throw validation("1 validation error detected: Value null at 'policyDocument' failed to satisfy constraint: Member must not be null");
  check('policyDocument', 'policyDocument', doc);
  try {
    parsePolicy(doc, 'resource');
  } catch (e) {
    if (e instanceof PolicyValidationError) throw validation(`Invalid policy document: ${e.message}`);
    throw e;
  }
  return doc;
}

export const policyOps: Operation[] = [
  op({
    name: 'PutDomainPermissionsPolicy',
    method: 'PUT',
    path: '/v1/domain/permissions/policy',
    query: {},
    body: 'json',
    // CodeArtifact names the domain in the body: it is authorized in run, after the bounded read.
    authorize: authorizedInRun,
    async run(input) {
      const b = input.body;
      const name = check('domain', 'domain', body.str(b, 'domain', true)!);
      const owner = ownerOf(input, body.str(b, 'domainOwner'));
      const document = validPolicy(body.str(b, 'policyDocument', true));
      const d = await domainFor(input, 'codeartifact:PutDomainPermissionsPolicy', name, owner, {
        ignoreResourcePolicyOf: 'domain',
      });
      const policy = await input.svc.domains.putPolicy(d, null, input.svc.domains.domainArn(d), document, body.str(b, 'policyRevision'));
      return { policy };
    },
  }),
  {
    name: 'GetDomainPermissionsPolicy',
    method: 'GET',
    path: '/v1/domain/permissions/policy',
    query: DOMAIN_Q,
    body: 'none',
    async run(input) {
      const d = await domainFor(input, 'codeartifact:GetDomainPermissionsPolicy', input.q.domain as string, ownerOf(input));
      return { policy: await input.svc.domains.getPolicy(d, null, input.svc.domains.domainArn(d)) };
    },
  },
  {
    name: 'DeleteDomainPermissionsPolicy',
    method: 'DELETE',
    path: '/v1/domain/permissions/policy',
    query: { ...DOMAIN_Q, 'policy-revision': {} },
    body: 'none',
    async run(input) {
      const d = await domainFor(input, 'codeartifact:DeleteDomainPermissionsPolicy', input.q.domain as string, ownerOf(input));
      const policy = await input.svc.domains.deletePolicy(
        d,
        null,
        input.svc.domains.domainArn(d),
        input.q['policy-revision'] as string | undefined,
      );
      return { policy };
    },
  },
  op({
    name: 'PutRepositoryPermissionsPolicy',
    method: 'PUT',
    path: '/v1/repository/permissions/policy',
    query: REPO_Q,
    body: 'json',
    async authorize(input) {
      const n = repoNames(input);
      return { n, ...(await repositoryFor(input, 'codeartifact:PutRepositoryPermissionsPolicy', n, { ignoreResourcePolicyOf: 'repository' })) };
    },
    async run(input, { n, domain, repo }) {
      const document = validPolicy(body.str(input.body, 'policyDocument', true));
      const arn = input.svc.domains.repositoryArn(n.owner, n.domain, n.repository);
      const policy = await input.svc.domains.putPolicy(domain, repo.id, arn, document, body.str(input.body, 'policyRevision'));
      return { policy };
    },
  }),
  {
    name: 'GetRepositoryPermissionsPolicy',
    method: 'GET',
    path: '/v1/repository/permissions/policy',
    query: REPO_Q,
    body: 'none',
    async run(input) {
      const n = repoNames(input);
      const { domain, repo } = await repositoryFor(input, 'codeartifact:GetRepositoryPermissionsPolicy', n);
      return {
        policy: await input.svc.domains.getPolicy(domain, repo.id, input.svc.domains.repositoryArn(n.owner, n.domain, n.repository)),
      };
    },
  },
  {
    name: 'DeleteRepositoryPermissionsPolicy',
    method: 'DELETE',
    path: '/v1/repository/permissions/policies',
    query: { ...REPO_Q, 'policy-revision': {} },
    body: 'none',
    async run(input) {
      const n = repoNames(input);
      const { domain, repo } = await repositoryFor(input, 'codeartifact:DeleteRepositoryPermissionsPolicy', n);
      const policy = await input.svc.domains.deletePolicy(
        domain,
        repo.id,
        input.svc.domains.repositoryArn(n.owner, n.domain, n.repository),
        input.q['policy-revision'] as string | undefined,
      );
      return { policy };
    },
  },
  op({
    name: 'TagResource',
    method: 'POST',
    path: '/v1/tag',
    query: { resourceArn: { required: true } },
    body: 'json',
    authorize: (input) => taggable(input, 'codeartifact:TagResource'),
    async run(input, target) {
      const tags = body.tags(input.body, 'tags', true);
      await input.svc.domains.tagResource(target, tags);
      return {};
    },
  }),
  op({
    name: 'UntagResource',
    method: 'POST',
    path: '/v1/untag',
    query: { resourceArn: { required: true } },
    body: 'json',
    authorize: (input) => taggable(input, 'codeartifact:UntagResource'),
    async run(input, target) {
      await input.svc.domains.untagResource(target.arn, body.strList(input.body, 'tagKeys', true)!);
      return {};
    },
  }),
  op({
    name: 'ListTagsForResource',
    method: 'POST',
    path: '/v1/tags',
    query: { resourceArn: { required: true } },
    body: 'json',
    authorize: (input) => taggable(input, 'codeartifact:ListTagsForResource'),
    async run(input, target) {
      return { tags: await input.svc.domains.listTags(target.arn) };
    },
  }),
];

/** Domains, repositories and package groups are taggable; the ARN names which, and access is checked on it. */
async function taggable(input: PreInput, action: string) {
  const raw = check('resourceArn', 'resourceArn', input.q.resourceArn as string);
  const a = parseResourceArn(raw);
  if (!a) throw validation(`Invalid resource ARN ${raw}; tags apply to domain, repository and package-group ARNs.`);
  if (a.region !== input.svc.config.region) throw notFound(`Resource ${raw} not found in region ${input.svc.config.region}.`);
  if (a.type === 'domain') {
    const d = await domainFor(input, action, a.domain, a.owner);
    return { arn: raw, domainId: d.id, repositoryId: null };
  }
  if (a.type === 'package-group') {
    const pattern = decodePatternFromArn(a.encodedPattern);
    if (pattern === null) throw validation(`Invalid package-group ARN ${raw}: encode '*' as %2a, '$' as %24 and '%' as %25.`);
    const d = await domainFor(input, action, a.domain, a.owner, { resource: raw });
    const { group } = await input.svc.packages.groups.find(d, pattern);
    // The canonical ARN (the encoding is exact), so tags follow the group whatever spelling named it.
    return { arn: input.svc.packages.groups.arn(d, group.pattern.text), domainId: d.id, repositoryId: null };
  }
  const { domain, repo } = await repositoryFor(input, action, { domain: a.domain, repository: a.repository, owner: a.owner });
  return { arn: raw, domainId: domain.id, repositoryId: repo.id };
}
