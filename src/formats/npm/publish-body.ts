// Reads an npm publish body (protocols.md A.7) as it streams in, never whole: a streaming JSON
// tokenizer (stream-json) feeds a small assembler that builds every value as JSON.parse would,
// except the tarball attachment's `data`, whose base64 text is decoded piece by piece into the
// attachment's sink. The body's byte limit and a metadata limit are enforced while reading.
import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { jsonParser, type Token } from 'stream-json/core/parser.js';
import { getManyValues, isMany, none } from 'stream-chain/defs.js';
import { HoardError, tooLarge, validation } from '../../errors.js';
import { Base64Decoder } from './attachment.js';

/** Everything but the tarball's bytes: npm's manifest, dist-tags, readme and attachment fields. */
const METADATA_MAX = 64 * 1024 * 1024;
const MAX_DEPTH = 256;

/** Receives the decoded tarball; `write` resolves when it can take more. */
export interface TarballTarget {
  write(chunk: Buffer): Promise<void>;
}

export interface PublishBody {
  /** the body as JSON.parse would give it, without the tarball attachment's `data` */
  body: Record<string, unknown>;
  /** the tarball attachment whose data was streamed, if any */
  tarball: { file: string; chars: number } | null;
}

export interface ReadOptions {
  /** the request body's byte limit (HOARD_MAX_UPLOAD_BYTES), and the refusal past it */
  limit: number;
  tooLarge: () => HoardError;
  /** called when a tarball's data begins, with the body as far as it has been read */
  openTarball: (file: string, soFar: Record<string, unknown>) => TarballTarget;
}

type Container = Record<string, unknown> | unknown[];
interface Frame {
  value: Container;
  /** the key this container sits under in its parent ('' in an array or at the top) */
  name: string;
  /** the pending key of an object */
  key: string | null;
}

const isSigstore = (file: string) => file.endsWith('.sigstore');

/** Sets a key as JSON.parse does, `__proto__` included as a plain own property. */
function setKey(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

class Assembler {
  private readonly stack: Frame[] = [];
  private root: Record<string, unknown> | null = null;
  private text: string[] = [];
  private metadata = 0;
  private tarballs = 0;
  private decoder: Base64Decoder | null = null;
  private target: TarballTarget | null = null;
  tarball: { file: string; chars: number } | null = null;

  constructor(private readonly opts: ReadOptions) {}

  get done(): boolean {
    return this.root !== null && this.stack.length === 0;
  }

  result(): PublishBody {
    return { body: this.root!, tarball: this.tarball };
  }

  private count(n: number): void {
    this.metadata += n;
    if (this.metadata > METADATA_MAX)
      throw tooLarge(`The publish body's metadata (everything but the tarball) is larger than ${METADATA_MAX} bytes.`);
  }

  private place(v: unknown): void {
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw validation('The publish body must be a JSON object.');
      this.root = v as Record<string, unknown>;
    } else if (Array.isArray(top.value)) top.value.push(v);
    else {
      setKey(top.value, top.key!, v);
      top.key = null;
    }
  }

  /** The attachment object whose `data` key is pending, when the value starting now is that data. */
  private dataOf(): string | null {
    const s = this.stack;
    if (s.length !== 3 || s[1].name !== '_attachments' || Array.isArray(s[1].value) || Array.isArray(s[2].value)) return null;
    return s[2].key === 'data' && !isSigstore(s[2].name) ? s[2].name : null;
  }

  /** Handles one token; returns a promise only when the tarball's sink asks to wait. */
  token(t: Token): Promise<void> | void {
    if (!this.target) this.count(1);
    switch (t.name) {
      case 'startObject':
      case 'startArray': {
        if (this.stack.length === 0 && t.name === 'startArray') throw validation('The publish body must be a JSON object.');
        const top = this.stack[this.stack.length - 1];
        const name = top && !Array.isArray(top.value) ? top.key! : '';
        this.stack.push({ value: t.name === 'startObject' ? {} : [], name, key: null });
        return;
      }
      case 'endObject':
      case 'endArray': {
        const f = this.stack.pop()!;
        this.place(f.value);
        return;
      }
      case 'startKey':
      case 'startString':
      case 'startNumber': {
        if (this.stack.length === 0) throw validation('The publish body must be a JSON object.');
        this.text = [];
        const file = t.name === 'startString' ? this.dataOf() : null;
        if (file !== null) {
          if (this.decoder) throw validation(`Attachment ${clip(file)} has its data twice.`);
          this.decoder = new Base64Decoder(clip(file));
          this.target = this.opts.openTarball(file, this.root ?? (this.stack[0].value as Record<string, unknown>));
        }
        return;
      }
      case 'stringChunk':
      case 'numberChunk': {
        if (this.target) {
          const bytes = this.decoder!.push(t.value);
          return bytes ? this.target.write(bytes) : undefined;
        }
        this.count(t.value.length);
        this.text.push(t.value);
        return;
      }
      case 'endKey': {
        const top = this.stack[this.stack.length - 1];
        top.key = this.text.join('');
        // An attachment's name: at most one of them may be a tarball.
        if (this.stack.length === 2 && top.name === '_attachments' && !Array.isArray(top.value) && !isSigstore(top.key) && ++this.tarballs > 1)
          throw validation('A publish carries exactly one tarball attachment; this one has more.');
        return;
      }
      case 'endString': {
        if (this.target) {
          const target = this.target;
          const bytes = this.decoder!.end();
          this.tarball = { file: this.stack[2].name, chars: this.decoder!.chars };
          this.target = null;
          this.stack[2].key = null; // `data` is not kept
          return bytes ? target.write(bytes) : undefined;
        }
        this.place(this.text.join(''));
        return;
      }
      case 'endNumber':
        this.place(Number(this.text.join('')));
        return;
      case 'nullValue':
      case 'trueValue':
      case 'falseValue':
        if (this.stack.length === 0) throw validation('The publish body must be a JSON object.');
        this.place(t.value);
        return;
      default:
        return;
    }
  }
}

