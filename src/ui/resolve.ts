// Finds the domain and repository a web UI URL names (/ui/d/{domain}-{owner}/{repository}/...)
// and checks the viewer's access first, as the API does (api/resolve.ts): a refusal reads the
// same whether or not the repository exists; only an allowed viewer learns that it is missing.
import { HoardError, isHoardError, notFound, unauthenticated } from '../errors.js';
import { RULES, arn } from '../core/names.js';
import { parseDomainSegment } from '../formats/shared/endpoint.js';
import type { DomainRow, RepositoryWithDomain } from '../store/domains.js';
import type { Services } from '../services.js';
import type { Viewer } from './html.js';
import type { ConnectInfo } from './snippets.js';
import { READ, mayOnRepository } from './visibility.js';

export interface OpenRepository {
  domain: DomainRow;
  repo: RepositoryWithDomain;
  connect: ConnectInfo;
  /** the page's base path, ending in '/' */
  base: string;
}

export function domainSegment(seg: string): { domain: string; owner: string } {
  const parsed = parseDomainSegment(seg);
  if (!parsed) throw notFound(`There is no domain at ${seg}; domain pages are /ui/d/{domain}-{12-digit owner}/.`);
  return parsed;
}

export const domainPath = (d: { name: string; owner: string }) => `/ui/d/${encodeURIComponent(`${d.name}-${d.owner}`)}/`;
export const repoPath = (d: { name: string; owner: string }, repo: string) => `${domainPath(d)}${encodeURIComponent(repo)}/`;

export function refusal(viewer: Viewer, what: string): HoardError {
  return viewer.principal.kind === 'anonymous'
    ? unauthenticated(`Sign in to see ${what}, or it does not exist.`)
    : new HoardError('AccessDeniedException', `You (${viewer.principal.arn}) may not see ${what}, or it does not exist.`);
}

/** The repository with `action` checked (on `pkg`'s ARN when given), or a 401/403/404 HoardError. */
export async function openRepository(
  svc: Services,
  viewer: Viewer,
  seg: string,
  name: string,
  action = READ,
  pkg?: { format: string; namespace: string; name: string },
): Promise<OpenRepository> {
  const { domain, owner } = domainSegment(seg);
  if (!RULES.repository.pattern.test(name)) throw notFound(`${name} is not a repository name.`);
  const d = await svc.domains.findDomain(owner, domain);
  const repo = d ? await svc.domains.repository(d, name).catch(notFoundAsNull) : null;
  const resource = pkg ? arn.package(svc.config.region, owner, domain, name, pkg.format, pkg.namespace, pkg.name) : undefined;
  const allowed = await mayOnRepository(svc, viewer, { id: d?.id, owner, name: domain }, { id: repo?.id, name }, action, resource);
  if (!allowed) throw refusal(viewer, `repository ${name} in domain ${domain}`);
  if (!d || !repo) throw notFound(`Repository ${name} not found in domain ${domain} (owner ${owner}).`);
  return {
    domain: d,
    repo,
    connect: { publicUrl: svc.config.publicUrl, domain, owner, repository: name },
    base: repoPath(d, name),
  };
}

const notFoundAsNull = (e: unknown): null => {
  if (isHoardError(e) && e.kind === 'ResourceNotFoundException') return null;
  throw e;
};
