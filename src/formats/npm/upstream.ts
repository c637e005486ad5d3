// npm's side of an external connection (public:npmjs), protocol only: fetch a packument and turn it
// into the forms Hoard keeps (full and abbreviated documents with tarball and attestation URLs
// relative to the serving endpoint, `time` in both, and the upstream's tarball URLs), and fetch a
// tarball checked against its `dist.integrity` (else `dist.shasum`) as it streams. Caching, single
// fetches, retention and origin controls are core's (core/upstreams.ts, core/retention.ts).
import { pipeline, type Readable } from 'node:stream';
import ssri from 'ssri';
import { badGateway } from '../../errors.js';
import { documentFetcher, type DocumentFetcher } from '../../core/upstreams.js';
import { UpstreamClient } from '../../upstream/client.js';
import { BASE, versionEntries } from './codec.js';
import type { NpmName } from './names.js';

/** The largest packument accepted from an upstream (V8 strings end near 512 MiB). */
const MAX_PACKUMENT_BYTES = 256 * 1024 * 1024;

/** Where the upstream keeps a package's packument: `name` or `@scope%2fname`. */
export const packumentPath = (n: NpmName) => (n.scope ? `@${n.scope}%2f${encodeURIComponent(n.bare)}` : encodeURIComponent(n.bare));

/** The cache key of a package's packument in upstream_document. */
export const packumentKey = (n: NpmName) => `packument:${n.full}`;

/** Parts kept for a packument: [full document, abbreviated document, {version: upstream tarball URL}]. */
export const PART = { full: 0, abbr: 1, tarballs: 2 } as const;

export function packumentFetcher(n: NpmName): DocumentFetcher {
  return documentFetcher(packumentPath(n), { accept: 'application/json', maxBytes: MAX_PACKUMENT_BYTES, what: `package ${n.full}` }, (text, _res, client) =>
    processPackument(n, text, client.name),
  );
}

/** The upstream's packument in Hoard's stored forms; anything that is not a packument of `n` is a 502. */
export function processPackument(n: NpmName, text: string, connection: string): string[] {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw badGateway(`The upstream ${connection} sent a packument for ${n.full} that is not JSON.`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc) || (doc.name !== undefined && doc.name !== n.full))
    throw badGateway(`The upstream ${connection} sent a document that is not the packument of ${n.full}.`);
  const rawVersions = isObject(doc.versions) ? doc.versions : {};
  const rawTime = isObject(doc.time) ? (doc.time as Record<string, unknown>) : {};
  const full: string[] = [];
  const abbr: string[] = [];
  const tarballs: Record<string, string> = {};
  const time: Record<string, string> = {};
  for (const k of ['created', 'modified']) if (typeof rawTime[k] === 'string') time[k] = rawTime[k] as string;
  for (const [version, m] of Object.entries(rawVersions)) {
    if (!isObject(m) || !isObject(m.dist)) continue;
    const dist = m.dist as Record<string, unknown>;
    if (typeof dist.integrity !== 'string' && typeof dist.shasum !== 'string') continue; // nothing to verify it by
    if (typeof dist.tarball === 'string') tarballs[version] = dist.tarball;
    const manifest: Record<string, unknown> = { ...m, name: n.full, version };
    if (isObject(dist.attestations)) {
      const att = dist.attestations as Record<string, unknown>;
      manifest.dist = { ...dist, attestations: { ...att, url: `${BASE}-/npm/v1/attestations/${n.full}@${version}` } };
    }
    const e = versionEntries(manifest, n);
    full.push(`${JSON.stringify(version)}:${e.full}`);
    abbr.push(`${JSON.stringify(version)}:${e.abbr}`);
    if (typeof rawTime[version] === 'string') time[version] = rawTime[version] as string;
  }
  const tags = isObject(doc['dist-tags']) ? doc['dist-tags'] : {};
  const top: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (!['versions', 'time', 'dist-tags', '_attachments', '_rev', '_id', 'name'].includes(k)) top[k] = v;
  const q = JSON.stringify;
  const rest = Object.entries(top)
    .map(([k, v]) => `,${q(k)}:${q(v)}`)
    .join('');
  const fullDoc = `{"_id":${q(n.full)},"_rev":${q(String(doc._rev ?? '0-upstream'))},"name":${q(n.full)},"dist-tags":${q(tags)},"versions":{${full.join(',')}},"time":${q(time)}${rest}}`;
  const abbrDoc = `{"name":${q(n.full)},"modified":${q(time.modified ?? new Date(0).toISOString())},"dist-tags":${q(tags)},"versions":{${abbr.join(',')}},"time":${q(time)}}`;
  return [fullDoc, abbrDoc, q(tarballs)];
}

/** `dist.integrity` (its strongest hash), else the sha1 `dist.shasum`, as an ssri Integrity. */
export function expectedIntegrity(dist: Record<string, unknown>): string | null {
  if (typeof dist.integrity === 'string' && ssri.parse(dist.integrity, { single: false }).toString()) return dist.integrity;
  if (typeof dist.shasum === 'string' && /^[0-9a-f]{40}$/i.test(dist.shasum)) return ssri.fromHex(dist.shasum, 'sha1').toString();
  return null;
}

/**
 * The tarball's bytes as they arrive, checked against `integrity`: the stream fails (before it
 * ends) with EINTEGRITY when the bytes do not match, so whoever stores it keeps nothing.
 */
export async function fetchTarball(client: UpstreamClient, url: string, integrity: string, what: string): Promise<Readable> {
  const res = await client.get(url, { accept: 'application/octet-stream' });
  if (res.status !== 200) {
    res.body.destroy();
    throw badGateway(`The upstream ${client.name} answered ${res.status} for the tarball of ${what}.`);
  }
  const check = ssri.integrityStream({ integrity });
  pipeline(res.body, check, () => {});
  return check as unknown as Readable;
}

/** The 502 for bytes that failed their integrity check (ssri's EINTEGRITY), else the error itself. */
export function integrityFailure(e: unknown, what: string, connection: string): unknown {
  if ((e as { code?: string })?.code !== 'EINTEGRITY') return e;
  return badGateway(`The tarball of ${what} from ${connection} does not match its published integrity; nothing was kept.`);
}

/**
 * Passes a request the npm registry API answers for the whole registry (audit, attestations, signing
 * keys, search) on to the upstream, and its answer back: status, type and body (at most `limit` bytes).
 */
export async function forward(
  client: UpstreamClient,
  path: string,
  req: { method: 'GET' | 'POST'; body?: Buffer; contentType?: string; contentEncoding?: string },
  limit = 64 * 1024 * 1024,
): Promise<{ status: number; type: string; body: string }> {
  const res =
    req.method === 'POST'
      ? await client.post(path, req.body ?? Buffer.alloc(0), { contentType: req.contentType, contentEncoding: req.contentEncoding, accept: 'application/json' })
      : await client.get(path, { accept: 'application/json' });
  const body = await UpstreamClient.text(res, limit);
  return { status: res.status, type: res.headers['content-type'] ?? 'application/json', body };
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
