// The npm adapter's own data (dist-tags, precomputed packuments, serialised version entries), kept
// in migrations/0002_npm.sql and queried in store/npm.ts (a format's own tables are the one part of
// store/ it may use directly). Writes take the PackageTx of the change, so they commit with it.
import type { Db } from '../../store/db.js';
import { npmStore, type DocKind, type NpmDocRow, type NpmPackageRow, type NpmTarballRow, type NpmVersionListRow } from '../../store/npm.js';
import type { PackageTx } from '../../core/packages.js';

export type { DocKind, NpmDocRow, NpmPackageRow, NpmTarballRow, NpmVersionListRow };

export class NpmData {
  constructor(private readonly db: Db) {}

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

  async lockPackage(p: PackageTx): Promise<NpmPackageRow> {
    const id = p.requirePkg().id;
    return (await npmStore.ensurePackage(p.tx, id)) ?? (await npmStore.getPackage(p.tx, id, true))!;
  }

  setDistTags(p: PackageTx, tags: Record<string, string>): Promise<void> {
    return npmStore.setDistTags(p.tx, p.requirePkg().id, tags);
  }

  versionList(p: PackageTx): Promise<NpmVersionListRow[]> {
    return npmStore.versionList(p.tx, p.requirePkg().id);
  }

  versionDetail(p: PackageTx, versionId: number) {
    return npmStore.versionDetail(p.tx, versionId);
  }

  putVersionDoc(p: PackageTx, versionId: number, full: string, abbr: string): Promise<void> {
    return npmStore.putVersionDoc(p.tx, versionId, full, abbr);
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
