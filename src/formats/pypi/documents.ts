// Precomputed project pages. Each package row (one project in one repository) keeps its file
// entries and both rendered pages with strong ETags, rebuilt inside every transaction that changes
// the project (uploads here, status changes and deletions from the control plane through the
// registered refresher); the external connection's page is kept rendered by core's document cache
// (core/upstreams.ts). A read serves the stored bytes when one member of the chain holds the
// project, and merges the entries (first repository wins per file name, the external page last)
// when several do, once per change of any member.
import { createHash } from 'node:crypto';
import type { ExternalLink } from '../../core/chain.js';
import { type PackageRow, type PackageTx, type VersionStatus } from '../../core/packages.js';
import { pypiStore, type PypiFileRow } from '../../store/pypi.js';
import type { RepositoryWithDomain } from '../../store/domains.js';
import type { Services } from '../../services.js';
import { ImmutableCache } from './cache.js';
import { compareVersions } from './names.js';
import { projectHtml, projectJson, versionsOf, type FileEntry } from './simple.js';
import { PART, projectFetcher, projectKey, type UpstreamUrls } from './upstream.js';

/** What clients see per version status (reference §1.6): Unlisted stays installable by exact pin. */
export function visibility(status: VersionStatus): 'listed' | 'yanked' | 'hidden' {
  if (status === 'Published') return 'listed';
  if (status === 'Unlisted') return 'yanked';
  return 'hidden';
}

export const UNLISTED_REASON = 'This version is Unlisted in the repository.';

export function entryOf(r: PypiFileRow): FileEntry {
  return {
    packageId: r.package_id,
    filename: r.filename,
    version: r.version,
    size: Number(r.size),
    sha256: r.sha256,
    md5: r.md5,
    blake2b256: r.blake2b_256,
    packagetype: r.packagetype,
    pythonVersion: r.python_version,
    requiresPython: r.requires_python,
    coreMetadataSha256: r.core_metadata_sha256,
    uploadTime: new Date(r.uploaded_at).toISOString(),
    yanked: visibility(r.status) === 'yanked' ? UNLISTED_REASON : null,
  };
}

