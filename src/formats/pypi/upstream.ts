// PyPI's side of an external connection (public:pypi, HOARD_EXTERNAL_PYPI_URL = the upstream's
// simple index), protocol only: fetch a project page (PEP 691 JSON when the upstream offers it,
// PEP 503 HTML otherwise) and turn it into the forms Hoard keeps (file entries with everything the
// upstream said, both rendered pages with file URLs on Hoard, and the upstream's file URLs kept
// aside), and fetch a file checked against its sha256 as it streams. Caching, single fetches,
// retention and origin controls are core's (core/upstreams.ts, core/retention.ts).
import { pipeline, Transform, type Readable } from 'node:stream';
import ssri from 'ssri';
import { createBLAKE2b } from 'hash-wasm';
import { badGateway } from '../../errors.js';
import { documentFetcher, type DocumentFetcher } from '../../core/upstreams.js';
import { UpstreamClient } from '../../upstream/client.js';
import { parseProjectHtml } from './html.js';
import { canonicalVersion, compareVersions, FileNameError, normalize, parseFileName } from './names.js';
import { projectHtml, projectJson, versionsOf, type FileEntry } from './simple.js';

/** The largest project page accepted from an upstream. */
const MAX_PAGE_BYTES = 64 * 1024 * 1024;
/** What Hoard asks for: pip's and uv's own preference, JSON first. */
const ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01';
const SHA256 = /^[0-9a-f]{64}$/;

/** The cache key of a project page in upstream_document. */
export const projectKey = (project: string) => `pypi-project:${project}`;

/** Parts kept for a project page: entries (JSON FileEntry[]), upstream URLs by file name, the HTML and JSON pages. */
export const PART = { entries: 0, urls: 1, html: 2, json: 3 } as const;

/** Where the upstream keeps one file and what goes with it. */
export interface UpstreamUrls {
  url: string;
  /** PEP 740 provenance URL, when the upstream has one */
  provenance?: string;
}