/**
 * Reads the request body as a publish. Throws a 400 (HoardError) for malformed JSON, the
 * limit's refusal past `limit` bytes, and whatever the tarball target throws.
 */
export async function readPublishBody(req: IncomingMessage, opts: ReadOptions): Promise<PublishBody> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > opts.limit) throw opts.tooLarge();
  const parse = jsonParser({ packValues: false, streamValues: true, maxDepth: MAX_DEPTH });
  const utf8 = new StringDecoder('utf8');
  const asm = new Assembler(opts);
  const feed = async (text: string | typeof none) => {
    let out;
    try {
      out = parse(text as string);
    } catch (e) {
      const m = (e as Error).message;
      throw validation(
        e instanceof RangeError && /maxDepth/.test(m)
          ? `The publish body is not valid JSON for a publish: it nests deeper than ${MAX_DEPTH} levels.`
          : `The publish body is not valid JSON: ${m.replace(/^Parser /, '').replace(/\.$/, '')}.`,
      );
    }
    const tokens = out === none ? [] : isMany(out) ? (getManyValues(out) as Token[]) : [out as Token];
    for (const t of tokens) {
      const wait = asm.token(t);
      if (wait) await wait;
    }
  };
  let size = 0;
  try {
    // destroyOnReturn: false, so that a refusal still reaches the client (see discardRest).
    for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > opts.limit) {
        req.destroy();
        throw opts.tooLarge();
      }
      await feed(utf8.write(chunk));
    }
    await feed(utf8.end());
    await feed(none);
  } catch (e) {
    discardRest(req, opts.limit - size);
    throw e;
  }
  if (!asm.done) throw validation('The publish body is not valid JSON: it ends before the JSON does (truncated upload?).');
  return asm.result();
}

/**
 * After a refusal the client is still sending: the rest is read and dropped (up to the limit) so
 * the client finishes its upload and shows the answer, instead of a connection reset.
 */
function discardRest(req: IncomingMessage, allowance: number): void {
  if (req.destroyed || req.readableEnded) return;
  let left = allowance;
  req.on('data', (c: Buffer) => {
    left -= c.length;
    if (left < 0) req.destroy();
  });
  req.on('error', () => {});
  req.resume();
}

const clip = (s: string) => (s.length > 120 ? `${s.slice(0, 120)}...` : s);
