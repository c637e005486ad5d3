// AWS Signature Version 4 verification (server side); signing for Hoard's own clients is in
// ./sigv4-sign.ts, the canonicalization both share in ./sigv4-canonical.ts.
//
// The canonical request is rebuilt the way both the JS SDK v3 (@smithy/signature-v4) and botocore build
// it for non-S3 services, so requests signed by either verify here:
//   - canonical URI: the path as sent (already percent-encoded), dot segments and empty segments removed,
//     then URI-encoded once more ("double encoding"), with '/' kept;
//   - canonical query: every pair decoded exactly as the server reads the query (WHATWG
//     application/x-www-form-urlencoded, i.e. URLSearchParams, which Koa's ctx.query uses: '+' is a
//     space, a malformed %-escape stays literal, bytes that are not UTF-8 become U+FFFD), then re-encoded
//     per RFC 3986 and sorted by encoded key then value; a key without '=' gets an empty value;
//     X-Amz-Signature is excluded. So a signature holds exactly when the values the server reads are
//     the ones that were signed ('a+b' on the wire is "a b", never the "a+b" a client signed as a%2Bb);
//   - canonical headers: exactly the SignedHeaders list, values trimmed with whitespace runs collapsed,
//     multiple values joined with ',';
//   - payload hash: the x-amz-content-sha256 header when present (verbatim, which allows UNSIGNED-PAYLOAD),
//     else the SHA-256 of the body the server read (beginSigV4 checks everything else before the body).
// Signing-key derivation comes from @smithy/signature-v4 (getSigningKey) with @aws-crypto/sha256-js; the
// signature comparison is constant time.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  ALGORITHM_IDENTIFIER,
  KEY_TYPE_IDENTIFIER,
  UNSIGNED_PAYLOAD,
  createScope,
  getSigningKey,
} from '@smithy/signature-v4';
import { canonicalHeaderValue, canonicalPath, canonicalQueryString, headerValue, parseQuery, type Headers } from './sigv4-canonical.js';

export interface SignedRequest {
  method: string;
  /** The raw request path as received (still percent-encoded), no query. */
  path: string;
  /** The raw query string without '?', may be ''. */
  query: string;
  /** Node's lower-cased IncomingHttpHeaders. */
  headers: Headers;
  /**
   * Hex SHA-256 of the body the server read; null when the body is streamed and not yet read (then the
   * x-amz-content-sha256 header value is used and the caller verifies the body against it later).
   */
  payloadSha256: string | null;
}

export interface VerifyOptions {
  /** Configured region; the credential scope must match. */
  region: string;
  /** 'codeartifact' for /v1, 'hoard' for the admin API. */
  service: string;
  /** Default new Date(). */
  now?: Date;
  /** Default 15 minutes. */
  maxSkewMs?: number;
  /** Returns the secret access key, or null for an unknown key. */
  lookupSecret(accessKeyId: string): Promise<string | null>;
}

export class SigV4Error extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGNED_EXPIRES_S = 7 * 24 * 60 * 60;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const AMZ_DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

const missingToken = () =>
  new SigV4Error('MissingAuthenticationTokenException', 403, 'Missing Authentication Token');
const incomplete = (message: string) => new SigV4Error('IncompleteSignatureException', 400, message);
const invalid = (message: string) => new SigV4Error('InvalidSignatureException', 403, message);
const unrecognized = () =>
  new SigV4Error('UnrecognizedClientException', 403, 'The security token included in the request is invalid.');
const mismatch = () =>
  invalid(
    'The request signature we calculated does not match the signature you provided. ' +
      'Check your AWS Secret Access Key and signing method.',
  );

/** The parts of a SigV4 signature, whichever form (header or query) carried them. */
interface ParsedAuth {
  form: 'header' | 'query';
  accessKeyId: string;
  scopeDate: string;
  scopeRegion: string;
  scopeService: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  /** Presigned form only: lifetime in seconds. */
  expiresS?: number;
}

// ---------------------------------------------------------------------------------------------------------
// Verification

