// Package groups (reference §1.11): CodeArtifact's ten operations' semantics over a domain's
// groups, and the origin-control guard every publish and every upstream ingestion asks
// (`refusal`): a package's most specific group decides, through INHERIT, whether a repository may
// take a new version of it by publish, from an upstream repository or from an external connection.
// The hierarchy is computed from the patterns (package-group-pattern.ts), so a deleted group's
// children re-parent by themselves. No HTTP, no SQL here.
import type { Db, Queryable } from '../store/db.js';
import type { DomainRow, RepositoryWithDomain } from '../store/domains.js';
import { domainStore } from '../store/domains.js';
import { packageGroupStore, type PackageGroupRow } from '../store/package-groups.js';
import { accessDenied, conflict, notFound, validation } from '../errors.js';
import { check } from './names.js';
import type { DomainService, Page, Tag } from './domains.js';
import { validateTags } from './domains.js';
import { decodeToken, encodeToken } from './pagination.js';
import {
  RESTRICTION_MODES,
  RESTRICTION_TYPES,
  associated,
  associationType,
  effectiveRestriction,
  encodePatternForArn,
  parentOf,
  parsePattern,
  permits,
  type GroupRestrictions,
  type PackageCoords,
  type Pattern,
  type RestrictionMode,
  type RestrictionType,
} from './package-group-pattern.js';

export interface Group extends GroupRestrictions {
  row: PackageGroupRow;
}

interface Reference {
  arn: string;
  pattern: string;
}

export interface PackageGroupDescription {
  arn: string;
  pattern: string;
  domainName: string;
  domainOwner: string;
  createdTime: Date;
  contactInfo?: string;
  description?: string;
  originConfiguration: {
    restrictions: Record<RestrictionType, { mode: RestrictionMode; effectiveMode: RestrictionMode; inheritedFrom?: Reference; repositoriesCount: number }>;
  };
  parent?: Reference;
}

type DomainRef = Pick<DomainRow, 'id' | 'name' | 'owner'>;

const ROOT = '/*';

export class PackageGroupService {
  constructor(
    private readonly db: Db,
    private readonly domains: DomainService,
  ) {}

  arn(d: { owner: string; name: string }, pattern: string): string {
    return `arn:aws:codeartifact:${this.domains.region}:${d.owner}:package-group/${d.name}${encodePatternForArn(pattern)}`;
  }

  /** Every group of the domain with its restrictions (cached with the other lookups; writes here invalidate it). */
  groups(domainId: number): Promise<Group[]> {
    return this.domains.cache.get(`pg:${domainId}`, async () => {
      let rows = await packageGroupStore.list(this.db, domainId);
      if (!rows.some((r) => r.pattern === ROOT)) {
        // A domain from before package groups, or one whose root went missing: the root is created lazily.
        await packageGroupStore.insertRoot(this.db, domainId);
        rows = await packageGroupStore.list(this.db, domainId);
      }
      const allowed = await packageGroupStore.allowedIn(this.db, domainId);
      return rows.map((row) => ({
        row,
        pattern: parsePattern(row.pattern),
        modes: {
          PUBLISH: row.publish_mode as RestrictionMode,
          EXTERNAL_UPSTREAM: row.external_upstream_mode as RestrictionMode,
          INTERNAL_UPSTREAM: row.internal_upstream_mode as RestrictionMode,
        },
        allowed: Object.fromEntries(
          RESTRICTION_TYPES.map((t) => [t, allowed.filter((a) => a.group_id === row.id && a.restriction_type === t).map((a) => a.name)]),
        ) as Record<RestrictionType, string[]>,
      }));
    });
  }

