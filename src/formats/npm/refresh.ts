// The npm DocumentRefresher: rebuilds one package's full and abbreviated packuments in the
// transaction that changed it (publish, dist-tag, deprecate, unpublish, and control-plane status
// changes or copies, which call it through PackageTx.refresh()). The documents are concatenated from
// per-version entries serialised once, and the concatenation runs in the database: a rebuild ships
// only the fixed parts (names, tags, readme) to it, never the versions' text.
import { createHash } from 'node:crypto';
import type { NpmData, NpmVersionListRow } from './data.js';
import type { PackageDataHooks, PackageTx } from '../../core/packages.js';
import { documentParts, effectiveTags, versionEntries } from './codec.js';
import { fromCoords, type NpmName } from './names.js';

/** What a version keeps in package_version.metadata: CodeArtifact's summary fields plus the npm manifest. */
export function versionMetadata(manifest: Record<string, unknown>, readme: unknown, readmeFilename: unknown): Record<string, unknown> {
  const repo = manifest.repository;
  const repoUrl = typeof repo === 'string' ? repo : repo && typeof repo === 'object' ? (repo as { url?: unknown }).url : undefined;
  const license = manifest.license;
  const deps: { namespace?: string; package: string; dependencyType: string; versionRequirement: string }[] = [];
  const kinds: [string, string][] = [
    ['dependencies', 'regular'],
    ['devDependencies', 'dev'],
    ['peerDependencies', 'peer'],
    ['optionalDependencies', 'optional'],
  ];
  for (const [field, type] of kinds) {
    const d = manifest[field];
    if (!d || typeof d !== 'object') continue;
    for (const [name, req] of Object.entries(d as Record<string, unknown>)) {
      const scoped = /^@([^/]+)\/(.+)$/.exec(name);
      deps.push({
        ...(scoped ? { namespace: scoped[1] } : {}),
        package: scoped ? scoped[2] : name,
        dependencyType: type,
        versionRequirement: String(req),
      });
    }
  }
  return {
    ...(typeof manifest.description === 'string' ? { summary: manifest.description } : {}),
    ...(typeof manifest.homepage === 'string' ? { homePage: manifest.homepage } : {}),
    ...(typeof repoUrl === 'string' ? { sourceCodeRepository: repoUrl } : {}),
    ...(typeof license === 'string' ? { licenses: [{ name: license }] } : {}),
    dependencies: deps,
    ...(typeof readme === 'string' ? { readme } : {}),
    ...(typeof readmeFilename === 'string' ? { readmeFilename } : {}),
    npm: manifest,
  };
}

/** Entries for a version that has none yet (arrived by copy or another path): from its metadata and asset. */
async function entriesFromMetadata(p: PackageTx, n: NpmName, version: string): Promise<{ full: string; abbr: string } | null> {
  const v = await p.version(version);
  if (!v) return null;
  let manifest = (v.metadata?.npm ?? null) as Record<string, unknown> | null;
  if (!manifest) {
    const asset = (await p.assets(v)).find((a) => a.name.endsWith('.tgz'));
    if (!asset) return null;
    manifest = {
      name: n.full,
      version,
      dist: { shasum: asset.sha1, integrity: `sha512-${Buffer.from(asset.sha512, 'hex').toString('base64')}` },
    };
  }
  return versionEntries({ ...manifest, name: n.full, version }, n);
}