/**
 * A signature checked as far as the request head allows. When the payload hash is declared
 * (x-amz-content-sha256, as the AWS SDK sends it) or the request has no body, the signature is
 * verified at once; otherwise (botocore for non-S3 services) it covers the hash of a body not yet
 * read, and completeWithBody verifies it once the body is read. Either way credentials that are
 * missing, malformed, expired, out of scope or unknown are refused before any body is read.
 */
export interface PendingSignature {
  accessKeyId: string;
  signedAt: Date;
  /** The signature itself is verified (only the body may still be checked against its hash). */
  readonly verified: boolean;
  /**
   * With the hex SHA-256 of the body read: verifies the signature when it was waiting for the
   * body, else checks the body against the declared x-amz-content-sha256. Throws SigV4Error.
   */
  completeWithBody(payloadSha256: string): void;
}

/** Verifies a request whose body (if any) was read, or whose payload hash is declared. */
export async function verifySigV4(req: SignedRequest, opts: VerifyOptions): Promise<{ accessKeyId: string; signedAt: Date }> {
  const p = await beginSigV4(req, opts);
  return { accessKeyId: p.accessKeyId, signedAt: p.signedAt };
}

/**
 * Checks what can be checked before the body. `bodyLater`: the body is read afterwards, so a
 * header-form signature without a declared payload hash waits for completeWithBody instead of
 * being refused (req.payloadSha256 is then null).
 */
