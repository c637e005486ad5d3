// Where a publish's tarball attachment goes while the body streams in: its base64 text is decoded in
// groups of 4 characters, and the bytes are hashed, inspected (tarball.ts) and streamed into a
// temporary blob, all with backpressure, so a publish holds a few buffers rather than the package.
// The blob is made final only by commit(), after every check passed; discard() drops it.
import { once } from 'node:events';
import { createHash, type Hash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { validation } from '../../errors.js';
import type { BlobDigests } from '../../blobs/blob-store.js';
import { TarballInspector, type IntegrityAlgo, type TarballFacts } from './tarball.js';

/** Base64 characters other than the alphabet, padding and whitespace. */
const FOREIGN = /[^A-Za-z0-9+/=\s]/;
const SPACE = /\s/;
const SPACES = /\s+/g;
const DECODE_AT = 64 * 1024; // characters gathered before a decode (a multiple of 4)

/**
 * Strict base64 in pieces: the alphabet, whitespace ignored, at most two `=` and only at the end,
 * a whole number of 4-character groups. Each piece is validated, then decoded in multiples of 4.
 */
export class Base64Decoder {
  private parts: string[] = [];
  private pending = 0;
  private padding = 0;
  /** characters of base64 seen (whitespace excluded) */
  chars = 0;

  constructor(private readonly file: string) {}

  private invalid() {
    return validation(`Attachment ${this.file} is not valid base64 (truncated or corrupted upload?); publish again.`);
  }

  /** Takes the next piece of text; returns decoded bytes when a batch is ready. */
  push(text: string): Buffer | null {
    if (FOREIGN.test(text)) throw this.invalid();
    const clean = SPACE.test(text) ? text.replace(SPACES, '') : text;
    if (!clean) return null;
    const eq = clean.indexOf('=');
    if (this.padding > 0 || eq >= 0) {
      const tail = this.padding > 0 ? clean : clean.slice(eq);
      for (let i = 0; i < tail.length; i++) if (tail.charCodeAt(i) !== 61) throw this.invalid();
      this.padding += tail.length;
      if (this.padding > 2) throw this.invalid();
    }
    this.chars += clean.length;
    this.parts.push(clean);
    this.pending += clean.length;
    return this.pending >= DECODE_AT ? this.take(false) : null;
  }

  /** The end of the text: the rest, which must complete the last group. */
  end(): Buffer | null {
    if (this.chars % 4 !== 0) throw this.invalid();
    return this.pending ? this.take(true) : null;
  }

  private take(all: boolean): Buffer {
    const text = this.parts.join('');
    const cut = all ? text.length : text.length - (text.length % 4);
    const rest = text.slice(cut);
    this.parts = rest ? [rest] : [];
    this.pending = rest.length;
    return Buffer.from(text.slice(0, cut), 'base64');
  }
}

/** Streams a body into the blob store under `signal`; resolves with the digests once it ends. */
export type BlobWriter = (body: Readable, signal: AbortSignal) => Promise<BlobDigests>;

/** The decoded tarball's way to the blob store; one per publish. */
export class TarballSink {
  private readonly ac = new AbortController();
  private readonly pass = new PassThrough({ highWaterMark: 256 * 1024 });
  private readonly put: Promise<BlobDigests>;
  private readonly inspector: TarballInspector;
  private readonly hashes: [IntegrityAlgo, Hash][];
  private error: Error | null = null;
  size = 0;

  constructor(store: BlobWriter, maxUnpacked: number, algos: Iterable<IntegrityAlgo>) {
    this.hashes = [...algos].map((a) => [a, createHash(a)]);
    this.inspector = new TarballInspector(maxUnpacked, (e) => this.fail(e));
    this.put = store(this.pass, this.ac.signal);
    this.put.catch((e: Error) => this.fail(e));
  }

  private fail(e: Error): void {
    if (this.error) return;
    this.error = e;
    this.ac.abort(e);
  }

  /** Throws the first failure of any consumer in place of an abort. */
  private async guard<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      throw this.error ?? e;
    }
  }

  /** Takes decoded bytes; resolves when the blob store and the inflater can take more. */
  async write(chunk: Buffer): Promise<void> {
    if (this.error) throw this.error;
    for (const [, h] of this.hashes) h.update(chunk);
    this.size += chunk.length;
    const waits: Promise<unknown>[] = [this.inspector.write(chunk, this.ac.signal)];
    if (!this.pass.write(chunk)) waits.push(once(this.pass, 'drain', { signal: this.ac.signal }));
    await this.guard(Promise.all(waits));
  }

  /** All bytes have arrived: their digests (raw bytes per algorithm). Call once. */
  digests(): Map<IntegrityAlgo, Buffer> {
    return new Map(this.hashes.map(([a, h]) => [a, h.digest()]));
  }

  /** All bytes have arrived: what the tarball holds, once the inflater has read it. The blob stays temporary. */
  async facts(): Promise<TarballFacts> {
    if (this.error) throw this.error;
    return this.guard(this.inspector.end());
  }

  /** Every check passed: the blob is made final. */
  async commit(): Promise<BlobDigests> {
    if (this.error) throw this.error;
    this.pass.end();
    return this.guard(this.put);
  }

  /** Something failed: the temporary blob is removed (awaited, so nothing is left behind). */
  async discard(): Promise<void> {
    this.fail(validation('The publish was refused.'));
    this.inspector.destroy();
    this.pass.destroy();
    await this.put.catch(() => {});
  }
}
