// What every package-manager endpoint does first: find the repository named by the URL
// (/{format}/d/{domain}-{owner}/{repository}/), authenticate the token, check the action.
// Errors stay HoardErrors; each adapter renders them in its client's shape. Writes and logins are
// marked for the audit trail here too (auditWrite), so every format records them the same way.
import { HoardError, isHoardError, notFound, unauthenticated } from '../../errors.js';
import { RULES } from '../../core/names.js';
import type { DomainRow, RepositoryWithDomain } from '../../store/domains.js';
import type { DataPlaneCaller } from '../../auth/data-plane.js';
import { deniedMessage, isOtherAccount } from '../../auth/access.js';
import type { Principal } from '../../core/identity.js';
import type { Services } from '../../services.js';
import { markAudit, type AuditMark } from '../../core/audit.js';

const READ = 'codeartifact:ReadFromRepository';

export interface Endpoint {
  domain: DomainRow;
  repo: RepositoryWithDomain;
  caller: DataPlaneCaller;
  /** absolute base URL of this endpoint, ending in '/' */
  base: string;
  /** set for an audited request (a write or login): authorize refines it with what is checked */
  audit?: AuditMark;
}

/**
 * Marks a data-plane write or login for the audit trail, before its credentials are checked, so a
 * refused one is recorded too. The resource starts as the repository (the domain for a login);
 * openEndpoint adds the caller, authorize the action and package ARN actually checked.
 */
export function auditWrite(
  svc: Services,
  state: Record<string, unknown>,
  at: { domainSegment: string; repository: string; action: string; detail: string; scope?: 'domain' | 'repository' },
): AuditMark {
  const parsed = parseDomainSegment(at.domainSegment);
  const resource = !parsed
    ? null
    : at.scope === 'domain'
      ? svc.domains.domainArn({ owner: parsed.owner, name: parsed.domain })
      : svc.domains.repositoryArn(parsed.owner, parsed.domain, at.repository);
  return markAudit(state, { action: at.action, resource, account: parsed?.owner ?? null, detail: at.detail });
}

/** Splits the `{domain}-{owner}` path segment; the owner is the last 12 digits. */
export function parseDomainSegment(seg: string): { domain: string; owner: string } | null {
  const m = /^(.+)-([0-9]{12})$/.exec(seg);
  if (!m || !RULES.domain.pattern.test(m[1])) return null;
  return { domain: m[1], owner: m[2] };
}

export async function openEndpoint(
  svc: Services,
  format: string,
  domainSegment: string,
  repository: string,
  authorization: string | undefined,
  audit?: AuditMark,
): Promise<Endpoint> {
  const parsed = parseDomainSegment(domainSegment);
  if (!parsed || !RULES.repository.pattern.test(repository))
    throw notFound(`No repository endpoint at /${format}/d/${domainSegment}/${repository}/.`);
  const caller = await svc.dataPlaneAuth.authenticate(authorization, parsed.domain, parsed.owner);
  if (audit) audit.principal = caller.principal;
  const domain = await svc.domains.findDomain(parsed.owner, parsed.domain);
  const repo = domain ? await svc.domains.repository(domain, repository).catch(notFoundAsNull) : null;
  if (!domain || !repo) {
    // Do not reveal what exists to callers who could not read it anyway.
    if (caller.via === 'none') throw unauthenticated(`Authentication required for ${format} endpoint ${parsed.domain}/${repository}.`);
    if (isOtherAccount(caller.principal, parsed.owner)) throw otherAccountDenied(svc, caller.principal, parsed.owner, parsed.domain, repository);
    throw notFound(`Repository ${repository} not found in domain ${parsed.domain} (owner ${parsed.owner}).`, 'repository', repository);
  }
  return {
    domain,
    repo,
    caller,
    base: `${svc.config.publicUrl}/${format}/d/${domainSegment}/${encodeURIComponent(repository)}/`,
    audit,
  };
}

/**
 * Checks an action on the endpoint's repository (or a package ARN in it). An anonymous caller who
 * is refused gets Unauthenticated (a 401 challenge, so Basic clients send credentials); a known
 * caller gets AccessDenied (403).
 */
export async function authorize(svc: Services, ep: Endpoint, action: string, resource?: string, loginHint = ''): Promise<void> {
  const target = resource ?? svc.domains.repositoryArn(ep.domain.owner, ep.domain.name, ep.repo.name);
  if (ep.audit && action !== READ) Object.assign(ep.audit, { action, resource: target });
  const decision = await svc.access.allowed(ep.caller.principal, action, {
    scope: 'repository',
    owner: ep.domain.owner,
    domainId: ep.domain.id,
    repositoryId: ep.repo.id,
    resource: target,
  });
  if (decision.allowed) return;
  if (ep.caller.via === 'none')
    throw unauthenticated(`Authentication required: ${action.replace('codeartifact:', '')} on ${ep.repo.name} needs a token.${loginHint ? ` ${loginHint}` : ''}`);
  if (isOtherAccount(ep.caller.principal, ep.domain.owner))
    throw otherAccountDenied(svc, ep.caller.principal, ep.domain.owner, ep.domain.name, ep.repo.name);
  throw new HoardError(
    'AccessDeniedException',
    `${ep.caller.principal.arn} is not authorized to perform ${action} on repository ${ep.repo.name}: ${decision.reason}.`,
  );
}

/** Another account gets one refusal for a missing repository and a denied one (auth/access.ts). */
function otherAccountDenied(svc: Services, principal: Principal, owner: string, domain: string, repository: string): HoardError {
  return new HoardError('AccessDeniedException', deniedMessage(principal, owner, null, svc.domains.repositoryArn(owner, domain, repository), ''));
}

/** A missing repository is null; anything else (the database being down, say) is still thrown. */
const notFoundAsNull = (e: unknown): null => {
  if (isHoardError(e) && e.kind === 'ResourceNotFoundException') return null;
  throw e;
};
