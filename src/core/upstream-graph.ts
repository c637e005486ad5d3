// The upstream graph of a domain's repositories: the search order CodeArtifact walks (the
// repository, then its upstreams depth-first pre-order, each once, at most 25) and setting a
// repository's upstream list without a cycle. DomainService caches and calls these.
import type { Queryable } from '../store/db.js';
import { domainStore, type DomainRow, type RepositoryWithDomain } from '../store/domains.js';
import { notFound, validation } from '../errors.js';
import { MAX_SEARCHED_REPOSITORIES, checkUpstreamList } from './domain-model.js';
export async function loadSearchOrder(db: Queryable, repo: RepositoryWithDomain): Promise<RepositoryWithDomain[]> {
  const order: number[] = [];
  const seen = new Set<number>();
  const children = new Map<number, number[]>();
  // Fetch the graph level by level (one query per depth), then walk it depth-first.
  let frontier = [repo.id];
  seen.add(repo.id);
  while (frontier.length) {
    const links = await domainStore.getUpstreams(db, frontier);
    const next: number[] = [];
    for (const l of links) {
      const list = children.get(l.repository_id) ?? [];
      list.push(l.upstream_id);
      children.set(l.repository_id, list);
      if (!seen.has(l.upstream_id)) {
        seen.add(l.upstream_id);
        next.push(l.upstream_id);
      }
    }
    frontier = next;
  }
  const visited = new Set<number>();
  const walk = (id: number) => {
    if (visited.has(id) || order.length >= MAX_SEARCHED_REPOSITORIES) return;
    visited.add(id);
    order.push(id);
    for (const c of children.get(id) ?? []) walk(c);
  };
  walk(repo.id);
  const rows = await domainStore.getRepositoriesByIds(db, order);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return order.map((id) => byId.get(id)!).filter(Boolean);
}

export async function setUpstreams(tx: Queryable, d: DomainRow, repoId: number, repoName: string, names: string[]) {
  checkUpstreamList(names, repoName);
  const ids: number[] = [];
  for (const n of names) {
    const up = await domainStore.getRepository(tx, d.id, n);
    if (!up) throw notFound(`Upstream repository ${n} not found in domain ${d.name}.`, 'repository', n);
    ids.push(up.id);
  }
  // Reject cycles: no upstream may reach back to this repository.
  let frontier = ids;
  const seen = new Set<number>();
  while (frontier.length) {
    if (frontier.includes(repoId))
      throw validation(`Adding these upstreams would create a cycle back to repository ${repoName}.`);
    frontier.forEach((id) => seen.add(id));
    const links = await domainStore.getUpstreams(tx, frontier);
    frontier = [...new Set(links.map((l) => l.upstream_id))].filter((id) => !seen.has(id));
  }
  await domainStore.setUpstreams(tx, repoId, ids);
}
