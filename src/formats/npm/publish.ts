// `PUT /{name}` as libnpmpublish (npm, pnpm) and yarn send it (protocols.md A.7). The body is read
// as a stream (publish-body.ts): the tarball attachment is decoded, hashed, inspected and written
// to a temporary blob while it arrives. Everything is checked before that blob is made final: the
// attachment decodes to its stated length, matches the manifest's integrity, and its package.json
// names the same package and version; any refusal drops the temporary blob. The version, its
// asset, its entries, the dist-tags, the rebuilt documents and the event then commit in one
// transaction under the package lock.
import { validation } from '../../errors.js';
import { ACTIONS, npmUserName, type NpmRequest } from './context.js';
import { cleanManifest, hasInstallScript, versionEntries } from './codec.js';
import { checkTag, checkVersion, coordsOf, type NpmName } from './names.js';
import { NpmError, sendJson, uploadTooLarge } from './http.js';
import { TarballSink } from './attachment.js';
import { readPublishBody, type PublishBody } from './publish-body.js';
import { algorithmsFor, checkIntegrity, INTEGRITY_ALGOS, type IntegrityAlgo } from './tarball.js';
import { versionMetadata } from './refresh.js';
import { applyDocument } from './update.js';

/** Publish (with a tarball attachment) or a metadata update such as deprecate (without one). */
export async function putPackage(r: NpmRequest, n: NpmName): Promise<void> {
  await r.authorizePackage(ACTIONS.publish, n);
  const { maxUploadBytes: limit, maxUnpackedBytes } = r.svc.config;
  const held: { sink?: TarballSink } = {};
  try {
    const read = await readPublishBody(r.ctx.req, {
      limit,
      tooLarge: () => uploadTooLarge(limit),
      openTarball: (_file, soFar) => {
        const store = (body: NodeJS.ReadableStream, signal: AbortSignal) =>
          r.svc.packages.storeBlob(r.ep.repo.domain_id, body, { maxBytes: limit, signal });
        held.sink = new TarballSink(store, maxUnpackedBytes, algorithmsBefore(soFar));
        return held.sink;
      },
    });
    const body = read.body;
    for (const field of ['_id', 'name'] as const)
      if (body[field] !== undefined && body[field] !== n.full)
        throw validation(`The body's ${field} "${String(body[field]).slice(0, 80)}" does not match the package in the URL, ${n.full}.`);
    const attachments = body._attachments;
    if (attachments !== undefined && attachments !== null && (typeof attachments !== 'object' || Array.isArray(attachments)))
      throw validation('_attachments must be an object of file name to {content_type, data, length}.');
    // A provenance bundle (`*.sigstore`, raw JSON, not base64) may come alongside the tarball.
    const tarballs = Object.entries((attachments ?? {}) as Record<string, unknown>).filter(([k]) => !k.endsWith('.sigstore'));
    if (tarballs.length === 0) {
      if (r.ep.audit) r.ep.audit.detail = 'npm deprecate';
      await applyDocument(r, n, body, false);
      return;
    }
    await publish(r, n, body, tarballs, read.tarball, held.sink);
  } catch (e) {
    await held.sink?.discard();
    throw e;
  }
}

/** The digests to compute: those the manifest names when it came first, else every one it could name. */
function algorithmsBefore(soFar: Record<string, unknown>): Iterable<IntegrityAlgo> {
  const versions = soFar.versions;
  const manifests = versions && typeof versions === 'object' && !Array.isArray(versions) ? Object.values(versions) : [];
  const m = manifests.length === 1 ? manifests[0] : null;
  return m && typeof m === 'object' ? algorithmsFor((m as { dist?: unknown }).dist) : INTEGRITY_ALGOS;
}

async function publish(
  r: NpmRequest,
  n: NpmName,
  body: Record<string, unknown>,
  tarballs: [string, unknown][],
  streamed: PublishBody['tarball'],
  sink: TarballSink | undefined,
): Promise<void> {
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
  const shown = file.slice(0, 120);
  if (!att || typeof att !== 'object') throw validation(`_attachments["${file.slice(0, 80)}"] must be {content_type, data, length}.`);
  if (!sink || !streamed || streamed.file !== file || streamed.chars === 0)
    throw validation(`Attachment ${shown} has no data: npm sends the tarball base64-encoded in _attachments["${shown}"].data.`);
  const length = (att as { length?: unknown }).length;
  if (length !== undefined && length !== null && Number(length) !== sink.size)
    throw validation(`Attachment ${shown} is ${sink.size} bytes but its length says ${String(length)} (truncated upload?); publish again.`);
  const sums = checkIntegrity(sink.digests(), manifest.dist);
  const facts = await sink.facts();
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
  // npm and yarn send the README in the body; the tarball's own is the fallback.
  const metadata = versionMetadata(
    clean,
    manifest.readme ?? body.readme ?? facts.readme?.text,
    manifest.readmeFilename ?? body.readmeFilename ?? facts.readme?.filename,
  );
  const coords = coordsOf(n);
  const repo = r.ep.repo;

  // With origin controls ALLOW/ALLOW a version already reachable upstream cannot be published here
  // (CodeArtifact's dependency-confusion rule). The default after a first publish is upstream=BLOCK.
  await r.svc.packages.chains.refuseUpstreamVersion(repo, coords, version, { inExternal: (link) => r.reader.inExternal(link, n, version) });

  // Every check passed: the temporary blob is made final (a refusal below leaves it unreferenced, for the collector).
  const digests = await sink.commit();
  if (digests.sha512 !== sums.sha512) throw new Error('blob store digest differs from the checked bytes');

  const outcome = await r.svc.packages.inPackage(repo, coords, 'publish', async (p) => {
    p.assertPublishAllowed();
    // Complete in one insert: the asset with it, the revision covering it, its event. Null when the version exists.
    const v = await p.createVersion({ version, status: 'Published', metadata }, [{ name: 'package.tgz', digests }], { operationType: 'Created', assetsAdded: 1 });
    if (!v) {
      // npm retries a PUT after a 5xx or a timeout: the same bytes again are a quiet success.
      const existing = await p.version(version);
      const same = existing?.status === 'Published' && (await p.assets(existing)).some((x) => x.sha512 === digests.sha512);
      if (same) return 'unchanged' as const;
      throw new NpmError(403, `You cannot publish over the previously published versions: ${version}.`);
    }
    const np = await r.data.lockPackage(p);
    const entries = versionEntries(clean, n);
    await r.data.putVersionDoc(p, v.id, entries.full, entries.abbr);
    if (tags.length) {
      const next = { ...np.dist_tags };
      for (const t of tags) next[t] = version;
      await r.data.setDistTags(p, next);
    }
    await p.refresh();
    return 'created' as const;
  });
  sendJson(r.ctx, outcome === 'created' ? 201 : 200, { ok: true, id: n.full, success: true });
}
