// Retention (reference §1.9), one home for every format: when a client fetches an artifact of
// version V that its repository does not hold, V is kept (by reference to the same blobs) in the
// repository the client called and, when V came through an external connection, in the repository
// that owns the connection too (origin EXTERNAL, entry point = the connection). Only the requested
// version is retained, each with its event, and only where the package's origin controls let
// upstream versions in (upstream=ALLOW; a package first arriving this way gets publish=BLOCK,
// upstream=ALLOW) and its package group's restriction allow it (EXTERNAL_UPSTREAM for the
// connection's owner, INTERNAL_UPSTREAM for a repository retaining from an upstream repository).
// Retained versions survive upstream deletion, outage and link removal.
import type { BlobDigests } from '../blobs/blob-store.js';
import type { RepositoryWithDomain } from '../store/domains.js';
import type { Readable } from 'node:stream';
import type { Coordinates, PackageService, PackageTx, VersionRow } from './packages.js';
import type { ExternalLink } from './chain.js';
import type { UpstreamClient } from '../upstream/client.js';
import { accessDenied } from '../errors.js';

export interface RetainedVersion {
  coords: Coordinates;
  version: string;
  metadata: Record<string, unknown>;
  assets: { name: string; digests: BlobDigests }[];
  origin: { type: 'INTERNAL' | 'EXTERNAL'; repository?: string; externalConnection?: string };
  /** the status the version keeps (Published for what comes from outside) */
  status?: 'Published' | 'Unlisted';
  /** the adapter's own per-version rows (npm's packument entries), in the same transaction */
  prepare?: (p: PackageTx, v: VersionRow) => Promise<void>;
  /** where V comes from, for the package groups' origin restrictions (default: an upstream repository) */
  via?: 'external' | 'upstream';
  /**
   * For formats whose versions hold several files fetched one at a time (a PyPI release's wheels
   * and sdist; Maven's pom, jar, sources, .module, .asc): when the version is already retained
   * from the same origin, the assets it lacks are added to it (an Updated event), and `prepare`
   * runs again. A version held from anywhere else gets no file. Without it an existing version is
   * left as it is.
   */
  addFiles?: boolean;
  /** false when the format's documents list versions, not files (Maven): an added file then rebuilds none */
  refreshOnFile?: boolean;
}

/**
 * Retains `v` in `chain[0]` (arriving as `v.via` says) and, in the same transaction, in each
 * repository after it, which reads it from the one before (an upstream repository: the package
 * group's INTERNAL_UPSTREAM restriction), as long as each newly keeps it. Returns the repositories
 * that newly hold it, in order.
 */
export async function retain(packages: PackageService, chain: RepositoryWithDomain[], v: RetainedVersion): Promise<RepositoryWithDomain[]> {
  const targets: RepositoryWithDomain[] = [];
  for (const [i, repo] of chain.entries()) {
    if (targets.some((t) => t.id === repo.id)) continue;
    // The package group's EXTERNAL_UPSTREAM / INTERNAL_UPSTREAM restriction, as upstream=BLOCK below.
    const via = i === 0 ? v.via : 'upstream';
    if (await packages.groups.refusal(repo, v.coords, via === 'external' ? 'EXTERNAL_UPSTREAM' : 'INTERNAL_UPSTREAM')) break;
    targets.push(repo);
  }
  if (targets.length === 0) return [];
  return packages.inPackages(async (open) => {
    const done: RepositoryWithDomain[] = [];
    for (const repo of targets) {
      const added = await open(repo, v.coords, (p) => retainIn(p, v));
      if (!added) break;
      done.push(repo);
    }
    return done;
  });
}

/** Retains `v` in the package `p` holds locked; false when it is kept already or blocked. */
async function retainIn(p: PackageTx, v: RetainedVersion): Promise<boolean> {
  if (p.requirePkg().origin_upstream === 'BLOCK') return false;
  // Complete in one insert (assets, revision and event); null when the version is already here.
  const created = await p.createVersion({ version: v.version, status: v.status ?? 'Published', metadata: v.metadata, origin: v.origin }, v.assets, {
    operationType: 'Created',
    assetsAdded: v.assets.length,
  });
  if (!created) {
    const existing = v.addFiles ? await p.version(v.version) : null;
    return existing ? addFiles(p, existing, v) : false;
  }
  if (v.prepare) await v.prepare(p, created);
  await p.refresh();
  return true;
}

/** Adds the assets of `v` that the retained version `existing` lacks (see RetainedVersion.addFiles). */
async function addFiles(p: PackageTx, existing: VersionRow, v: RetainedVersion): Promise<boolean> {
  if (existing.status !== 'Published' && existing.status !== 'Unlisted') return false;
  const sameOrigin =
    existing.origin_type === v.origin.type &&
    (v.origin.type === 'EXTERNAL'
      ? existing.entry_external_connection === (v.origin.externalConnection ?? null)
      : existing.entry_repository === (v.origin.repository ?? null));
  if (!sameOrigin) return false;
  const have = await p.assets(existing);
  const missing = v.assets.filter((a) => !have.some((h) => h.name === a.name));
  if (missing.length === 0) return false;
  const nv = await p.addFiles(existing, have, missing, { operationType: 'Updated', assetsAdded: missing.length });
  if (v.prepare) await v.prepare(p, nv);
  if (v.refreshOnFile !== false) await p.refresh();
  return true;
}