  private async write<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction(fn);
    } finally {
      this.domains.cache.invalidate();
    }
  }

  /** The group with this exact pattern, or a ResourceNotFound naming it. */
  async find(d: DomainRef, pattern: string): Promise<{ group: Group; all: Group[] }> {
    const p = parsePattern(pattern);
    const all = await this.groups(d.id);
    const group = all.find((g) => g.pattern.text === p.text);
    if (!group) throw notFound(`Package group ${pattern} not found in domain ${d.name}.`, undefined, pattern);
    return { group, all };
  }

  /** The group itself, its parent, ..., the root. */
  private ancestry(all: Group[], g: Group): Group[] {
    const out = [g];
    for (let p = parentOf(all, g.pattern); p; p = parentOf(all, p.pattern)) out.push(p);
    return out;
  }

  describe(d: DomainRef, all: Group[], g: Group): PackageGroupDescription {
    const ancestry = this.ancestry(all, g);
    const ref = (x: Group): Reference => ({ arn: this.arn(d, x.pattern.text), pattern: x.pattern.text });
    const restrictions = Object.fromEntries(
      RESTRICTION_TYPES.map((t) => {
        const e = effectiveRestriction(ancestry, t);
        return [
          t,
          {
            mode: e.mode,
            effectiveMode: e.effectiveMode,
            ...(e.inheritedFrom ? { inheritedFrom: ref(e.inheritedFrom) } : {}),
            repositoriesCount: g.allowed[t].length,
          },
        ];
      }),
    ) as PackageGroupDescription['originConfiguration']['restrictions'];
    return {
      arn: this.arn(d, g.pattern.text),
      pattern: g.pattern.text,
      domainName: d.name,
      domainOwner: d.owner,
      createdTime: g.row.created_at,
      ...(g.row.contact_info !== null ? { contactInfo: g.row.contact_info } : {}),
      ...(g.row.description !== null ? { description: g.row.description } : {}),
      originConfiguration: { restrictions },
      ...(ancestry[1] ? { parent: ref(ancestry[1]) } : {}),
    };
  }

  async create(d: DomainRef, pattern: string, o: { description?: string; contactInfo?: string; tags: Tag[] }): Promise<PackageGroupDescription> {
    const p = parsePattern(pattern);
    checkText(o);
    validateTags(o.tags);
    await this.groups(d.id); // the root exists before any other group
    await this.write(async (tx) => {
      const row = await packageGroupStore.insert(tx, { domainId: d.id, pattern: p.text, description: o.description ?? null, contactInfo: o.contactInfo ?? null });
      if (!row) throw conflict(`Package group ${p.text} already exists in domain ${d.name}.`, undefined, p.text);
      for (const t of o.tags) await domainStore.putTag(tx, { arn: this.arn(d, p.text), domainId: d.id, repositoryId: null, ...t });
    });
    return this.describeByPattern(d, p.text);
  }

  async describeByPattern(d: DomainRef, pattern: string): Promise<PackageGroupDescription> {
    const { group, all } = await this.find(d, pattern);
    return this.describe(d, all, group);
  }

  async update(d: DomainRef, pattern: string, o: { description?: string; contactInfo?: string }): Promise<PackageGroupDescription> {
    checkText(o);
    const { group } = await this.find(d, pattern);
    await this.write((tx) => packageGroupStore.update(tx, group.row.id, o));
    return this.describeByPattern(d, pattern);
  }

  /** Deletes a group (never the root); its children then hang off its parent. Returns it as it was. */
  async delete(d: DomainRef, pattern: string): Promise<PackageGroupDescription> {
    const { group, all } = await this.find(d, pattern);
    if (group.pattern.kind === 'root') throw validation(`The root package group ${ROOT} cannot be deleted; every domain keeps it.`);
    const desc = this.describe(d, all, group);
    await this.write(async (tx) => {
      await domainStore.deleteAllTags(tx, desc.arn);
      await packageGroupStore.delete(tx, group.row.id);
    });
    return desc;
  }

  async updateOrigin(
    d: DomainRef,
    pattern: string,
    restrictions: Partial<Record<RestrictionType, RestrictionMode>>,
    add: { repositoryName: string; originRestrictionType: RestrictionType }[],
    remove: { repositoryName: string; originRestrictionType: RestrictionType }[],
  ) {
    const { group } = await this.find(d, pattern);
    for (const [t, m] of Object.entries(restrictions))
      if (group.pattern.kind === 'root' && m === 'INHERIT')
        throw validation(`The root package group ${ROOT} has no parent to inherit from; set ${t} to ALLOW, BLOCK or ALLOW_SPECIFIC_REPOSITORIES.`);
    const updates: Partial<Record<RestrictionType, { ADDED?: string[]; REMOVED?: string[] }>> = {};
    const note = (t: RestrictionType, k: 'ADDED' | 'REMOVED', name: string) => ((updates[t] ??= {})[k] ??= []).push(name);
    await this.write(async (tx) => {
      const locked = await packageGroupStore.get(tx, d.id, group.pattern.text, true);
      if (!locked) throw notFound(`Package group ${pattern} not found in domain ${d.name}.`, undefined, pattern);
      for (const [t, m] of Object.entries(restrictions)) await packageGroupStore.setMode(tx, locked.id, t as RestrictionType, m);
      const repo = async (name: string) => {
        check('repository', 'repositoryName', name);
        const r = await domainStore.getRepository(tx, d.id, name);
        if (!r) throw notFound(`Repository ${name} not found in domain ${d.name}.`, 'repository', name);
        return r;
      };
      for (const a of add) if (await packageGroupStore.addAllowed(tx, locked.id, a.originRestrictionType, (await repo(a.repositoryName)).id)) note(a.originRestrictionType, 'ADDED', a.repositoryName);
      for (const a of remove)
        if (await packageGroupStore.removeAllowed(tx, locked.id, a.originRestrictionType, (await repo(a.repositoryName)).id)) note(a.originRestrictionType, 'REMOVED', a.repositoryName);
    });
    return { packageGroup: await this.describeByPattern(d, pattern), allowedRepositoryUpdates: updates };
  }

  async list(d: DomainRef, prefix: string | undefined, max: number, token?: string): Promise<Page<PackageGroupDescription>> {
    const all = await this.groups(d.id);
    const chosen = all.filter((g) => prefix === undefined || g.pattern.text.startsWith(prefix));
    return this.page(chosen, max, token, (g) => this.describe(d, all, g));
  }

  async listSub(d: DomainRef, pattern: string, max: number, token?: string): Promise<Page<PackageGroupDescription>> {
    const { group, all } = await this.find(d, pattern);
    const children = all.filter((g) => g !== group && parentOf(all, g.pattern) === group);
    return this.page(children, max, token, (g) => this.describe(d, all, g));
  }

  async listAllowed(d: DomainRef, pattern: string, type: RestrictionType, max: number, token?: string): Promise<Page<string>> {
    const { group } = await this.find(d, pattern);
    const after = token ? decodeToken<{ r: string }>(token).r : null;
    const names = [...group.allowed[type]].sort().filter((n) => after === null || n > after);
    const items = names.slice(0, max);
    return { items, nextToken: names.length > max ? encodeToken({ r: items[items.length - 1] }) : undefined };
  }

  private page(groups: Group[], max: number, token: string | undefined, map: (g: Group) => PackageGroupDescription): Page<PackageGroupDescription> {
    const after = token ? decodeToken<{ p: string }>(token).p : null;
    const sorted = groups.filter((g) => after === null || g.pattern.text > after).sort((a, b) => (a.pattern.text < b.pattern.text ? -1 : 1));
    const items = sorted.slice(0, max);
    return { items: items.map(map), nextToken: sorted.length > max ? encodeToken({ p: items[items.length - 1].pattern.text }) : undefined };
  }

  /**
   * The packages stored anywhere in the domain whose most specific group is `pattern`; with
   * `preview` the pattern need not exist yet and the answer is what would belong to it if it did.
   */
  async associatedPackages(d: DomainRef, pattern: string, preview: boolean, max: number, token?: string) {
    const p = parsePattern(pattern);
    let all = await this.groups(d.id);
    let self = all.find((g) => g.pattern.text === p.text);
    if (!self) {
      if (!preview) throw notFound(`Package group ${pattern} not found in domain ${d.name}; pass preview=true to see what it would hold.`, undefined, pattern);
      self = { row: {} as PackageGroupRow, pattern: p, modes: {} as Group['modes'], allowed: {} as Group['allowed'] };
      all = [...all, self];
    }
    const filter = candidates(p);
    let after = token ? decodeToken<{ f: string; n: string; p: string }>(token) : null;
    const out: { format: string; namespace?: string; package: string; associationType: 'STRONG' | 'WEAK' }[] = [];
    let more = false;
    for (;;) {
      const batch = await packageGroupStore.packagesIn(this.db, d.id, filter, after && { format: after.f, namespace: after.n, name: after.p }, 500);
      for (const c of batch) {
        if (associated(all, c) !== self) continue;
        if (out.length === max) {
          more = true;
          break;
        }
        out.push({ format: c.format, ...(c.namespace ? { namespace: c.namespace } : {}), package: c.name, associationType: associationType(p) });
      }
      if (more || batch.length < 500) break;
      const last = batch[batch.length - 1];
      after = { f: last.format, n: last.namespace, p: last.name };
    }
    const last = out[out.length - 1];
    return { packages: out, nextToken: more && last ? encodeToken({ f: last.format, n: last.namespace ?? '', p: last.package }) : undefined };
  }

  /** The group a package belongs to (whether or not it is stored anywhere), with the association's strength. */
  async associatedGroup(d: DomainRef, c: PackageCoords) {
    const all = await this.groups(d.id);
    const g = associated(all, c)!; // the root matches everything
    return { packageGroup: this.describe(d, all, g), associationType: associationType(g.pattern) };
  }

  /**
   * The origin-control guard of package groups: null when `repo` may take a new version of the
   * package by way of `type`, otherwise the reason (naming the group and the restriction).
   */
  async refusal(repo: RepositoryWithDomain, c: PackageCoords, type: RestrictionType): Promise<string | null> {
    const all = await this.groups(repo.domain_id);
    const g = associated(all, c);
    if (!g) return null;
    const e = effectiveRestriction(this.ancestry(all, g), type);
    if (permits(e, repo.name)) return null;
    const from = e.inheritedFrom ? `, inherited from ${e.inheritedFrom.pattern.text}` : '';
    const why = e.effectiveMode === 'BLOCK' ? '' : `; ${repo.name} is not on its allowed repositories list`;
    return `package group ${g.pattern.text} sets ${type} to ${e.effectiveMode}${from}${why}`;
  }

  /** Throws AccessDenied when package groups forbid publishing the package into `repo`. */
  async assertPublish(repo: RepositoryWithDomain, c: PackageCoords, display: string): Promise<void> {
    const why = await this.refusal(repo, c, 'PUBLISH');
    if (why) throw accessDenied(`Publishing ${display} to repository ${repo.name} is not allowed: ${why}.`);
  }
}

