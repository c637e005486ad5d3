// The control plane authenticates and authorizes before it reads a request body: missing or
// unknown credentials, and (when the payload hash is declared in x-amz-content-sha256, as the
// AWS SDK sends it) a denied operation, are answered while the client is still sending. Each
// request here sends its headers and only part of the body it announced; the answer arriving
// then shows the server did not wait for the rest. What each request gets is named in its test.
import { createHash } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDomainCommand, CreateRepositoryCommand, DescribeRepositoryCommand } from '@aws-sdk/client-codeartifact';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { startHoard, type TestHoard } from '../support/hoard.js';

const A = '111122223333';
const LIMIT = 64 * 1024;

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends the request line and headers, then `sendBytes` of the body, and never the rest: resolves
 * with the server's answer (read until the server closes or the announced length has come).
 */
function partialRequest(port: number, method: string, path: string, headers: Record<string, string>, sendBytes: Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    const done = () => {
      const text = data.toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return false;
      const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
      const h: Record<string, string> = {};
      for (const l of lines) h[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      const body = text.slice(end + 4);
      if (h['content-length'] !== undefined && Buffer.byteLength(body) < Number(h['content-length'])) return false;
      sock.destroy();
      resolve({ status: Number(statusLine.split(' ')[1]), headers: h, body });
      return true;
    };
    sock.on('data', (c: Buffer) => {
      data = Buffer.concat([data, c]);
      done();
    });
    sock.on('error', (e) => {
      if (!done()) reject(e);
    });
    sock.on('close', () => {
      if (!done()) reject(new Error(`connection closed without a full answer: ${data.toString('utf8').slice(0, 200)}`));
    });
    const head = [`${method} ${path} HTTP/1.1`, ...Object.entries({ host: `127.0.0.1:${port}`, ...headers }).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
    sock.write(`${head}\r\n\r\n`);
    sock.write(sendBytes);
  });
}

/**
 * Signs a PUT of `body` to `path` with `creds`: declaring the payload hash in x-amz-content-sha256
 * as the AWS SDK does, or (declareHash false) as botocore does for non-S3 services, without it.
 */
async function signPut(h: TestHoard, path: string, body: string, creds: { accessKeyId: string; secretAccessKey: string }, declareHash = true) {
  const u = new URL(`${h.url}${path}`);
  const signer = new SignatureV4({ service: 'codeartifact', region: 'us-east-1', credentials: creds, sha256: Sha256, applyChecksum: declareHash });
  const signed = await signer.sign({
    method: 'PUT',
    protocol: 'http:',
    hostname: u.hostname,
    port: Number(u.port),
    path: u.pathname,
    query: Object.fromEntries(u.searchParams),
    headers: { host: u.host, 'content-type': 'application/json' },
    body,
  });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host') headers[k] = String(v);
  return headers;
}

describe('control plane: credentials and permission before the body', () => {
  let h: TestHoard;
  let reader: { accessKeyId: string; secretAccessKey: string };

  beforeAll(async () => {
    h = await startHoard({ HOARD_MAX_BODY_BYTES: String(LIMIT) });
    await h.sdk().send(new CreateDomainCommand({ domain: 'acme' }));
    await h.sdk().send(new CreateRepositoryCommand({ domain: 'acme', repository: 'libs' }));
    await h.server.services.identity.createUser(A, 'reader');
    await h.server.services.identity.putUserPolicy(
      A,
      'reader',
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'codeartifact:Describe*', Resource: '*' }] }),
    );
    const k = await h.server.services.identity.createAccessKey(A, 'reader');
    reader = { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey };
  });
  afterAll(async () => h?.stop());

  const path = '/v1/repository?domain=acme&repository=libs';
  const part = Buffer.alloc(4096, 0x20);

  it('no credentials: 403 MissingAuthenticationTokenException while the body is still coming', async () => {
    const r = await partialRequest(h.port, 'PUT', path, { 'content-type': 'application/json', 'content-length': String(LIMIT - 1) }, part);
    expect(r.status).toBe(403);
    expect(r.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
    expect(JSON.parse(r.body).message).toBe('Missing Authentication Token');
  });

  it('no credentials and a Content-Length above the limit: 403, not 413', async () => {
    const r = await partialRequest(h.port, 'PUT', path, { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) }, part);
    expect(r.status).toBe(403);
    expect(r.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
  });

  it('an unknown access key: 403 UnrecognizedClientException while the body is still coming', async () => {
    const body = JSON.stringify({ description: 'x'.repeat(LIMIT - 100) });
    // botocore style: no declared payload hash, so the signature cannot be checked before the body.
    const headers = await signPut(h, path, body, { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'whatever' }, false);
    expect(headers['x-amz-content-sha256']).toBeUndefined();
    const r = await partialRequest(h.port, 'PUT', path, { ...headers, 'content-length': String(Buffer.byteLength(body)) }, part);
    expect(r.status).toBe(403);
    expect(r.headers['x-amzn-errortype']).toBe('UnrecognizedClientException');
  });

  it('a signed payload hash and no permission: 403 AccessDeniedException while the body is still coming', async () => {
    const body = JSON.stringify({ description: 'x'.repeat(LIMIT - 100) });
    const headers = await signPut(h, path, body, reader);
    expect(headers['x-amz-content-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
    const r = await partialRequest(h.port, 'PUT', path, { ...headers, 'content-length': String(Buffer.byteLength(body)) }, part);
    expect(r.status).toBe(403);
    expect(r.headers['x-amzn-errortype']).toBe('AccessDeniedException');
    expect(JSON.parse(r.body).message).toContain('codeartifact:UpdateRepository');
  });

  it('allowed requests still read and check their bodies (the declared hash must match)', async () => {
    const body = JSON.stringify({ description: 'checked' });
    const root = { accessKeyId: h.accessKeyId, secretAccessKey: h.secretAccessKey };
    const sign = (withHash: boolean) => signPut(h, path, body, root, withHash);
    // Declared hash (SDK style) and botocore style (hash of the body read) both work.
    for (const withHash of [true, false]) {
      const r = await fetch(`${h.url}${path}`, { method: 'PUT', headers: await sign(withHash), body });
      expect(r.status).toBe(200);
    }
    expect((await h.sdk().send(new DescribeRepositoryCommand({ domain: 'acme', repository: 'libs' }))).repository?.description).toBe('checked');
    // Another body than the one declared: refused after reading it, nothing changed.
    const swapped = JSON.stringify({ description: 'swapped' });
    for (const withHash of [true, false]) {
      const r = await fetch(`${h.url}${path}`, { method: 'PUT', headers: await sign(withHash), body: swapped });
      expect(r.status).toBe(403);
      expect(r.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    }
    expect((await h.sdk().send(new DescribeRepositoryCommand({ domain: 'acme', repository: 'libs' }))).repository?.description).toBe('checked');
    // Over the limit from a caller who may: 413, as before.
    const big = JSON.stringify({ description: 'x'.repeat(LIMIT) });
    for (const withHash of [true, false])
      expect((await fetch(`${h.url}${path}`, { method: 'PUT', headers: await signPut(h, path, big, root, withHash), body: big })).status).toBe(413);
  });
});
