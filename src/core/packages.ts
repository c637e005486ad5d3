// Packages, versions and assets, shared by every format adapter: content goes to the blob store
// first, then one transaction (holding the package row lock) writes the version, its assets, the
// adapter's precomputed documents and an outbox event. Origin controls and the read chain live here.
import { createHash } from 'node:crypto';
import type { Db, Queryable } from '../store/db.js';
import { packageStore, type AssetRow, type Coordinates, type PackageRow, type VersionRow, type VersionStatus } from '../store/packages.js';
import type { RepositoryWithDomain } from '../store/domains.js';
import type { BlobDigests, BlobStore, DownloadUrlOptions, PutOptions } from '../blobs/blob-store.js';
import { HoardError, accessDenied } from '../errors.js';
import type { DomainService } from './domains.js';
import { versionEvent, type EventChange } from './events.js';
import { ChainService } from './chain.js';
import { PackageGroupService } from './package-groups.js';
import type { Upstreams } from './upstreams.js';

export type { Coordinates, PackageRow, VersionRow, AssetRow, VersionStatus };

/** How a package's first version arrived decides its origin-control defaults (reference §1.10). */
export type Arrival = 'publish' | 'upstream';
const ORIGIN_DEFAULTS: Record<Arrival, { publish: 'ALLOW' | 'BLOCK'; upstream: 'ALLOW' | 'BLOCK' }> = {
  publish: { publish: 'ALLOW', upstream: 'BLOCK' },
  upstream: { publish: 'BLOCK', upstream: 'ALLOW' },
};

export const blobScope = (domainId: number) => `d${domainId}`;

/**
 * A format adapter's hook that rebuilds its precomputed documents (npm packuments, PyPI project
 * pages, Maven metadata) for one package in one repository, inside the transaction that changed it.
 * Adapters register it at start-up, so control-plane changes (status, delete, copy) refresh them too.
 */
export type DocumentRefresher = (p: PackageTx) => Promise<void>;

/** One version CopyPackageVersions wrote into the destination, with its asset rows' ids on both sides. */
export interface CopiedVersion {
  version: string;
  fromVersionId: number;
  toVersionId: number;
  assets: { name: string; fromAssetId: number; toAssetId: number }[];
}

/**
 * Package-level data an adapter keeps in its own tables that control-plane operations need.
 * `latestVersion`: the version ListPackageVersions reports as defaultDisplayVersion (npm: the `latest`
 * dist-tag; null = the most recently published version). `copied`: runs in the destination's
 * transaction after CopyPackageVersions wrote versions and asset rows and before refresh(): copy
 * per-version/per-file rows (PyPI files, npm version entries) and dist-tags pointing at copied versions.
 */
export interface PackageDataHooks {
  latestVersion?(pkg: PackageRow): Promise<string | null>;
  /** npm's dist-tags (tag -> version), shown by the web UI; formats without tags leave it out */
  distTags?(pkg: PackageRow): Promise<Record<string, string>>;
  copied?(dest: PackageTx, source: PackageRow, versions: CopiedVersion[]): Promise<void>;
}

export class PackageService {
  private readonly refreshers = new Map<string, DocumentRefresher>();
  private readonly dataHooks = new Map<string, PackageDataHooks>();

  constructor(
    readonly db: Db,
    readonly blobs: BlobStore,
    readonly domains: DomainService,
    readonly region: string,
    /** the external connections' clients and document cache (core/upstreams.ts) */
    readonly upstreams: Upstreams,
  ) {
    this.groups = new PackageGroupService(db, domains);
    this.chains = new ChainService(db, domains, this.groups);
  }

  /** Package groups and their origin-control guard (core/package-groups.ts). */
  readonly groups: PackageGroupService;

  /** The read chain every format asks (core/chain.ts). */
  readonly chains: ChainService;

