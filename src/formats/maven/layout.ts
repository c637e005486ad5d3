// The Maven repository layout (reference C.1): `group/path/artifactId/version/file`, checksum
// suffixes, maven-metadata.xml at artifact and version level, timestamped SNAPSHOT file names.
// Parsing refuses traversal, empty segments and names outside Maven's rules before anything
// reaches the core; an unknown but harmless name is `other` (404 on GET, 400 on PUT).
import { validation } from '../../errors.js';
import { isSnapshotVersion } from './version-order.js';

export const CHECKSUM_ALGOS = ['md5', 'sha1', 'sha256', 'sha512'] as const;
export type Algo = (typeof CHECKSUM_ALGOS)[number];
export const HEX_LENGTH: Record<Algo, number> = { md5: 32, sha1: 40, sha256: 64, sha512: 128 };

export const METADATA_FILE = 'maven-metadata.xml';

/** A build of a SNAPSHOT: `yyyyMMdd.HHmmss` (UTC) and its number. */
export interface BuildId {
  timestamp: string;
  buildNumber: number;
}

export interface ArtifactFile {
  groupId: string;
  artifactId: string;
  /** the version directory: `1.2.0` or `1.3.0-SNAPSHOT` */
  version: string;
  file: string;
  classifier: string; // '' = none
  extension: string; // may hold dots: tar.gz, jar.asc
  /** null for releases; a timestamped build, or 'SNAPSHOT' for `a-1.0-SNAPSHOT.jar` (the latest build) */
  snapshot: BuildId | 'SNAPSHOT' | null;
}

export type MavenPath =
  | { kind: 'file'; f: ArtifactFile; checksum?: Algo }
  | { kind: 'metadata'; dirs: string[]; checksum?: Algo }
  | { kind: 'other'; reason: string };

// Maven's model validator: ids are [A-Za-z0-9_\-.]+; group directories hold no dots (a dot in
// one would make two groupIds share a path).
const ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const GROUP_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/;
const CLASSIFIER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const EXT_PART = /^[A-Za-z0-9]+$/;
const MAX = 255;

/** Splits the raw (still percent-encoded) path below the endpoint into decoded segments. */
export function splitRawPath(raw: string): string[] {
  if (raw === '') return [];
  const parts = raw.split('/');
  return parts.map((p) => {
    if (p === '') throw validation('The path has an empty segment ("//"); Maven paths have none.');
    let s: string;
    try {
      s = decodeURIComponent(p);
    } catch {
      throw validation(`The path segment "${clip(p)}" is not valid percent-encoding.`);
    }
    if (s === '.' || s === '..') throw validation('The path contains "." or ".." segments; relative paths are refused.');
    if (/[/\\\0-\x1f\x7f]/.test(s)) throw validation(`The path segment "${clip(s)}" holds a slash, backslash or control character.`);
    if (s.length > MAX) throw validation(`The path segment "${clip(s)}" is longer than ${MAX} characters.`);
    return s;
  });
}

export function parseMavenPath(raw: string): MavenPath {
  // A directory (Gradle lists one when maven-metadata.xml is missing): not served, so "not found".
  if (raw.endsWith('/')) {
    splitRawPath(raw.slice(0, -1));
    return { kind: 'other', reason: 'directory listings are not served; every artifact has a maven-metadata.xml' };
  }
  const segs = splitRawPath(raw);
  if (segs.length === 0) return { kind: 'other', reason: 'the repository root is not a file' };
  let name = segs[segs.length - 1];
  let checksum: Algo | undefined;
  for (const a of CHECKSUM_ALGOS) {
    if (name.endsWith(`.${a}`) && name.length > a.length + 1) {
      checksum = a;
      name = name.slice(0, -(a.length + 1));
      break;
    }
  }
  const dirs = segs.slice(0, -1);
  if (name === METADATA_FILE) {
    if (dirs.length < 2) return { kind: 'other', reason: 'maven-metadata.xml needs at least a group and an artifact directory' };
    return { kind: 'metadata', dirs, checksum };
  }
  if (dirs.length < 3)
    return { kind: 'other', reason: `"${name}" is not inside a group/artifactId/version directory (Maven layout: group/path/artifactId/version/file)` };
  const version = dirs[dirs.length - 1];
  const artifactId = dirs[dirs.length - 2];
  const groupDirs = dirs.slice(0, -2);
  const bad = checkCoordinates(groupDirs, artifactId, version);
  if (bad) return { kind: 'other', reason: bad };
  const f = parseFileName(groupDirs.join('.'), artifactId, version, name);
  if (typeof f === 'string') return { kind: 'other', reason: f };
  return { kind: 'file', f, checksum };
}

/** Returns why the coordinates break Maven's rules, or null. */
export function checkCoordinates(groupDirs: string[], artifactId: string, version?: string): string | null {
  for (const g of groupDirs) if (!GROUP_SEGMENT.test(g)) return `"${clip(g)}" is not a valid groupId segment (letters, digits, _ and -)`;
  if (groupDirs.join('.').length > MAX) return `the groupId is longer than ${MAX} characters`;
  if (!ID.test(artifactId)) return `"${clip(artifactId)}" is not a valid artifactId (letters, digits, _, - and .)`;
  if (version !== undefined && !VERSION.test(version)) return `"${clip(version)}" is not a valid version (letters, digits and . _ + ~ -)`;
  return null;
}