export async function beginSigV4(req: SignedRequest, opts: VerifyOptions & { bodyLater?: boolean }): Promise<PendingSignature> {
  const pairs = parseQuery(req.query);
  const authHeader = headerValue(req.headers, 'authorization');
  const hasQueryAuth = pairs.some(([k]) => k === 'X-Amz-Algorithm');

  let auth: ParsedAuth;
  if (authHeader !== undefined && hasQueryAuth) {
    throw incomplete(
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified',
    );
  } else if (authHeader !== undefined) {
    auth = parseAuthorizationHeader(authHeader, req.headers);
  } else if (hasQueryAuth) {
    auth = parseQueryAuth(pairs);
  } else {
    throw missingToken();
  }

  // Credential scope.
  if (auth.scopeRegion !== opts.region) {
    throw invalid(
      `Credential should be scoped to a valid region, not '${auth.scopeRegion}'. Expected region: '${opts.region}'.`,
    );
  }
  if (auth.scopeService !== opts.service) {
    throw invalid(`Credential should be scoped to correct service: '${opts.service}'. `);
  }
  const signedAt = parseAmzDate(auth.amzDate);
  if (auth.scopeDate !== auth.amzDate.slice(0, 8)) {
    throw invalid(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: ` +
        `'${auth.scopeDate}' != '${auth.amzDate.slice(0, 8)}', from '${auth.amzDate}'.`,
    );
  }
  checkTime(auth, signedAt, opts);

  // Key.
  const secret = await opts.lookupSecret(auth.accessKeyId);
  if (secret === null) throw unrecognized();
  const verify = await signatureChecker(req, auth, pairs, secret);

  // Payload hash that the signature covers.
  const contentSha = headerValue(req.headers, 'x-amz-content-sha256');
  const declaredMatches = (payloadSha256: string) => {
    if (contentSha !== undefined && contentSha !== UNSIGNED_PAYLOAD && contentSha.toLowerCase() !== payloadSha256.toLowerCase())
      throw invalid('The provided x-amz-content-sha256 header does not match what was computed.');
  };
  let verified = true;
  if (contentSha !== undefined) {
    verify([contentSha]);
  } else if (auth.form === 'query' && (req.payloadSha256 !== null || !opts.bodyLater)) {
    // Presigners use UNSIGNED-PAYLOAD (S3 style) or the hash of the (usually empty) body (smithy default).
    verify([UNSIGNED_PAYLOAD, req.payloadSha256 ?? EMPTY_SHA256]);
  } else if (req.payloadSha256 !== null) {
    verify([req.payloadSha256.toLowerCase()]);
  } else if (opts.bodyLater) {
    verified = false;
  } else {
    throw incomplete(
      'The request body was not read and no x-amz-content-sha256 header was provided; cannot compute the payload hash.',
    );
  }
  // The signature covers the declared payload hash; check it against what the server read.
  if (verified && req.payloadSha256 !== null) declaredMatches(req.payloadSha256);

  return {
    accessKeyId: auth.accessKeyId,
    signedAt,
    get verified() {
      return verified;
    },
    completeWithBody(payloadSha256: string) {
      if (verified) return declaredMatches(payloadSha256);
      verify(auth.form === 'query' ? [UNSIGNED_PAYLOAD, payloadSha256.toLowerCase()] : [payloadSha256.toLowerCase()]);
      verified = true;
    },
  };
}

function checkTime(auth: ParsedAuth, signedAt: Date, opts: VerifyOptions): void {
  const now = opts.now ?? new Date();
  const maxSkewMs = opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const skewMin = `${maxSkewMs / 60000} min.`;
  if (signedAt.getTime() > now.getTime() + maxSkewMs) {
    throw invalid(
      `Signature not yet current: ${auth.amzDate} is still later than ` +
        `${formatAmzDate(new Date(now.getTime() + maxSkewMs))} (${formatAmzDate(now)} + ${skewMin})`,
    );
  }
  if (auth.form === 'header') {
    if (signedAt.getTime() < now.getTime() - maxSkewMs) {
      throw invalid(
        `Signature expired: ${auth.amzDate} is now earlier than ` +
          `${formatAmzDate(new Date(now.getTime() - maxSkewMs))} (${formatAmzDate(now)} - ${skewMin})`,
      );
    }
  } else {
    const expiresMs = (auth.expiresS ?? 0) * 1000;
    if (signedAt.getTime() + expiresMs < now.getTime()) {
      throw invalid(
        `Signature expired: ${auth.amzDate} is now earlier than ` +
          `${formatAmzDate(new Date(now.getTime() - expiresMs))} (${formatAmzDate(now)} - ${auth.expiresS} sec.)`,
      );
    }
  }
}

/** The canonical request minus its payload-hash line, and a check of the signature over any of the given payload hashes. */
async function signatureChecker(
  req: SignedRequest,
  auth: ParsedAuth,
  pairs: Array<[string, string]>,
  secret: string,
): Promise<(payloadCandidates: string[]) => void> {
  const canonicalPrefix = [
    req.method.toUpperCase(),
    canonicalPath(req.path),
    canonicalQueryString(pairs),
    auth.signedHeaders.map((h) => `${h}:${canonicalHeaderValue(req.headers, h)}`).join('\n') + '\n',
    auth.signedHeaders.join(';'),
  ].join('\n');
  const scope = createScope(auth.scopeDate, auth.scopeRegion, auth.scopeService);
  const signingKey = await getSigningKey(
    Sha256,
    { accessKeyId: auth.accessKeyId, secretAccessKey: secret },
    auth.scopeDate,
    auth.scopeRegion,
    auth.scopeService,
  );
  const provided = /^[0-9a-f]{64}$/.test(auth.signature) ? Buffer.from(auth.signature, 'hex') : null;
  return (payloadCandidates) => {
    let ok = false;
    for (const payloadHash of payloadCandidates) {
      const canonicalRequest = `${canonicalPrefix}\n${payloadHash}`;
      const stringToSign = [
        ALGORITHM_IDENTIFIER,
        auth.amzDate,
        scope,
        createHash('sha256').update(canonicalRequest, 'utf8').digest('hex'),
      ].join('\n');
      const expected = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest();
      // Always run the comparison (against a dummy when the provided value is malformed) so the time spent
      // does not depend on where the signatures differ.
      const equal = timingSafeEqual(expected, provided ?? Buffer.alloc(expected.length));
      ok = (equal && provided !== null) || ok;
    }
    if (!ok) throw mismatch();
  };
}

function parseAuthorizationHeader(
  value: string,
  headers: SignedRequest['headers'],
): ParsedAuth {
  const trimmed = value.trim();
  const sp = trimmed.search(/\s/);
  const algorithm = sp < 0 ? trimmed : trimmed.slice(0, sp);
  const rest = sp < 0 ? '' : trimmed.slice(sp + 1);
  if (algorithm !== ALGORITHM_IDENTIFIER) {
    throw incomplete(
      `Authorization header requires '${ALGORITHM_IDENTIFIER}' as the signing algorithm. Authorization=${value}`,
    );
  }
  const params = new Map<string, string>();
  for (const part of rest.split(',')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq <= 0) {
      throw incomplete(`Authorization header requires each component to be of the form key=value, got '${p}'. Authorization=${value}`);
    }
    params.set(p.slice(0, eq).trim(), p.slice(eq + 1).trim());
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((k) => !params.get(k));
  if (missing.length > 0) {
    throw incomplete(
      missing.map((k) => `Authorization header requires '${k}' parameter.`).join(' ') + ` Authorization=${value}`,
    );
  }
  const amzDate = headerValue(headers, 'x-amz-date');
  if (amzDate === undefined || amzDate.trim() === '') {
    throw incomplete(`Authorization header requires existence of a 'X-Amz-Date' header. Authorization=${value}`);
  }
  const scope = parseCredential(params.get('Credential')!);
  const signedHeaders = parseSignedHeaders(params.get('SignedHeaders')!);
  return {
    form: 'header',
    ...scope,
    signedHeaders,
    signature: params.get('Signature')!,
    amzDate: amzDate.trim(),
  };
}

function parseQueryAuth(pairs: Array<[string, string]>): ParsedAuth {
  const get = (k: string) => pairs.find(([key]) => key === k)?.[1];
  const algorithm = get('X-Amz-Algorithm');
  if (algorithm !== ALGORITHM_IDENTIFIER) {
    throw incomplete(`X-Amz-Algorithm only supports '${ALGORITHM_IDENTIFIER}'`);
  }
  const required = ['X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date', 'X-Amz-Expires'];
  const missing = required.filter((k) => !get(k));
  if (missing.length > 0) {
    throw incomplete(missing.map((k) => `AWS query-string parameters must include '${k}'.`).join(' '));
  }
  const expiresRaw = get('X-Amz-Expires')!;
  if (!/^\d+$/.test(expiresRaw)) {
    throw incomplete(`X-Amz-Expires should be a number of seconds, got '${expiresRaw}'.`);
  }
  const expiresS = Number(expiresRaw);
  if (expiresS > MAX_PRESIGNED_EXPIRES_S) {
    throw incomplete(`X-Amz-Expires must be less than a week (in seconds) that is ${MAX_PRESIGNED_EXPIRES_S}`);
  }
  return {
    form: 'query',
    ...parseCredential(get('X-Amz-Credential')!),
    signedHeaders: parseSignedHeaders(get('X-Amz-SignedHeaders')!),
    signature: get('X-Amz-Signature')!,
    amzDate: get('X-Amz-Date')!,
    expiresS,
  };
}

function parseCredential(credential: string) {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) {
    throw incomplete(
      `Credential should be of the form '<access key id>/<YYYYMMDD>/<region>/<service>/${KEY_TYPE_IDENTIFIER}', got '${credential}'.`,
    );
  }
  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator] = parts;
  if (terminator !== KEY_TYPE_IDENTIFIER) {
    throw incomplete(`Credential should be scoped with a valid terminator: '${KEY_TYPE_IDENTIFIER}', not '${terminator}'.`);
  }
  if (!/^\d{8}$/.test(scopeDate)) {
    throw incomplete(`Credential scope date should be of the form YYYYMMDD, got '${scopeDate}'.`);
  }
  return { accessKeyId, scopeDate, scopeRegion, scopeService };
}

function parseSignedHeaders(value: string): string[] {
  const list = value.split(';').map((h) => h.trim().toLowerCase());
  if (list.some((h) => h === '')) throw incomplete(`SignedHeaders is malformed: '${value}'.`);
  if (!list.includes('host') && !list.includes(':authority')) {
    throw incomplete(`'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.`);
  }
  return list;
}

function parseAmzDate(value: string): Date {
  const m = AMZ_DATE_RE.exec(value);
  const d = m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : null;
  if (!m || !d || Number.isNaN(d.getTime()) || formatAmzDate(d) !== value) {
    throw incomplete(`Date must be in ISO-8601 'basic format'. Got '${value}'; expected yyyyMMdd'T'HHmmss'Z', e.g. 20240101T000000Z`);
  }
  return d;
}

function formatAmzDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

// Client-side signing (Hoard's CLI and tests) lives in ./sigv4-sign.ts.
export { signRequest } from './sigv4-sign.js';
