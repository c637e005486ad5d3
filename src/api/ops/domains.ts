// Domain operations, GetAuthorizationToken and ListDomains.
import { validation } from '../../errors.js';
import { check } from '../../core/names.js';
import { body, op, type Operation } from '../operation.js';
import { domainFor, ownerOf } from '../resolve.js';

const DOMAIN_Q = { domain: { required: true }, 'domain-owner': {} } as const;

export const domainOps: Operation[] = [
  op({
    name: 'CreateDomain',
    method: 'POST',
    path: '/v1/domain',
    query: { domain: { required: true } },
    body: 'json',
    async authorize({ svc, caller, q }) {
      const name = check('domain', 'domain', q.domain as string);
      const owner = caller.accountId;
      await svc.access.require(caller, 'codeartifact:CreateDomain', {
        scope: 'domain',
        owner,
        resource: svc.domains.domainArn({ owner, name }),
      });
      return { owner, name };
    },
    async run({ svc, body: b }, { owner, name }) {
      const domain = await svc.domains.createDomain(owner, name, body.str(b, 'encryptionKey'), body.tags(b, 'tags'));
      return { domain };
    },
  }),
  {
    name: 'DescribeDomain',
    method: 'GET',
    path: '/v1/domain',
    query: DOMAIN_Q,
    body: 'none',
    async run(input) {
      const d = await domainFor(input, 'codeartifact:DescribeDomain', input.q.domain as string, ownerOf(input));
      return { domain: await input.svc.domains.describeDomain(d) };
    },
  },
  {
    name: 'DeleteDomain',
    method: 'DELETE',
    path: '/v1/domain',
    query: DOMAIN_Q,
    body: 'none',
    async run(input) {
      const d = await domainFor(input, 'codeartifact:DeleteDomain', input.q.domain as string, ownerOf(input));
      const { domain, orphanedBlobs } = await input.svc.domains.deleteDomain(d);
      await input.svc.packages.discardBlobs(d.id, orphanedBlobs);
      return { domain };
    },
  },
  op({
    name: 'ListDomains',
    method: 'POST',
    path: '/v1/domains',
    query: {},
    body: 'json',
    async authorize({ svc, caller }) {
      await svc.access.require(caller, 'codeartifact:ListDomains', { scope: 'global', owner: caller.accountId, resource: '*' });
    },
    async run({ svc, caller, body: b }) {
      const maxResults = body.int(b, 'maxResults', 1, 1000) ?? 100;
      const nextToken = body.str(b, 'nextToken');
      if (nextToken !== undefined) check('nextToken', 'nextToken', nextToken);
      const page = await svc.domains.listDomains(caller.accountId, maxResults, nextToken);
      return { domains: page.items, nextToken: page.nextToken };
    },
  }),
  op({
    name: 'GetAuthorizationToken',
    method: 'POST',
    path: '/v1/authorization-token',
    query: { ...DOMAIN_Q, duration: { type: 'int', min: 0, max: 43200 } },
    body: 'json',
    async authorize(input) {
      const { svc, caller, q } = input;
      const duration = (q.duration as number | undefined) ?? 43200;
      if (duration !== 0 && duration < 900)
        throw validation(`Token duration must be 0 or between 900 and 43200 seconds; got ${duration}.`);
      const owner = ownerOf(input);
      // AWS checks both: the codeartifact action on the domain and the STS bearer-token action on the caller.
      await svc.access.require(caller, 'sts:GetServiceBearerToken', {
        scope: 'global',
        owner: caller.accountId,
        resource: '*',
      });
      return { d: await domainFor(input, 'codeartifact:GetAuthorizationToken', q.domain as string, owner), duration };
    },
    async run({ svc, caller }, { d, duration }) {
      const { token, expiration } = svc.tokens.issue(
        { sub: caller.arn, acct: caller.accountId, domain: d.name, owner: d.owner, pid: caller.id },
        duration,
      );
      return { authorizationToken: token, expiration };
    },
  }),
];