/** Files in page order: by version (PEP 440), then file name. */
export function sortEntries(entries: FileEntry[]): FileEntry[] {
  return entries.sort((a, b) => compareVersions(a.version, b.version) || (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
}

export const etagOf = (body: string) => `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;

export interface Rendered {
  entries: FileEntry[];
  html: string;
  htmlEtag: string;
  json: string;
  jsonEtag: string;
}

export function render(project: string, entries: FileEntry[]): Rendered {
  const html = projectHtml(project, entries);
  const json = projectJson(project, entries, versionsOf(entries, compareVersions));
  return { entries, html, htmlEtag: etagOf(html), json, jsonEtag: etagOf(json) };
}

/** The DocumentRefresher for format 'pypi': rebuilds this package's pages in the caller's transaction. */
export async function refreshProject(p: PackageTx): Promise<void> {
  if (!p.pkg) return;
  const rows = await pypiStore.packageFiles(p.tx, p.pkg.id);
  const entries = sortEntries(rows.filter((r) => visibility(r.status) !== 'hidden').map(entryOf));
  const r = render(p.pkg.name, entries);
  await pypiStore.putProject(p.tx, {
    packageId: p.pkg.id,
    files: entries.length,
    entries: JSON.stringify(entries),
    htmlDoc: r.html,
    htmlEtag: r.htmlEtag,
    jsonDoc: r.json,
    jsonEtag: r.jsonEtag,
  });
}

export type Doc = 'html' | 'json';

/** The project page as one repository shows it; bodies and entries load on demand. */
export interface ProjectView {
  /** the chain members that hold the project, in resolution order */
  members: { repo: RepositoryWithDomain; pkg: PackageRow }[];
  /** the external connection whose page joined, if any */
  external: ExternalLink | null;
  serial: number;
  modified: Date;
  etag(doc: Doc): string;
  body(doc: Doc): Promise<string>;
  entries(): Promise<FileEntry[]>;
}

// Documents by `${package id}:${serial}:${column}` and merged pages by their members' serials.
const texts = new ImmutableCache<string>(64 * 1024 * 1024, (s) => s.length);
const parsed = new ImmutableCache<FileEntry[]>(64 * 1024 * 1024, (e) => 300 * e.length + 64);
const merges = new ImmutableCache<Rendered>(32 * 1024 * 1024, (r) => r.html.length + r.json.length + 300 * r.entries.length);

/** Thrown when a document changed between reading its serial and its body; the caller retries. */
class Moved extends Error {}

async function documentText(svc: Services, packageId: number, serial: number, column: 'entries' | 'html_doc' | 'json_doc'): Promise<string> {
  const text = await texts.getOrLoad(`${packageId}:${serial}:${column}`, () => pypiStore.projectDocument(svc.db, packageId, serial, column));
  if (text === null) throw new Moved();
  return text;
}

async function documentEntries(svc: Services, packageId: number, serial: number): Promise<FileEntry[]> {
  const key = `${packageId}:${serial}`;
  const hit = parsed.get(key);
  if (hit) return hit;
  const entries = JSON.parse(await documentText(svc, packageId, serial, 'entries')) as FileEntry[];
  parsed.set(key, entries);
  return entries;
}

/**
 * The project page as the repository shows it: its own files and its upstreams' (same domain,
 * depth first, honouring origin controls). Null when no repository of the chain has a visible file.
 */
export async function projectView(svc: Services, repo: RepositoryWithDomain, project: string): Promise<ProjectView | null> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await loadView(svc, repo, project);
    } catch (e) {
      if (!(e instanceof Moved) || attempt >= 3) throw e;
    }
  }
}

async function loadView(svc: Services, repo: RepositoryWithDomain, project: string): Promise<ProjectView | null> {
  const { members: chain, external } = await svc.packages.chains.members(repo, { format: 'pypi', namespace: '', name: project });
  const heads = chain.length
    ? new Map((await pypiStore.projectHeads(svc.db, chain.map((m) => m.pkg.id))).map((d) => [Number(d.package_id), d]))
    : new Map<number, never>();
  const docs = chain.map((m) => heads.get(m.pkg.id)).filter((d) => d !== undefined && d.files > 0) as NonNullable<ReturnType<typeof heads.get>>[];
  let ext: ExternalPage | null = null;
  if (external) {
    try {
      ext = await externalPage(svc, external, project);
    } catch (e) {
      // Upstream unreachable with nothing cached: the domain's own files are the answer if there are any.
      if (docs.length === 0) throw e;
      svc.log.warn({ project, err: (e as Error).message }, "upstream unavailable; serving the domain's own files");
    }
  }
  if (docs.length === 0 && !ext) return null;
  const serial = docs.reduce((a, d) => a + Number(d.serial), 0);
  const modified = new Date(Math.max(...docs.map((d) => new Date(d.modified).getTime()), ext ? ext.fetchedAt.getTime() : 0));
  const link = ext ? external : null;
  if (docs.length === 1 && !ext) {
    // One repository holds the project: its stored page is the answer.
    const d = docs[0];
    const id = Number(d.package_id);
    const s = Number(d.serial);
    return {
      members: chain,
      external: null,
      serial,
      modified,
      etag: (doc) => (doc === 'json' ? d.json_etag : d.html_etag),
      body: (doc) => documentText(svc, id, s, doc === 'json' ? 'json_doc' : 'html_doc'),
      entries: () => documentEntries(svc, id, s),
    };
  }
  if (docs.length === 0 && ext) {
    // Only the external connection has it: its page, rendered when it was fetched.
    const x = ext;
    return {
      members: chain,
      external: link,
      serial,
      modified,
      etag: (doc) => (doc === 'json' ? x.jsonEtag : x.htmlEtag),
      body: async (doc) => (doc === 'json' ? x.json : x.html),
      entries: async () => x.entries,
    };
  }
  // Several members hold it: merge their entries, the first repository winning per file name.
  const key = [...docs.map((d) => `${d.package_id}:${d.serial}`), ...(ext ? [`x:${ext.revision}`] : [])].join(',');
  let merged = merges.get(key);
  if (!merged) {
    const seen = new Map<string, FileEntry>();
    const all: FileEntry[] = [];
    for (const d of docs)
      for (const e of await documentEntries(svc, Number(d.package_id), Number(d.serial))) {
        if (seen.has(e.filename)) continue;
        seen.set(e.filename, e);
        all.push(e);
      }
    for (const e of ext?.entries ?? []) {
      const own = seen.get(e.filename);
      if (!own) {
        all.push(e);
        continue;
      }
      // A file retained from the upstream keeps what the upstream says about it now.
      if (own.sha256 !== e.sha256) continue;
      const i = all.indexOf(own);
      all[i] = {
        ...own,
        yanked: own.yanked ?? e.yanked,
        coreMetadataSha256: own.coreMetadataSha256 ?? e.coreMetadataSha256,
        ...(e.provenance ? { provenance: true } : {}),
      };
    }
    merged = render(project, sortEntries(all));
    merges.set(key, merged);
  }
  const m = merged;
  return {
    members: chain,
    external: link,
    serial,
    modified,
    etag: (doc) => (doc === 'json' ? m.jsonEtag : m.htmlEtag),
    body: async (doc) => (doc === 'json' ? m.json : m.html),
    entries: async () => m.entries,
  };
}

/** The external connection's page of a project, as fetched and rendered (see upstream.ts). */
export interface ExternalPage extends Rendered {
  revision: string;
  fetchedAt: Date;
  /** the upstream's URLs by file name */
  urls: Record<string, UpstreamUrls>;
}

// External pages by connection and project: the revision last seen, so core's cache is asked with
// `known` and hands back no parts while nothing changed.
const externals = new ImmutableCache<ExternalPage>(64 * 1024 * 1024, (p) => p.html.length + p.json.length + 400 * p.entries.length);
const lastRevision = new Map<string, string>();

/**
 * The project page of the external connection (cached by core with TTL, revalidation and
 * stale-if-error), or null when the upstream has no such project. With the upstream unreachable
 * and nothing cached, its 502/504 is thrown.
 */
export async function externalPage(svc: Services, link: ExternalLink, project: string): Promise<ExternalPage | null> {
  const id = `${link.connection}|${project}`;
  const known = lastRevision.get(id);
  const held = known ? externals.get(`${id}|${known}`) : undefined;
  let doc = await svc.upstreams.document(link.connection, projectKey(project), projectFetcher(project), held ? known : undefined);
  if (doc.status !== 200) return null;
  const cacheKey = `${id}|${doc.revision}`;
  const hit = externals.get(cacheKey);
  if (hit) return { ...hit, fetchedAt: doc.fetchedAt };
  if (!doc.parts) doc = await svc.upstreams.document(link.connection, projectKey(project), projectFetcher(project));
  if (doc.status !== 200 || !doc.parts) return null;
  const p = doc.parts;
  const page: ExternalPage = {
    revision: doc.revision,
    fetchedAt: doc.fetchedAt,
    entries: JSON.parse(p[PART.entries]) as FileEntry[],
    urls: JSON.parse(p[PART.urls]) as Record<string, UpstreamUrls>,
    html: p[PART.html],
    htmlEtag: etagOf(p[PART.html]),
    json: p[PART.json],
    jsonEtag: etagOf(p[PART.json]),
  };
  externals.set(cacheKey, page);
  if (lastRevision.size > 100_000) lastRevision.clear();
  lastRevision.set(id, doc.revision);
  return page;
}
