// Domains, repositories, external connections, resource policies and tags (the upstream graph's
// walks are in upstream-graph.ts):
// CodeArtifact's semantics, no HTTP and no SQL here.
import { createHash, randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../store/db.js';
import { domainStore, type DomainRow, type RepositoryWithDomain } from '../store/domains.js';
import { packageGroupStore } from '../store/package-groups.js';
import { conflict, notFound, quotaExceeded, validation } from '../errors.js';
import { arn, check } from './names.js';
import {
  EXTERNAL_CONNECTIONS,
  MAX_REPOSITORIES_PER_DOMAIN,
  MAX_TAGS,
  type DomainDescription,
  type DomainSummary,
  type Page,
  type RepositoryDescription,
  type RepositorySummary,
  type ResourcePolicy,
  type Tag,
} from './domain-model.js';
import { decodeToken, encodeToken } from './pagination.js';
import { LookupCache } from './lookup-cache.js';
import { loadSearchOrder, setUpstreams } from './upstream-graph.js';

export * from './domain-model.js';

export class DomainService {
  /** the lookups every request makes; writes through this service invalidate it */
  readonly cache: LookupCache;

  constructor(
    private readonly db: Db,
    readonly region: string,
    private readonly bucketArn: string | undefined,
    cacheTtlMs = 2000,
  ) {
    this.cache = new LookupCache(cacheTtlMs);
  }

  /** Runs a write transaction, then drops cached lookups so this process sees the change at once. */
  private async write<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction(fn);
    } finally {
      this.cache.invalidate();
    }
  }

  // ---- domains ----

  async createDomain(owner: string, name: string, encryptionKey: string | undefined, tags: Tag[] = []) {
    check('domain', 'domain', name);
    if (encryptionKey !== undefined) check('encryptionKey', 'encryptionKey', encryptionKey);
    validateTags(tags);
    return this.write(async (tx) => {
      const row = await domainStore.insertDomain(tx, owner, name, encryptionKey ?? null);
      if (!row) throw conflict(`Domain ${name} already exists in account ${owner}.`, 'domain', name);
      await packageGroupStore.insertRoot(tx, row.id); // every domain has the root package group /*
      const domainArn = this.domainArn(row);
      for (const t of tags) await domainStore.putTag(tx, { arn: domainArn, domainId: row.id, repositoryId: null, ...t });
      return this.describeDomainRow(tx, row);
    });
  }

  /** The domain row, or a ResourceNotFound naming it. */
  async domain(owner: string, name: string, q: Queryable = this.db): Promise<DomainRow> {
    check('domain', 'domain', name);
    const row = await domainStore.getDomain(q, owner, name);
    if (!row) throw notFound(`Domain ${name} not found in account ${owner}.`, 'domain', name);
    return row;
  }

  /** Like domain(), but null instead of an error (access checks run before existence is revealed). */
  async findDomain(owner: string, name: string): Promise<DomainRow | null> {
    check('domain', 'domain', name);
    return this.cache.get(`d:${owner}:${name}`, () => domainStore.getDomain(this.db, owner, name));
  }

  async describeDomain(d: DomainRow): Promise<DomainDescription> {
    return this.describeDomainRow(this.db, d);
  }

  async listDomains(owner: string, maxResults: number, nextToken?: string): Promise<Page<DomainSummary>> {
    const after = nextToken ? decodeToken<{ n: string }>(nextToken).n : null;
    const rows = await domainStore.listDomains(this.db, owner, after, maxResults + 1);
    const page = rows.slice(0, maxResults).map((r) => this.domainSummary(r));
    return {
      items: page,
      nextToken: rows.length > maxResults ? encodeToken({ n: rows[maxResults - 1].name }) : undefined,
    };
  }

  /** Deletes an empty domain; returns its description and the content digests left to remove from the blob store. */
  async deleteDomain(d: DomainRow): Promise<{ domain: DomainDescription; orphanedBlobs: string[] }> {
    return this.write(async (tx) => {
      const locked = await domainStore.getDomain(tx, d.owner, d.name, true);
      if (!locked) throw notFound(`Domain ${d.name} not found.`, 'domain', d.name);
      const desc = await this.describeDomainRow(tx, locked);
      if (desc.repositoryCount > 0)
        throw conflict(
          `Domain ${d.name} still contains ${desc.repositoryCount} repositories; delete them first.`,
          'domain',
          d.name,
        );
      const orphanedBlobs = await domainStore.deleteDomain(tx, locked.id);
      return { domain: desc, orphanedBlobs };
    });
  }

  domainArn(d: { owner: string; name: string }): string {
    return arn.domain(this.region, d.owner, d.name);
  }

  private async describeDomainRow(q: Queryable, d: DomainRow): Promise<DomainDescription> {
    const stats = await domainStore.domainStats(q, d.id);
    return {
      ...this.domainSummary(d),
      repositoryCount: stats.repository_count,
      assetSizeBytes: stats.asset_size_bytes,
      ...(this.bucketArn ? { s3BucketArn: this.bucketArn } : {}),
    };
  }

  private domainSummary(d: DomainRow): DomainSummary {
    return {
      name: d.name,
      owner: d.owner,
      arn: this.domainArn(d),
      status: 'Active',
      createdTime: d.created_at,
      ...(d.encryption_key ? { encryptionKey: d.encryption_key } : {}),
    };
  }

  // ---- repositories ----

  async createRepository(
    d: DomainRow,
    name: string,
    administrator: string,
    opts: { description?: string; upstreams?: string[]; tags?: Tag[] },
  ): Promise<RepositoryDescription> {
    check('repository', 'repository', name);
    if (opts.description !== undefined) check('description', 'description', opts.description);
    validateTags(opts.tags ?? []);
    return this.write(async (tx) => {
      await domainStore.getDomain(tx, d.owner, d.name, true); // serialize repository creation per domain (quota)
      if ((await domainStore.countRepositories(tx, d.id)) >= MAX_REPOSITORIES_PER_DOMAIN)
        throw quotaExceeded(`Domain ${d.name} already has ${MAX_REPOSITORIES_PER_DOMAIN} repositories.`, 'domain', d.name);
      const row = await domainStore.insertRepository(tx, d.id, name, administrator, opts.description ?? null);
      if (!row) throw conflict(`Repository ${name} already exists in domain ${d.name}.`, 'repository', name);
      if (opts.upstreams?.length) await setUpstreams(tx, d, row.id, name, opts.upstreams);
      const repoArn = this.repositoryArn(d.owner, d.name, name);
      for (const t of opts.tags ?? []) await domainStore.putTag(tx, { arn: repoArn, domainId: d.id, repositoryId: row.id, ...t });
      return this.describeRepositoryIn(tx, d, name);
    });
  }

  async repository(d: DomainRow, name: string, q: Queryable = this.db): Promise<RepositoryWithDomain> {
    check('repository', 'repository', name);
    const row =
      q === this.db
        ? await this.cache.get(`r:${d.id}:${name}`, () => domainStore.getRepository(this.db, d.id, name))
        : await domainStore.getRepository(q, d.id, name);
    if (!row) throw notFound(`Repository ${name} not found in domain ${d.name}.`, 'repository', name);
    return row;
  }

  async describeRepository(d: DomainRow, name: string): Promise<RepositoryDescription> {
    return this.describeRepositoryIn(this.db, d, name);
  }

  async updateRepository(d: DomainRow, name: string, opts: { description?: string; upstreams?: string[] }) {
    if (opts.description !== undefined) check('description', 'description', opts.description);
    return this.write(async (tx) => {
      // Lock the domain: upstream graphs are checked for cycles as a whole.
      await domainStore.getDomain(tx, d.owner, d.name, true);
      const repo = await this.repository(d, name, tx);
      if (opts.description !== undefined) await domainStore.updateRepositoryDescription(tx, repo.id, opts.description);
      if (opts.upstreams !== undefined) await setUpstreams(tx, d, repo.id, name, opts.upstreams);
      return this.describeRepositoryIn(tx, d, name);
    });
  }

  async deleteRepository(d: DomainRow, name: string): Promise<RepositoryDescription> {
    return this.write(async (tx) => {
      await domainStore.getDomain(tx, d.owner, d.name, true);
      const repo = await this.repository(d, name, tx);
      const downstream = await domainStore.downstreamsOf(tx, repo.id);
      if (downstream.length)
        throw conflict(
          `Repository ${name} is an upstream of ${downstream.join(', ')}; remove it from their upstreams first.`,
          'repository',
          name,
        );
      const desc = await this.describeRepositoryIn(tx, d, name);
      await domainStore.deleteAllTags(tx, desc.arn);
      await domainStore.deleteRepository(tx, repo.id);
      return desc;
    });
  }

  async listRepositories(
    filter: { domain?: DomainRow; administrator?: string; prefix?: string },
    maxResults: number,
    nextToken?: string,
  ): Promise<Page<RepositorySummary>> {
    if (filter.prefix !== undefined) check('repositoryPrefix', 'repositoryPrefix', filter.prefix);
    const after = nextToken ? decodeToken<{ d: string; r: string }>(nextToken) : null;
    const rows = await domainStore.listRepositories(
      this.db,
      { domainId: filter.domain?.id, administrator: filter.administrator, prefix: filter.prefix },
      after ? { domain: after.d, name: after.r } : null,
      maxResults + 1,
    );
    const items = rows.slice(0, maxResults).map((r) => this.repositorySummary(r));
    const last = rows[maxResults - 1];
    return { items, nextToken: rows.length > maxResults ? encodeToken({ d: last.domain_name, r: last.name }) : undefined };
  }

  /**
   * Repository rows with their ids, of one domain or of every domain, in (domain name, name) order,
   * for callers that decide access repository by repository (the web UI).
   */
  async repositoryRows(domain: DomainRow | undefined, after: { domain: string; name: string } | null, limit: number): Promise<RepositoryWithDomain[]> {
    return domainStore.listRepositories(this.db, { domainId: domain?.id }, after, limit);
  }

  /** A repository's upstreams (in order) and external connections, as DescribeRepository lists them. */
  async links(repo: RepositoryWithDomain): Promise<{ upstreams: string[]; externalConnections: { name: string; format: string }[] }> {
    const ups = await domainStore.getUpstreams(this.db, [repo.id]);
    const ext = await domainStore.getExternalConnections(this.db, [repo.id]);
    return { upstreams: ups.map((u) => u.name), externalConnections: ext.map((e) => ({ name: e.name, format: e.package_format })) };
  }

  repositoryArn(owner: string, domain: string, repo: string): string {
    return arn.repository(this.region, owner, domain, repo);
  }

  async associateExternalConnection(d: DomainRow, name: string, connection: string): Promise<RepositoryDescription> {
    check('externalConnection', 'externalConnection', connection);
    const format = Object.hasOwn(EXTERNAL_CONNECTIONS, connection) ? EXTERNAL_CONNECTIONS[connection] : undefined;
    if (!format)
      throw validation(
        `External connection ${connection} is not supported; use one of ${Object.keys(EXTERNAL_CONNECTIONS).join(', ')}.`,
      );
    return this.write(async (tx) => {
      const repo = await domainStore.getRepository(tx, d.id, name, true);
      if (!repo) throw notFound(`Repository ${name} not found in domain ${d.name}.`, 'repository', name);
      if (!(await domainStore.insertExternalConnection(tx, repo.id, connection, format)))
        throw quotaExceeded(
          `Repository ${name} already has an external connection; a repository may have only one.`,
          'repository',
          name,
        );
      return this.describeRepositoryIn(tx, d, name);
    });
  }

  async disassociateExternalConnection(d: DomainRow, name: string, connection: string) {
    check('externalConnection', 'externalConnection', connection);
    return this.write(async (tx) => {
      const repo = await this.repository(d, name, tx);
      if (!(await domainStore.deleteExternalConnection(tx, repo.id, connection)))
        throw notFound(`Repository ${name} has no external connection ${connection}.`, 'repository', name);
      return this.describeRepositoryIn(tx, d, name);
    });
  }

  /**
   * The repositories searched for a read through `repo`, in CodeArtifact's order: the repository
   * itself, then its upstreams depth-first pre-order, each visited once, at most 25.
   */
  async searchOrder(repo: RepositoryWithDomain): Promise<RepositoryWithDomain[]> {
    return this.cache.get(`o:${repo.id}`, () => loadSearchOrder(this.db, repo));
  }

  private async describeRepositoryIn(q: Queryable, d: DomainRow, name: string): Promise<RepositoryDescription> {
    const repo = await this.repository(d, name, q);
    const ups = await domainStore.getUpstreams(q, [repo.id]);
    const ext = await domainStore.getExternalConnections(q, [repo.id]);
    return {
      ...this.repositorySummary(repo),
      upstreams: ups.map((u) => ({ repositoryName: u.name })),
      externalConnections: ext.map((e) => ({
        externalConnectionName: e.name,
        packageFormat: e.package_format,
        status: 'Available' as const,
      })),
    };
  }

  private repositorySummary(r: RepositoryWithDomain): RepositorySummary {
    return {
      name: r.name,
      administratorAccount: r.administrator,
      domainName: r.domain_name,
      domainOwner: r.domain_owner,
      arn: this.repositoryArn(r.domain_owner, r.domain_name, r.name),
      ...(r.description ? { description: r.description } : {}),
      createdTime: r.created_at,
    };
  }

  // ---- resource policies ----

  async getPolicy(d: DomainRow, repositoryId: number | null, resourceArn: string): Promise<ResourcePolicy> {
    const p = await domainStore.getPolicy(this.db, d.id, repositoryId);
    if (!p)
      throw notFound(
        `No resource policy is set on ${resourceArn}.`,
        repositoryId === null ? 'domain' : 'repository',
        resourceArn,
      );
    return { resourceArn: p.resource_arn, revision: p.revision, document: p.document };
  }

  /** Stores a policy the caller validated; expectedRevision guards against lost updates. */
  async putPolicy(d: DomainRow, repositoryId: number | null, resourceArn: string, document: string, expectedRevision?: string) {
    if (expectedRevision !== undefined) check('policyRevision', 'policyRevision', expectedRevision);
    return this.write(async (tx) => {
      const current = await domainStore.getPolicy(tx, d.id, repositoryId, true);
      if (expectedRevision !== undefined && current?.revision !== expectedRevision)
        throw conflict(
          current
            ? `Policy revision mismatch: current revision is ${current.revision}, expected ${expectedRevision}.`
            : `No policy exists with revision ${expectedRevision}.`,
          repositoryId === null ? 'domain' : 'repository',
          resourceArn,
        );
      const revision = createHash('sha256').update(`${randomUUID()}${document}`).digest('base64');
      await domainStore.upsertPolicy(tx, { arn: resourceArn, domainId: d.id, repositoryId, document, revision });
      return { resourceArn, revision, document } satisfies ResourcePolicy;
    });
  }

  async deletePolicy(d: DomainRow, repositoryId: number | null, resourceArn: string, expectedRevision?: string) {
    if (expectedRevision !== undefined) check('policyRevision', 'policyRevision', expectedRevision);
    return this.write(async (tx) => {
      const current = await domainStore.getPolicy(tx, d.id, repositoryId, true);
      const type = repositoryId === null ? 'domain' : 'repository';
      if (!current) throw notFound(`No resource policy is set on ${resourceArn}.`, type, resourceArn);
      if (expectedRevision !== undefined && current.revision !== expectedRevision)
        throw conflict(
          `Policy revision mismatch: current revision is ${current.revision}, expected ${expectedRevision}.`,
          type,
          resourceArn,
        );
      await domainStore.deletePolicy(tx, resourceArn);
      return { resourceArn, revision: current.revision, document: current.document } satisfies ResourcePolicy;
    });
  }

  /** Raw policy texts that govern a repository (for the access evaluator). */
  async policiesFor(domainId: number, repositoryId: number | null) {
    return this.cache.get(`p:${domainId}:${repositoryId}`, () => this.loadPolicies(domainId, repositoryId));
  }

  private async loadPolicies(domainId: number, repositoryId: number | null) {
    const domainPolicy = await domainStore.getPolicy(this.db, domainId, null);
    const repositoryPolicy = repositoryId === null ? null : await domainStore.getPolicy(this.db, domainId, repositoryId);
    return { domainPolicy, repositoryPolicy };
  }

  // ---- tags ----

  async listTags(resourceArn: string): Promise<Tag[]> {
    return domainStore.getTags(this.db, resourceArn);
  }

  async tagResource(target: { arn: string; domainId: number; repositoryId: number | null }, tags: Tag[]) {
    validateTags(tags);
    await this.db.transaction(async (tx) => {
      for (const t of tags) await domainStore.putTag(tx, { ...target, ...t });
      if ((await domainStore.countTags(tx, target.arn)) > MAX_TAGS)
        throw quotaExceeded(`A resource can have at most ${MAX_TAGS} tags.`);
    });
  }

  async untagResource(resourceArn: string, keys: string[]) {
    for (const k of keys) check('tagKey', 'tagKeys.member', k);
    await domainStore.deleteTags(this.db, resourceArn, keys);
  }
}

export function validateTags(tags: Tag[]) {
  if (tags.length > MAX_TAGS) throw validation(`At most ${MAX_TAGS} tags are allowed; got ${tags.length}.`);
  for (const t of tags) {
    check('tagKey', 'tags.member.key', t.key);
    check('tagValue', 'tags.member.value', t.value);
  }
}
