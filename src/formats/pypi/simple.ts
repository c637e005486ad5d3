// The simple repository API's wire format: PEP 503 HTML (with PEP 592 yanking, PEP 629 version
// meta tag, PEP 658/714 core metadata attributes) and PEP 691 JSON (with PEP 700 versions, size,
// upload-time), rendered from one list of file entries so both always say the same thing.
// File URLs are relative to the project page, so a page is the same bytes for every base URL.

export const API_VERSION = '1.1';

export const CONTENT_TYPES = {
  json: 'application/vnd.pypi.simple.v1+json',
  v1html: 'application/vnd.pypi.simple.v1+html',
  html: 'text/html',
} as const;
export type Representation = keyof typeof CONTENT_TYPES;

/** One file on a project page: what the page shows and where it came from. */
export interface FileEntry {
  /** the package row (in the repository that holds the file): for lookups, never rendered */
  packageId: number;
  filename: string;
  version: string;
  /** null when an HTML-only upstream did not say */
  size: number | null;
  sha256: string;
  md5: string;
  blake2b256: string;
  packagetype: 'bdist_wheel' | 'sdist';
  pythonVersion: string;
  requiresPython: string | null;
  coreMetadataSha256: string | null;
  /** ISO 8601 UTC, yyyy-mm-ddThh:mm:ss.sssZ; null when an HTML-only upstream did not say */
  uploadTime: string | null;
  /** null, or why installers should skip it (PEP 592) */
  yanked: string | null;
  /** the upstream has a PEP 740 provenance for the file (served at `{file url}.provenance`) */
  provenance?: boolean;
}

/** Path of a file below the repository endpoint (`packages/{project}/{version}/{filename}`). */
export function filePath(project: string, e: Pick<FileEntry, 'version' | 'filename'>): string {
  return `packages/${encodeURIComponent(project)}/${encodeURIComponent(e.version)}/${encodeURIComponent(e.filename)}`;
}

/** The file URL as written on the project page `{endpoint}simple/{project}/`. */
export const relativeFileUrl = (project: string, e: FileEntry) => `../../${filePath(project, e)}`;

