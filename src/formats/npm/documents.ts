// The packument read path over the repository's read chain (core/chain.ts): one query returns the
// package's precomputed document in every repository of the chain holding it, core says which are
// visible and whether the external connection's packument (core/upstreams.ts) joins them; several
// are merged. Served bytes are kept in the shared byte cache keyed by the members' ETags and the
// external document's revision, which every request checks: never stale, merged once per change.
import { brotliCompress, constants as zc, gzip } from 'node:zlib';
import { promisify } from 'node:util';
import semver from 'semver';
import type { NpmData, DocKind } from './data.js';
import type { ExternalLink } from '../../core/chain.js';
import type { CachedDocument } from '../../core/upstreams.js';
import type { RepositoryWithDomain } from '../../store/domains.js';
import type { Services } from '../../services.js';
import { etagOf, mergeDocuments, withBase } from './codec.js';
import { coordsOf, type NpmName } from './names.js';
import { byteCache } from '../../byte-cache.js';
import { PART, packumentFetcher, packumentKey } from './upstream.js';

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

export interface ServedDoc {
  body: Buffer;
  etag: string;
  modified: Date;
  gz?: Promise<Buffer>;
  br?: Promise<Buffer>;
  parsed?: Record<string, unknown>;
}

const CACHE_BYTES = 128 * 1024 * 1024;

/** One document on the chain as the merge sees it: its text, what identifies it, when it changed. */
interface Member {
  sig: string;
  text: string | null;
  modified: Date;
}

export class PackumentReader {
  /** served documents by repository, package, kind and base; `sig` names the members they were built from */
  private readonly cache = byteCache<{ sig: string; doc: ServedDoc }>(CACHE_BYTES, (e) => e.doc.body.length);
  /** external packuments parsed, by the cached parts they came from (dropped with them) */
  private readonly parsed = new WeakMap<string[], { versions: Record<string, Record<string, unknown>>; urls: Record<string, string> }>();

  constructor(
    private readonly svc: Services,
    private readonly data: NpmData,
  ) {}

  /** The package's rows along the read chain (core decides order and visibility, package groups included). */
  resolve<T extends { repository_id: number; origin_upstream: string }>(repo: RepositoryWithDomain, n: NpmName, load: (ids: number[]) => Promise<T[]>) {
    return this.svc.packages.chains.resolve(repo, 'npm', load, coordsOf(n));
  }

  /** The external connection's packument of `n` (cached by core), or null when the upstream has no such package. */
  async external(link: ExternalLink, n: NpmName, known?: string): Promise<CachedDocument | null> {
    const doc = await this.svc.upstreams.document(link.connection, packumentKey(n), packumentFetcher(n), known);
    return doc.status === 200 ? doc : null;
  }

  /**
   * The packument of kind `kind` as served at `base`: the chain's own documents merged with the
   * external connection's, or null when no version is visible anywhere. When the upstream cannot
   * be asked and nothing is cached, the chain's own versions are served if there are any; with
   * none, the upstream's failure (502/504) is the answer.
   */
  async packument(repo: RepositoryWithDomain, n: NpmName, kind: DocKind, base: string): Promise<ServedDoc | null> {
    const key = `${repo.id}|${n.full}|${kind}|${base}`;
    const hit = this.cache.get(key);
    const known = hit ? hit.sig.split(',') : [];
    const knownExt = known.find((k) => k.startsWith('x:'))?.slice(2);
    let { rows, external } = await this.resolve(repo, n, (ids) => this.data.docs(ids, n.scope, n.bare, kind, known));
    let ext: CachedDocument | null = null;
    if (external) {
      try {
        ext = await this.external(external, n, knownExt);
      } catch (e) {
        if (!rows.some((r) => (r.visible ?? 0) > 0)) throw e;
        this.svc.log.warn({ package: n.full, err: (e as Error).message }, 'upstream unavailable; serving the domain\'s own versions');
      }
    }
    const members = (): Member[] => [
      ...rows.filter((r) => (r.visible ?? 0) > 0 && r.etag).map((r) => ({ sig: `${r.package_id}:${r.etag}`, text: r.doc, modified: r.modified ?? new Date(0) })),
      ...(ext ? [{ sig: `x:${ext.revision}`, text: ext.parts?.[kind === 'full' ? PART.full : PART.abbr] ?? null, modified: ext.fetchedAt }] : []),
    ];
    let list = members();
    if (list.length === 0) return null;
    const sig = list.map((m) => m.sig).join(',');
    if (hit && hit.sig === sig) return hit.doc;
    if (list.some((m) => m.text === null)) {
      // The cache held some members' text and then moved on: read them all again.
      ({ rows } = await this.resolve(repo, n, (ids) => this.data.docs(ids, n.scope, n.bare, kind, [])));
      if (external && ext) ext = await this.external(external, n).catch(() => null);
      list = members().filter((m) => m.text !== null);
      if (list.length === 0) return null;
    }
    const doc = build(list, kind, base);
    this.cache.set(key, { sig: list.map((m) => m.sig).join(','), doc });
    return doc;
  }

