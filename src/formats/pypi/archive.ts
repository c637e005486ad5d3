// Reads the core metadata out of an uploaded distribution with bounded reads: a wheel's
// `*.dist-info/METADATA`, an sdist's top-level `{name}-{version}/PKG-INFO`. Zip bombs (declared or
// real inflation far beyond the archive's size), absurd member counts and members whose paths
// leave the archive are refused, and only the metadata entry is ever inflated into memory.
import { createReadStream } from 'node:fs';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import path from 'node:path/posix';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import tar from 'tar-stream';

export interface ArchiveLimits {
  /** members in one archive */
  maxMembers: number;
  /** bytes of the metadata entry */
  maxMetadataBytes: number;
  /** uncompressed bytes allowed before the ratio rule applies */
  ratioFloorBytes: number;
  /** uncompressed : compressed size above which an archive is a bomb */
  maxRatio: number;
}

export const DEFAULT_LIMITS: ArchiveLimits = {
  maxMembers: 100_000,
  maxMetadataBytes: 10 * 1024 * 1024,
  ratioFloorBytes: 64 * 1024 * 1024,
  maxRatio: 250,
};

/** An archive we refuse; the message says why, for the uploader. */
export class ArchiveError extends Error {}

export interface FoundMetadata {
  /** member path, e.g. my_pkg-1.0.dist-info/METADATA */
  path: string;
  bytes: Buffer;
}

/** True when `uncompressed` bytes from `compressed` bytes of archive is a bomb under the limits. */
function isBomb(uncompressed: number, compressed: number, l: ArchiveLimits): boolean {
  return uncompressed > l.ratioFloorBytes && uncompressed > l.maxRatio * Math.max(compressed, 1);
}

function checkMemberPath(name: string, file: string): void {
  const clean = name.replace(/^\.\//, '');
  if (clean.startsWith('/') || /^[A-Za-z]:/.test(clean) || clean.split('/').includes('..') || clean.includes('\0'))
    throw new ArchiveError(`${file} has a member outside the archive ('${clip(name)}'); refusing it.`);
}

/**
 * Wheels and zip sdists. `pick` chooses the metadata member among the entry names; the central
 * directory is checked whole before anything is inflated.
 */
export async function readZipMetadata(
  zipPath: string,
  fileName: string,
  archiveSize: number,
  pick: (names: string[]) => string,
  limits: ArchiveLimits = DEFAULT_LIMITS,
): Promise<FoundMetadata> {
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(zipPath, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true, autoClose: false });
  } catch (e) {
    throw new ArchiveError(`${fileName} is not a valid zip archive (${(e as Error).message}).`);
  }
  try {
    if (zip.entryCount > limits.maxMembers)
      throw new ArchiveError(`${fileName} has ${zip.entryCount} members; at most ${limits.maxMembers} are accepted.`);
    const entries = await readCentralDirectory(zip, fileName, limits);
    let total = 0;
    for (const e of entries.values()) {
      total += e.uncompressedSize;
      if (isBomb(e.uncompressedSize, e.compressedSize, limits) || isBomb(total, archiveSize, limits))
        throw new ArchiveError(
          `${fileName} looks like a zip bomb: its members would inflate to ${total} bytes from ${archiveSize}; refusing it.`,
        );
    }
    const chosen = pick([...entries.keys()]);
    const entry = entries.get(chosen)!;
    if (entry.uncompressedSize > limits.maxMetadataBytes)
      throw new ArchiveError(`${fileName}: ${chosen} is ${entry.uncompressedSize} bytes; at most ${limits.maxMetadataBytes} are accepted.`);
    if (entry.isEncrypted()) throw new ArchiveError(`${fileName}: ${chosen} is encrypted.`);
    let stream;
    try {
      stream = await zip.openReadStreamPromise(entry);
    } catch (e) {
      throw new ArchiveError(`${fileName}: cannot read ${chosen} (${(e as Error).message}).`);
    }
    const bytes = await collect(stream, limits.maxMetadataBytes, `${fileName}: ${chosen}`);
    return { path: chosen, bytes };
  } finally {
    zip.close();
  }
}

