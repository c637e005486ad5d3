// The legacy upload API (twine, uv publish): checks the form against the file and the file against
// its own core metadata, then stores the blob and, in one transaction, the version, the file asset,
// its simple-API details, the rebuilt project pages and the outbox event. Nothing partial is ever
// visible: a refusal before the transaction leaves at most an unreferenced blob for the collector.
import { createReadStream } from 'node:fs';
import { createHash, timingSafeEqual } from 'node:crypto';
import { conflict } from '../../errors.js';
import type { VersionRow } from '../../core/packages.js';
import { pypiStore } from '../../store/pypi.js';
import type { Services } from '../../services.js';
import type { Endpoint } from '../shared/endpoint.js';
import { ArchiveError, readTarGzMetadata, readZipMetadata, type FoundMetadata } from './archive.js';
import { MetadataError, first, parseCoreMetadata, versionMetadata, type CoreMetadata } from './metadata.js';
import { canonicalVersion, FileNameError, normalize, parseFileName, sameVersion, type DistFile } from './names.js';
import { PypiError } from './errors.js';
import { externalPage } from './documents.js';
import type { UploadForm } from './multipart.js';

const bad = (message: string) => new PypiError(400, message);
const field = (f: UploadForm, k: string) => f.fields.get(k)?.[0]?.trim() ?? '';

/** What the form and the file say, checked against each other; throws a 400 naming the first disagreement. */
interface CheckedUpload {
  project: string; // normalized
  version: string; // as stored (PEP 440 normal form)
  dist: DistFile;
  metadata: CoreMetadata;
  metadataFile: FoundMetadata;
  packagetype: 'bdist_wheel' | 'sdist';
  pythonVersion: string;
}

export async function checkUpload(form: UploadForm): Promise<CheckedUpload> {
  const action = field(form, ':action');
  if (action === 'submit' || action === 'doc_upload')
    throw new PypiError(410, `The ':action' ${action} is no longer supported; upload distribution files instead.`);
  if (action && action !== 'file_upload') throw bad(`Unknown ':action' '${action}'.`);
  const protocol = field(form, 'protocol_version');
  if (protocol && protocol !== '1') throw bad('Unknown protocol version.');
  const c = form.content;
  if (!c || !c.filename) throw bad('Upload payload does not have a file.');
  if (c.size === 0) throw bad(`${c.filename} is empty.`);
  const formName = field(form, 'name');
  const formVersion = field(form, 'version');
  if (!formName) throw bad("The form field 'name' is missing.");
  if (!formVersion) throw bad("The form field 'version' is missing.");
  let dist: DistFile;
  try {
    dist = parseFileName(c.filename, formName);
  } catch (e) {
    if (e instanceof FileNameError) throw bad(e.message);
    throw e;
  }
  const filetype = field(form, 'filetype') || (dist.kind === 'wheel' ? 'bdist_wheel' : 'sdist');
  if (filetype !== 'bdist_wheel' && filetype !== 'sdist')
    throw bad(`Unsupported filetype '${filetype}': only sdist and bdist_wheel uploads are accepted.`);
  if ((filetype === 'bdist_wheel') !== (dist.kind === 'wheel'))
    throw bad(`The filetype '${filetype}' does not match the file ${c.filename}.`);
  const pyversion = field(form, 'pyversion');
  if (filetype === 'sdist' && pyversion && pyversion !== 'source') throw bad("Use 'source' as Python version for an sdist.");
  if (filetype === 'bdist_wheel' && pyversion === 'source') throw bad("'source' is not a valid Python version for a wheel.");
  checkDigests(form);

  const metadataFile = await readMetadataFile(c.path, c.filename, c.size, dist);
  let metadata: CoreMetadata;
  try {
    metadata = parseCoreMetadata(metadataFile.bytes, metadataFile.path);
  } catch (e) {
    if (e instanceof MetadataError) throw bad(`Invalid distribution file: ${e.message}`);
    throw e;
  }
  const project = normalize(metadata.name);
  const version = canonicalVersion(metadata.version);
  if (!version) throw bad(`'${metadata.version}' (${metadataFile.path}) is not a valid PEP 440 version.`);
  if (normalize(formName) !== project)
    throw bad(`The name in ${metadataFile.path} (${metadata.name}) does not match the name in the upload form (${formName}).`);
  if (normalize(dist.name) !== project)
    throw bad(`The file name ${c.filename} names project '${dist.name}', but ${metadataFile.path} says '${metadata.name}'.`);
  if (!sameVersion(formVersion, version))
    throw bad(`The version in ${metadataFile.path} (${metadata.version}) does not match the version in the upload form (${formVersion}).`);
  if (!sameVersion(dist.version, version))
    throw bad(`The file name ${c.filename} has version ${dist.version}, but ${metadataFile.path} says ${metadata.version}.`);
  return {
    project,
    version,
    dist,
    metadata,
    metadataFile,
    packagetype: filetype,
    pythonVersion: filetype === 'sdist' ? 'source' : pyversion || dist.pythonTag || 'py3',
  };
}

/** Every digest the client sent must match the bytes (Warehouse requires at least one). */
function checkDigests(form: UploadForm): void {
  const c = form.content!;
  const sent: [string, string][] = [
    ['sha256_digest', c.sha256],
    ['md5_digest', c.md5],
    ['blake2_256_digest', c.blake2b256],
  ];
  let any = false;
  for (const [k, actual] of sent) {
    const v = field(form, k).toLowerCase();
    if (!v) continue;
    any = true;
    if (v.length !== actual.length || !timingSafeEqual(Buffer.from(v), Buffer.from(actual)))
      throw bad(`The digest supplied does not match a digest calculated from the uploaded file (${k}).`);
  }
  if (!any) throw bad('Include at least one message digest (sha256_digest, blake2_256_digest or md5_digest).');
}

