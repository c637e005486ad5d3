// What the registry checks in a published tarball before anything is stored: the attachment
// decodes exactly, its SHA-1/SHA-512 match the manifest's dist, and the package.json inside names
// the same package and version. Also gathers dist.fileCount / dist.unpackedSize.
import { createHash } from 'node:crypto';
import { Parser, type ReadEntry } from 'tar';
import { validation } from '../../errors.js';

const PACKAGE_JSON_MAX = 8 * 1024 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes the base64 attachment, refusing anything that is not clean base64 of the stated length. */
export function decodeAttachment(data: unknown, length: unknown, file: string): Buffer {
  if (typeof data !== 'string' || data.length === 0)
    throw validation(`Attachment ${file} has no data: npm sends the tarball base64-encoded in _attachments["${file}"].data.`);
  const clean = data.replace(/\s+/g, '');
  if (clean.length % 4 !== 0 || !BASE64.test(clean))
    throw validation(`Attachment ${file} is not valid base64 (truncated or corrupted upload?); publish again.`);
  const bytes = Buffer.from(clean, 'base64');
  if (length !== undefined && length !== null && Number(length) !== bytes.length)
    throw validation(`Attachment ${file} is ${bytes.length} bytes but its length says ${String(length)} (truncated upload?); publish again.`);
  return bytes;
}

/** Checks the bytes against dist.integrity (every sha512/sha1 entry it names) and dist.shasum. */
export function checkIntegrity(bytes: Buffer, dist: unknown): { sha1: string; sha512: string; integrity: string } {
  const sha1 = createHash('sha1').update(bytes).digest('hex');
  const sha512b = createHash('sha512').update(bytes).digest();
  const integrity = `sha512-${sha512b.toString('base64')}`;
  const d = (dist && typeof dist === 'object' ? dist : {}) as { integrity?: unknown; shasum?: unknown };
  let checked = 0;
  if (typeof d.integrity === 'string' && d.integrity.trim()) {
    for (const entry of d.integrity.trim().split(/\s+/)) {
      const m = /^(sha512|sha384|sha256|sha1)-([A-Za-z0-9+/=]+)(\?.*)?$/.exec(entry);
      if (!m) throw validation(`dist.integrity "${entry.slice(0, 40)}" is not a Subresource Integrity string like sha512-<base64>.`);
      const actual = createHash(m[1]).update(bytes).digest('base64');
      if (actual !== m[2])
        throw validation(`The tarball does not match dist.integrity (${m[1]} ${actual} was computed); the upload is corrupted or the manifest is wrong.`);
      checked++;
    }
  }
  if (typeof d.shasum === 'string' && d.shasum) {
    if (d.shasum.toLowerCase() !== sha1)
      throw validation(`The tarball does not match dist.shasum (sha1 ${sha1} was computed); the upload is corrupted or the manifest is wrong.`);
    checked++;
  }
  if (!checked) throw validation('The version has no dist.integrity or dist.shasum to check the tarball against.');
  return { sha1, sha512: sha512b.toString('hex'), integrity };
}

export interface TarballFacts {
  packageJson: Record<string, unknown>;
  fileCount: number;
  unpackedSize: number;
  hasBindingGyp: boolean;
}

/** Reads a .tgz in memory: the top folder's package.json, file count and unpacked size. */
export function inspectTarball(bytes: Buffer): Promise<TarballFacts> {
  return new Promise((resolve, reject) => {
    let fileCount = 0;
    let unpackedSize = 0;
    let hasBindingGyp = false;
    let pj: Buffer | null = null;
    let failed = false;
    const fail = (msg: string) => {
      if (failed) return;
      failed = true;
      reject(validation(msg));
    };
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        const parts = entry.path.replace(/^\.\//, '').split('/');
        if (entry.type === 'File' || entry.type === 'OldFile') {
          fileCount++;
          unpackedSize += entry.size;
        }
        const top = parts.length === 2;
        if (top && parts[1] === 'binding.gyp') hasBindingGyp = true;
        if (top && parts[1] === 'package.json' && (entry.type === 'File' || entry.type === 'OldFile') && pj === null) {
          if (entry.size > PACKAGE_JSON_MAX) return fail('The package.json inside the tarball is larger than 8 MB.');
          const chunks: Buffer[] = [];
          entry.on('data', (c: Buffer) => chunks.push(c));
          entry.on('end', () => (pj = Buffer.concat(chunks)));
          return;
        }
        entry.resume();
      },
    });
    parser.on('warn', (code: string, message: string | Error) => {
      if (code === 'TAR_ENTRY_INVALID' || code === 'TAR_BAD_ARCHIVE' || code === 'TAR_ABORT' || code === 'TAR_ENTRY_ERROR')
        fail(`The attachment is not a valid gzipped tarball: ${typeof message === 'string' ? message : message.message}.`);
    });
    parser.on('error', (e: Error) => fail(`The attachment is not a valid gzipped tarball: ${e.message}.`));
    parser.on('end', () => {
      if (failed) return;
      if (!pj) return fail('The tarball has no package.json in its top folder (npm packs files under package/).');
      let parsed: unknown;
      try {
        parsed = JSON.parse(pj.toString('utf8'));
      } catch (e) {
        return fail(`The package.json inside the tarball is not valid JSON: ${(e as Error).message}.`);
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return fail('The package.json inside the tarball is not a JSON object.');
      resolve({ packageJson: parsed as Record<string, unknown>, fileCount, unpackedSize, hasBindingGyp });
    });
    try {
      parser.end(bytes);
    } catch (e) {
      fail(`The attachment is not a valid gzipped tarball: ${(e as Error).message}.`);
    }
  });
}
