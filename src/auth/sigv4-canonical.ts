// SigV4 canonicalization, shared by verification and signing (src/auth/sigv4.ts): the canonical
// path, query and header values, built the way both the JS SDK v3 (@smithy/signature-v4) and
// botocore build them for non-S3 services. Names chosen by the client (headers, query keys) are
// looked up as own properties only, so `constructor` or `__proto__` are names like any other.
import { getCanonicalQuery } from '@smithy/signature-v4';

export type Headers = Record<string, string | string[] | undefined>;

/** RFC 3986 encoding as the SDKs do it: everything but A-Z a-z 0-9 - _ . ~ is percent-encoded (UTF-8). */
export function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Splits a raw query string into decoded [key, value] pairs exactly as the server reads them:
 * URLSearchParams is what Koa's ctx.query is built from ('+' is a space, a malformed %-escape
 * stays literal, bytes that are not UTF-8 become U+FFFD; a key without '=' gets '').
 */
export function parseQuery(raw: string): Array<[string, string]> {
  return [...new URLSearchParams(raw)];
}

/** Pairs grouped by key (repeated keys become arrays), in a null-prototype object. */
export function groupQuery(pairs: Array<[string, string]>): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = Object.create(null);
  for (const [k, v] of pairs) {
    const prev = query[k];
    if (prev === undefined) query[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else query[k] = [prev, v];
  }
  return query;
}

export function canonicalQueryString(pairs: Array<[string, string]>): string {
  // getCanonicalQuery re-encodes, sorts by encoded key then by "key=value" and drops X-Amz-Signature.
  return getCanonicalQuery({ query: groupQuery(pairs) } as Parameters<typeof getCanonicalQuery>[0]);
}

/** Same as SignatureV4Base.getCanonicalPath (and botocore's normalize_url_path + quote) for non-S3. */
export function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  const normalized =
    (path.startsWith('/') ? '/' : '') + segments.join('/') + (segments.length > 0 && path.endsWith('/') ? '/' : '');
  let encoded: string;
  try {
    encoded = escapeUri(normalized);
  } catch {
    // Lone surrogates cannot be encoded; such a path cannot have been signed by an SDK.
    encoded = normalized;
  }
  return (encoded === '' ? '/' : encoded).replace(/%2F/g, '/');
}

/** A header's value by its lower-case name, own properties only; repeated values joined with ','. */
export function headerValue(headers: Headers, name: string): string | undefined {
  const v = Object.hasOwn(headers, name) ? headers[name] : undefined;
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : String(v);
}

/** The canonical value of a signed header: trimmed, whitespace runs collapsed, repeats joined with ','. */
export function canonicalHeaderValue(headers: Headers, name: string): string {
  const v = Object.hasOwn(headers, name) ? headers[name] : undefined;
  const trimAll = (s: string) => s.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').replace(/^ | $/g, '');
  if (v === undefined) return '';
  return Array.isArray(v) ? v.map((x) => trimAll(String(x))).join(',') : trimAll(String(v));
}
