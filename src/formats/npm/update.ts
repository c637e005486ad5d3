// Changes that are not a publish (protocols.md A.9-A.11): deprecate (a whole packument PUT back with
// `deprecated` set), unpublish (the "-rev dance": the document minus versions, then DELETEs),
// and dist-tags. A PUT document is read as a diff against what is stored, never as a replacement.
// Unpublish maps to deleting package versions (CodeArtifact's DeletePackageVersions) and writes
// Deleted events; the version may be published again afterwards.
import { notFound, validation } from '../../errors.js';
import type { PackageTx, VersionRow } from '../../core/packages.js';
import { ACTIONS, type NpmRequest } from './context.js';
import { versionEntries } from './codec.js';
import { checkTag, checkVersion, coordsOf, versionFromFile, type NpmName } from './names.js';
import { parseObject, readBody, sendJson } from './http.js';

const META_LIMIT = 64 * 1024 * 1024;

const deprecationOf = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Applies a PUT document without attachments: deprecation changes on stored versions and, when
 * `allowDelete` (a `/-rev/` PUT), removal of versions the document no longer lists.
 */
export async function applyDocument(r: NpmRequest, n: NpmName, body: Record<string, unknown>, allowDelete: boolean): Promise<void> {
  const versions = body.versions;
  if (versions !== undefined && (!versions || typeof versions !== 'object' || Array.isArray(versions)))
    throw validation('versions must be an object of version to manifest.');
  const sent = (versions ?? {}) as Record<string, unknown>;
  const listed = versions !== undefined;
  if (allowDelete && listed) await r.authorizePackage(ACTIONS.delete, n);
  const bodyTags = body['dist-tags'] && typeof body['dist-tags'] === 'object' ? (body['dist-tags'] as Record<string, unknown>) : {};
  let changed = 0;
  const own = await r.svc.packages.findPackage(r.ep.repo, coordsOf(n));
  if (!own) {
    if (Object.keys(sent).length && !allowDelete) {
      // Only versions published elsewhere in the chain: nothing here to change.
      const doc = await r.reader.packument(r.ep.repo, n, 'abbr', r.ep.base);
      if (!doc) throw validation(`${n.full} has no published versions here; a publish must carry the tarball in _attachments.`);
    }
    sendJson(r.ctx, 200, { ok: true, id: n.full });
    return;
  }
  await r.svc.packages.inPackage(r.ep.repo, coordsOf(n), false, async (p) => {
    const rows = await p.versions();
    const byVersion = new Map(rows.map((v) => [v.version, v]));
    for (const [v, entry] of Object.entries(sent)) {
      const row = byVersion.get(v);
      if (!row) continue; // listed from an upstream repository, or unknown: not ours to change
      if (!entry || typeof entry !== 'object') throw validation(`versions["${v.slice(0, 40)}"] must be an object.`);
      if (await setDeprecation(r, p, n, row, deprecationOf((entry as { deprecated?: unknown }).deprecated))) changed++;
    }
    if (allowDelete && listed) {
      // The client sent the document it read minus the versions to unpublish: those are the Published ones missing.
      const gone = rows.filter((v) => v.status === 'Published' && !(v.version in sent));
      for (const v of gone) await deleteVersion(p, v);
      changed += gone.length;
      if (gone.length) {
        const np = await r.data.lockPackage(p);
        const goneSet = new Set(gone.map((v) => v.version));
        const tags = Object.fromEntries(Object.entries(np.dist_tags).filter(([, v]) => !goneSet.has(v)));
        if (typeof bodyTags.latest === 'string' && byVersion.has(bodyTags.latest) && !goneSet.has(bodyTags.latest)) tags.latest = bodyTags.latest;
        await r.data.setDistTags(p, tags);
      }
    }
    if (changed) await p.refresh();
  });
  sendJson(r.ctx, 200, { ok: true, id: n.full });
}

async function setDeprecation(r: NpmRequest, p: PackageTx, n: NpmName, row: VersionRow, message: string | undefined): Promise<boolean> {
  const meta = row.metadata ?? {};
  const manifest = { ...((meta.npm ?? { name: n.full, version: row.version }) as Record<string, unknown>) };
  if (deprecationOf(manifest.deprecated) === message) return false;
  if (message === undefined) delete manifest.deprecated;
  else manifest.deprecated = message;
  const v = await p.update(row, { metadata: { ...meta, npm: manifest } });
  const e = versionEntries(manifest, n);
  await r.data.putVersionDoc(p, v.id, e.full, e.abbr);
  await p.event({ version: v.version, status: v.status, revision: v.revision }, { operationType: 'Updated', metadataUpdated: true });
  return true;
}