  /**
   * Streams content into the domain's blob store. With a known SHA-256 the collector lease is taken
   * before writing; otherwise right after, followed by a check that the object is still there (a
   * collection racing with a re-upload of identical bytes then fails the request instead of
   * leaving a dangling reference).
   */
  async storeBlob(domainId: number, body: NodeJS.ReadableStream | Buffer, opts: PutOptions = {}): Promise<BlobDigests> {
    const scope = blobScope(domainId);
    if (opts.expectedSha256) await packageStore.leaseBlob(this.db, domainId, opts.expectedSha256, 0);
    const d = await this.blobs.put(scope, body, opts);
    await packageStore.leaseBlob(this.db, domainId, d.sha256, d.size);
    if (!opts.expectedSha256 && !(await this.blobs.stat(scope, d.sha256)))
      throw new HoardError('ThrottlingException', 'The content was being cleaned up while it was uploaded; retry the upload.');
    return d;
  }

  registerRefresher(format: string, fn: DocumentRefresher): void {
    this.refreshers.set(format, fn);
  }

  refresherFor(format: string): DocumentRefresher | undefined {
    return this.refreshers.get(format);
  }

  /** Registers an adapter's PackageDataHooks (at router creation, next to registerRefresher). */
  registerDataHooks(format: string, hooks: PackageDataHooks): void {
    this.dataHooks.set(format, hooks);
  }

  dataHooksFor(format: string): PackageDataHooks {
    return this.dataHooks.get(format) ?? {};
  }

  /** Removes content of a deleted domain (no row can reference it any more). */
  async discardBlobs(domainId: number, sha256s: string[]): Promise<void> {
    for (const sha of sha256s) await this.blobs.delete(blobScope(domainId), sha);
  }

  openBlob(domainId: number, sha256: string, range?: { start: number; end: number }) {
    return this.blobs.get(blobScope(domainId), sha256, range);
  }

  /** Where a client may download the blob directly (a presigned S3 URL), or null: stream it (openBlob). */
  blobDownloadUrl(domainId: number, sha256: string, opts?: DownloadUrlOptions): Promise<string | null> {
    return this.blobs.downloadUrl(blobScope(domainId), sha256, opts);
  }

  /**
   * Runs fn in one transaction holding the package row lock, creating the package first (with
   * the defaults for `create`) when it does not exist. Concurrent writers of one package queue here.
   */
  async inPackage<T>(repo: RepositoryWithDomain, c: Coordinates, create: Arrival | false, fn: (p: PackageTx) => Promise<T>): Promise<T> {
    // Every publish of every format comes through here: the package group's PUBLISH restriction is
    // checked once for all of them (the package's own publish control is assertPublishAllowed's).
    if (create === 'publish') await this.groups.assertPublish(repo, c, displayName(c));
    return this.db.transaction((tx) => this.openPackage(tx, repo, c, create, fn));
  }

  /**
   * Changes to one package in several repositories in one transaction (retention into a
   * connection's owner and the repository that asked): `fn` opens each with `open`, which locks
   * and creates as inPackage does. Callers open repositories in chain order (owner first), so two
   * such transactions never wait on each other's locks in opposite orders.
   */
  async inPackages<T>(fn: (open: <U>(repo: RepositoryWithDomain, c: Coordinates, body: (p: PackageTx) => Promise<U>) => Promise<U>) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn((repo, c, body) => this.openPackage(tx, repo, c, 'upstream', body)));
  }

  private async openPackage<T>(tx: Queryable, repo: RepositoryWithDomain, c: Coordinates, create: Arrival | false, fn: (p: PackageTx) => Promise<T>): Promise<T> {
    // Retention mostly meets packages new to the repository: try the insert first. The inserted
    // row is this transaction's until it commits; a concurrent insert waits, then finds it.
    let created = create === 'upstream' ? await packageStore.insertPackage(tx, repo.id, c, ORIGIN_DEFAULTS[create]) : null;
    let pkg = created ?? (await packageStore.getPackage(tx, repo.id, c, true));
    if (!pkg && create) {
      created = await packageStore.insertPackage(tx, repo.id, c, ORIGIN_DEFAULTS[create]);
      pkg = created ?? (await packageStore.getPackage(tx, repo.id, c, true));
    }
    return fn(new PackageTx(this, tx, repo, c, pkg, created !== null));
  }

  async findPackage(repo: RepositoryWithDomain, c: Coordinates): Promise<PackageRow | null> {
    return packageStore.getPackage(this.db, repo.id, c);
  }

  async versions(pkg: PackageRow, q: Queryable = this.db): Promise<VersionRow[]> {
    return packageStore.listVersions(q, pkg.id);
  }

  async assets(version: VersionRow, q: Queryable = this.db): Promise<AssetRow[]> {
    return packageStore.listAssets(q, version.id);
  }

  async versionById(id: number): Promise<VersionRow | null> {
    return packageStore.getVersionById(this.db, id);
  }

  async version(pkg: PackageRow, version: string): Promise<VersionRow | null> {
    return packageStore.getVersion(this.db, pkg.id, version);
  }

  /** The package along the repository's read chain (core/chain.ts), in CodeArtifact's order. */
  async chain(repo: RepositoryWithDomain, c: Coordinates): Promise<{ repo: RepositoryWithDomain; pkg: PackageRow }[]> {
    return (await this.chains.members(repo, c)).members;
  }
}

