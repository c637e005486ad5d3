// The npm adapter's own data (dist-tags, precomputed packuments, serialised version entries), kept
// in migrations/0002_npm.sql and queried in store/npm.ts (a format's own tables are the one part of
// store/ it may use directly). Writes take the PackageTx of the change, so they commit with it.
import type { Db } from '../../store/db.js';
import { npmStore, type DocKind, type NpmDocRow, type NpmPackageRow, type NpmTarballRow, type NpmVersionListRow } from '../../store/npm.js';
import type { PackageTx } from '../../core/packages.js';

export type { DocKind, NpmDocRow, NpmPackageRow, NpmTarballRow, NpmVersionListRow };

/** What one package transaction wrote or locked of npm's rows, so its refresh need not read them back. */
interface TxState {
  pkg?: NpmPackageRow;
  entries: Map<number, { full: string; abbr: string }>;
}

/** An npm_package row as a package inserted by this transaction starts (the table's defaults). */
const NEW_PACKAGE = { dist_tags: {}, rev: 0, modified: new Date(0), visible: 0 } as const;

export class NpmData {
  constructor(private readonly db: Db) {}

  private readonly txs = new WeakMap<PackageTx, TxState>();

  private state(p: PackageTx): TxState {
    let s = this.txs.get(p);
    if (!s) this.txs.set(p, (s = { entries: new Map() }));
    return s;
  }

  /** One indexed lookup: the package's document in each repository of a read chain. */
  docs(repositoryIds: number[], ns: string, name: string, kind: DocKind, known: string[] = []): Promise<NpmDocRow[]> {
    return npmStore.docs(this.db, repositoryIds, ns, name, kind, known);
  }

  tarballs(repositoryIds: number[], ns: string, name: string, version: string): Promise<NpmTarballRow[]> {
    return npmStore.tarballs(this.db, repositoryIds, ns, name, version);
  }

  versionEntry(packageId: number, version: string) {
    return npmStore.versionEntry(this.db, packageId, version);
  }

  distTags(packageId: number): Promise<NpmPackageRow | null> {
    return npmStore.getPackage(this.db, packageId);
  }

  search(repositoryIds: number[], terms: string[], scope: string | null, limit: number, offset: number) {
    return npmStore.search(this.db, repositoryIds, terms, scope, limit, offset);
  }

  // In the package's transaction:

  /**
   * The package's npm row, created if missing (read once per transaction). The transaction holds the
   * package row's lock (inPackage), which covers this row too.
   */
  async lockPackage(p: PackageTx): Promise<NpmPackageRow> {
    const s = this.state(p);
    s.pkg ??= await npmStore.ensurePackage(p.tx, p.requirePkg().id);
    return s.pkg;
  }

  /**
   * lockPackage for the refresh: a package this transaction inserted and whose npm row nothing has
   * touched yet has none; rebuildDocuments creates it (see npmStore.rebuildDocuments).
   */
  async packageForRefresh(p: PackageTx): Promise<NpmPackageRow> {
    const s = this.state(p);
    if (!s.pkg && p.newPackage) return { package_id: p.requirePkg().id, ...NEW_PACKAGE };
    return this.lockPackage(p);
  }

  /**
   * Sets the package's dist-tags for this transaction. They are stored by the document rebuild
   * that must follow (p.refresh()): the documents show them, so a change without one would be
   * wrong anyway, and the rebuild writes both in one statement.
   */
  async setDistTags(p: PackageTx, tags: Record<string, string>): Promise<void> {
    const np = await this.lockPackage(p);
    np.dist_tags = tags;
  }

  versionList(p: PackageTx): Promise<NpmVersionListRow[]> {
    return npmStore.versionList(p.tx, p.requirePkg().id);
  }

  versionDetail(p: PackageTx, versionId: number) {
    return npmStore.versionDetail(p.tx, versionId);
  }

  async putVersionDoc(p: PackageTx, versionId: number, full: string, abbr: string): Promise<void> {
    await npmStore.putVersionDoc(p.tx, versionId, full, abbr);
    this.state(p).entries.set(versionId, { full, abbr });
  }

  /** The entries putVersionDoc wrote for a version in this transaction, if it did. */
  writtenEntries(p: PackageTx, versionId: number): { full: string; abbr: string } | undefined {
    return this.txs.get(p)?.entries.get(versionId);
  }

  /** Another package's dist-tags, read in this transaction (CopyPackageVersions). */
  async distTagsTx(p: PackageTx, packageId: number): Promise<Record<string, string>> {
    return (await npmStore.getPackage(p.tx, packageId))?.dist_tags ?? {};
  }

  copyVersionDoc(p: PackageTx, fromVersionId: number, toVersionId: number): Promise<void> {
    return npmStore.copyVersionDoc(p.tx, fromVersionId, toVersionId);
  }

  /** Rebuilds the package's documents from its entries, in the database (see npmStore.rebuildDocuments). */
  rebuildDocuments(p: PackageTx, d: Parameters<typeof npmStore.rebuildDocuments>[2]): Promise<void> {
    return npmStore.rebuildDocuments(p.tx, p.requirePkg().id, d);
  }
}
