import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  CodeartifactClient,
  GetRepositoryEndpointCommand,
  ListDomainsCommand,
  PublishPackageVersionCommand,
} from '@aws-sdk/client-codeartifact';
import { SigV4Error, signRequest, verifySigV4, type SignedRequest, type VerifyOptions } from '../../src/auth/sigv4.js';

const AKID = 'AKIDEXAMPLE1234567890';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const REGION = 'us-east-1';
const SERVICE = 'codeartifact';
const HOST = 'hoard.example.test:8443';
const SIGNED_AT = new Date('2024-05-01T12:34:56Z');

const sha256Hex = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

/** @smithy/querystring-builder / escapeUri encoding, as the JS SDK's HTTP handler writes the URL. */
const enc = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const buildQuery = (q: Record<string, string | string[]>) =>
  Object.keys(q)
    .flatMap((k) => {
      const v = q[k];
      return Array.isArray(v) ? v.map((x) => `${enc(k)}=${enc(x)}`) : [`${enc(k)}=${enc(v)}`];
    })
    .join('&');

function opts(overrides: Partial<VerifyOptions> = {}): VerifyOptions {
  return {
    region: REGION,
    service: SERVICE,
    now: new Date(SIGNED_AT.getTime() + 30_000),
    lookupSecret: async (id) => (id === AKID ? SECRET : null),
    ...overrides,
  };
}

interface SmithyInput {
  method: string;
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string;
  region?: string;
  service?: string;
  secret?: string;
  signingDate?: Date;
}

/** Sign like the JS SDK v3 does (same signer class, same defaults), returning what the server receives. */
async function smithySign(input: SmithyInput): Promise<SignedRequest> {
  const signer = new SignatureV4({
    service: input.service ?? SERVICE,
    region: input.region ?? REGION,
    credentials: { accessKeyId: AKID, secretAccessKey: input.secret ?? SECRET },
    sha256: Sha256,
  });
  const headers: Record<string, string> = { host: HOST, ...(input.headers ?? {}) };
  if (input.body !== undefined) headers['content-length'] = String(Buffer.byteLength(input.body));
  const signed = await signer.sign(
    {
      method: input.method,
      protocol: 'https:',
      hostname: 'hoard.example.test',
      port: 8443,
      path: input.path,
      query: input.query ?? {},
      headers,
      body: input.body,
    },
    { signingDate: input.signingDate ?? SIGNED_AT },
  );
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) lower[k.toLowerCase()] = String(v);
  return {
    method: input.method,
    path: input.path,
    query: buildQuery(input.query ?? {}),
    headers: lower,
    payloadSha256: sha256Hex(input.body ?? ''),
  };
}

async function expectSigError(p: Promise<unknown>, type: string, status: number, message?: string | RegExp) {
  const err = await p.then(
    () => {
      throw new Error(`expected ${type}, but verification succeeded`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SigV4Error);
  const e = err as SigV4Error;
  expect(e.type).toBe(type);
  expect(e.status).toBe(status);
  expect(e.name).toBe(type);
  if (typeof message === 'string') expect(e.message).toBe(message);
  else if (message) expect(e.message).toMatch(message);
}

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.';

// A GET with query values that need encoding: '@', '/', '~', space, '+', '=', '&', non-ASCII.
const GET_INPUT: SmithyInput = {
  method: 'GET',
  path: '/v1/package/version',
  query: {
    domain: 'my-domain',
    'domain-owner': '111122223333',
    repository: 'repo~1',
    format: 'npm',
    namespace: '@types/x y',
    package: 'a+b=c&d',
    version: '1.0.0~rc 1/é',
    'max-results': ['2', '10'],
  },
  headers: { 'content-type': 'application/json', 'x-amz-user-agent': 'aws-sdk-js/3 test' },
};

const POST_INPUT: SmithyInput = {
  method: 'POST',
  path: '/v1/domain',
  query: { domain: 'my-domain' },
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ encryptionKey: 'alias/x', tags: [{ key: 'k', value: 'v w' }] }),
};