function checkText(o: { description?: string; contactInfo?: string }) {
  if (o.description !== undefined) check('description', 'description', o.description);
  if (o.contactInfo !== undefined) check('description', 'contactInfo', o.contactInfo);
}

/** Narrows the domain's packages to those `p` matches (the SQL half of matching). */
function candidates(p: Pattern) {
  switch (p.kind) {
    case 'root':
      return {};
    case 'format':
      return { format: p.format };
    case 'namespacePrefix':
      return { format: p.format, namespacePrefix: p.namespace };
    case 'namespace':
      return { format: p.format, namespace: p.namespace };
    case 'namePrefix':
      return { format: p.format, namespace: p.namespace, namePrefix: p.name };
    case 'exact':
      return { format: p.format, namespace: p.namespace, name: p.name };
  }
}

/** Validates a restriction map from the API: known types, known modes. */
export function restrictionMap(v: unknown): Partial<Record<RestrictionType, RestrictionMode>> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw validation("'restrictions' must be an object mapping PUBLISH, EXTERNAL_UPSTREAM, INTERNAL_UPSTREAM to a mode.");
  const out: Partial<Record<RestrictionType, RestrictionMode>> = {};
  for (const [k, m] of Object.entries(v)) {
    out[restrictionType(`restrictions key`, k)] = restrictionMode(`restrictions.${k}`, m);
  }
  return out;
}

export function restrictionType(field: string, v: unknown): RestrictionType {
  if (!(RESTRICTION_TYPES as readonly unknown[]).includes(v))
    throw validation(
      `1 validation error detected: Value '${String(v)}' at '${field}' failed to satisfy constraint: Member must satisfy enum value set: [${RESTRICTION_TYPES.join(', ')}]`,
    );
  return v as RestrictionType;
}

function restrictionMode(field: string, v: unknown): RestrictionMode {
  if (!(RESTRICTION_MODES as readonly unknown[]).includes(v))
    throw validation(
      `1 validation error detected: Value '${String(v)}' at '${field}' failed to satisfy constraint: Member must satisfy enum value set: [${RESTRICTION_MODES.join(', ')}]`,
    );
  return v as RestrictionMode;
}
