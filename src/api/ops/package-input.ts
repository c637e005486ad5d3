// What every package and package-version operation reads first: the package coordinates (format,
// namespace, package) validated as CodeArtifact validates them, and the repository found with the
// caller's access checked against the package ARN.
import { validation } from '../../errors.js';
import { arn, check, checkFormat } from '../../core/names.js';
import type { Coordinates } from '../../core/packages.js';
import type { RepositoryWithDomain } from '../../store/domains.js';
import type { PreInput, ParamSpec } from '../operation.js';
import { repoNames, repositoryFor } from '../resolve.js';

export const PKG_Q = {
  domain: { required: true },
  'domain-owner': {},
  repository: { required: true },
  format: { required: true },
  namespace: {},
  package: { required: true },
} as const satisfies Record<string, ParamSpec>;

export const VERSION_Q = { ...PKG_Q, version: { required: true } } as const satisfies Record<string, ParamSpec>;
export const PAGE_Q = { 'max-results': { type: 'int', min: 1, max: 1000 }, 'next-token': {} } as const satisfies Record<string, ParamSpec>;

/** Formats whose packages always have a namespace, and those that never have one (reference §1.5). */
const NAMESPACE_REQUIRED = new Set(['maven', 'generic', 'swift']);
const NAMESPACE_NONE = new Set(['pypi', 'nuget', 'ruby', 'cargo']);

export function coordinates(q: PreInput['q']): Coordinates {
  const format = checkFormat('format', q.format as string);
  const ns = q.namespace as string | undefined;
  if (ns !== undefined) check('packageName', 'namespace', ns);
  const name = check('packageName', 'package', q.package as string);
  if (ns === undefined && NAMESPACE_REQUIRED.has(format))
    throw validation(`A namespace is required for ${format} packages${format === 'maven' ? ' (the groupId)' : ''}.`);
  if (ns !== undefined && NAMESPACE_NONE.has(format))
    throw validation(`${format} packages have no namespace; leave out the namespace parameter.`);
  return { format, namespace: ns ?? '', name };
}

export function pageOf(q: PreInput['q']): { max: number; token?: string } {
  const token = q['next-token'] as string | undefined;
  if (token !== undefined) check('nextToken', 'nextToken', token);
  return { max: (q['max-results'] as number | undefined) ?? 100, token };
}

export function packageArn(input: PreInput, repository: string, c: Coordinates): string {
  const n = repoNames(input);
  return arn.package(input.svc.config.region, n.owner, n.domain, repository, c.format, c.namespace, c.name);
}

/** The repository named by the query, with `action` allowed on the package's ARN. */
export async function packageTarget(input: PreInput, action: string): Promise<{ repo: RepositoryWithDomain; coords: Coordinates }> {
  const names = repoNames(input);
  const coords = coordinates(input.q);
  const { repo } = await repositoryFor(input, action, names, { resource: packageArn(input, names.repository, coords) });
  return { repo, coords };
}

export function version(q: PreInput['q']): string {
  return check('packageName', 'packageVersion', q.version as string);
}

export const ORIGIN = ['ALLOW', 'BLOCK'] as const;

export function allowBlock(field: string, v: unknown): 'ALLOW' | 'BLOCK' {
  if (v !== 'ALLOW' && v !== 'BLOCK')
    throw validation(
      v === undefined || v === null
        ? `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`
        : `1 validation error detected: Value '${String(v)}' at '${field}' failed to satisfy constraint: Member must satisfy enum value set: [ALLOW, BLOCK]`,
    );
  return v;
}
