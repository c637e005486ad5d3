// `PUT /{name}` as libnpmpublish (npm, pnpm) and yarn send it (protocols.md A.7). Everything is
// checked before anything is stored: the attachment decodes to its stated length, matches the
// manifest's integrity, and its package.json names the same package and version. The tarball then
// goes to the blob store, and the version, its asset, its entries, the dist-tags, the rebuilt
// documents and the event commit in one transaction under the package lock.
import { validation, conflict } from '../../errors.js';
import { ACTIONS, npmUserName, type NpmRequest } from './context.js';
import { cleanManifest, hasInstallScript, versionEntries } from './codec.js';
import { checkTag, checkVersion, coordsOf, type NpmName } from './names.js';
import { NpmError, parseObject, readBody, sendJson } from './http.js';
import { checkIntegrity, decodeAttachment, inspectTarball } from './tarball.js';
import { versionMetadata } from './refresh.js';
import { applyDocument } from './update.js';

// V8 cannot hold a string much above 512 MiB; the JSON body must fit in one.
const JSON_LIMIT = 500 * 1024 * 1024;

/** Publish (with a tarball attachment) or a metadata update such as deprecate (without one). */
export async function putPackage(r: NpmRequest, n: NpmName): Promise<void> {
  await r.authorizePackage(ACTIONS.publish, n);
  const limit = Math.min(r.svc.config.maxUploadBytes, JSON_LIMIT);
  const body = parseObject(await readBody(r.ctx, limit), 'publish body');
  for (const field of ['_id', 'name'] as const)
    if (body[field] !== undefined && body[field] !== n.full)
      throw validation(`The body's ${field} "${String(body[field]).slice(0, 80)}" does not match the package in the URL, ${n.full}.`);
  const attachments = body._attachments;
  if (attachments !== undefined && attachments !== null && (typeof attachments !== 'object' || Array.isArray(attachments)))
    throw validation('_attachments must be an object of file name to {content_type, data, length}.');
  // A provenance bundle (`*.sigstore`, raw JSON, not base64) may come alongside the tarball.
  const tarballs = Object.entries((attachments ?? {}) as Record<string, unknown>).filter(([k]) => !k.endsWith('.sigstore'));
  if (tarballs.length === 0) {
    await applyDocument(r, n, body, false);
    return;
  }
  await publish(r, n, body, tarballs);
}

async function publish(r: NpmRequest, n: NpmName, body: Record<string, unknown>, tarballs: [string, unknown][]): Promise<void> {
  if (tarballs.length !== 1) throw validation(`A publish carries exactly one tarball attachment; this one has ${tarballs.length}.`);
  const versions = body.versions;
  if (!versions || typeof versions !== 'object' || Array.isArray(versions))
    throw validation('The publish body has no versions object; npm sends { versions: { "<version>": <manifest> } }.');
  const keys = Object.keys(versions);
  if (keys.length !== 1) throw validation(`A publish carries exactly one version; this one has ${keys.length}.`);
  const version = checkVersion(keys[0]);
  const raw = (versions as Record<string, unknown>)[version];
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw validation(`versions["${version}"] must be the package.json object.`);
  const manifest = raw as Record<string, unknown>;
  if (manifest.name !== undefined && manifest.name !== n.full)
    throw validation(`versions["${version}"].name is "${String(manifest.name).slice(0, 80)}", not ${n.full}.`);
  if (manifest.version !== undefined && manifest.version !== version)
    throw validation(`versions["${version}"].version is "${String(manifest.version).slice(0, 80)}", not ${version}.`);

  const [file, att] = tarballs[0];
  if (!att || typeof att !== 'object') throw validation(`_attachments["${file.slice(0, 80)}"] must be {content_type, data, length}.`);
  const a = att as { data?: unknown; length?: unknown };
  const bytes = decodeAttachment(a.data, a.length, file.slice(0, 120));
  const sums = checkIntegrity(bytes, manifest.dist);
  const facts = await inspectTarball(bytes);
  const pj = facts.packageJson;
  if (pj.name !== n.full || pj.version !== version)
    throw validation(
      `The tarball's package.json is for ${String(pj.name).slice(0, 80)}@${String(pj.version).slice(0, 40)}, but this publish is for ${n.full}@${version}.`,
    );

  const tags: string[] = [];
  const bodyTags = body['dist-tags'];
  if (bodyTags && typeof bodyTags === 'object')
    for (const [t, v] of Object.entries(bodyTags as Record<string, unknown>)) if (v === version) tags.push(checkTag(t));

  const publisher = { name: npmUserName(r.principal) };
  const clean = cleanManifest(manifest, n, version, { integrity: sums.integrity, shasum: sums.sha1, fileCount: facts.fileCount, unpackedSize: facts.unpackedSize }, publisher, {
    hasInstallScript: hasInstallScript(manifest, facts.hasBindingGyp),
  });
  const metadata = versionMetadata(clean, manifest.readme ?? body.readme, manifest.readmeFilename ?? body.readmeFilename);
  const coords = coordsOf(n);
  const repo = r.ep.repo;

  // With origin controls ALLOW/ALLOW a version already reachable upstream cannot be published here
  // (CodeArtifact's dependency-confusion rule). The default after a first publish is upstream=BLOCK.
  const own = await r.svc.packages.findPackage(repo, coords);
  if (own?.origin_upstream === 'ALLOW') {
    const rows = await r.data.tarballs('closure', repo.id, n.scope, n.bare, version);
    if (rows.some((x) => x.repository_id !== repo.id && x.version_id !== null))
      throw conflict(`Version ${version} of ${n.full} exists in an upstream repository, and this package's origin controls allow upstream versions.`);
  }

  const digests = await r.svc.packages.storeBlob(repo.domain_id, bytes, { maxBytes: r.svc.config.maxUploadBytes });
  if (digests.sha512 !== sums.sha512) throw new Error('blob store digest differs from the checked bytes');

  const outcome = await r.svc.packages.inPackage(repo, coords, 'publish', async (p) => {
    p.assertPublishAllowed();
    const existing = await p.version(version);
    if (existing) {
      // npm retries a PUT after a 5xx or a timeout: the same bytes again are a quiet success.
      const same = existing.status === 'Published' && (await p.assets(existing)).some((x) => x.sha512 === digests.sha512);
      if (same) return 'unchanged' as const;
      throw new NpmError(403, `You cannot publish over the previously published versions: ${version}.`);
    }
    const np = await r.data.lockPackage(p);
    const created = await p.createVersion({ version, status: 'Published', metadata });
    if (!created) throw new NpmError(403, `You cannot publish over the previously published versions: ${version}.`);
    await p.addAsset(created, 'package.tgz', digests);
    const v = await p.update(created, {}); // the revision now covers the asset
    const entries = versionEntries(clean, n);
    await r.data.putVersionDoc(p, v.id, entries.full, entries.abbr);
    if (tags.length) {
      const next = { ...np.dist_tags };
      for (const t of tags) next[t] = version;
      await r.data.setDistTags(p, next);
    }
    await p.refresh();
    await p.event({ version, status: 'Published', revision: v.revision }, { operationType: 'Created', assetsAdded: 1 });
    return 'created' as const;
  });
  sendJson(r.ctx, outcome === 'created' ? 201 : 200, { ok: true, id: n.full, success: true });
}