export function projectFetcher(project: string): DocumentFetcher {
  return documentFetcher(`${encodeURIComponent(project)}/`, { accept: ACCEPT, maxBytes: MAX_PAGE_BYTES, what: `project ${project}` }, (text, res, client) => {
    const type = (res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    return processProjectPage(project, text, type, res.url, client.name);
  });
}

/** One file as the upstream listed it, before it becomes an entry. */
interface Listed {
  filename: string;
  url: string;
  sha256: string;
  md5?: string;
  blake2b256?: string;
  requiresPython: string | null;
  size: number | null;
  uploadTime: string | null;
  yanked: string | null;
  coreMetadataSha256: string | null;
  provenance: string | null;
}

/** The upstream's page in Hoard's stored forms; anything that is not a project page is a 502. */
export function processProjectPage(project: string, text: string, type: string, pageUrl: string, connection: string): string[] {
  const listed = type === 'application/vnd.pypi.simple.v1+json' ? fromJson(project, text, connection) : fromHtml(project, text, connection);
  const entries: FileEntry[] = [];
  const urls: Record<string, UpstreamUrls> = {};
  for (const l of listed) {
    if (urls[l.filename]) continue; // the first listing of a file name wins
    let dist;
    try {
      dist = parseFileName(l.filename, project);
    } catch (e) {
      if (e instanceof FileNameError) continue; // not a distribution Hoard can name (e.g. .egg, .exe)
      throw e;
    }
    if (normalize(dist.name) !== project) continue; // a file of another project
    let url: string;
    try {
      url = new URL(l.url, pageUrl).toString();
    } catch {
      continue;
    }
    urls[l.filename] = { url, ...(l.provenance ? { provenance: new URL(l.provenance, pageUrl).toString() } : {}) };
    entries.push({
      packageId: 0,
      filename: l.filename,
      version: canonicalVersion(dist.version) ?? dist.version,
      size: l.size,
      sha256: l.sha256,
      md5: l.md5 ?? '',
      blake2b256: l.blake2b256 ?? '',
      packagetype: dist.kind === 'wheel' ? 'bdist_wheel' : 'sdist',
      pythonVersion: dist.kind === 'wheel' ? (dist.pythonTag ?? 'py3') : 'source',
      requiresPython: l.requiresPython,
      coreMetadataSha256: l.coreMetadataSha256,
      uploadTime: l.uploadTime,
      yanked: l.yanked,
      ...(l.provenance ? { provenance: true } : {}),
    });
  }
  entries.sort((a, b) => compareVersions(a.version, b.version) || (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
  const html = projectHtml(project, entries);
  const json = projectJson(project, entries, versionsOf(entries, compareVersions));
  return [JSON.stringify(entries), JSON.stringify(urls), html, json];
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function checkApiVersion(v: string | null, project: string, connection: string): void {
  if (v !== null && !/^1(\.|$)/.test(v.trim()))
    throw badGateway(`The upstream ${connection} serves project ${project} with simple API version ${v.slice(0, 20)}; only 1.x is understood.`);
}

/** PEP 691 (+ 700, 714, 740): files with a sha256 only (nothing else can be verified). */
function fromJson(project: string, text: string, connection: string): Listed[] {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw badGateway(`The upstream ${connection} sent a page for project ${project} that is not JSON.`);
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.files))
    throw badGateway(`The upstream ${connection} sent a document that is not the project page of ${project}.`);
  if (typeof doc.name === 'string' && normalize(doc.name) !== project)
    throw badGateway(`The upstream ${connection} answered for project ${project} with the page of ${doc.name.slice(0, 100)}.`);
  checkApiVersion(str((doc.meta as Record<string, unknown> | undefined)?.['api-version']), project, connection);
  const out: Listed[] = [];
  for (const f of doc.files as unknown[]) {
    if (!f || typeof f !== 'object') continue;
    const o = f as Record<string, unknown>;
    const hashes = (o.hashes && typeof o.hashes === 'object' ? o.hashes : {}) as Record<string, unknown>;
    const sha256 = str(hashes.sha256)?.toLowerCase();
    const filename = str(o.filename);
    const url = str(o.url);
    if (!filename || !url || !sha256 || !SHA256.test(sha256)) continue;
    const meta = o['core-metadata'] ?? o['dist-info-metadata'];
    const metaSha = meta && typeof meta === 'object' ? str((meta as Record<string, unknown>).sha256)?.toLowerCase() : null;
    const yanked = o.yanked === true ? '' : typeof o.yanked === 'string' ? o.yanked : null;
    const size = typeof o.size === 'number' && Number.isSafeInteger(o.size) && o.size >= 0 ? o.size : null;
    out.push({
      filename,
      url,
      sha256,
      md5: str(hashes.md5) ?? undefined,
      blake2b256: str(hashes.blake2b_256) ?? undefined,
      requiresPython: str(o['requires-python']) || null,
      size,
      uploadTime: uploadTime(str(o['upload-time'])),
      yanked,
      coreMetadataSha256: metaSha && SHA256.test(metaSha) ? metaSha : null,
      provenance: str(o.provenance),
    });
  }
  return out;
}

/** PEP 503 (+ 592, 629, 658/714): anchors whose URL carries a `#sha256=` fragment. */
function fromHtml(project: string, text: string, connection: string): Listed[] {
  const page = parseProjectHtml(text);
  checkApiVersion(page.repositoryVersion, project, connection);
  const out: Listed[] = [];
  for (const a of page.anchors) {
    const href = a.attrs.get('href');
    if (!href) continue;
    const hash = href.indexOf('#');
    const fragment = hash < 0 ? '' : href.slice(hash + 1);
    if (!fragment.startsWith('sha256=')) continue;
    const sha256 = fragment.slice(7).toLowerCase();
    if (!SHA256.test(sha256)) continue;
    const url = href.slice(0, hash);
    const filename = a.text || decodeURIComponent(url.slice(url.lastIndexOf('/') + 1));
    const meta = a.attrs.get('data-core-metadata') ?? a.attrs.get('data-dist-info-metadata');
    const metaSha = meta?.startsWith('sha256=') ? meta.slice(7).toLowerCase() : null;
    out.push({
      filename,
      url,
      sha256,
      requiresPython: a.attrs.get('data-requires-python') || null,
      size: null,
      uploadTime: uploadTime(a.attrs.get('data-upload-time') ?? null),
      yanked: a.attrs.has('data-yanked') ? a.attrs.get('data-yanked')! : null,
      coreMetadataSha256: metaSha && SHA256.test(metaSha) ? metaSha : null,
      provenance: a.attrs.get('data-provenance') || null,
    });
  }
  return out;
}

/** PEP 700's upload-time, as given when it is a date (kept to the microsecond), else null. */
function uploadTime(v: string | null): string | null {
  if (!v || v.length > 40 || Number.isNaN(Date.parse(v))) return null;
  return v;
}

/**
 * The file's bytes as they arrive, checked against `sha256`: the stream fails (before it ends) with
 * EINTEGRITY when they do not match, so whoever stores it keeps nothing. `blake2b` receives the
 * file's BLAKE2b-256 (the JSON API's digest) once the bytes have all passed.
 */
export async function fetchFile(client: UpstreamClient, url: string, sha256: string, what: string, blake2b: (hex: string) => void): Promise<Readable> {
  const res = await client.get(url, { accept: '*/*' });
  if (res.status !== 200) {
    res.body.destroy();
    throw badGateway(`The upstream ${client.name} answered ${res.status} for ${what}.`);
  }
  const blake = await createBLAKE2b(256);
  blake.init();
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      blake.update(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      blake2b(blake.digest('hex'));
      cb();
    },
  });
  const check = ssri.integrityStream({ integrity: ssri.fromHex(sha256, 'sha256') });
  pipeline(res.body, tap, check, () => {});
  return check as unknown as Readable;
}

/** The upstream's `{file}.metadata` (PEP 658) as a stream; the caller stores it against its sha256. */
export async function fetchMetadata(client: UpstreamClient, fileUrl: string, what: string): Promise<Readable> {
  const res = await client.get(`${fileUrl}.metadata`, { accept: '*/*' });
  if (res.status !== 200) {
    res.body.destroy();
    throw badGateway(`The upstream ${client.name} answered ${res.status} for the core metadata of ${what}.`);
  }
  return res.body;
}

/** The upstream's PEP 740 provenance of a file: status and body (at most 4 MiB). */
export async function fetchProvenance(client: UpstreamClient, url: string): Promise<{ status: number; type: string; body: string }> {
  const res = await client.get(url, { accept: 'application/vnd.pypi.integrity.v1+json, application/json' });
  const body = await UpstreamClient.text(res, 4 * 1024 * 1024);
  return { status: res.status, type: res.headers['content-type'] ?? 'application/json', body };
}

/** The 502 for bytes that failed their sha256 (ssri's EINTEGRITY, the blob store's check), else the error itself. */
export function integrityFailure(e: unknown, what: string, connection: string): unknown {
  const code = (e as { code?: string })?.code;
  const kind = (e as { kind?: string })?.kind;
  if (code !== 'EINTEGRITY' && kind !== 'ValidationException') return e;
  return badGateway(`${what} from ${connection} does not match its published sha256; nothing was kept.`);
}
