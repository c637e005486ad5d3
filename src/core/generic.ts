// The generic format (reference §6.4): exists only through the control plane. PublishPackageVersion
// streams one asset per call into the blob store (verified against the caller's SHA-256, nothing
// kept on mismatch), then one package transaction adds it; `unfinished` keeps the version open for
// more assets. GetPackageVersionAsset serves the assets of any format.
import { accessDenied, conflict, notFound, quotaExceeded, validation } from '../errors.js';
import { displayName, type Coordinates, type PackageService, type VersionRow } from './packages.js';
import { assetSummary, requireVersion, type AssetSummary } from './listing.js';
import type { RepositoryWithDomain } from '../store/domains.js';
import { packageStore } from '../store/packages.js';

export const MAX_ASSETS_PER_VERSION = 150;

// Unicode letters (Ll Lm Lo Lt Lu), letter numbers (Nl), decimal digits (Nd), ~!@^&()-_+[]{};,.
// and single inner spaces; never "." or "..".
const GENERIC_ASSET = /^[\p{Ll}\p{Lm}\p{Lo}\p{Lt}\p{Lu}\p{Nl}\p{Nd}~!@^&()\-_+[\]{};,.]+( [\p{Ll}\p{Lm}\p{Lo}\p{Lt}\p{Lu}\p{Nl}\p{Nd}~!@^&()\-_+[\]{};,.]+)*$/u;

/** Asset names of any format: 1-255 characters, no control characters (reference §2.4). */
export function checkAssetName(name: string): string {
  if (name.length < 1 || name.length > 255 || !/^\P{C}+$/u.test(name))
    throw validation(
      `1 validation error detected: Value '${name.slice(0, 100)}' at 'assetName' failed to satisfy constraint: Member must have length between 1 and 255 and contain no control characters`,
    );
  return name;
}

/** The stricter rule for names of generic assets. */
export function checkGenericAssetName(name: string): string {
  checkAssetName(name);
  if (name === '.' || name === '..' || !GENERIC_ASSET.test(name))
    throw validation(
      `Invalid asset name '${name.slice(0, 100)}': generic asset names use Unicode letters and digits, the characters ~!@^&()-_+[]{};,. and single spaces between other characters, and cannot be '.' or '..'.`,
    );
  return name;
}

export interface PublishResult {
  format: string;
  namespace: string;
  package: string;
  version: string;
  versionRevision: string;
  status: string;
  asset: AssetSummary;
}

export interface PublishInput {
  version: string;
  assetName: string;
  sha256: string;
  unfinished: boolean;
  maxBytes: number;
}

/** Refuses early, before any byte is read, what the transaction would refuse anyway. */
async function precheck(ps: PackageService, repo: RepositoryWithDomain, c: Coordinates, i: PublishInput): Promise<void> {
  await ps.groups.assertPublish(repo, c, displayName(c));
  const pkg = await ps.findPackage(repo, c);
  if (!pkg) return;
  if (pkg.origin_publish === 'BLOCK')
    throw accessDenied(
      `Publishing to package ${displayName(c)} in repository ${repo.name} is blocked by its package origin controls (publish=BLOCK).`,
    );
  const v = await ps.version(pkg, i.version);
  if (!v) return;
  const assets = await ps.assets(v);
  const same = assets.find((a) => a.name === i.assetName);
  if (same && same.sha256.trim() === i.sha256) return; // idempotent re-publish: still read and verified
  refuseChange(c, v, same ? 'different' : 'new', assets.length);
}

function refuseChange(c: Coordinates, v: VersionRow, kind: 'different' | 'new', count: number): void {
  if (v.status !== 'Unfinished')
    throw conflict(
      kind === 'different'
        ? `Asset already exists in package version ${v.version} of ${displayName(c)} with different content; published content is never overwritten.`
        : `Package version ${v.version} of ${displayName(c)} is ${v.status}; assets can be added only while it is Unfinished (publish with --unfinished until the last asset).`,
      'package-version',
      v.version,
    );
  if (kind === 'different')
    throw conflict(`Asset already exists in package version ${v.version} of ${displayName(c)} with different content.`, 'asset', v.version);
  if (count >= MAX_ASSETS_PER_VERSION)
    throw quotaExceeded(`A package version can have at most ${MAX_ASSETS_PER_VERSION} assets.`, 'package-version', v.version);
}

export async function publishGeneric(
  ps: PackageService,
  repo: RepositoryWithDomain,
  c: Coordinates,
  i: PublishInput,
  body: NodeJS.ReadableStream,
): Promise<PublishResult> {
  await precheck(ps, repo, c, i);
  // The bytes go to the blob store first (verified, deduplicated per domain); a mismatch leaves nothing.
  const d = await ps.storeBlob(repo.domain_id, body, { expectedSha256: i.sha256, maxBytes: i.maxBytes });
  return ps.inPackage(repo, c, 'publish', async (p) => {
    p.assertPublishAllowed();
    let v = await p.version(i.version);
    const created = !v;
    if (!v) {
      v = (await p.createVersion({ version: i.version, status: 'Unfinished', metadata: {} }))!;
    }
    const assets = await p.assets(v);
    const same = assets.find((a) => a.name === i.assetName);
    let added = false;
    if (same) {
      if (same.sha256.trim() !== d.sha256) refuseChange(c, v, 'different', assets.length);
    } else {
      refuseChange(c, v, 'new', assets.length);
      await p.addAsset(v, i.assetName, d);
      added = true;
    }
    const finish = !i.unfinished && v.status === 'Unfinished';
    if (added || finish || created) {
      const before = v.status;
      v = await p.update(v, finish ? { status: 'Published' } : {});
      await p.event(v, {
        operationType: created ? 'Created' : 'Updated',
        assetsAdded: added ? 1 : 0,
        statusChanged: created || before !== v.status,
      });
      await p.refresh();
    }
    return {
      format: c.format,
      namespace: c.namespace,
      package: c.name,
      version: v.version,
      versionRevision: v.revision,
      status: v.status,
      asset: assetSummary({ ...d, name: i.assetName }),
    };
  });
}

/** Statuses whose assets can be downloaded (Unlisted stays downloadable, as CodeArtifact documents). */
const DOWNLOADABLE = new Set(['Published', 'Unlisted']);

/** The asset a download names, checked as GetPackageVersionAsset checks it (the caller streams or redirects). */
export async function findAsset(
  ps: PackageService,
  repo: RepositoryWithDomain,
  c: Coordinates,
  version: string,
  assetName: string,
  revision?: string,
) {
  const { v } = await requireVersion(ps, repo, c, version);
  if (revision !== undefined && revision !== v.revision)
    throw notFound(`Package version ${version} of ${displayName(c)} has no revision ${revision}; its current revision is ${v.revision}.`, 'package-version', version);
  if (!DOWNLOADABLE.has(v.status))
    throw conflict(
      `Package version ${version} of ${displayName(c)} is ${v.status}; its assets cannot be downloaded${v.status === 'Archived' ? ' until it is restored to Published or Unlisted' : ''}.`,
      'package-version',
      version,
    );
  const asset = await packageStore.getAsset(ps.db, v.id, assetName);
  if (!asset) throw notFound(`Asset ${assetName} not found in package version ${version} of ${displayName(c)}.`, 'asset', assetName);
  return { version: v, asset };
}

/** findAsset, and the asset's bytes streamed from the blob store. */
export async function openAsset(...args: Parameters<typeof findAsset>) {
  const [ps, repo] = args;
  const found = await findAsset(...args);
  const stream = await ps.openBlob(repo.domain_id, found.asset.sha256.trim());
  return { ...found, stream };
}