async function deleteVersion(p: PackageTx, v: VersionRow): Promise<void> {
  const assets = await p.assets(v);
  await p.deleteVersion(v);
  await p.event({ version: v.version, status: 'Deleted', revision: v.revision }, { operationType: 'Deleted', assetsRemoved: assets.length });
}

/** `PUT /{name}/-rev/{rev}`: unpublish of some versions (or owner/star changes, which are accepted and ignored). */
export async function putRevision(r: NpmRequest, n: NpmName): Promise<void> {
  await r.authorizePackage(ACTIONS.publish, n);
  const body = parseObject(await readBody(r.ctx, META_LIMIT), 'document');
  if (body._attachments && typeof body._attachments === 'object' && Object.keys(body._attachments).length)
    throw validation('A /-rev/ update cannot carry attachments; publish with PUT /{name}.');
  await applyDocument(r, n, body, true);
}

/** `DELETE /{name}/-rev/{rev}`: unpublish of the whole package = delete every version here. */
export async function deletePackage(r: NpmRequest, n: NpmName): Promise<void> {
  await r.authorizePackage(ACTIONS.delete, n);
  const own = await r.svc.packages.findPackage(r.ep.repo, coordsOf(n));
  if (!own) throw notFound(`Not found: ${n.full}`);
  await r.svc.packages.inPackage(r.ep.repo, coordsOf(n), false, async (p) => {
    for (const v of await p.versions()) await deleteVersion(p, v);
    await r.data.setDistTags(p, {}); // locks the npm row first
    await p.refresh();
  });
  sendJson(r.ctx, 200, { ok: true, id: n.full });
}

/** `DELETE /{name}/-/{file}/-rev/{rev}`: the last step of a single-version unpublish. */
export async function deleteTarball(r: NpmRequest, n: NpmName, rawFile: string): Promise<void> {
  await r.authorizePackage(ACTIONS.delete, n);
  const version = versionFromFile(n, rawFile);
  if (!version) throw notFound(`Not found: ${n.full}/-/${rawFile}`);
  const own = await r.svc.packages.findPackage(r.ep.repo, coordsOf(n));
  if (own) {
    await r.svc.packages.inPackage(r.ep.repo, coordsOf(n), false, async (p) => {
      const v = await p.version(version);
      if (!v) return; // already gone with the document PUT before it
      await deleteVersion(p, v);
      await p.refresh();
    });
  }
  sendJson(r.ctx, 200, { ok: true });
}

/** `PUT|DELETE /-/package/{name}/dist-tags/{tag}` (body for PUT: a JSON string, the version). */
export async function changeDistTag(r: NpmRequest, n: NpmName, rawTag: string, method: 'PUT' | 'DELETE'): Promise<void> {
  await r.authorizePackage(ACTIONS.publish, n);
  let tag: string;
  try {
    tag = checkTag(decodeURIComponent(rawTag));
  } catch (e) {
    if (e instanceof URIError) throw validation('Invalid percent-encoding in the tag.');
    throw e;
  }
  let version: string | undefined;
  if (method === 'PUT') {
    const raw = (await readBody(r.ctx, 64 * 1024)).toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = raw.trim();
    }
    version = checkVersion(parsed);
  } else if (tag === 'latest') {
    throw validation('The latest tag cannot be removed; point it at another version with npm dist-tag add.');
  }
  const own = await r.svc.packages.findPackage(r.ep.repo, coordsOf(n));
  if (!own) throw notFound(`Not found: ${n.full} has no versions in repository ${r.ep.repo.name}.`);
  const tags = await r.svc.packages.inPackage(r.ep.repo, coordsOf(n), false, async (p) => {
    const np = await r.data.lockPackage(p);
    const next = { ...np.dist_tags };
    if (version !== undefined) {
      const v = await p.version(version);
      if (!v || (v.status !== 'Published' && v.status !== 'Unlisted'))
        throw notFound(`Not found: ${n.full}@${version} is not a published version in repository ${r.ep.repo.name}.`);
      next[tag] = version;
    } else {
      if (!(tag in next)) throw notFound(`Not found: ${n.full} has no dist-tag ${tag}.`);
      delete next[tag];
    }
    await r.data.setDistTags(p, next);
    await p.refresh();
    return next;
  });
  sendJson(r.ctx, 201, { ok: true, ...tags });
}
