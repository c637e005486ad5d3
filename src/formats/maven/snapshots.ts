// SNAPSHOT bookkeeping. A SNAPSHOT version (`1.0-SNAPSHOT`) is ONE package version, as CodeArtifact
// keeps it; its assets are the timestamped files of every build. The version's metadata records the
// builds: a build is `done` once its version-level maven-metadata.xml arrived, and only done builds
// are served, so a deploy in progress is never half-visible. Hoard owns the build numbers: every
// new build gets a number above all earlier ones (done or still uploading), so two concurrent
// deploys that both read build N from the metadata become N+1 and N+2 instead of colliding; the
// client's own name for a renumbered build is kept as an alias for its remaining uploads.
import type { AssetRow } from '../../core/packages.js';
import { parseFileName, snapshotFileName, snapshotValue, type BuildId } from './layout.js';
import type { SnapshotVersionEntry } from './metadata-xml.js';

export interface Build extends BuildId {
  done: boolean;
  /** yyyyMMddHHmmss when the build was completed */
  updated?: string;
}

export interface SnapshotState {
  builds: Build[];
  /** `${timestamp}-${clientBuildNumber}` → the number Hoard gave that build */
  aliases: Record<string, number>;
}

const key = (b: BuildId) => `${b.timestamp}-${b.buildNumber}`;

export function readState(metadata: Record<string, unknown>): SnapshotState {
  const m = (metadata.maven ?? {}) as { snapshot?: SnapshotState };
  return { builds: [...(m.snapshot?.builds ?? [])], aliases: { ...(m.snapshot?.aliases ?? {}) } };
}

export function withState(metadata: Record<string, unknown>, s: SnapshotState): Record<string, unknown> {
  const maven = { ...((metadata.maven ?? {}) as Record<string, unknown>), snapshot: s };
  return { ...metadata, maven };
}

/** The build a client-named build maps to, if Hoard knows it. */
export function findBuild(s: SnapshotState, client: BuildId): Build | undefined {
  const alias = s.aliases[key(client)];
  const n = alias ?? client.buildNumber;
  return s.builds.find((b) => b.timestamp === client.timestamp && b.buildNumber === n);
}

/** The build an upload belongs to, registering a new one (renumbered when its number is taken). */
export function assignBuild(s: SnapshotState, client: BuildId): { build: Build; created: boolean } {
  const known = findBuild(s, client);
  if (known) return { build: known, created: false };
  const max = s.builds.reduce((m, b) => Math.max(m, b.buildNumber), 0);
  const n = client.buildNumber > max ? client.buildNumber : max + 1;
  if (n !== client.buildNumber) s.aliases[key(client)] = n;
  const build: Build = { timestamp: client.timestamp, buildNumber: n, done: false };
  s.builds.push(build);
  return { build, created: true };
}

export function latestDone(s: SnapshotState): Build | undefined {
  let best: Build | undefined;
  for (const b of s.builds) if (b.done && (!best || b.buildNumber > best.buildNumber)) best = b;
  return best;
}

interface BuildFile {
  asset: AssetRow;
  build: Build;
  classifier: string;
  extension: string;
}

/** The assets of done builds, newest build first. */
function doneFiles(s: SnapshotState, groupId: string, artifactId: string, version: string, assets: AssetRow[]): BuildFile[] {
  const byKey = new Map(s.builds.filter((b) => b.done).map((b) => [key(b), b]));
  const out: BuildFile[] = [];
  for (const a of assets) {
    const f = parseFileName(groupId, artifactId, version, a.name);
    if (typeof f === 'string' || !f.snapshot || f.snapshot === 'SNAPSHOT') continue;
    const build = byKey.get(key(f.snapshot));
    if (build) out.push({ asset: a, build, classifier: f.classifier, extension: f.extension });
  }
  return out.sort((x, y) => y.build.buildNumber - x.build.buildNumber);
}

/** `<snapshotVersions>`: per classifier and extension, the file of the newest done build that has one. */
export function snapshotEntries(
  s: SnapshotState,
  groupId: string,
  artifactId: string,
  version: string,
  assets: AssetRow[],
): SnapshotVersionEntry[] {
  const seen = new Map<string, SnapshotVersionEntry>();
  for (const f of doneFiles(s, groupId, artifactId, version, assets)) {
    const k = `${f.classifier}\0${f.extension}`;
    if (!seen.has(k))
      seen.set(k, { classifier: f.classifier, extension: f.extension, value: snapshotValue(version, f.build), updated: f.build.updated ?? '' });
  }
  return [...seen.values()].sort((a, b) => (a.extension + a.classifier < b.extension + b.classifier ? -1 : 1));
}

/**
 * The asset a read of a SNAPSHOT file name means: `a-1.0-SNAPSHOT[-c].ext` is the newest done build's
 * file; a timestamped name must belong to a done build (by Hoard's number or the client's alias).
 */
export function resolveSnapshotAsset(
  s: SnapshotState,
  f: { groupId: string; artifactId: string; version: string; classifier: string; extension: string; snapshot: BuildId | 'SNAPSHOT' },
  assets: AssetRow[],
): AssetRow | undefined {
  if (f.snapshot === 'SNAPSHOT') {
    return doneFiles(s, f.groupId, f.artifactId, f.version, assets).find(
      (x) => x.classifier === f.classifier && x.extension === f.extension,
    )?.asset;
  }
  // Reads use Hoard's build numbers only (the ones its metadata hands out), not upload aliases.
  const ts = f.snapshot.timestamp;
  const n = f.snapshot.buildNumber;
  const b = s.builds.find((x) => x.timestamp === ts && x.buildNumber === n);
  if (!b?.done) return undefined;
  const name = snapshotFileName(f.artifactId, f.version, b, f.classifier, f.extension);
  return assets.find((a) => a.name === name);
}
