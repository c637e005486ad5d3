// The legacy upload form (multipart/form-data, as twine and uv send it): repeated fields kept in
// order, the `content` file streamed to a temporary file while its sha256, md5 and blake2b-256 are
// computed, every part bounded (field count and size, file size = the server's upload limit).
// The caller's permission check runs on the `name` field, which every client sends among the first
// fields, before a byte of the file is read: a refused upload costs the server a few hundred bytes.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { createBLAKE2b } from 'hash-wasm';
import { tooLarge, validation } from '../../errors.js';

export interface UploadedContent {
  filename: string;
  path: string;
  size: number;
  sha256: string;
  md5: string;
  blake2b256: string;
}

export interface UploadForm {
  fields: Map<string, string[]>;
  content: UploadedContent | null;
  /** removes the temporary file; safe to call twice */
  cleanup(): Promise<void>;
}

const MAX_FIELDS = 2000;
const MAX_FIELD_BYTES = 8 * 1024 * 1024; // one field (a long description)
const MAX_FORM_BYTES = 32 * 1024 * 1024; // all fields together

/**
 * `admit(name)` runs on the first `name` field (the project), before any of the file is read: the
 * file's bytes wait unread for it (TCP flow control holds the client back), and the form is refused
 * with admit's error as soon as it throws. A form whose file comes before its name is refused.
 */
export async function readUploadForm(req: IncomingMessage, maxFileBytes: number, admit: (name: string) => Promise<void>): Promise<UploadForm> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(type))
    throw validation('The upload must be multipart/form-data (the legacy upload API that twine and uv use).', 'CANNOT_PARSE');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hoard-pypi-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const fields = new Map<string, string[]>();
  let content: UploadedContent | null = null;
  let formBytes = 0;
  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: req.headers,
      preservePath: true,
      defParamCharset: 'utf8',
      limits: { fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES, files: 4, parts: MAX_FIELDS + 4, fileSize: maxFileBytes },
    });
  } catch (e) {
    await cleanup();
    throw validation(`Malformed multipart upload: ${(e as Error).message}.`, 'CANNOT_PARSE');
  }
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      let admission: Promise<void> | null = null;
      const pending: Promise<void>[] = [];
      const fail = (e: unknown) => {
        if (failed) return;
        failed = true;
        req.unpipe(bb);
        req.resume(); // let the rest of the body drain so the answer reaches the client
        reject(e);
      };
      bb.on('field', (name, value, info) => {
        if (info.valueTruncated) return fail(tooLarge(`The form field '${name}' is larger than ${MAX_FIELD_BYTES} bytes.`));
        formBytes += value.length + name.length;
        if (formBytes > MAX_FORM_BYTES) return fail(tooLarge(`The form fields exceed ${MAX_FORM_BYTES} bytes.`));
        const list = fields.get(name) ?? [];
        list.push(value);
        fields.set(name, list);
        if (name === 'name' && !admission) {
          admission = admit(value.trim());
          admission.catch(fail); // refused at once, without waiting for the rest of the body
          pending.push(admission);
        }
      });
      bb.on('file', (name, stream, info) => {
        if (name !== 'content' || content || failed) {
          stream.resume(); // signatures, attestations: not kept
          return;
        }
        if (!admission) {
          stream.resume();
          return fail(validation("The form field 'name' must come before the file ('content'), as twine and uv send it.", 'CANNOT_PARSE'));
        }
        const filename = info.filename ?? '';
        const target = path.join(dir, 'content');
        content = { filename, path: target, size: 0, sha256: '', md5: '', blake2b256: '' };
        const slot = content;
        pending.push(
          admission
            .then(() => writeHashed(stream, target, maxFileBytes))
            .then((d) => void Object.assign(slot, d))
            .catch(fail),
        );
      });
      for (const ev of ['fieldsLimit', 'partsLimit', 'filesLimit'] as const)
        bb.on(ev, () => fail(validation(`The upload form has too many parts (${ev.replace('Limit', '')}).`, 'CANNOT_PARSE')));
      bb.on('error', (e: Error) => fail(validation(`Malformed multipart upload: ${e.message}.`, 'CANNOT_PARSE')));
      bb.on('close', () => {
        Promise.all(pending).then(() => {
          if (!failed) resolve();
        }, fail);
      });
      req.on('aborted', () => fail(validation('The upload was interrupted.', 'CANNOT_PARSE')));
      req.pipe(bb);
    });
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { fields, content, cleanup };
}

async function writeHashed(
  stream: NodeJS.ReadableStream & { truncated?: boolean },
  target: string,
  maxBytes: number,
): Promise<{ size: number; sha256: string; md5: string; blake2b256: string }> {
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  const blake = await createBLAKE2b(256);
  blake.init();
  let size = 0;
  await pipeline(
    stream,
    new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        sha256.update(chunk);
        md5.update(chunk);
        blake.update(chunk);
        cb(null, chunk);
      },
    }),
    createWriteStream(target, { mode: 0o600 }), // in a 0700 folder of its own (mkdtemp)
  );
  if (stream.truncated) throw tooLarge(`The file is larger than the upload limit of ${maxBytes} bytes.`);
  return { size, sha256: sha256.digest('hex'), md5: md5.digest('hex'), blake2b256: blake.digest('hex') };
}
