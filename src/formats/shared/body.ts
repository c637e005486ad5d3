// The one reader of whole request bodies (JSON documents, poms, checksums, control-plane calls):
// refuses a declared Content-Length over the limit before reading and stops at the limit while
// reading, without buffering past it. (A body that stalls is cut off by the server's body idle
// timeout, for every route alike: see server.ts.)
import type { IncomingMessage } from 'node:http';
import { tooLarge } from '../../errors.js';

/** `refusal`: the 413's message (default: names the limit). */
export async function readBody(req: IncomingMessage, limit: number, refusal = `The request body is larger than the limit of ${limit} bytes.`): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(refusal);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.destroy();
      throw tooLarge(refusal);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}
