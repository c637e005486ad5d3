// The npm wire format: a version's packument entries (full and abbreviated), the packument documents
// assembled from pre-serialised entries, and the merge of several repositories' documents.
// Tarball URLs are stored with a placeholder base and made absolute when a document is served, so
// a stored document does not depend on the public URL or on which repository serves it.
import { createHash } from 'node:crypto';
import semver from 'semver';
import { tarballPath, type NpmName } from './names.js';

/** Stands for the serving endpoint's base URL inside stored documents (`"tarball":"<BASE>name/-/..."`). */
export const BASE = '@@hoard-endpoint@@/';
export const withBase = (doc: string, base: string) => doc.replaceAll(`"${BASE}`, `"${base}`);

/** Fields of a version in the abbreviated ("corgi") document (protocols.md A.2). */
const ABBREVIATED = [
  'name',
  'version',
  'deprecated',
  'dependencies',
  'optionalDependencies',
  'devDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'bundleDependencies',
  'bundledDependencies',
  'acceptDependencies',
  'bin',
  'directories',
  'dist',
  'engines',
  '_hasShrinkwrap',
  'funding',
  'cpu',
  'os',
  'libc',
  '_npmUser',
];

/** Keys a client may send that only the registry sets, or that do not belong in a version entry. */
const DROPPED = ['_attachments', '_rev', '_revisions', 'readme', 'readmeFilename', '_resolved', '_from', '_integrity', '_shasum', '_where', '_args', '_inBundle', '_requested', '_spec', '_phantomChildren', '_requiredBy', '_location', '_inCache', '_nodeModulesPath', '_installable', 'hasInstallScript'];

export interface DistFacts {
  integrity: string;
  shasum: string;
  fileCount?: number;
  unpackedSize?: number;
}

export interface Publisher {
  name: string;
  email?: string;
}

/** The manifest Hoard keeps for a version (in package_version.metadata.npm): what the client sent, cleaned. */
export function cleanManifest(raw: Record<string, unknown>, n: NpmName, version: string, dist: DistFacts, publisher: Publisher, extra: { hasInstallScript: boolean }) {
  const m: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!DROPPED.includes(k) && v !== undefined) m[k] = v;
  const rawDist = raw.dist && typeof raw.dist === 'object' ? (raw.dist as Record<string, unknown>) : {};
  m.name = n.full;
  m.version = version;
  m._id = `${n.full}@${version}`;
  m._npmUser = publisher;
  if (!Array.isArray(m.maintainers) || m.maintainers.length === 0) m.maintainers = [publisher];
  m.dist = {
    integrity: dist.integrity,
    shasum: dist.shasum,
    ...(dist.fileCount !== undefined ? { fileCount: dist.fileCount } : {}),
    ...(dist.unpackedSize !== undefined ? { unpackedSize: dist.unpackedSize } : {}),
    ...(Array.isArray(rawDist.signatures) ? { signatures: rawDist.signatures } : {}),
    ...(rawDist.attestations && typeof rawDist.attestations === 'object' ? { attestations: rawDist.attestations } : {}),
  };
  if (extra.hasInstallScript) m.hasInstallScript = true;
  return m;
}

export function hasInstallScript(manifest: Record<string, unknown>, hasBindingGyp: boolean): boolean {
  const s = (manifest.scripts && typeof manifest.scripts === 'object' ? manifest.scripts : {}) as Record<string, unknown>;
  return Boolean(s.preinstall || s.install || s.postinstall || (hasBindingGyp && manifest.gypfile !== false));
}

/** The two serialised entries of one version, tarball URL relative to BASE. */
export function versionEntries(manifest: Record<string, unknown>, n: NpmName): { full: string; abbr: string } {
  const version = String(manifest.version);
  const { hasInstallScript: his, ...rest } = manifest;
  const dist = { ...(rest.dist as Record<string, unknown>), tarball: `${BASE}${tarballPath(n, version)}` };
  const full: Record<string, unknown> = { ...rest, dist };
  const abbr: Record<string, unknown> = {};
  for (const k of ABBREVIATED) if (full[k] !== undefined) abbr[k] = full[k];
  if (his) abbr.hasInstallScript = true;
  if (typeof abbr.deprecated === 'string' && abbr.deprecated === '') delete abbr.deprecated;
  return { full: JSON.stringify(full), abbr: JSON.stringify(abbr) };
}

export interface DocVersion {
  version: string;
  time: Date;
  full: string;
  abbr: string;
}

/**
 * The dist-tags a document shows: stored tags that point at a listed version, and `latest` always
 * (falling back to the highest stable listed version, else the highest listed version).
 */
export function effectiveTags(stored: Record<string, string>, listed: string[]): Record<string, string> {
  const set = new Set(listed);
  const out: Record<string, string> = {};
  for (const [t, v] of Object.entries(stored)) if (set.has(v)) out[t] = v;
  if (!out.latest && listed.length) {
    const valid = listed.filter((v) => semver.valid(v));
    const stable = valid.filter((v) => !semver.prerelease(v));
    const pick = (stable.length ? stable : valid).sort(semver.rcompare)[0] ?? listed[listed.length - 1];
    out.latest = pick;
  }
  return sortTags(out);
}

const sortTags = (t: Record<string, string>) => {
  const { latest, ...rest } = t;
  return { ...(latest ? { latest } : {}), ...Object.fromEntries(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1))) };
};

