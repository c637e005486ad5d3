// The ten package-group operations (reference §1.11, §2.6). Access is checked on the package
// group's ARN (ListPackageGroups: on the domain's), before existence is revealed.
import { validation } from '../../errors.js';
import { parsePattern, type RestrictionType } from '../../core/package-group-pattern.js';
import { restrictionMap, restrictionType } from '../../core/package-groups.js';
import type { DomainRow } from '../../store/domains.js';
import { authorizedInRun, body, op, type Operation, type PreInput } from '../operation.js';
import { domainFor, ownerOf } from '../resolve.js';
import { PAGE_Q, coordinates, pageOf } from './package-input.js';

const DOMAIN_Q = { domain: { required: true }, 'domain-owner': {} } as const;
const GROUP_Q = { ...DOMAIN_Q, 'package-group': { required: true } } as const;

/** The domain, with `action` allowed on the package group `pattern` (validated first). */
async function groupTarget(input: PreInput, action: string, pattern: string): Promise<{ d: DomainRow; pattern: string }> {
  const p = parsePattern(pattern);
  const owner = ownerOf(input);
  const name = input.q.domain as string;
  const resource = input.svc.packages.groups.arn({ owner, name }, p.text);
  return { d: await domainFor(input, action, name, owner, { resource }), pattern: p.text };
}

const bodyPattern = (b: Record<string, unknown>) => body.str(b, 'packageGroup', true)!;

function allowedList(b: Record<string, unknown>, k: string): { repositoryName: string; originRestrictionType: RestrictionType }[] {
  const v = b[k];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw validation(`'${k}' must be a list of {repositoryName, originRestrictionType} objects.`);
  return v.map((x, i) => {
    if (!x || typeof x !== 'object' || typeof x.repositoryName !== 'string')
      throw validation(`'${k}[${i}].repositoryName' must be a string.`);
    return { repositoryName: x.repositoryName as string, originRestrictionType: restrictionType(`${k}[${i}].originRestrictionType`, x.originRestrictionType) };
  });
}