describe('verifySigV4: requests signed by @smithy/signature-v4 (JS SDK v3)', () => {
  it('verifies a GET with query parameters needing encoding', async () => {
    const req = await smithySign(GET_INPUT);
    // The SDK adds x-amz-content-sha256 (empty-body hash) and signs it.
    expect(req.headers['x-amz-content-sha256']).toBe(sha256Hex(''));
    await expect(verifySigV4(req, opts())).resolves.toEqual({ accessKeyId: AKID, signedAt: SIGNED_AT });
  });

  it('verifies a POST with a JSON body', async () => {
    const req = await smithySign(POST_INPUT);
    await expect(verifySigV4(req, opts())).resolves.toEqual({ accessKeyId: AKID, signedAt: SIGNED_AT });
  });

  it('verifies a POST whose x-amz-content-sha256 was set by the caller (streamed body, hash not yet known)', async () => {
    const asset = Buffer.from('pretend this is a tarball');
    const req = await smithySign({
      method: 'POST',
      path: '/v1/package/version/publish',
      query: { domain: 'd', repository: 'r', format: 'generic', namespace: 'ns', package: 'p', version: '1', asset: 'a.tgz' },
      headers: { 'content-type': 'application/octet-stream', 'x-amz-content-sha256': sha256Hex(asset) },
    });
    await expect(verifySigV4({ ...req, payloadSha256: null }, opts())).resolves.toMatchObject({ accessKeyId: AKID });
    await expect(verifySigV4({ ...req, payloadSha256: sha256Hex(asset) }, opts())).resolves.toMatchObject({
      accessKeyId: AKID,
    });
    // The server later read a different body than the one declared.
    await expectSigError(
      verifySigV4({ ...req, payloadSha256: sha256Hex('something else') }, opts()),
      'InvalidSignatureException',
      403,
      'The provided x-amz-content-sha256 header does not match what was computed.',
    );
  });

  it('accepts UNSIGNED-PAYLOAD declared by the client, whatever the body', async () => {
    const req = await smithySign({ ...POST_INPUT, headers: { ...POST_INPUT.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    await expect(verifySigV4({ ...req, payloadSha256: sha256Hex('other') }, opts())).resolves.toMatchObject({
      accessKeyId: AKID,
    });
    await expect(verifySigV4({ ...req, payloadSha256: null }, opts())).resolves.toMatchObject({ accessKeyId: AKID });
  });

  it('verifies a path with an encoded slash and characters needing encoding (double-encoded canonical URI)', async () => {
    const path = `/admin/keys/${enc('a/b c@d~e')}/x`;
    const req = await smithySign({ method: 'DELETE', path, service: 'hoard' });
    expect(req.path).toBe('/admin/keys/a%2Fb%20c%40d~e/x');
    await expect(verifySigV4(req, opts({ service: 'hoard' }))).resolves.toMatchObject({ accessKeyId: AKID });
  });

  it('canonicalizes equivalent raw query encodings the same way', async () => {
    const req = await smithySign(GET_INPUT);
    // Lower-case hex and needlessly-encoded unreserved characters decode to the same values.
    const raw = req.query.replace(/%2F/g, '%2f').replace(/~/g, '%7E');
    expect(raw).not.toBe(req.query);
    await expect(verifySigV4({ ...req, query: raw }, opts())).resolves.toMatchObject({ accessKeyId: AKID });
    // Parameter order on the wire does not matter.
    const reordered = req.query.split('&').reverse().join('&');
    await expect(verifySigV4({ ...req, query: reordered }, opts())).resolves.toMatchObject({ accessKeyId: AKID });
  });

  it('treats a query key without "=" as having an empty value', async () => {
    const req = await smithySign({ method: 'GET', path: '/v1/domains', query: { flag: '', a: 'b' } });
    expect(req.query).toBe('flag=&a=b');
    await expect(verifySigV4({ ...req, query: 'flag&a=b' }, opts())).resolves.toMatchObject({ accessKeyId: AKID });
  });

  it('tolerates whitespace runs in signed header values and duplicate header values', async () => {
    const req = await smithySign({
      ...GET_INPUT,
      headers: { ...GET_INPUT.headers, 'x-custom': '  a   b\tc  ' },
    });
    await expect(verifySigV4(req, opts())).resolves.toMatchObject({ accessKeyId: AKID });
    const req2 = await smithySign({ ...GET_INPUT, headers: { ...GET_INPUT.headers, 'x-multi': 'one,two' } });
    await expect(
      verifySigV4({ ...req2, headers: { ...req2.headers, 'x-multi': ['one', ' two '] } }, opts()),
    ).resolves.toMatchObject({ accessKeyId: AKID });
  });

  describe('mutations are rejected', () => {
    let get: SignedRequest;
    let post: SignedRequest;
    beforeAll(async () => {
      get = await smithySign(GET_INPUT);
      post = await smithySign(POST_INPUT);
    });

    it('method', async () => {
      await expectSigError(verifySigV4({ ...get, method: 'DELETE' }, opts()), 'InvalidSignatureException', 403, MISMATCH);
    });
    it('path', async () => {
      await expectSigError(
        verifySigV4({ ...get, path: '/v1/package/versions' }, opts()),
        'InvalidSignatureException',
        403,
        MISMATCH,
      );
    });
    it('a query value', async () => {
      await expectSigError(
        verifySigV4({ ...get, query: get.query.replace('repo~1', 'repo~2') }, opts()),
        'InvalidSignatureException',
        403,
        MISMATCH,
      );
    });
    it('an added query parameter', async () => {
      await expectSigError(
        verifySigV4({ ...get, query: `${get.query}&extra=1` }, opts()),
        'InvalidSignatureException',
        403,
        MISMATCH,
      );
    });
    it('a signed header', async () => {
      await expectSigError(
        verifySigV4({ ...get, headers: { ...get.headers, 'x-amz-user-agent': 'evil' } }, opts()),
        'InvalidSignatureException',
        403,
        MISMATCH,
      );
      await expectSigError(
        verifySigV4({ ...get, headers: { ...get.headers, host: 'other.example.test' } }, opts()),
        'InvalidSignatureException',
        403,
        MISMATCH,
      );
    });
    it('an unsigned header does not matter', async () => {
      await expect(
        verifySigV4({ ...get, headers: { ...get.headers, 'user-agent': 'whatever' } }, opts()),
      ).resolves.toMatchObject({ accessKeyId: AKID });
    });
    it('body (declared hash header no longer matches the body read)', async () => {
      await expectSigError(
        verifySigV4({ ...post, payloadSha256: sha256Hex('{"tampered":true}') }, opts()),
        'InvalidSignatureException',
        403,
        'The provided x-amz-content-sha256 header does not match what was computed.',
      );
    });
    it('body (no hash header, like botocore: signature mismatch)', async () => {
      const headers = { ...post.headers };
      delete headers['x-amz-content-sha256'];
      // Re-sign without the header so the canonical payload hash comes from the body.
      const signer = new SignatureV4({
        service: SERVICE,
        region: REGION,
        credentials: { accessKeyId: AKID, secretAccessKey: SECRET },
        sha256: Sha256,
        applyChecksum: false,
      });
      const signed = await signer.sign(
        {
          method: 'POST',
          protocol: 'https:',
          hostname: 'hoard.example.test',
          port: 8443,
          path: POST_INPUT.path,
          query: POST_INPUT.query!,
          headers: { host: HOST, 'content-type': 'application/json' },
          body: POST_INPUT.body,
        },
        { signingDate: SIGNED_AT },
      );
      const req: SignedRequest = {
        ...post,
        headers: Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), String(v)])),
      };
      expect(req.headers['x-amz-content-sha256']).toBeUndefined();
      await expect(verifySigV4(req, opts())).resolves.toMatchObject({ accessKeyId: AKID });
      await expectSigError(
        verifySigV4({ ...req, payloadSha256: sha256Hex('{}') }, opts()),
        'InvalidSignatureException',
        403,
        MISMATCH,
      );
      await expectSigError(
        verifySigV4({ ...req, payloadSha256: null }, opts()),
        'IncompleteSignatureException',
        400,
        /x-amz-content-sha256/,
      );
    });
    it('secret', async () => {
      await expectSigError(
        verifySigV4(get, opts({ lookupSecret: async () => 'not-the-secret' })),
        'InvalidSignatureException',
        403,
        MISMATCH,
      );
      const wrong = await smithySign({ ...GET_INPUT, secret: 'other' });
      await expectSigError(verifySigV4(wrong, opts()), 'InvalidSignatureException', 403, MISMATCH);
    });
    it('signature value', async () => {
      const auth = String(get.headers.authorization);
      const flipped = auth.replace(/Signature=([0-9a-f])/, (_m, c: string) => `Signature=${c === '0' ? '1' : '0'}`);
      await expectSigError(
        verifySigV4({ ...get, headers: { ...get.headers, authorization: flipped } }, opts()),
        'InvalidSignatureException',
        403,
        MISMATCH,
      );
      const short = auth.replace(/Signature=[0-9a-f]+/, 'Signature=abc');
      await expectSigError(
        verifySigV4({ ...get, headers: { ...get.headers, authorization: short } }, opts()),
        'InvalidSignatureException',
        403,
        MISMATCH,
      );
    });
    it('region (client signed for another region)', async () => {
      const other = await smithySign({ ...GET_INPUT, region: 'eu-west-1' });
      await expectSigError(verifySigV4(other, opts()), 'InvalidSignatureException', 403, /'eu-west-1'.*'us-east-1'/);
      await expectSigError(verifySigV4(get, opts({ region: 'eu-west-1' })), 'InvalidSignatureException', 403, /eu-west-1/);
    });
    it('service', async () => {
      await expectSigError(
        verifySigV4(get, opts({ service: 'hoard' })),
        'InvalidSignatureException',
        403,
        "Credential should be scoped to correct service: 'hoard'. ",
      );
    });
    it('scope date differs from X-Amz-Date', async () => {
      await expectSigError(
        verifySigV4({ ...get, headers: { ...get.headers, 'x-amz-date': '20240502T000000Z' } }, opts({ now: new Date('2024-05-02T00:00:00Z') })),
        'InvalidSignatureException',
        403,
        /'20240501' != '20240502'/,
      );
    });
    it('X-Amz-Date changed within the same day', async () => {
      await expectSigError(
        verifySigV4({ ...get, headers: { ...get.headers, 'x-amz-date': '20240501T123500Z' } }, opts()),
        'InvalidSignatureException',
        403,
        MISMATCH,
      );
    });
    it('date beyond skew (past and future)', async () => {
      await expectSigError(
        verifySigV4(get, opts({ now: new Date(SIGNED_AT.getTime() + 16 * 60_000) })),
        'InvalidSignatureException',
        403,
        'Signature expired: 20240501T123456Z is now earlier than 20240501T123556Z (20240501T125056Z - 15 min.)',
      );
      await expectSigError(
        verifySigV4(get, opts({ now: new Date(SIGNED_AT.getTime() - 16 * 60_000) })),
        'InvalidSignatureException',
        403,
        'Signature not yet current: 20240501T123456Z is still later than 20240501T123356Z (20240501T121856Z + 15 min.)',
      );
      // Just inside the window is fine; a custom window is honoured.
      await expect(verifySigV4(get, opts({ now: new Date(SIGNED_AT.getTime() + 14 * 60_000) }))).resolves.toBeTruthy();
      await expectSigError(
        verifySigV4(get, opts({ now: new Date(SIGNED_AT.getTime() + 6 * 60_000), maxSkewMs: 5 * 60_000 })),
        'InvalidSignatureException',
        403,
        /^Signature expired: .* - 5 min\.\)$/,
      );
    });
    it('unknown access key', async () => {
      await expectSigError(
        verifySigV4(get, opts({ lookupSecret: async () => null })),
        'UnrecognizedClientException',
        403,
        'The security token included in the request is invalid.',
      );
    });
  });

  describe('malformed or missing authentication', () => {
    let get: SignedRequest;
    beforeAll(async () => {
      get = await smithySign(GET_INPUT);
    });
    const withAuth = (authorization: string | undefined) => {
      const headers = { ...get.headers, authorization };
      if (authorization === undefined) delete headers.authorization;
      return { ...get, headers };
    };

    it('no Authorization header and no X-Amz-Algorithm', async () => {
      await expectSigError(
        verifySigV4(withAuth(undefined), opts()),
        'MissingAuthenticationTokenException',
        403,
        'Missing Authentication Token',
      );
    });
    it('wrong algorithm / other auth schemes', async () => {
      await expectSigError(verifySigV4(withAuth('Bearer abc'), opts()), 'IncompleteSignatureException', 400, /AWS4-HMAC-SHA256/);
      await expectSigError(
        verifySigV4(withAuth(String(get.headers.authorization).replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA1')), opts()),
        'IncompleteSignatureException',
        400,
      );
    });
    it('missing components', async () => {
      const auth = String(get.headers.authorization);
      await expectSigError(
        verifySigV4(withAuth(auth.replace(/, SignedHeaders=[^,]+/, '')), opts()),
        'IncompleteSignatureException',
        400,
        /requires 'SignedHeaders' parameter/,
      );
      await expectSigError(
        verifySigV4(withAuth(auth.replace(/, Signature=[0-9a-f]+/, '')), opts()),
        'IncompleteSignatureException',
        400,
        /requires 'Signature' parameter/,
      );
      await expectSigError(
        verifySigV4(withAuth(auth.replace(/Credential=[^,]+, /, '')), opts()),
        'IncompleteSignatureException',
        400,
        /requires 'Credential' parameter/,
      );
    });
    it('malformed credential', async () => {
      const auth = String(get.headers.authorization);
      await expectSigError(
        verifySigV4(withAuth(auth.replace('/aws4_request', '/aws5_request')), opts()),
        'IncompleteSignatureException',
        400,
        /terminator/,
      );
      await expectSigError(
        verifySigV4(withAuth(auth.replace(`${AKID}/`, '')), opts()),
        'IncompleteSignatureException',
        400,
        /Credential should be of the form/,
      );
    });
    it('missing X-Amz-Date', async () => {
      const headers = { ...get.headers };
      delete headers['x-amz-date'];
      await expectSigError(verifySigV4({ ...get, headers }, opts()), 'IncompleteSignatureException', 400, /X-Amz-Date/);
    });
    it('malformed X-Amz-Date', async () => {
      await expectSigError(
        verifySigV4({ ...get, headers: { ...get.headers, 'x-amz-date': '2024-05-01T12:34:56Z' } }, opts()),
        'IncompleteSignatureException',
        400,
        /ISO-8601/,
      );
    });
    it('SignedHeaders naming Object.prototype members: a mismatch, never a TypeError', async () => {
      const req = await smithySign(GET_INPUT);
      for (const extra of ['constructor', '__proto__', 'tostring', 'hasownproperty']) {
        const auth = req.headers.authorization.replace('SignedHeaders=', `SignedHeaders=${extra};`);
        await expectSigError(verifySigV4({ ...req, headers: { ...req.headers, authorization: auth } }, opts()), 'InvalidSignatureException', 403, MISMATCH);
      }
    });
    it('SignedHeaders without host', async () => {
      const auth = String(get.headers.authorization).replace(/SignedHeaders=[^,]+/, 'SignedHeaders=x-amz-date');
      await expectSigError(verifySigV4(withAuth(auth), opts()), 'IncompleteSignatureException', 400, /'Host'/);
    });
    it('both header and query authentication', async () => {
      await expectSigError(
        verifySigV4({ ...get, query: `${get.query}&X-Amz-Algorithm=AWS4-HMAC-SHA256` }, opts()),
        'IncompleteSignatureException',
        400,
        /Only one auth mechanism/,
      );
    });
  });
});