async function readMetadataFile(file: string, filename: string, size: number, dist: DistFile): Promise<FoundMetadata> {
  try {
    if (dist.kind === 'wheel') {
      return await readZipMetadata(file, filename, size, (names) => {
        const found = names.filter((n) => /^[^/]+\.dist-info\/METADATA$/.test(n));
        if (found.length !== 1)
          throw new ArchiveError(
            found.length === 0
              ? `Wheel ${filename} does not contain the required METADATA file ({name}-{version}.dist-info/METADATA).`
              : `Wheel ${filename} has more than one .dist-info/METADATA.`,
          );
        return found[0];
      });
    }
    const isPkgInfo = (n: string) => /^[^/]+\/PKG-INFO$/.test(n);
    if (dist.extension === '.zip')
      return await readZipMetadata(file, filename, size, (names) => {
        const found = names.filter(isPkgInfo);
        if (found.length !== 1) throw new ArchiveError(`${filename} has ${found.length ? 'more than one' : 'no'} top-level PKG-INFO.`);
        return found[0];
      });
    return await readTarGzMetadata(file, filename, size, isPkgInfo);
  } catch (e) {
    if (e instanceof ArchiveError) throw bad(`Invalid distribution file: ${e.message}`);
    throw e;
  }
}

/**
 * Stores the blob, then publishes in one transaction; the caller has checked PublishPackageVersion
 * on the project. Returns 'created', or 'exists' for a byte-identical re-upload.
 */
export async function publish(svc: Services, ep: Endpoint, form: UploadForm, u: CheckedUpload): Promise<'created' | 'exists'> {
  const c = form.content!;
  const coords = { format: 'pypi', namespace: '', name: u.project };
  const isWheel = u.packagetype === 'bdist_wheel';
  // Re-uploads (CI reruns, --skip-existing) are answered before any content is stored; the check
  // is repeated under the package lock below.
  const own = await svc.packages.findPackage(ep.repo, coords);
  const known = own ? (await pypiStore.fileByName(svc.db, [own.id], c.filename))[0] : undefined;
  if (known) {
    if (known.sha256 === c.sha256 && known.blake2b_256 === c.blake2b256) return 'exists';
    throw alreadyExists(c.filename, known.sha256);
  }
  await svc.packages.chains.refuseUpstreamVersion(ep.repo, coords, u.version, {
    same: sameVersion,
    inExternal: async (link) => ((await externalPage(svc, link, u.project))?.entries ?? []).some((e) => sameVersion(e.version, u.version)),
  });
  // The content first; the version, file and pages after it, in one transaction.
  const digests = await svc.packages.storeBlob(ep.repo.domain_id, createReadStream(c.path), {
    expectedSha256: c.sha256,
    maxBytes: svc.config.maxUploadBytes,
  });
  return svc.packages.inPackage(ep.repo, coords, 'publish', async (p) => {
    const existing = (await pypiStore.fileByName(p.tx, [p.requirePkg().id], c.filename))[0];
    if (existing) {
      if (existing.sha256 === digests.sha256 && existing.blake2b_256 === c.blake2b256) return 'exists';
      throw alreadyExists(c.filename, existing.sha256);
    }
    p.assertPublishAllowed();
    const versions = await p.versions();
    let v: VersionRow | null = versions.find((x) => sameVersion(x.version, u.version)) ?? null;
    const created = !v;
    if (v) {
      if (v.status === 'Archived' || v.status === 'Disposed' || v.status === 'Unfinished')
        throw conflict(`Version ${v.version} of ${u.project} is ${v.status} in repository ${ep.repo.name}; it takes no new files.`, 'package-version', v.version);
      if (!isWheel) {
        const files = await pypiStore.packageFiles(p.tx, p.requirePkg().id);
        if (files.some((f) => f.version_id === v!.id && f.packagetype === 'sdist'))
          throw new PypiError(400, 'Only one sdist may be uploaded per release.');
      }
    } else {
      v = await p.createVersion({ version: u.version, status: 'Published', metadata: versionMetadata(u.metadata) });
      if (!v) throw conflict(`Version ${u.version} of ${u.project} is being created by another upload; retry.`);
    }
    const asset = await p.addAsset(v, c.filename, digests);
    if (!asset) throw new PypiError(400, `File already exists ('${c.filename}').`);
    await pypiStore.insertFile(p.tx, {
      assetId: asset.id,
      versionId: v.id,
      packagetype: u.packagetype,
      pythonVersion: u.pythonVersion,
      requiresPython: first(u.metadata, 'Requires-Python') || null,
      blake2b256: c.blake2b256,
      coreMetadata: isWheel ? u.metadataFile.bytes : null,
      coreMetadataSha256: isWheel ? sha256Hex(u.metadataFile.bytes) : null,
    });
    const updated = await p.update(v, {}); // the revision now covers the new asset
    await p.refresh();
    await p.event(
      { version: updated.version, status: updated.status, revision: updated.revision },
      { operationType: created ? 'Created' : 'Updated', assetsAdded: 1, metadataUpdated: created },
    );
    return 'created';
  });
}

/**
 * Dependency-confusion guard (reference §1.10): with upstream=ALLOW, a version that an upstream
 * repository already has cannot be published here. Read before the write transaction (the
 * embedded database has one connection; the transaction holds it).
 */

/** Warehouse's words: twine --skip-existing looks for "already exist" in a 400. */
const alreadyExists = (filename: string, sha256: string) =>
  new PypiError(400, `File already exists ('${filename}', with sha256 hash '${sha256}'). Uploaded files are immutable; publish a new version instead.`);

const sha256Hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
