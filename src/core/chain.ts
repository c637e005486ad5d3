// The one read chain every format asks (DESIGN.md "Upstreams and external connections"): the
// repository itself, then its upstream repositories depth-first (each once, at most 25), then the
// external connection of whichever repository on that order owns one for the format. Adapters
// never walk upstreams themselves; they ask here, then ask core for the package on the chain.
import { domainStore } from '../store/domains.js';
import type { RepositoryWithDomain } from '../store/domains.js';
import { packageStore, type Coordinates, type PackageRow } from '../store/packages.js';
import type { Db } from '../store/db.js';
import type { DomainService } from './domains.js';
import { conflict } from '../errors.js';
import type { PackageGroupService } from './package-groups.js';

export interface ExternalLink {
  /** the repository that owns the connection (retains what is fetched through it) */
  owner: RepositoryWithDomain;
  /** e.g. public:npmjs */
  connection: string;
}

export interface ReadChain {
  repos: RepositoryWithDomain[];
  external: ExternalLink | null;
}

/** One repository's copy of a package on the chain. */
export interface ChainMember {
  repo: RepositoryWithDomain;
  pkg: PackageRow;
}

export class ChainService {
  constructor(
    private readonly db: Db,
    private readonly domains: DomainService,
    private readonly groups: PackageGroupService,
  ) {}

  /** The chain of `repo` for one format (cached with the other lookups, 2 s across replicas). */
  chain(repo: RepositoryWithDomain, format: string): Promise<ReadChain> {
    return this.domains.cache.get(`chain:${repo.id}:${format}`, async () => {
      const repos = await this.domains.searchOrder(repo);
      const links = await domainStore.getExternalConnections(
        this.db,
        repos.map((r) => r.id),
      );
      const byRepo = new Map(links.filter((l) => l.package_format === format).map((l) => [l.repository_id, l.name]));
      const owner = repos.find((r) => byRepo.has(r.id));
      return { repos, external: owner ? { owner, connection: byRepo.get(owner.id)! } : null };
    });
  }

  /**
   * A package along the chain. `load` reads the package's rows (whatever the adapter needs: its
   * documents, one version's file) in the given repositories with one query; they come back in
   * chain order. When the requesting repository's own package blocks upstream versions (origin
   * control upstream=BLOCK) only its own row is visible. The external connection is visible only
   * when no copy on the chain blocks upstream versions: a package published inside the domain
   * hides the public registry's package of the same name until its owner sets upstream=ALLOW
   * (the dependency-confusion guard). Given the package's coordinates, its package group's origin
   * restrictions apply too: INTERNAL_UPSTREAM refused for the requesting repository leaves only its
   * own row (and the external connection only when it owns it), EXTERNAL_UPSTREAM refused for the
   * connection's owner hides the external connection. What a repository already holds stays visible.
   */
  async resolve<T extends { repository_id: number; origin_upstream: string }>(
    repo: RepositoryWithDomain,
    format: string,
    load: (repositoryIds: number[]) => Promise<T[]>,
    coords?: Coordinates,
  ): Promise<{ rows: T[]; chain: ReadChain; external: ExternalLink | null }> {
    const chain = await this.chain(repo, format);
    const loaded = await load(chain.repos.map((r) => r.id));
    const own = loaded.find((r) => r.repository_id === repo.id);
    if (own?.origin_upstream === 'BLOCK') return { rows: [own], chain, external: null };
    let repos = chain.repos;
    let link = chain.external;
    if (coords) {
      if (await this.groups.refusal(repo, coords, 'INTERNAL_UPSTREAM')) {
        repos = [repo];
        if (link && link.owner.id !== repo.id) link = null;
      }
      if (link && (await this.groups.refusal(link.owner, coords, 'EXTERNAL_UPSTREAM'))) link = null;
    }
    const byRepo = new Map(loaded.map((r) => [r.repository_id, r]));
    const rows = repos.map((r) => byRepo.get(r.id)).filter((r): r is T => r !== undefined);
    const external = link && rows.every((r) => r.origin_upstream === 'ALLOW') ? link : null;
    return { rows, chain, external };
  }

  /** The package's rows along the chain, with the repository each belongs to. */
  async members(repo: RepositoryWithDomain, c: Coordinates): Promise<{ members: ChainMember[]; external: ExternalLink | null }> {
    const r = await this.resolve(repo, c.format, (ids) => packageStore.getPackageIn(this.db, ids, c), c);
    const repos = new Map(r.chain.repos.map((x) => [x.id, x]));
    return { members: r.rows.map((pkg) => ({ repo: repos.get(pkg.repository_id)!, pkg })), external: r.external };
  }

  /**
   * The dependency-confusion guard on publish, for every format: when the package's origin controls
   * let upstream versions in (upstream=ALLOW), a version already reachable upstream (in an upstream
   * repository, or through the external connection when `inExternal` says so) cannot also be
   * published here: 409. A version this repository already holds is not refused (more files for it).
   */
  async refuseUpstreamVersion(
    repo: RepositoryWithDomain,
    c: Coordinates,
    version: string,
    opts: { same?: (a: string, b: string) => boolean; inExternal?: (link: ExternalLink) => Promise<boolean> } = {},
  ): Promise<void> {
    const own = await packageStore.getPackage(this.db, repo.id, c);
    if (own?.origin_upstream !== 'ALLOW') return;
    const same = opts.same ?? ((a, b) => a === b);
    const holds = async (pkg: PackageRow) => (await packageStore.listVersions(this.db, pkg.id)).some((v) => same(v.version, version));
    if (await holds(own)) return;
    const { members, external } = await this.members(repo, c);
    const refuse = (where: string) =>
      conflict(
        `Version ${version} of ${c.namespace ? `${c.namespace}/` : ''}${c.name} already exists ${where}; this package's origin controls (upstream=ALLOW) forbid publishing it to ${repo.name} too.`,
        'package-version',
        version,
      );
    for (const m of members) if (m.repo.id !== repo.id && (await holds(m.pkg))) throw refuse(`in upstream repository ${m.repo.name}`);
    if (external && opts.inExternal && (await opts.inExternal(external))) throw refuse(`upstream, in the external connection ${external.connection}`);
  }
}