/** HTML attribute value escaping (PEP 503: `<` and `>` in data-requires-python become `&lt;` `&gt;`). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function projectHtml(project: string, entries: FileEntry[]): string {
  const links = entries.map((e) => {
    let a = `<a href="${escapeHtml(`${relativeFileUrl(project, e)}#sha256=${e.sha256}`)}"`;
    if (e.requiresPython) a += ` data-requires-python="${escapeHtml(e.requiresPython)}"`;
    if (e.coreMetadataSha256)
      a += ` data-dist-info-metadata="sha256=${e.coreMetadataSha256}" data-core-metadata="sha256=${e.coreMetadataSha256}"`;
    if (e.yanked !== null) a += ` data-yanked="${escapeHtml(e.yanked)}"`;
    // PEP 700's upload-time has no HTML form in the spec; it is given as an attribute all the same.
    if (e.uploadTime) a += ` data-upload-time="${escapeHtml(e.uploadTime)}"`;
    if (e.provenance) a += ` data-provenance="${escapeHtml(`${relativeFileUrl(project, e)}.provenance`)}"`;
    return `    ${a}>${escapeHtml(e.filename)}</a><br />\n`;
  });
  return (
    '<!DOCTYPE html>\n<html>\n  <head>\n' +
    `    <meta name="pypi:repository-version" content="${API_VERSION}">\n` +
    `    <title>Links for ${escapeHtml(project)}</title>\n  </head>\n  <body>\n` +
    `    <h1>Links for ${escapeHtml(project)}</h1>\n` +
    links.join('') +
    '  </body>\n</html>\n'
  );
}

export function versionsOf(entries: FileEntry[], compare: (a: string, b: string) => number): string[] {
  return [...new Set(entries.map((e) => e.version))].sort(compare);
}

export function projectJson(project: string, entries: FileEntry[], versions: string[]): string {
  const files = entries.map((e) => {
    const f: Record<string, unknown> = {
      filename: e.filename,
      url: relativeFileUrl(project, e),
      hashes: { sha256: e.sha256 },
    };
    if (e.requiresPython) f['requires-python'] = e.requiresPython;
    if (e.coreMetadataSha256) {
      f['core-metadata'] = { sha256: e.coreMetadataSha256 };
      f['dist-info-metadata'] = { sha256: e.coreMetadataSha256 };
    }
    if (e.size !== null) f.size = e.size;
    if (e.uploadTime) f['upload-time'] = e.uploadTime;
    f.yanked = e.yanked === null ? false : e.yanked || true;
    if (e.provenance) f.provenance = `${relativeFileUrl(project, e)}.provenance`;
    return f;
  });
  return JSON.stringify({ meta: { 'api-version': API_VERSION }, name: project, versions, files });
}

export function projectListHtml(projects: string[]): string {
  return (
    '<!DOCTYPE html>\n<html>\n  <head>\n' +
    `    <meta name="pypi:repository-version" content="${API_VERSION}">\n` +
    '    <title>Simple index</title>\n  </head>\n  <body>\n' +
    projects.map((p) => `    <a href="${escapeHtml(encodeURIComponent(p))}/">${escapeHtml(p)}</a>\n`).join('') +
    '  </body>\n</html>\n'
  );
}

export function projectListJson(projects: string[]): string {
  return JSON.stringify({ meta: { 'api-version': API_VERSION }, projects: projects.map((name) => ({ name })) });
}

interface AcceptItem {
  type: string;
  q: number;
}

function parseAccept(header: string): AcceptItem[] {
  return header
    .split(',')
    .map((part) => {
      const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
      let q = 1;
      for (const p of params) {
        const m = /^q=([0-9.]+)$/.exec(p);
        if (m) q = Math.min(1, Number(m[1]) || 0);
      }
      return { type, q };
    })
    .filter((i) => i.type);
}

// Each representation and the media ranges that name it, most specific first.
const OFFERS: { rep: Representation; names: string[] }[] = [
  { rep: 'json', names: ['application/vnd.pypi.simple.v1+json', 'application/vnd.pypi.simple.latest+json'] },
  { rep: 'v1html', names: ['application/vnd.pypi.simple.v1+html', 'application/vnd.pypi.simple.latest+html'] },
  { rep: 'html', names: ['text/html'] },
];

/**
 * PEP 691 content negotiation. The highest q wins; at equal q an explicitly named type beats a
 * wildcard, JSON beats HTML among named types, and a bare wildcard (`*\/*`, or no Accept at all)
 * gets text/html as CodeArtifact and Warehouse answer. Null: nothing acceptable (406).
 * `?format=` with one of the three types overrides the header.
 */
export function negotiate(accept: string | undefined, format?: string): Representation | null {
  if (format) {
    const hit = OFFERS.find((o) => o.names.includes(format.trim().toLowerCase()));
    if (hit) return hit.rep;
  }
  if (!accept || !accept.trim()) return 'html';
  const items = parseAccept(accept);
  let best: { rep: Representation; q: number; specific: number; order: number } | null = null;
  OFFERS.forEach((o, order) => {
    let q = -1;
    let specific = -1;
    for (const it of items) {
      const [t] = o.names[0].split('/');
      const s = o.names.includes(it.type) ? 2 : it.type === `${t}/*` ? 1 : it.type === '*/*' ? 0 : -1;
      if (s > specific) {
        specific = s;
        q = it.q;
      }
    }
    if (q <= 0) return;
    // Only `*/*` matched: prefer plain text/html; named types and type wildcards: prefer JSON.
    const rank = specific === 0 ? OFFERS.length - 1 - order : order;
    if (!best || q > best.q || (q === best.q && (specific > best.specific || (specific === best.specific && rank < best.order))))
      best = { rep: o.rep, q, specific, order: rank };
  });
  return best ? (best as { rep: Representation }).rep : null;
}