  /** True when the external connection's packument of `n` lists `version`. */
  async inExternal(link: ExternalLink, n: NpmName, version: string): Promise<boolean> {
    const doc = await this.external(link, n);
    return doc?.parts ? this.externalVersion(doc.parts, version) !== null : false;
  }

  /**
   * One version of an external packument: its manifest as the upstream wrote it and its tarball's
   * upstream URL. Parsed once per cached document (a popular packument is megabytes), not per tarball.
   */
  externalVersion(parts: string[], version: string): { manifest: Record<string, unknown>; url: string | undefined } | null {
    let p = this.parsed.get(parts);
    if (!p) {
      const full = JSON.parse(parts[PART.full]) as { versions?: Record<string, Record<string, unknown>> };
      p = { versions: full.versions ?? {}, urls: JSON.parse(parts[PART.tarballs]) as Record<string, string> };
      this.parsed.set(parts, p);
    }
    return Object.hasOwn(p.versions, version) ? { manifest: p.versions[version], url: Object.hasOwn(p.urls, version) ? p.urls[version] : undefined } : null;
  }

  /** One version's entry by exact version (Published or Unlisted: pinned installs keep working) or by dist-tag. */
  async version(repo: RepositoryWithDomain, n: NpmName, spec: string, base: string): Promise<string | null> {
    if (semver.valid(spec) === spec) {
      const { rows } = await this.resolve(repo, n, (ids) => this.data.tarballs(ids, n.scope, n.bare, spec));
      for (const r of rows) {
        if (r.version_id === null) continue;
        if (r.status !== 'Published' && r.status !== 'Unlisted') return null;
        const e = await this.data.versionEntry(r.package_id, spec);
        if (e?.full_json) return withBase(e.full_json, base);
      }
    }
    const doc = await this.packument(repo, n, 'full', base);
    if (!doc) return null;
    doc.parsed ??= JSON.parse(doc.body.toString('utf8')) as Record<string, unknown>;
    const tags = (doc.parsed['dist-tags'] ?? {}) as Record<string, string>;
    const v = semver.valid(spec) === spec ? spec : tags[spec];
    const entry = v ? (doc.parsed.versions as Record<string, unknown>)[v] : undefined;
    return entry ? JSON.stringify(entry) : null;
  }
}

function build(members: Member[], kind: DocKind, base: string): ServedDoc {
  const modified = new Date(Math.max(...members.map((m) => m.modified.getTime())));
  if (members.length === 1) {
    const m = members[0];
    return { body: Buffer.from(withBase(m.text!, base)), etag: `"${etagOf(`${m.sig}|${base}|${kind}`)}"`, modified };
  }
  const merged = mergeDocuments(
    members.map((m) => m.text!),
    kind,
  );
  const sig = members.map((m) => m.sig).join(',');
  return { body: Buffer.from(withBase(merged, base)), etag: `"${etagOf(`${sig}|${base}|${kind}`)}"`, modified };
}

/** The compressed body for an encoding, computed once per cached document. */
export function encoded(doc: ServedDoc, enc: 'gzip' | 'br'): Promise<Buffer> {
  if (enc === 'gzip') return (doc.gz ??= gzipAsync(doc.body, { level: 6 }));
  return (doc.br ??= brotliAsync(doc.body, {
    params: { [zc.BROTLI_PARAM_QUALITY]: 5, [zc.BROTLI_PARAM_SIZE_HINT]: doc.body.length },
  }));
}