/** Revision: base64 SHA-256 over the asset set and the version metadata (reference §1.6). */
export function revisionOf(assets: { name: string; sha256: string }[], metadata: unknown): string {
  const h = createHash('sha256');
  for (const a of [...assets].sort((x, y) => (x.name < y.name ? -1 : 1))) h.update(`${a.name}\0${a.sha256}\n`);
  h.update(JSON.stringify(metadata ?? {}));
  return h.digest('base64');
}

/** The write side inside one package transaction. */
export class PackageTx {
  constructor(
    private readonly svc: PackageService,
    readonly tx: Queryable,
    readonly repo: RepositoryWithDomain,
    readonly coords: Coordinates,
    public pkg: PackageRow | null,
    /** the package row was inserted by this transaction */
    readonly newPackage = false,
  ) {}

  /** The versions createVersion inserted in this transaction, in order. */
  readonly created: VersionRow[] = [];

  /**
   * The package's versions when this transaction knows them without asking: a package it inserted
   * holds exactly the versions createVersion added since (every path that inserts versions into a
   * new package goes through it; copies only write into packages that exist). Null otherwise.
   */
  knownVersions(): VersionRow[] | null {
    return this.newPackage ? this.created : null;
  }

  /** Refuses a direct publish when the package's origin controls block it. */
  assertPublishAllowed(): void {
    if (this.pkg?.origin_publish === 'BLOCK')
      throw accessDenied(
        `Publishing to package ${displayName(this.coords)} in repository ${this.repo.name} is blocked by its package origin controls (publish=BLOCK).`,
      );
  }

  version(version: string): Promise<VersionRow | null> {
    return packageStore.getVersion(this.tx, this.requirePkg().id, version, true);
  }

  versions(): Promise<VersionRow[]> {
    return packageStore.listVersions(this.tx, this.requirePkg().id);
  }

  assets(v: VersionRow): Promise<AssetRow[]> {
    return packageStore.listAssets(this.tx, v.id);
  }

  /**
   * Inserts a version (null when it exists). With `assets` (content already in the blob store) the
   * version is complete in one step: its assets are added and its revision covers them, so no
   * update() has to follow. With `event`, its outbox event is written in the same statement.
   */
  async createVersion(
    v: {
      version: string;
      status: VersionStatus;
      metadata: Record<string, unknown>;
      origin?: { type: 'INTERNAL' | 'EXTERNAL'; repository?: string; externalConnection?: string };
    },
    assets: { name: string; digests: BlobDigests }[] = [],
    event?: EventChange,
  ): Promise<VersionRow | null> {
    const origin = v.origin ?? { type: 'INTERNAL', repository: this.repo.name };
    const revision = revisionOf(
      assets.map((a) => ({ name: a.name, sha256: a.digests.sha256 })),
      v.metadata,
    );
    const created = await packageStore.insertVersion(
      this.tx,
      {
        packageId: this.requirePkg().id,
        version: v.version,
        status: v.status,
        revision,
        originType: origin.type,
        entryRepository: origin.repository ?? null,
        entryExternalConnection: origin.externalConnection ?? null,
        publishedAt: v.status === 'Published' ? new Date() : null,
        metadata: v.metadata,
      },
      {
        domainId: this.repo.domain_id,
        assets: assets.map((a) => ({ name: a.name, ...a.digests })),
        event: event ? { repositoryId: this.repo.id, payload: this.eventPayload({ version: v.version, status: v.status, revision }, event) } : null,
        touchPackage: assets.length > 0 && !this.newPackage,
      },
    );
    if (!created) return null;
    this.created.push(created);
    return created;
  }

