// SigV4 signing for Hoard's own clients (the hoard CLI, tests): a request signed the way the AWS
// SDK signs it, with the same canonicalization the server verifies with (./sigv4-canonical.ts).
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { groupQuery, parseQuery } from './sigv4-canonical.js';

/** Client side, for Hoard's own CLI and tests: sign a request the same way the AWS SDK does. */
export async function signRequest(input: {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  service: string;
}): Promise<Record<string, string>> {
  const url = new URL(input.url);
  const headers: Record<string, string> = { ...(input.headers ?? {}) };
  if (!Object.keys(headers).some((h) => h.toLowerCase() === 'host')) headers.host = url.host;

  // The query object is built from the URL exactly as it will be sent, so the verifier (which re-parses
  // the raw query string) computes the same canonical query.
  const query = groupQuery(parseQuery(url.search.replace(/^\?/, '')));

  const signer = new SignatureV4({
    service: input.service,
    region: input.region,
    credentials: { accessKeyId: input.accessKeyId, secretAccessKey: input.secretAccessKey },
    sha256: Sha256,
    uriEscapePath: true,
    applyChecksum: input.body !== undefined,
  });
  const signed = await signer.sign({
    method: input.method.toUpperCase(),
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    query,
    headers,
    body: input.body,
  });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) if (v !== undefined) out[k] = String(v);
  return out;
}