function readCentralDirectory(zip: ZipFile, fileName: string, limits: ArchiveLimits): Promise<Map<string, Entry>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, Entry>();
    zip.on('entry', (e: Entry) => {
      if (entries.size >= limits.maxMembers) {
        reject(new ArchiveError(`${fileName} has more than ${limits.maxMembers} members.`));
        return;
      }
      if (entries.has(e.fileName)) {
        reject(new ArchiveError(`${fileName} has the member '${clip(e.fileName)}' twice; refusing it.`));
        return;
      }
      entries.set(e.fileName, e);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', (e: Error) => {
      const m = e.message;
      if (/absolute path|invalid relative path|invalid characters/.test(m))
        reject(new ArchiveError(`${fileName} has a member outside the archive (${m}); refusing it.`));
      else reject(new ArchiveError(`${fileName} is not a valid zip archive (${m}).`));
    });
    zip.readEntry();
  });
}

/** Gzipped tar sdists: streamed once, counting inflated bytes, checking every member. */
export async function readTarGzMetadata(
  tgzPath: string,
  fileName: string,
  archiveSize: number,
  isMetadata: (memberPath: string) => boolean,
  limits: ArchiveLimits = DEFAULT_LIMITS,
): Promise<FoundMetadata> {
  const found: FoundMetadata[] = [];
  let members = 0;
  let inflated = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      inflated += chunk.length;
      if (isBomb(inflated, archiveSize, limits))
        cb(new ArchiveError(`${fileName} looks like a gzip bomb: it inflates past ${inflated} bytes from ${archiveSize}; refusing it.`));
      else cb(null, chunk);
    },
  });
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    // Destroying the extractor destroys the current entry too; its error is the extractor's.
    stream.on('error', () => {});
    const fail = (e: Error) => {
      stream.resume();
      extract.destroy(e);
    };
    members += 1;
    if (members > limits.maxMembers) return fail(new ArchiveError(`${fileName} has more than ${limits.maxMembers} members.`));
    const name = header.name;
    try {
      checkMemberPath(name, fileName);
      if ((header.type === 'symlink' || header.type === 'link') && header.linkname !== undefined) {
        const target = header.type === 'link' ? header.linkname : path.join(path.dirname(name), header.linkname);
        checkMemberPath(header.linkname.startsWith('/') ? header.linkname : path.normalize(target), fileName);
      }
    } catch (e) {
      return fail(e as Error);
    }
    const clean = name.replace(/^\.\//, '');
    if (header.type === 'file' && isMetadata(clean)) {
      if ((header.size ?? 0) > limits.maxMetadataBytes)
        return fail(new ArchiveError(`${fileName}: ${clean} is ${header.size} bytes; at most ${limits.maxMetadataBytes} are accepted.`));
      collect(stream as unknown as NodeJS.ReadableStream, limits.maxMetadataBytes, `${fileName}: ${clean}`).then(
        (bytes) => {
          found.push({ path: clean, bytes });
          next();
        },
        (e: Error) => extract.destroy(e),
      );
      return;
    }
    stream.on('end', () => next());
    stream.resume();
  });
  try {
    await pipeline(createReadStream(tgzPath), createGunzip(), counter, extract);
  } catch (e) {
    if (e instanceof ArchiveError) throw e;
    throw new ArchiveError(`${fileName} is not a valid gzipped tar archive (${(e as Error).message}).`);
  }
  if (found.length === 0) throw new ArchiveError(`${fileName} has no PKG-INFO in its top-level directory.`);
  if (found.length > 1) throw new ArchiveError(`${fileName} has more than one top-level PKG-INFO.`);
  return found[0];
}

/** Reads a stream into memory, failing past `max` bytes (a lying size header cannot get past this). */
async function collect(stream: NodeJS.ReadableStream, max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  await pipeline(
    stream,
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > max) return cb(new ArchiveError(`${what} inflates past ${max} bytes; refusing it.`));
        chunks.push(chunk);
        cb();
      },
    }),
  ).catch((e: Error) => {
    if (e instanceof ArchiveError) throw e;
    throw new ArchiveError(`${what} cannot be read (${e.message}).`);
  });
  return Buffer.concat(chunks);
}

const clip = (s: string) => (s.length > 120 ? `${s.slice(0, 120)}...` : s);