describe('verifySigV4: the query is canonicalized as the server reads it', () => {
  // Koa reads ctx.query with URLSearchParams (application/x-www-form-urlencoded): '+' is a space,
  // bad %-escapes stay literal, bytes that are not UTF-8 become U+FFFD. A signature must hold
  // exactly when the values the server reads are the ones that were signed.
  const serverRead = (raw: string) => [...new URLSearchParams(raw)].map(([k, v]) => `${k}=${v}`).sort();
  const cases: { signed: Record<string, string>; sent: string[] }[] = [
    { signed: { package: 'a+b' }, sent: ['package=a%2Bb', 'package=a+b', 'package=a%20b', 'package=a%2bb'] },
    { signed: { package: 'a b' }, sent: ['package=a%20b', 'package=a+b', 'package=a%2Bb'] },
    { signed: { 'x+y': '1' }, sent: ['x%2By=1', 'x+y=1', 'x%20y=1'] },
    { signed: { 'x y': '1' }, sent: ['x%20y=1', 'x+y=1', 'x%2By=1'] },
    { signed: { v: '\ufffd' }, sent: ['v=%EF%BF%BD', 'v=%E9', 'v=%FF'] },
    { signed: { v: '%zz' }, sent: ['v=%25zz', 'v=%zz', 'v=%2525zz'] },
  ];
  for (const c of cases)
    for (const sent of c.sent) {
      const same = JSON.stringify(serverRead(sent)) === JSON.stringify(serverRead(buildQuery(c.signed)));
      it(`signed ${JSON.stringify(c.signed)}, sent ${sent}: ${same ? 'verifies (the server reads the same)' : 'refused (the server would read something else)'}`, async () => {
        const req = await smithySign({ method: 'GET', path: '/v1/package', query: c.signed });
        const p = verifySigV4({ ...req, query: sent }, opts());
        if (same) await expect(p).resolves.toMatchObject({ accessKeyId: AKID });
        else await expectSigError(p, 'InvalidSignatureException', 403, MISMATCH);
      });
    }

  it('signRequest (the hoard CLI) signs a "+" it sends raw as the space the server reads', async () => {
    const url = 'http://127.0.0.1:9999/v1/package?package=a+b';
    const headers = await signRequest({ method: 'GET', url, accessKeyId: AKID, secretAccessKey: SECRET, region: REGION, service: SERVICE });
    const lower: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
    const req: SignedRequest = { method: 'GET', path: '/v1/package', query: 'package=a+b', headers: lower, payloadSha256: sha256Hex('') };
    await expect(verifySigV4(req, opts({ now: new Date() }))).resolves.toMatchObject({ accessKeyId: AKID });
    await expect(verifySigV4({ ...req, query: 'package=a%20b' }, opts({ now: new Date() }))).resolves.toMatchObject({ accessKeyId: AKID });
    await expectSigError(verifySigV4({ ...req, query: 'package=a%2Bb' }, opts({ now: new Date() })), 'InvalidSignatureException', 403, MISMATCH);
  });
});