export function npmRefresher(data: NpmData) {
  return async (p: PackageTx): Promise<void> => {
    if (!p.pkg) return;
    const n = fromCoords(p.coords);
    const np = await data.packageForRefresh(p);
    // A package this transaction created: its versions and their entries are known, not read back.
    const known = p.knownVersions();
    const list: NpmVersionListRow[] = known
      ? known
          .filter((v) => v.status === 'Published' || v.status === 'Unlisted')
          .map((v) => ({ id: v.id, version: v.version, status: v.status as NpmVersionListRow['status'], has_entry: data.writtenEntries(p, v.id) !== undefined }))
      : await data.versionList(p);
    const listed: NpmVersionListRow[] = [];
    for (const r of list) {
      if (!r.has_entry) {
        const e = await entriesFromMetadata(p, n, r.version);
        if (!e) continue;
        await data.putVersionDoc(p, r.id, e.full, e.abbr);
      }
      if (r.status === 'Published') listed.push(r);
    }
    const tags = effectiveTags(
      np.dist_tags,
      listed.map((v) => v.version),
    );
    const latestRow = listed.find((r) => r.version === tags.latest);
    const detail = latestRow ? (knownDetail(p, data, latestRow.id) ?? (await data.versionDetail(p, latestRow.id))) : null;
    const latest = detail?.full_json ? (JSON.parse(detail.full_json) as Record<string, unknown>) : null;
    const meta = detail?.metadata ?? null;
    const rev = Number(np.rev) + 1;
    // `modified` must move on every change, even two within one millisecond (pnpm compares it).
    const modified = new Date(Math.max(Date.now(), np.modified.getTime() + 1));
    const revHash = createHash('sha256').update(`${p.pkg.id}:${rev}:${modified.toISOString()}`).digest('hex').slice(0, 16);
    const parts = documentParts({
      name: n,
      rev: `${rev}-${revHash}`,
      created: p.pkg.created_at,
      modified,
      tags,
      latest,
      readme: typeof meta?.readme === 'string' ? meta.readme : undefined,
      readmeFilename: typeof meta?.readmeFilename === 'string' ? meta.readmeFilename : undefined,
    });
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    const keywords = Array.isArray(latest?.keywords) ? (latest.keywords as unknown[]).filter((k) => typeof k === 'string') : [];
    const person = (u: unknown) => {
      const o = (u && typeof u === 'object' ? u : {}) as { name?: unknown; email?: unknown };
      return { username: str(o.name), ...(o.email ? { email: str(o.email) } : {}) };
    };
    const summary = latest
      ? {
          name: n.full,
          scope: n.scope || 'unscoped',
          version: tags.latest,
          description: str(latest.description),
          keywords,
          date: (detail?.published_at ?? modified).toISOString(),
          links: {
            ...(typeof latest.homepage === 'string' ? { homepage: latest.homepage } : {}),
            ...(typeof meta?.sourceCodeRepository === 'string' ? { repository: meta.sourceCodeRepository } : {}),
          },
          publisher: person(latest._npmUser),
          maintainers: (Array.isArray(latest.maintainers) ? latest.maintainers : []).map(person),
        }
      : null;
    await data.rebuildDocuments(p, {
      rev,
      modified,
      parts,
      searchText: [n.full, str(latest?.description), ...keywords].join(' ').toLowerCase(),
      summary,
      distTags: np.dist_tags,
    });
  };
}

/** versionDetail of a version this transaction created with its entries, without reading it back. */
function knownDetail(p: PackageTx, data: NpmData, versionId: number) {
  const v = p.created.find((c) => c.id === versionId);
  const e = v && data.writtenEntries(p, versionId);
  return v && e ? { full_json: e.full, metadata: v.metadata, published_at: v.published_at } : null;
}

/**
 * What the control plane needs from npm's own data: the `latest` dist-tag (ListPackageVersions'
 * defaultDisplayVersion), all dist-tags (the web UI's version table) and, on CopyPackageVersions, the copied versions' entries plus the source's
 * dist-tags that point at copied versions (they overwrite same-named tags, as CodeArtifact does).
 */
export function npmDataHooks(data: NpmData): PackageDataHooks {
  return {
    async latestVersion(pkg) {
      return (await data.distTags(pkg.id))?.dist_tags.latest ?? null;
    },
    async distTags(pkg) {
      return (await data.distTags(pkg.id))?.dist_tags ?? {};
    },
    async copied(dest, source, versions) {
      for (const v of versions) await data.copyVersionDoc(dest, v.fromVersionId, v.toVersionId);
      const sourceTags = await data.distTagsTx(dest, source.id);
      const copied = new Set(versions.map((v) => v.version));
      const np = await data.lockPackage(dest);
      const next = { ...np.dist_tags };
      for (const [t, v] of Object.entries(sourceTags)) if (copied.has(v)) next[t] = v;
      await data.setDistTags(dest, next);
    },
  };
}