/** The extension at the end of `rest`: the last part, with `.asc` and `tar.*` kept whole. */
function extensionOf(rest: string): string | null {
  const parts = rest.split('.');
  let k = 1;
  if (parts[parts.length - 1] === 'asc' && parts.length > 1) k++;
  const last = parts[parts.length - k];
  if (['gz', 'bz2', 'xz', 'zst'].includes(last) && parts[parts.length - k - 1] === 'tar') k++;
  const ext = parts.slice(-k);
  return ext.every((p) => EXT_PART.test(p)) ? ext.join('.') : null;
}

/** `a-1.0[-cls].ext`, `a-1.0-20250104.101500-7[-cls].ext` or `a-1.0-SNAPSHOT[-cls].ext`; a string says why not. */
export function parseFileName(groupId: string, artifactId: string, version: string, file: string): ArtifactFile | string {
  const snapshot = isSnapshotVersion(version);
  const base = snapshot ? version.slice(0, -'-SNAPSHOT'.length) : version;
  const prefix = `${artifactId}-${base}`;
  const mismatch = `file "${clip(file)}" does not belong in ${artifactId}/${version}/ (expected ${artifactId}-${version}[-classifier].extension)`;
  if (!file.startsWith(prefix)) return mismatch;
  let rest = file.slice(prefix.length);
  let build: ArtifactFile['snapshot'] = null;
  if (snapshot) {
    const m = /^-(?:(SNAPSHOT)|(\d{8}\.\d{6})-([1-9]\d{0,8}))(?=[.-])/.exec(rest);
    if (!m) return mismatch;
    build = m[1] ? 'SNAPSHOT' : { timestamp: m[2], buildNumber: Number(m[3]) };
    if (build !== 'SNAPSHOT' && !validTimestamp(build.timestamp)) return `"${build.timestamp}" is not a valid snapshot timestamp (yyyyMMdd.HHmmss)`;
    rest = rest.slice(m[0].length);
  }
  let classifier = '';
  let extension: string | null;
  if (rest.startsWith('.')) {
    extension = extensionOf(rest.slice(1));
    if (extension !== rest.slice(1)) return mismatch;
  } else if (rest.startsWith('-')) {
    extension = extensionOf(rest.slice(1));
    if (!extension) return mismatch;
    classifier = rest.slice(1, -(extension.length + 1));
    if (!classifier || !CLASSIFIER.test(classifier)) return mismatch;
  } else return mismatch;
  if (!extension) return mismatch;
  return { groupId, artifactId, version, file, classifier, extension, snapshot: build };
}

function validTimestamp(ts: string): boolean {
  const m = /^(\d{4})(\d{2})(\d{2})\.(\d{2})(\d{2})(\d{2})$/.exec(ts);
  if (!m) return false;
  const [, , mo, d, h, mi, s] = m.map(Number);
  return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 60;
}

/** The file name of a SNAPSHOT build's artifact. */
export function snapshotFileName(artifactId: string, version: string, b: BuildId, classifier: string, extension: string): string {
  return `${artifactId}-${snapshotValue(version, b)}${classifier ? `-${classifier}` : ''}.${extension}`;
}

/** `1.3.0-SNAPSHOT` + build → `1.3.0-20250104.101500-7` */
export function snapshotValue(version: string, b: BuildId): string {
  return `${version.slice(0, -'-SNAPSHOT'.length)}-${b.timestamp}-${b.buildNumber}`;
}

/** Interpretations of the directories before a maven-metadata.xml. */
export function artifactLevel(dirs: string[]): { groupId: string; artifactId: string } | null {
  if (dirs.length < 2) return null;
  const groupDirs = dirs.slice(0, -1);
  if (checkCoordinates(groupDirs, dirs[dirs.length - 1])) return null;
  return { groupId: groupDirs.join('.'), artifactId: dirs[dirs.length - 1] };
}

export function versionLevel(dirs: string[]): { groupId: string; artifactId: string; version: string } | null {
  if (dirs.length < 3) return null;
  const groupDirs = dirs.slice(0, -2);
  if (checkCoordinates(groupDirs, dirs[dirs.length - 2], dirs[dirs.length - 1])) return null;
  return { groupId: groupDirs.join('.'), artifactId: dirs[dirs.length - 2], version: dirs[dirs.length - 1] };
}

/**
 * Reads an uploaded checksum file: lowercase or uppercase hex, alone, followed by a file name
 * (`hex  name`) or in BSD form (`SHA1(name)= hex`), as Maven's ChecksumUtils accepts.
 */
export function parseChecksumBody(text: string, algo: Algo): string | null {
  const t = text.trim();
  const bsd = /=\s*([0-9a-fA-F]+)$/.exec(t);
  const hex = bsd ? bsd[1] : /^([0-9a-fA-F]+)(?:\s|$)/.exec(t)?.[1];
  if (!hex || hex.length !== HEX_LENGTH[algo]) return null;
  return hex.toLowerCase();
}

const clip = (s: string) => (s.length > 80 ? `${s.slice(0, 80)}...` : s);
