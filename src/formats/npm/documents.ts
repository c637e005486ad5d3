// The packument read path as a walk over the repository's read chain. One query returns the
// package's precomputed document in the repository and every upstream holding it; a repository
// whose own package blocks upstream versions (the default after a direct publish) is served alone.
// Served bytes are kept in a small in-process cache keyed by the stored documents' ETags, which the
// query checks on every request: a warm GET is one indexed lookup and a write, never stale.
import { brotliCompress, constants as zc, gzip } from 'node:zlib';
import { promisify } from 'node:util';
import semver from 'semver';
import type { NpmData, NpmDocRow, DocKind, Where } from '../../core/npm.js';
import type { RepositoryWithDomain } from '../../store/domains.js';
import type { Services } from '../../services.js';
import { etagOf, mergeDocuments, withBase } from './codec.js';
import { coordsOf, type NpmName } from './names.js';

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
const MAX_ENTRY = 32 * 1024 * 1024;

/** Least-recently-used by insertion order, bounded by body bytes. */
class DocCache {
  private readonly map = new Map<string, { sig: string; doc: ServedDoc; size: number }>();
  private bytes = 0;
  get(key: string) {
    const e = this.map.get(key);
    if (e) {
      this.map.delete(key);
      this.map.set(key, e);
    }
    return e;
  }
  set(key: string, sig: string, doc: ServedDoc) {
    const size = doc.body.length;
    const old = this.map.get(key);
    if (old) {
      this.bytes -= old.size;
      this.map.delete(key);
    }
    if (size > MAX_ENTRY) return;
    this.map.set(key, { sig, doc, size });
    this.bytes += size;
    for (const [k, v] of this.map) {
      if (this.bytes <= CACHE_BYTES) break;
      this.map.delete(k);
      this.bytes -= v.size;
    }
  }
}

export class PackumentReader {
  private readonly cache = new DocCache();

  constructor(
    private readonly svc: Services,
    private readonly data: NpmData,
  ) {}

  /**
   * Orders the rows of one package along the repository's read chain: the repository itself
   * first; upstreams only when its own package does not block them (origin control upstream=BLOCK).
   */
  async order<T extends { repository_id: number; origin_upstream: string }>(repo: RepositoryWithDomain, n: NpmName, rows: T[]): Promise<T[]> {
    const own = rows.find((r) => r.repository_id === repo.id);
    if (own && (own.origin_upstream === 'BLOCK' || rows.length === 1)) return [own];
    if (rows.length <= 1) return rows;
    // Several repositories hold the package: the core decides the order (depth-first, at most 25).
    const chain = await this.svc.packages.chain(repo, coordsOf(n));
    const byRepo = new Map(rows.map((r) => [r.repository_id, r]));
    return chain.map((c) => byRepo.get(c.repo.id)).filter((r): r is T => r !== undefined);
  }

  /**
   * Rows of the package along the chain: the repository alone first (one index probe, enough when
   * its own package blocks upstream versions, the default after a publish), else with its upstreams.
   */
  async rows<T extends { repository_id: number; origin_upstream: string }>(repo: RepositoryWithDomain, n: NpmName, fetch: (w: Where) => Promise<T[]>): Promise<T[]> {
    const own = await fetch('own');
    if (own.length && own[0].origin_upstream === 'BLOCK') return own;
    return this.order(repo, n, await fetch('closure'));
  }

  /** The packument of kind `kind` as served at `base`, or null when no listed version is visible. */
  async packument(repo: RepositoryWithDomain, n: NpmName, kind: DocKind, base: string): Promise<ServedDoc | null> {
    const key = `${repo.id}|${n.full}|${kind}|${base}`;
    const hit = this.cache.get(key);
    const known = hit ? hit.sig.split(',') : [];
    let members = (await this.rows(repo, n, (w) => this.data.docs(w, repo.id, n.scope, n.bare, kind, known))).filter((r) => (r.visible ?? 0) > 0 && r.etag);
    if (members.length === 0) return null;
    const sig = members.map((m) => `${m.package_id}:${m.etag}`).join(',');
    if (hit && hit.sig === sig) return hit.doc;
    if (members.some((m) => m.doc === null)) {
      // The cache held some members' text and then moved on: fetch them all again.
      members = (await this.rows(repo, n, (w) => this.data.docs(w, repo.id, n.scope, n.bare, kind, []))).filter(
        (r) => (r.visible ?? 0) > 0 && r.etag && r.doc !== null,
      );
      if (members.length === 0) return null;
    }
    const doc = build(members, kind, base);
    this.cache.set(key, members.map((m) => `${m.package_id}:${m.etag}`).join(','), doc);
    return doc;
  }

  /** One version's entry by exact version (Published or Unlisted: pinned installs keep working) or by dist-tag. */
  async version(repo: RepositoryWithDomain, n: NpmName, spec: string, base: string): Promise<string | null> {
    if (semver.valid(spec) === spec) {
      const rows = await this.rows(repo, n, (w) => this.data.tarballs(w, repo.id, n.scope, n.bare, spec));
      for (const r of rows) {
        if (r.version_id === null) continue;
        if (r.status !== 'Published' && r.status !== 'Unlisted') return null;
        const e = await this.data.versionEntry(r.package_id, spec);
        if (e?.full_json) return withBase(e.full_json, base);
      }
      return null;
    }
    const doc = await this.packument(repo, n, 'full', base);
    if (!doc) return null;
    doc.parsed ??= JSON.parse(doc.body.toString('utf8')) as Record<string, unknown>;
    const tags = (doc.parsed['dist-tags'] ?? {}) as Record<string, string>;
    const v = tags[spec];
    const entry = v ? (doc.parsed.versions as Record<string, unknown>)[v] : undefined;
    return entry ? JSON.stringify(entry) : null;
  }
}

function build(members: NpmDocRow[], kind: DocKind, base: string): ServedDoc {
  const modified = new Date(Math.max(...members.map((m) => m.modified?.getTime() ?? 0)));
  if (members.length === 1) {
    const m = members[0];
    return { body: Buffer.from(withBase(m.doc!, base)), etag: `"${etagOf(`${m.etag}|${base}`)}"`, modified };
  }
  const merged = mergeDocuments(
    members.map((m) => m.doc!),
    kind,
  );
  const sig = members.map((m) => m.etag).join(',');
  return { body: Buffer.from(withBase(merged, base)), etag: `"${etagOf(`${sig}|${base}|${kind}`)}"`, modified };
}

/** The compressed body for an encoding, computed once per cached document. */
export function encoded(doc: ServedDoc, enc: 'gzip' | 'br'): Promise<Buffer> {
  if (enc === 'gzip') return (doc.gz ??= gzipAsync(doc.body, { level: 6 }));
  return (doc.br ??= brotliAsync(doc.body, {
    params: { [zc.BROTLI_PARAM_QUALITY]: 5, [zc.BROTLI_PARAM_SIZE_HINT]: doc.body.length },
  }));
}