describe('verifySigV4: query-string (presigned) form', () => {
  async function presign(input: { path: string; query: Record<string, string>; expiresIn: number; unsignedPayload?: boolean }) {
    const signer = new SignatureV4({
      service: SERVICE,
      region: REGION,
      credentials: { accessKeyId: AKID, secretAccessKey: SECRET },
      sha256: Sha256,
    });
    const headers: Record<string, string> = { host: HOST };
    if (input.unsignedPayload) headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    const signed = await signer.presign(
      { method: 'GET', protocol: 'https:', hostname: 'hoard.example.test', port: 8443, path: input.path, query: input.query, headers },
      {
        signingDate: SIGNED_AT,
        expiresIn: input.expiresIn,
        // As S3's presigner does: the payload hash is UNSIGNED-PAYLOAD but the header is neither sent nor signed.
        unhoistableHeaders: new Set(['x-amz-content-sha256']),
        unsignableHeaders: new Set(['x-amz-content-sha256']),
      },
    );
    const q = signed.query as Record<string, string>;
    expect(q['X-Amz-SignedHeaders']).toBe('host');
    const req: SignedRequest = {
      method: 'GET',
      path: input.path,
      query: buildQuery(q),
      headers: { host: HOST },
      payloadSha256: sha256Hex(''),
    };
    return req;
  }

  it('verifies a presigned URL (empty-body payload hash, as smithy presigns by default)', async () => {
    const req = await presign({ path: '/v1/domains', query: { a: 'x y/z' }, expiresIn: 300 });
    expect(req.query).toContain('X-Amz-Signature=');
    await expect(verifySigV4(req, opts())).resolves.toEqual({ accessKeyId: AKID, signedAt: SIGNED_AT });
  });

  it('verifies a presigned URL with UNSIGNED-PAYLOAD (S3 style)', async () => {
    const req = await presign({ path: '/v1/domains', query: { a: 'b' }, expiresIn: 300, unsignedPayload: true });
    await expect(verifySigV4(req, opts())).resolves.toMatchObject({ accessKeyId: AKID });
  });

  it('rejects tampering and expiry', async () => {
    const req = await presign({ path: '/v1/domains', query: { a: 'b' }, expiresIn: 60 });
    await expectSigError(
      verifySigV4({ ...req, query: req.query.replace('a=b', 'a=c') }, opts()),
      'InvalidSignatureException',
      403,
      MISMATCH,
    );
    await expectSigError(
      verifySigV4({ ...req, query: req.query.replace('X-Amz-Expires=60', 'X-Amz-Expires=600') }, opts({ now: new Date(SIGNED_AT.getTime() + 30_000) })),
      'InvalidSignatureException',
      403,
      MISMATCH,
    );
    await expectSigError(
      verifySigV4(req, opts({ now: new Date(SIGNED_AT.getTime() + 61_000) })),
      'InvalidSignatureException',
      403,
      /^Signature expired/,
    );
    await expectSigError(
      verifySigV4({ ...req, query: req.query.replace(/&?X-Amz-Signature=[0-9a-f]+/, '') }, opts()),
      'IncompleteSignatureException',
      400,
      /X-Amz-Signature/,
    );
  });
});