  /** Adds an asset (content already in the blob store). Returns null when the name exists. */
  async addAsset(v: VersionRow, name: string, d: BlobDigests): Promise<AssetRow | null> {
    await packageStore.leaseBlob(this.tx, this.repo.domain_id, d.sha256, d.size);
    return packageStore.insertAsset(this.tx, { versionId: v.id, name, ...d });
  }

  /**
   * Adds `files` to version `v`, whose assets are `have`, in one statement with its outbox event
   * (`event`, for the new revision, which covers `have` and `files`). Returns the updated version.
   */
  async addFiles(v: VersionRow, have: { name: string; sha256: string }[], files: { name: string; digests: BlobDigests }[], event: EventChange): Promise<VersionRow> {
    const revision = revisionOf([...have, ...files.map((f) => ({ name: f.name, sha256: f.digests.sha256 }))], v.metadata);
    const updated = await packageStore.addAssets(this.tx, {
      versionId: v.id,
      packageId: this.requirePkg().id,
      revision,
      domainId: this.repo.domain_id,
      assets: files.map((f) => ({ name: f.name, ...f.digests })),
      event: { repositoryId: this.repo.id, payload: this.eventPayload({ version: v.version, status: v.status, revision }, event) },
    });
    const i = this.created.findIndex((c) => c.id === v.id);
    if (i >= 0) this.created[i] = updated;
    return updated;
  }

  /** Updates status/metadata and recomputes the revision from the current assets. */
  async update(v: VersionRow, change: { status?: VersionStatus; metadata?: Record<string, unknown> }): Promise<VersionRow> {
    const metadata = change.metadata ?? v.metadata;
    const assets = await packageStore.listAssets(this.tx, v.id);
    const revision = revisionOf(assets, metadata);
    const publishedAt = change.status === 'Published' && !v.published_at ? new Date() : undefined;
    await packageStore.updateVersion(this.tx, v.id, { status: change.status, revision, metadata: change.metadata, publishedAt });
    await packageStore.touchPackage(this.tx, this.requirePkg().id);
    const updated = (await packageStore.getVersion(this.tx, this.requirePkg().id, v.version))!;
    const i = this.created.findIndex((c) => c.id === v.id);
    if (i >= 0) this.created[i] = updated;
    return updated;
  }

  async deleteVersion(v: VersionRow): Promise<void> {
    const i = this.created.findIndex((c) => c.id === v.id);
    if (i >= 0) this.created.splice(i, 1);
    await packageStore.deleteVersion(this.tx, v.id);
    await packageStore.touchPackage(this.tx, this.requirePkg().id);
  }

  /** Rebuilds the format's precomputed documents for this package (no-op for formats without any). */
  async refresh(): Promise<void> {
    const fn = this.svc.refresherFor(this.coords.format);
    if (fn) await fn(this);
  }

  /** Writes the outbox event for a version change, in this transaction. */
  async event(v: { version: string; status: VersionStatus | 'Deleted'; revision: string }, change: EventChange): Promise<void> {
    await packageStore.insertEvent(this.tx, this.repo.domain_id, this.repo.id, this.eventPayload(v, change));
  }

  private eventPayload(v: { version: string; status: VersionStatus | 'Deleted'; revision: string }, change: EventChange) {
    return versionEvent({
      region: this.svc.region,
      domainName: this.repo.domain_name,
      domainOwner: this.repo.domain_owner,
      repositoryName: this.repo.name,
      repositoryAdministrator: this.repo.administrator,
      coords: this.coords,
      version: v.version,
      status: v.status,
      revision: v.revision,
      change,
    });
  }

  requirePkg(): PackageRow {
    if (!this.pkg) throw new Error('PackageTx: package does not exist (inPackage was called without create)');
    return this.pkg;
  }
}

export function displayName(c: Coordinates): string {
  if (!c.namespace) return c.name;
  return c.format === 'npm' ? `@${c.namespace}/${c.name}` : `${c.namespace}:${c.name}`;
}
