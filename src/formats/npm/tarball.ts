// What the registry checks in a published tarball before anything is stored, read while the bytes
// stream in: the tarball is inflated asynchronously (zlib off the event loop, tar-stream entry by
// entry) within a byte budget (HOARD_MAX_UNPACKED_BYTES), only the top folder's package.json and
// README are kept, and dist.fileCount / dist.unpackedSize are counted. The digests the manifest's
// dist.integrity and dist.shasum name are checked against the bytes as they arrived.
import { once } from 'node:events';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, type Gunzip } from 'node:zlib';
import tar from 'tar-stream';
import { HoardError, validation } from '../../errors.js';

const PACKAGE_JSON_MAX = 8 * 1024 * 1024;
const README_MAX = 1024 * 1024;

export interface TarballFacts {
  packageJson: Record<string, unknown>;
  fileCount: number;
  unpackedSize: number;
  hasBindingGyp: boolean;
  /** the top folder's README, when it is at most 1 MiB */
  readme?: { filename: string; text: string };
}

const bad = (msg: string) => validation(`The attachment is not a valid gzipped tarball: ${msg.replace(/\.$/, '')}.`);

/**
 * Reads a .tgz written to it chunk by chunk. `write` resolves when it may be written again
 * (backpressure); the first failure (budget exceeded, not gzip, not tar) is reported at once to
 * `onError` and by every later call; `end` resolves with the facts once the archive is read.
 */
export class TarballInspector {
  private readonly gunzip: Gunzip = createGunzip({ chunkSize: 256 * 1024 });
  private readonly result: Promise<TarballFacts>;
  private error: Error | null = null;

  constructor(
    maxUnpacked: number,
    private readonly onError: (e: Error) => void,
  ) {
    let inflated = 0;
    const budget = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        inflated += chunk.length;
        if (inflated > maxUnpacked)
          cb(
            validation(
              `The tarball inflates to more than ${maxUnpacked} bytes, the limit of this server (HOARD_MAX_UNPACKED_BYTES); it is refused (a gzip bomb, or a package too large for this registry).`,
            ),
          );
        else cb(null, chunk);
      },
    });
    const facts = { fileCount: 0, unpackedSize: 0, hasBindingGyp: false };
    let pj: Buffer | null = null;
    let readme: { filename: string; text: string } | undefined;
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      stream.on('error', () => {}); // the extractor's own error says it
      const parts = header.name.replace(/^\.\//, '').split('/');
      const isFile = header.type === 'file' || header.type === 'contiguous-file';
      const size = header.size ?? 0;
      if (isFile) {
        facts.fileCount++;
        facts.unpackedSize += size;
      }
      const top = parts.length === 2 ? parts[1] : null;
      if (top === 'binding.gyp') facts.hasBindingGyp = true;
      let keep: ((b: Buffer) => void) | null = null;
      if (isFile && top === 'package.json' && pj === null) {
        if (size > PACKAGE_JSON_MAX) return extract.destroy(validation('The package.json inside the tarball is larger than 8 MB.'));
        keep = (b) => (pj = b);
      } else if (isFile && top !== null && !readme && size <= README_MAX && isReadme(top)) {
        keep = (b) => (readme = { filename: top, text: b.toString('utf8') });
      }
      if (!keep) {
        stream.on('end', () => next());
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => void chunks.push(c as Buffer));
      stream.on('end', () => {
        keep(Buffer.concat(chunks));
        next();
      });
    });
    this.result = pipeline(this.gunzip, budget, extract).then(
      () => {
        if (!pj) throw validation('The tarball has no package.json in its top folder (npm packs files under package/).');
        let parsed: unknown;
        try {
          parsed = JSON.parse((pj as Buffer).toString('utf8'));
        } catch (e) {
          throw validation(`The package.json inside the tarball is not valid JSON: ${(e as Error).message}.`);
        }
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw validation('The package.json inside the tarball is not a JSON object.');
        return { packageJson: parsed as Record<string, unknown>, ...facts, ...(readme ? { readme } : {}) };
      },
      (e: Error) => {
        throw e instanceof HoardError ? e : bad(e.message);
      },
    );
    this.result.catch((e: Error) => {
      this.error ??= e;
      this.onError(e);
    });
  }

  /** Feeds the next bytes; resolves once the inflater can take more. */
  async write(chunk: Buffer, signal: AbortSignal): Promise<void> {
    if (this.error) throw this.error;
    if (!this.gunzip.write(chunk)) await once(this.gunzip, 'drain', { signal });
  }

  /** No more bytes: resolves with what the archive holds, or rejects with why it is refused. */
  end(): Promise<TarballFacts> {
    this.gunzip.end();
    return this.result;
  }

  destroy(): void {
    this.gunzip.destroy();
  }
}

/** README, README.md, readme.markdown...: the file npm shows on a package's page. */
function isReadme(file: string): boolean {
  const lower = file.toLowerCase();
  return lower === 'readme' || (lower.startsWith('readme.') && lower.length > 7);
}

export type IntegrityAlgo = 'sha1' | 'sha256' | 'sha384' | 'sha512';
export const INTEGRITY_ALGOS: readonly IntegrityAlgo[] = ['sha1', 'sha256', 'sha384', 'sha512'];
const SRI = /^(sha512|sha384|sha256|sha1)-([A-Za-z0-9+/=]+)(\?.*)?$/;

/** The digests a manifest's dist asks to be checked (sha1 and sha512 always: Hoard writes both). */
export function algorithmsFor(dist: unknown): Set<IntegrityAlgo> {
  const out = new Set<IntegrityAlgo>(['sha1', 'sha512']);
  const integrity = (dist && typeof dist === 'object' ? (dist as { integrity?: unknown }).integrity : undefined) ?? '';
  if (typeof integrity === 'string')
    for (const entry of integrity.trim().split(/\s+/)) {
      const m = SRI.exec(entry);
      if (m) out.add(m[1] as IntegrityAlgo);
    }
  return out;
}

/**
 * Checks the computed digests (raw bytes per algorithm) against dist.integrity (every entry it
 * names) and dist.shasum; returns the shasum and integrity Hoard publishes.
 */
export function checkIntegrity(digests: Map<IntegrityAlgo, Buffer>, dist: unknown): { sha1: string; sha512: string; integrity: string } {
  const sha1 = digests.get('sha1')!.toString('hex');
  const sha512b = digests.get('sha512')!;
  const integrity = `sha512-${sha512b.toString('base64')}`;
  const d = (dist && typeof dist === 'object' ? dist : {}) as { integrity?: unknown; shasum?: unknown };
  let checked = 0;
  if (typeof d.integrity === 'string' && d.integrity.trim()) {
    for (const entry of d.integrity.trim().split(/\s+/)) {
      const m = SRI.exec(entry);
      if (!m) throw validation(`dist.integrity "${entry.slice(0, 40)}" is not a Subresource Integrity string like sha512-<base64>.`);
      const computed = digests.get(m[1] as IntegrityAlgo);
      if (!computed) throw validation(`dist.integrity names ${m[1]}, which was not computed; send the manifest before the attachment.`);
      const actual = computed.toString('base64');
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