const HOISTED = ['description', 'author', 'license', 'homepage', 'keywords', 'repository', 'bugs', 'contributors', 'maintainers'];

export interface DocumentHeader {
  name: NpmName;
  rev: string;
  created: Date;
  modified: Date;
  tags: Record<string, string>;
  latest: Record<string, unknown> | null;
  readme: string | undefined;
  readmeFilename: string | undefined;
}

/**
 * The fixed text around the per-version lists. A full document is
 * `fullHead + <"v":entry,...> + fullMid + <,"v":"time",...> + fullTail`, an abbreviated one
 * `abbrHead + <"v":entry,...> + abbrMid + <,"v":"time",...> + abbrTail`; the lists are joined
 * where the entries are (in SQL). Abbreviated documents carry `time` too: pnpm, yarn and npm's
 * minimum-release-age checks read it, and without it fall back to the full document.
 */
export interface DocumentParts {
  fullHead: string;
  fullMid: string;
  fullTail: string;
  abbrHead: string;
  abbrMid: string;
  abbrTail: string;
}

export function documentParts(o: DocumentHeader): DocumentParts {
  const q = JSON.stringify;
  const hoisted: Record<string, unknown> = {};
  for (const k of HOISTED) if (o.latest?.[k] !== undefined) hoisted[k] = o.latest[k];
  if (o.readme !== undefined) hoisted.readme = o.readme;
  if (o.readmeFilename !== undefined) hoisted.readmeFilename = o.readmeFilename;
  const hoistedText = Object.entries(hoisted)
    .map(([k, v]) => `,${q(k)}:${q(v)}`)
    .join('');
  return {
    fullHead: `{"_id":${q(o.name.full)},"_rev":${q(o.rev)},"name":${q(o.name.full)},"dist-tags":${q(o.tags)},"versions":{`,
    fullMid: `},"time":{"created":${q(o.created.toISOString())},"modified":${q(o.modified.toISOString())}`,
    fullTail: `},"users":{}${hoistedText}}`,
    abbrHead: `{"name":${q(o.name.full)},"modified":${q(o.modified.toISOString())},"dist-tags":${q(o.tags)},"versions":{`,
    abbrMid: `},"time":{"created":${q(o.created.toISOString())},"modified":${q(o.modified.toISOString())}`,
    abbrTail: '}}',
  };
}

/** Both documents assembled in JS from the parts (the refresher does the same join in SQL). */
export function assembleDocuments(o: DocumentHeader & { versions: DocVersion[] }): { full: string; abbr: string } {
  const q = JSON.stringify;
  const p = documentParts(o);
  const fullVersions = o.versions.map((v) => `${q(v.version)}:${v.full}`).join(',');
  const abbrVersions = o.versions.map((v) => `${q(v.version)}:${v.abbr}`).join(',');
  const times = o.versions.map((v) => `,${q(v.version)}:${q(v.time.toISOString())}`).join('');
  return { full: p.fullHead + fullVersions + p.fullMid + times + p.fullTail, abbr: p.abbrHead + abbrVersions + p.abbrMid + times + p.abbrTail };
}

export const etagOf = (s: string | Buffer) => createHash('sha256').update(s).digest('base64url');

/** A document as merging sees it. */
type Doc = {
  _rev?: string;
  name?: string;
  modified?: string;
  'dist-tags'?: Record<string, string>;
  versions?: Record<string, unknown>;
  time?: Record<string, string>;
  [k: string]: unknown;
};

/**
 * Merges the documents of the repositories in a read chain (first = the requesting repository):
 * the first repository holding a version wins it; for a dist-tag held by several, the most
 * upstream value wins (CodeArtifact's documented rule); `time` is the union, `modified` the newest.
 */
export function mergeDocuments(texts: string[], kind: 'full' | 'abbr'): string {
  const docs = texts.map((t) => JSON.parse(t) as Doc);
  const versions: Record<string, unknown> = {};
  const times: Record<string, string> = {};
  const tags: Record<string, string> = {};
  let created: string | undefined;
  let modified = '';
  for (const d of docs) {
    for (const [v, entry] of Object.entries(d.versions ?? {})) if (!(v in versions)) versions[v] = entry;
    for (const [t, v] of Object.entries(d['dist-tags'] ?? {})) tags[t] = v;
    const m = kind === 'full' ? d.time?.modified : (d.modified ?? d.time?.modified);
    if (m && m > modified) modified = m;
    if (d.time?.created && (!created || d.time.created < created)) created = d.time.created;
    for (const [v, t] of Object.entries(d.time ?? {})) if (v !== 'created' && v !== 'modified' && !(v in times)) times[v] = t;
  }
  const listed = Object.keys(versions);
  const shownTags = effectiveTags(tags, listed);
  // Top-level fields come from the repository that holds the version `latest` points at.
  const owner = docs.find((d) => d.versions && shownTags.latest && shownTags.latest in d.versions) ?? docs[0];
  const time: Record<string, string> = { ...(created ? { created } : {}), modified };
  for (const v of listed) if (times[v]) time[v] = times[v];
  if (kind === 'abbr') return JSON.stringify({ name: owner.name, modified, 'dist-tags': shownTags, versions, time });
  const rev = `${docs.length}-${etagOf(docs.map((d) => d._rev ?? '').join('|')).slice(0, 16)}`;
  return JSON.stringify({ ...owner, _rev: rev, 'dist-tags': shownTags, versions, time });
}
