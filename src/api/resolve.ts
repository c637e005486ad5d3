// Finds the domain or repository an operation names and checks access in one step, in an order
// that reveals nothing: access is decided first (against what exists), then absence is a 404.
import { isHoardError, notFound } from '../errors.js';
import { check } from '../core/names.js';
import type { DomainRow, RepositoryWithDomain } from '../store/domains.js';
import type { AccessOptions } from '../auth/access.js';
import type { PreInput } from './operation.js';

/** domain-owner is optional everywhere: absent means the caller's own account. */
export function ownerOf(input: PreInput, value?: unknown): string {
  const v = (value ?? input.q['domain-owner']) as string | undefined;
  return v === undefined ? input.caller.accountId : check('accountId', 'domainOwner', v);
}

/** `opts.resource`: the ARN checked when it is not the domain's own (a package group's). */
export async function domainFor(
  input: PreInput,
  action: string,
  name: string,
  owner: string,
  opts?: AccessOptions & { resource?: string },
): Promise<DomainRow> {
  const { svc, caller } = input;
  const d = await svc.domains.findDomain(owner, name);
  await svc.access.require(
    caller,
    action,
    { scope: 'domain', owner, domainId: d?.id, resource: opts?.resource ?? svc.domains.domainArn({ owner, name }) },
    opts,
  );
  if (!d) throw notFound(`Domain ${name} not found in account ${owner}.`, 'domain', name);
  return d;
}

export async function repositoryFor(
  input: PreInput,
  action: string,
  names: { domain: string; repository: string; owner: string },
  opts?: AccessOptions & { resource?: string },
): Promise<{ domain: DomainRow; repo: RepositoryWithDomain }> {
  const { svc, caller } = input;
  check('repository', 'repository', names.repository);
  const d = await svc.domains.findDomain(names.owner, names.domain);
  const repo = d ? await svc.domains.repository(d, names.repository).catch(notFoundAsNull) : null;
  await svc.access.require(
    caller,
    action,
    {
      scope: 'repository',
      owner: names.owner,
      domainId: d?.id,
      repositoryId: repo?.id,
      resource: opts?.resource ?? svc.domains.repositoryArn(names.owner, names.domain, names.repository),
    },
    opts,
  );
  if (!d) throw notFound(`Domain ${names.domain} not found in account ${names.owner}.`, 'domain', names.domain);
  if (!repo)
    throw notFound(`Repository ${names.repository} not found in domain ${names.domain}.`, 'repository', names.repository);
  return { domain: d, repo };
}

/** The (domain, domain-owner, repository) query triple most operations take. */
export function repoNames(input: PreInput) {
  return {
    domain: check('domain', 'domain', input.q.domain as string),
    repository: input.q.repository as string,
    owner: ownerOf(input),
  };
}

/** A missing repository is null; anything else (the database being down, say) is still thrown. */
const notFoundAsNull = (e: unknown): null => {
  if (isHoardError(e) && e.kind === 'ResourceNotFoundException') return null;
  throw e;
};