export const packageGroupOps: Operation[] = [
  op({
    name: 'CreatePackageGroup',
    method: 'POST',
    path: '/v1/package-group',
    query: DOMAIN_Q,
    body: 'json',
    // The pattern (the resource) is in the body: authorized in run, after the bounded read.
    authorize: authorizedInRun,
    async run(input) {
      const b = input.body;
      const { d, pattern } = await groupTarget(input, 'codeartifact:CreatePackageGroup', bodyPattern(b));
      const packageGroup = await input.svc.packages.groups.create(d, pattern, {
        description: body.str(b, 'description'),
        contactInfo: body.str(b, 'contactInfo'),
        tags: body.tags(b, 'tags'),
      });
      return { packageGroup };
    },
  }),
  op({
    name: 'UpdatePackageGroup',
    method: 'PUT',
    path: '/v1/package-group',
    query: DOMAIN_Q,
    body: 'json',
    authorize: authorizedInRun,
    async run(input) {
      const b = input.body;
      const { d, pattern } = await groupTarget(input, 'codeartifact:UpdatePackageGroup', bodyPattern(b));
      const packageGroup = await input.svc.packages.groups.update(d, pattern, {
        description: body.str(b, 'description'),
        contactInfo: body.str(b, 'contactInfo'),
      });
      return { packageGroup };
    },
  }),
  {
    name: 'DescribePackageGroup',
    method: 'GET',
    path: '/v1/package-group',
    query: GROUP_Q,
    body: 'none',
    async run(input) {
      const { d, pattern } = await groupTarget(input, 'codeartifact:DescribePackageGroup', input.q['package-group'] as string);
      return { packageGroup: await input.svc.packages.groups.describeByPattern(d, pattern) };
    },
  },
  {
    name: 'DeletePackageGroup',
    method: 'DELETE',
    path: '/v1/package-group',
    query: GROUP_Q,
    body: 'none',
    async run(input) {
      const { d, pattern } = await groupTarget(input, 'codeartifact:DeletePackageGroup', input.q['package-group'] as string);
      return { packageGroup: await input.svc.packages.groups.delete(d, pattern) };
    },
  },
  op({
    name: 'UpdatePackageGroupOriginConfiguration',
    method: 'PUT',
    path: '/v1/package-group-origin-configuration',
    query: GROUP_Q,
    body: 'json',
    authorize: (input) => groupTarget(input, 'codeartifact:UpdatePackageGroupOriginConfiguration', input.q['package-group'] as string),
    async run(input, { d, pattern }) {
      const b = input.body;
      return input.svc.packages.groups.updateOrigin(
        d,
        pattern,
        restrictionMap(b.restrictions),
        allowedList(b, 'addAllowedRepositories'),
        allowedList(b, 'removeAllowedRepositories'),
      );
    },
  }),
  op({
    name: 'ListPackageGroups',
    method: 'POST',
    path: '/v1/package-groups',
    query: { ...DOMAIN_Q, ...PAGE_Q, prefix: {} },
    body: 'json',
    async authorize(input) {
      const prefix = input.q.prefix as string | undefined;
      if (prefix !== undefined && (prefix.length > 520 || /\p{C}/u.test(prefix)))
        throw validation(
          `1 validation error detected: Value '${prefix.slice(0, 100)}' at 'prefix' failed to satisfy constraint: Member must have length between 0 and 520 and no control characters`,
        );
      const p = pageOf(input.q);
      const d = await domainFor(input, 'codeartifact:ListPackageGroups', input.q.domain as string, ownerOf(input));
      return { d, p, prefix };
    },
    async run(input, { d, p, prefix }) {
      const r = await input.svc.packages.groups.list(d, prefix, p.max, p.token);
      return { packageGroups: r.items, nextToken: r.nextToken };
    },
  }),
  op({
    name: 'ListSubPackageGroups',
    method: 'POST',
    path: '/v1/package-groups/sub-groups',
    query: { ...GROUP_Q, ...PAGE_Q },
    body: 'json',
    async authorize(input) {
      const p = pageOf(input.q);
      return { p, ...(await groupTarget(input, 'codeartifact:ListSubPackageGroups', input.q['package-group'] as string)) };
    },
    async run(input, { d, pattern, p }) {
      const r = await input.svc.packages.groups.listSub(d, pattern, p.max, p.token);
      return { packageGroups: r.items, nextToken: r.nextToken };
    },
  }),
  {
    name: 'ListAllowedRepositoriesForGroup',
    method: 'GET',
    path: '/v1/package-group-allowed-repositories',
    query: { ...GROUP_Q, originRestrictionType: { required: true }, ...PAGE_Q },
    body: 'none',
    async run(input) {
      const type = restrictionType('originRestrictionType', input.q.originRestrictionType);
      const p = pageOf(input.q);
      const { d, pattern } = await groupTarget(input, 'codeartifact:ListAllowedRepositoriesForGroup', input.q['package-group'] as string);
      const r = await input.svc.packages.groups.listAllowed(d, pattern, type, p.max, p.token);
      return { allowedRepositories: r.items, nextToken: r.nextToken };
    },
  },
  {
    name: 'ListAssociatedPackages',
    method: 'GET',
    path: '/v1/list-associated-packages',
    query: { ...GROUP_Q, ...PAGE_Q, preview: { type: 'bool' } },
    body: 'none',
    async run(input) {
      const p = pageOf(input.q);
      const { d, pattern } = await groupTarget(input, 'codeartifact:ListAssociatedPackages', input.q['package-group'] as string);
      return input.svc.packages.groups.associatedPackages(d, pattern, input.q.preview === true, p.max, p.token);
    },
  },
  {
    name: 'GetAssociatedPackageGroup',
    method: 'GET',
    path: '/v1/get-associated-package-group',
    query: { ...DOMAIN_Q, format: { required: true }, namespace: {}, package: { required: true } },
    body: 'none',
    async run(input) {
      const c = coordinates(input.q);
      const { svc } = input;
      const owner = ownerOf(input);
      const name = input.q.domain as string;
      // Access is checked on the group the package belongs to (the root's ARN while the domain is unknown).
      const found = await svc.domains.findDomain(owner, name);
      const assoc = found ? await svc.packages.groups.associatedGroup(found, c) : null;
      const resource = assoc?.packageGroup.arn ?? svc.packages.groups.arn({ owner, name }, '/*');
      await domainFor(input, 'codeartifact:GetAssociatedPackageGroup', name, owner, { resource });
      return assoc!;
    },
  },
];