/** A version found in an upstream repository of the domain, retained as its source has it. */
export async function retainFromUpstream(
  packages: PackageService,
  requesting: RepositoryWithDomain,
  coords: Coordinates,
  src: VersionRow,
  prepare?: RetainedVersion['prepare'],
  files: Pick<RetainedVersion, 'addFiles' | 'refreshOnFile'> = {},
): Promise<void> {
  if (src.status !== 'Published' && src.status !== 'Unlisted') return;
  const assets = await packages.assets(src);
  await retain(packages, [requesting], {
    coords,
    version: src.version,
    status: src.status,
    metadata: src.metadata,
    assets: assets.map((a) => ({ name: a.name, digests: a })),
    origin: {
      type: src.origin_type === 'EXTERNAL' ? 'EXTERNAL' : 'INTERNAL',
      repository: src.entry_repository ?? undefined,
      externalConnection: src.entry_external_connection ?? undefined,
    },
    prepare,
    ...files,
  });
}

/**
 * Brings version `version` in from an external connection, once across every request and replica:
 * `open` streams its artifact (already checked against the upstream's published hash, failing
 * before its end on a mismatch), the bytes go to the blob store, and the version is retained in the
 * connection's owner and in the requesting repository. Nothing is kept when any step fails.
 * Returns the digests of the asset `assetName` as kept, or null when the owner does not keep it.
 */
export async function ingest(
  packages: PackageService,
  o: {
    link: ExternalLink;
    requesting: RepositoryWithDomain;
    coords: Coordinates;
    version: string;
    assetName: string;
    metadata: Record<string, unknown>;
    maxBytes: number;
    open: (client: UpstreamClient) => Promise<Readable>;
    prepare?: RetainedVersion['prepare'];
    /** maps a storing failure (e.g. an integrity mismatch) to what the client sees */
    failure?: (e: unknown) => unknown;
    /**
     * One file of a version that holds several (PyPI, Maven): the single fetch is per file, and a
     * version already retained gets this file added (RetainedVersion.addFiles).
     */
    addFiles?: boolean;
    refreshOnFile?: boolean;
  },
): Promise<BlobDigests | null> {
  const { link, coords, version } = o;
  const refused = await packages.groups.refusal(link.owner, coords, 'EXTERNAL_UPSTREAM');
  if (refused) throw accessDenied(`${coords.namespace ? `${coords.namespace}/` : ''}${coords.name} ${version} cannot come from ${link.connection} into ${link.owner.name}: ${refused}.`);
  const key = `ingest|${link.owner.domain_id}|${link.connection}|${coords.format}|${coords.namespace}|${coords.name}|${version}${o.addFiles ? `|${o.assetName}` : ''}`;
  /** The version in `repo`, when it holds it (with addFiles: with this file). */
  const held = async (repo: RepositoryWithDomain) => {
    const pkg = await packages.findPackage(repo, coords);
    const v = pkg ? await packages.version(pkg, version) : null;
    if (!v || !o.addFiles) return v;
    return (await packages.assets(v)).some((a) => a.name === o.assetName) ? v : null;
  };
  // What the owner holds: the version as this process just retained it (with the repositories it
  // went into), or as found there.
  const kept = await packages.upstreams.once<{ v: RetainedVersion; into: RepositoryWithDomain[] } | VersionRow | null>(
    key,
    async () => {
      // Another replica (or an earlier request) may have finished just before this one claimed.
      const there = await held(link.owner);
      if (there) return there;
      const client = packages.upstreams.client(link.connection);
      let digests;
      try {
        const stream = await o.open(client);
        digests = await packages.storeBlob(link.owner.domain_id, stream, { maxBytes: o.maxBytes });
      } catch (e) {
        throw o.failure ? o.failure(e) : e;
      }
      const v: RetainedVersion = {
        coords,
        version,
        metadata: o.metadata,
        assets: [{ name: o.assetName, digests }],
        origin: { type: 'EXTERNAL', externalConnection: link.connection },
        prepare: o.prepare,
        via: 'external',
        addFiles: o.addFiles,
        refreshOnFile: o.refreshOnFile,
      };
      // The owner and the requesting repository (which reads it from the owner) in one transaction.
      // Not kept when the owner's package blocks upstream versions (then its blob is left to the collector).
      const into = await retain(packages, [link.owner, o.requesting], v);
      return into.some((r) => r.id === link.owner.id) ? { v, into } : held(link.owner);
    },
    () => held(link.owner),
  );
  if (!kept) return null;
  // The requesting repository keeps it too, by reference to the same blobs (origin stays EXTERNAL).
  if (!('v' in kept)) {
    if (o.requesting.id !== link.owner.id) await retainFromUpstream(packages, o.requesting, coords, kept, o.prepare, { addFiles: o.addFiles, refreshOnFile: o.refreshOnFile });
    return (await packages.assets(kept)).find((a) => a.name === o.assetName) ?? null;
  }
  // A request from another repository that shared this fetch: it reads the version from the owner.
  if (!kept.into.some((r) => r.id === o.requesting.id)) await retain(packages, [o.requesting], { ...kept.v, via: 'upstream' });
  return kept.v.assets.find((a) => a.name === o.assetName)?.digests ?? null;
}