describe('signRequest round-trips through verifySigV4', () => {
  const toSigned = (method: string, url: string, headers: Record<string, string>, body?: string): SignedRequest => {
    const u = new URL(url);
    const lower: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
    return { method, path: u.pathname, query: u.search.slice(1), headers: lower, payloadSha256: sha256Hex(body ?? '') };
  };

  it('GET with query', async () => {
    const url = `http://127.0.0.1:9999/v1/repository/endpoint?domain=d&format=npm&repository=${enc('r @/~+')}&flag`;
    const headers = await signRequest({ method: 'GET', url, accessKeyId: AKID, secretAccessKey: SECRET, region: REGION, service: SERVICE });
    expect(Object.keys(headers).sort()).toEqual(['authorization', 'host', 'x-amz-date']);
    expect(headers.host).toBe('127.0.0.1:9999');
    const r = await verifySigV4(toSigned('GET', url, headers), opts({ now: new Date() }));
    expect(r.accessKeyId).toBe(AKID);
    expect(Math.abs(r.signedAt.getTime() - Date.now())).toBeLessThan(5_000);
  });

  it('POST with a body and caller headers (original key case preserved)', async () => {
    const url = 'http://127.0.0.1:9999/admin/users/a%2Fb';
    const body = JSON.stringify({ name: 'x' });
    const headers = await signRequest({
      method: 'post',
      url,
      headers: { 'Content-Type': 'application/json' },
      body,
      accessKeyId: AKID,
      secretAccessKey: SECRET,
      region: REGION,
      service: 'hoard',
    });
    expect(headers['Content-Type']).toBe('application/json');
    expect(headers['x-amz-content-sha256']).toBe(sha256Hex(body));
    expect(headers.authorization).toMatch(/SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date,/);
    await expect(verifySigV4(toSigned('POST', url, headers, body), opts({ now: new Date(), service: 'hoard' }))).resolves.toBeTruthy();
    await expectSigError(
      verifySigV4(toSigned('POST', url, headers, body), opts({ now: new Date(), service: 'hoard', lookupSecret: async () => 'x' })),
      'InvalidSignatureException',
      403,
      MISMATCH,
    );
  });

  it('Buffer body', async () => {
    const url = 'http://127.0.0.1:9999/v1/x';
    const body = Buffer.from([0, 1, 2, 255]);
    const headers = await signRequest({ method: 'PUT', url, body, accessKeyId: AKID, secretAccessKey: SECRET, region: REGION, service: SERVICE });
    expect(headers['x-amz-content-sha256']).toBe(sha256Hex(body));
    const req = toSigned('PUT', url, headers);
    await expect(verifySigV4({ ...req, payloadSha256: sha256Hex(body) }, opts({ now: new Date() }))).resolves.toBeTruthy();
  });
});

