// Opaque pagination tokens: base64url JSON of the last key of a page (keyset pagination, never offsets).
import { validation } from '../errors.js';

export function encodeToken(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

export function decodeToken<T>(s: string): T {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (v && typeof v === 'object') return v as T;
  } catch {
    /* fall through */
  }
  throw validation('The pagination token is not valid; pass the nextToken of the previous page unchanged.', 'CANNOT_PARSE');
}
