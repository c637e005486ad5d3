// What a web UI viewer may see, decided by the same evaluator as every API (auth/access.ts):
// a repository is shown when the viewer may ReadFromRepository on it (read is all-or-nothing, so
// it then sees every package), a domain when it may DescribeDomain or read one of its
// repositories. Nothing else is named on any page. A session made from an authorization token
// sees only that token's domain, as the token itself would.
import type { DomainRow, RepositoryWithDomain } from '../store/domains.js';
import type { Services } from '../services.js';
import type { Viewer } from './html.js';

export const READ = 'codeartifact:ReadFromRepository';
const PAGE = 500;

export function inScope(viewer: Viewer, domain: { owner: string; name: string }): boolean {
  return !viewer.scope || (viewer.scope.domain === domain.name && viewer.scope.owner === domain.owner);
}

/** May the viewer do `action` on this repository (or, with `resource`, a package in it)? */
export async function mayOnRepository(
  svc: Services,
  viewer: Viewer,
  d: { id?: number; owner: string; name: string },
  repo: { id?: number; name: string },
  action: string,
  resource?: string,
): Promise<boolean> {
  if (!inScope(viewer, d)) return false;
  const decision = await svc.access.allowed(viewer.principal, action, {
    scope: 'repository',
    owner: d.owner,
    domainId: d.id,
    repositoryId: repo.id,
    resource: resource ?? svc.domains.repositoryArn(d.owner, d.name, repo.name),
  });
  return decision.allowed;
}

export async function mayDescribeDomain(svc: Services, viewer: Viewer, d: { id?: number; owner: string; name: string }): Promise<boolean> {
  if (!inScope(viewer, d)) return false;
  const decision = await svc.access.allowed(viewer.principal, 'codeartifact:DescribeDomain', {
    scope: 'domain',
    owner: d.owner,
    domainId: d.id,
    resource: svc.domains.domainArn(d),
  });
  return decision.allowed;
}

/** The repositories the viewer may read, of one domain or of all, in (domain, name) order. */
export async function readableRepositories(svc: Services, viewer: Viewer, domain?: DomainRow): Promise<RepositoryWithDomain[]> {
  const out: RepositoryWithDomain[] = [];
  let after: { domain: string; name: string } | null = null;
  for (;;) {
    const rows = await svc.domains.repositoryRows(domain, after, PAGE);
    for (const r of rows) {
      const d = { id: r.domain_id, owner: r.domain_owner, name: r.domain_name };
      if (await mayOnRepository(svc, viewer, d, r, READ)) out.push(r);
    }
    if (rows.length < PAGE) return out;
    const last = rows[rows.length - 1];
    after = { domain: last.domain_name, name: last.name };
  }
}

export interface VisibleDomain {
  owner: string;
  name: string;
  repositories: RepositoryWithDomain[];
}

/** Domains the viewer may see: its own account's that it may describe, and any with a readable repository. */
export async function visibleDomains(svc: Services, viewer: Viewer): Promise<VisibleDomain[]> {
  const byKey = new Map<string, VisibleDomain>();
  const key = (owner: string, name: string) => `${owner}/${name}`;
  const p = viewer.principal;
  if (p.kind !== 'anonymous') {
    let token: string | undefined;
    do {
      const page = await svc.domains.listDomains(p.accountId, 100, token);
      for (const d of page.items) {
        const row = await svc.domains.findDomain(d.owner, d.name);
        if (row && (await mayDescribeDomain(svc, viewer, row))) byKey.set(key(d.owner, d.name), { owner: d.owner, name: d.name, repositories: [] });
      }
      token = page.nextToken;
    } while (token);
  }
  for (const r of await readableRepositories(svc, viewer)) {
    const k = key(r.domain_owner, r.domain_name);
    let d = byKey.get(k);
    if (!d) byKey.set(k, (d = { owner: r.domain_owner, name: r.domain_name, repositories: [] }));
    d.repositories.push(r);
  }
  return [...byKey.values()].sort((a, b) => a.name.localeCompare(b.name) || a.owner.localeCompare(b.owner));
}