// ---------------------------------------------------------------------------------------------------------
// botocore

const hasBotocore = spawnSync('python3', ['-c', 'import botocore'], { stdio: 'ignore' }).status === 0;

const BOTO_SIGN = `
import json, sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode_sequence
spec = json.loads(sys.argv[1])
url = spec['endpoint'] + spec['path']
if spec.get('query'):
    url += '?' + percent_encode_sequence(spec['query'])
body = spec.get('body')
req = AWSRequest(method=spec['method'], url=url, data=body.encode('utf-8') if body is not None else None,
                 headers=spec.get('headers', {}))
SigV4Auth(Credentials(spec['akid'], spec['secret']), spec['service'], spec['region']).add_auth(req)
prepared = req.prepare()
print(json.dumps({'url': prepared.url, 'headers': dict(prepared.headers.items())}))
`;

function botoSign(spec: {
  method: string;
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string;
}): SignedRequest {
  const r = spawnSync(
    'python3',
    ['-c', BOTO_SIGN, JSON.stringify({ ...spec, endpoint: 'http://127.0.0.1:8080', akid: AKID, secret: SECRET, region: REGION, service: SERVICE })],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`botocore signing failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { url: string; headers: Record<string, string> };
  const u = new URL(out.url);
  const headers: Record<string, string> = { host: '127.0.0.1:8080' };
  for (const [k, v] of Object.entries(out.headers)) headers[k.toLowerCase()] = v;
  const q = out.url.indexOf('?');
  return {
    method: spec.method,
    path: u.pathname,
    query: q < 0 ? '' : out.url.slice(q + 1),
    headers,
    payloadSha256: sha256Hex(spec.body ?? ''),
  };
}

describe.skipIf(!hasBotocore)('verifySigV4: requests signed by botocore', () => {
  it('GET with query parameters', async () => {
    const req = botoSign({
      method: 'GET',
      path: '/v1/package/version',
      query: { domain: 'my-domain', namespace: '@types/x y', package: 'a+b=c&d', version: '1.0.0~rc 1/é', 'max-results': ['2', '10'] },
    });
    expect(req.headers['x-amz-content-sha256']).toBeUndefined();
    expect(req.query).toContain('namespace=%40types%2Fx%20y');
    await expect(verifySigV4(req, opts({ now: new Date() }))).resolves.toMatchObject({ accessKeyId: AKID });
    await expectSigError(
      verifySigV4({ ...req, query: req.query.replace('my-domain', 'my-domaim') }, opts({ now: new Date() })),
      'InvalidSignatureException',
      403,
      MISMATCH,
    );
  });

  it('POST with a JSON body', async () => {
    const body = JSON.stringify({ description: 'a repo', upstreams: [{ repositoryName: 'up' }] });
    const req = botoSign({
      method: 'POST',
      path: '/v1/repository',
      query: { domain: 'my-domain', repository: 'r' },
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    await expect(verifySigV4(req, opts({ now: new Date() }))).resolves.toMatchObject({ accessKeyId: AKID });
    await expectSigError(
      verifySigV4({ ...req, payloadSha256: sha256Hex(`${body} `) }, opts({ now: new Date() })),
      'InvalidSignatureException',
      403,
      MISMATCH,
    );
  });

  it('path with an encoded slash', async () => {
    const req = botoSign({ method: 'DELETE', path: '/v1/x/a%2Fb%40c' });
    await expect(verifySigV4(req, opts({ now: new Date() }))).resolves.toMatchObject({ accessKeyId: AKID });
  });
});

// ---------------------------------------------------------------------------------------------------------
// End to end through real clients

describe('end to end through real clients', () => {
  let server: Server;
  let port: number;
  const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers'] }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const url = req.url ?? '/';
        const qi = url.indexOf('?');
        seen.push({ method: req.method ?? '', url, headers: req.headers });
        verifySigV4(
          {
            method: req.method ?? 'GET',
            path: qi < 0 ? url : url.slice(0, qi),
            query: qi < 0 ? '' : url.slice(qi + 1),
            headers: req.headers,
            payloadSha256: sha256Hex(body),
          },
          { region: REGION, service: SERVICE, lookupSecret: async (id) => (id === AKID ? SECRET : null) },
        ).then(
          () => {
            const payload = url.startsWith('/v1/repository/endpoint')
              ? { repositoryEndpoint: 'http://127.0.0.1/npm/r/' }
              : url.startsWith('/v1/package/version/publish')
                ? { format: 'generic', package: 'p', version: '1', status: 'Published' }
                : { domains: [] };
            res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': 'test' });
            res.end(JSON.stringify(payload));
          },
          (e: unknown) => {
            const err = e instanceof SigV4Error ? e : new SigV4Error('InternalServerException', 500, String(e));
            res.writeHead(err.status, {
              'content-type': 'application/json',
              'x-amzn-errortype': err.type,
              'x-amzn-requestid': 'test',
            });
            res.end(JSON.stringify({ __type: err.type, message: err.message }));
          },
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const client = (secretAccessKey: string) =>
    new CodeartifactClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: REGION,
      credentials: { accessKeyId: AKID, secretAccessKey },
      maxAttempts: 1,
    });

  it('ListDomains with the right secret succeeds', async () => {
    const out = await client(SECRET).send(new ListDomainsCommand({}));
    expect(out.domains).toEqual([]);
  });

  it('ListDomains with a wrong secret fails with InvalidSignatureException', async () => {
    const err = await client('wrong-secret').send(new ListDomainsCommand({})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('InvalidSignatureException');
    expect((err as Error).message).toBe(MISMATCH);
    expect((err as { $metadata: { httpStatusCode?: number } }).$metadata.httpStatusCode).toBe(403);
  });

  it('ListDomains with an unknown key fails with UnrecognizedClientException', async () => {
    const c = new CodeartifactClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: REGION,
      credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: SECRET },
      maxAttempts: 1,
    });
    const err = await c.send(new ListDomainsCommand({})).catch((e: unknown) => e);
    expect((err as Error).name).toBe('UnrecognizedClientException');
  });

  it('GetRepositoryEndpoint (GET with query needing encoding) succeeds', async () => {
    const out = await client(SECRET).send(
      new GetRepositoryEndpointCommand({ domain: 'my-domain', domainOwner: '111122223333', repository: 'r @/~+é', format: 'npm' }),
    );
    expect(out.repositoryEndpoint).toBe('http://127.0.0.1/npm/r/');
    const last = seen[seen.length - 1];
    expect(last.method).toBe('GET');
    expect(last.url).toContain('repository=r%20%40%2F~%2B%C3%A9');
  });

  it('PublishPackageVersion (x-amz-content-sha256 = asset hash) succeeds', async () => {
    const asset = Buffer.from('asset bytes');
    const out = await client(SECRET).send(
      new PublishPackageVersionCommand({
        domain: 'd',
        repository: 'r',
        format: 'generic',
        namespace: 'ns',
        package: 'p',
        packageVersion: '1',
        assetName: 'a.bin',
        assetContent: asset,
        assetSHA256: sha256Hex(asset),
      }),
    );
    expect(out.status).toBe('Published');
    expect(seen[seen.length - 1].headers['x-amz-content-sha256']).toBe(sha256Hex(asset));
  });

  const hasAwsCli = spawnSync('aws', ['--version'], { stdio: 'ignore' }).status === 0;
  const awsEnv = (secret: string) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('AWS_')) delete env[k];
    return {
      ...env,
      AWS_ACCESS_KEY_ID: AKID,
      AWS_SECRET_ACCESS_KEY: secret,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_MAX_ATTEMPTS: '1',
    };
  };
  const runAws = (args: string[], secret: string) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn('aws', [...args, '--endpoint-url', `http://127.0.0.1:${port}`, '--region', REGION, '--output', 'json'], {
        env: awsEnv(secret),
      });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  it.skipIf(!hasAwsCli)('aws CLI list-domains / get-repository-endpoint verify; a wrong secret is rejected', async () => {
    const ok = await runAws(['codeartifact', 'list-domains'], SECRET);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ domains: [] });

    const ep = await runAws(
      ['codeartifact', 'get-repository-endpoint', '--domain', 'my-domain', '--repository', 'r @/~+é', '--format', 'npm'],
      SECRET,
    );
    expect(ep.stderr).toBe('');
    expect(ep.code).toBe(0);

    const bad = await runAws(['codeartifact', 'list-domains'], 'wrong-secret');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('InvalidSignatureException');
  }, 30_000);
});
