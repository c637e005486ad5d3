// BlobStore on the local filesystem (the embedded default).
// Layout: {dataDir}/blobs/{scope}/{sha[0:2]}/{sha}; temporaries in {dataDir}/blobs/.tmp/.
// A put writes and fsyncs a temp file, then hard-links it to its final name, which fails
// with EEXIST rather than replacing an existing blob, then drops the temp. Folders are made only
// when a put finds one missing (a new shard, or one removed behind Hoard's back). Folders are 0700 and
// files 0600: content is private to Hoard's user.

import { randomUUID } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { access, link, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { notFound } from '../errors.js';
import {
  assertScope,
  assertSha256,
  hashedChunks,
  isSha256,
  MultiHasher,
  verifyDigests,
  type BlobDigests,
  type BlobStore,
  type ByteRange,
  type PutOptions,
} from './blob-store.js';

const errCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;

export class FsBlobStore implements BlobStore {
  readonly kind = 'fs' as const;
  private readonly root: string;
  private readonly tmpDir: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'blobs');
    this.tmpDir = join(this.root, '.tmp');
  }

  /** Creates the blob folders; called by the factory. */
  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
  }

  private pathOf(scope: string, sha256: string): string {
    return join(this.root, scope, sha256.slice(0, 2), sha256);
  }

  async put(scope: string, body: NodeJS.ReadableStream | Buffer, opts?: PutOptions): Promise<BlobDigests> {
    assertScope(scope);
    const tmp = join(this.tmpDir, randomUUID());
    const hasher = new MultiHasher();
    try {
      const fh = await this.ensuringDir(this.tmpDir, () => open(tmp, 'wx', 0o600));
      try {
        for await (const chunk of hashedChunks(body, hasher, opts)) {
          let off = 0;
          while (off < chunk.length) {
            const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
            off += bytesWritten;
          }
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      const digests = hasher.digest();
      verifyDigests(digests, opts);
      opts?.signal?.throwIfAborted();

      const final = this.pathOf(scope, digests.sha256);
      const dir = join(this.root, scope, digests.sha256.slice(0, 2));
      await this.ensuringDir(dir, () => this.publish(tmp, final));
      await fsyncDir(dir);
      return digests;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  /**
   * Runs `op` on a path in `dir`, which is usually there: only when `op` finds it missing (a shard
   * never used yet, or a folder removed behind Hoard's back) is it made and `op` retried.
   */
  private async ensuringDir<T>(dir: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (e) {
      if (errCode(e) !== 'ENOENT') throw e;
      await mkdir(dir, { recursive: true, mode: 0o700 });
      return op();
    }
  }

  /** Makes tmp visible at final without ever replacing an existing final file. */
  private async publish(tmp: string, final: string): Promise<void> {
    try {
      await link(tmp, final);
    } catch (e) {
      const code = errCode(e);
      if (code === 'EEXIST') return; // same content already there: keep it
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
        // Filesystems without hard links: check, then rename. The race only ever replaces
        // a blob with identical bytes (the name is their SHA-256).
        if (await exists(final)) return;
        await rename(tmp, final);
        return;
      }
      throw e;
    }
  }

  async get(scope: string, sha256: string, range?: ByteRange): Promise<NodeJS.ReadableStream> {
    assertScope(scope);
    assertSha256(sha256);
    let fh;
    try {
      fh = await open(this.pathOf(scope, sha256), 'r');
    } catch (e) {
      if (errCode(e) === 'ENOENT') throw notFound(`Asset with SHA-256 ${sha256} not found`, 'asset', sha256);
      throw e;
    }
    // Holding the descriptor keeps the read valid even if the blob is deleted meanwhile.
    return range ? fh.createReadStream({ start: range.start, end: range.end }) : fh.createReadStream();
  }

  async stat(scope: string, sha256: string): Promise<{ size: number } | null> {
    assertScope(scope);
    assertSha256(sha256);
    try {
      const st = await stat(this.pathOf(scope, sha256));
      return { size: st.size };
    } catch (e) {
      if (errCode(e) === 'ENOENT') return null;
      throw e;
    }
  }

  /** Files on disk are only reachable through Hoard. */
  async downloadUrl(): Promise<string | null> {
    return null;
  }

  async delete(scope: string, sha256: string): Promise<void> {
    assertScope(scope);
    assertSha256(sha256);
    try {
      await unlink(this.pathOf(scope, sha256));
    } catch (e) {
      if (errCode(e) !== 'ENOENT') throw e;
    }
  }

  async *list(scope: string): AsyncIterable<string> {
    assertScope(scope);
    const scopeDir = join(this.root, scope);
    let shards: string[];
    try {
      shards = await readdir(scopeDir);
    } catch (e) {
      if (errCode(e) === 'ENOENT') return;
      throw e;
    }
    for (const shard of shards.sort()) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      let names: string[];
      try {
        names = await readdir(join(scopeDir, shard));
      } catch (e) {
        if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') continue;
        throw e;
      }
      for (const name of names.sort()) {
        if (isSha256(name) && name.startsWith(shard)) yield name;
      }
    }
  }

  async check(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
    await access(this.tmpDir, fsc.R_OK | fsc.W_OK);
  }

  async sweepTemp(olderThanMs: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.tmpDir);
    } catch (e) {
      if (errCode(e) === 'ENOENT') return 0;
      throw e;
    }
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const name of names) {
      const p = join(this.tmpDir, name);
      try {
        const st = await stat(p);
        if (st.isFile() && st.mtimeMs < cutoff) {
          await unlink(p);
          removed++;
        }
      } catch (e) {
        if (errCode(e) !== 'ENOENT') throw e; // removed concurrently: fine
      }
    }
    return removed;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (e) {
    if (errCode(e) === 'ENOENT') return false;
    throw e;
  }
}

/** Persists a directory entry (the new link); best effort where directories cannot be opened. */
async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // not supported on this platform/filesystem
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
