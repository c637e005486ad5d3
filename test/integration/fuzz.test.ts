// Property-based probe of every face (fast-check): random Authorization headers, query strings and
// paths, with names an attacker would pick ('constructor', '__proto__', malformed %-escapes, '+'),
// must never get a 5xx, and every refusal comes in the face's own error shape: the control plane's
// x-amzn-ErrorType + JSON message, npm's JSON {error}, PyPI's problem+json / HTML / JSON / text by
// surface, Maven's problem+json; /healthz always answers 200. Runs are few, so it takes seconds.
import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssociateExternalConnectionCommand,
  CreateDomainCommand,
  CreateRepositoryCommand,
  GetAuthorizationTokenCommand,
  PublishPackageVersionCommand,
  UpdatePackageVersionsStatusCommand,
} from '@aws-sdk/client-codeartifact';
import { signRequest } from '../../src/auth/sigv4.js';
import { failure, sha256 } from '../support/versions.js';
import { CONTROL_PLANE_OPERATIONS, HOARD_OPERATIONS } from '../../src/api/control-plane.js';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { makeTgz, publishBody } from './npm-support.js';

const A = '111122223333';
// Modest by default; HOARD_FUZZ_RUNS=1000 for a deeper local search.
const RUNS = Number(process.env.HOARD_FUZZ_RUNS ?? 60);

/** Names that break code looking keys up in ordinary objects, and pieces that break decoders. */
const NASTY = ['constructor', '__proto__', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'x-amz-date', 'host'];
const PIECES = ['', '.', '..', '%', '%2', '%zz', '%2F', '%2f', '%00', '%E9', '%C3%A9', '+', '%2B', '%20', ' ', '@scope', '@scope%2fname', '-', '=', '&', ';', ':', 'é'];
const WORDS = ['acme', 'libs', 'left-pad', 'simple', 'pypi', 'json', 'packages', 'com', 'acme-111122223333', 'maven-metadata.xml', 'dist-tags', '-rev', 'whoami', 'v1'];

const piece = fc.oneof(
  fc.constantFrom(...NASTY, ...PIECES, ...WORDS),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);

/** Percent-encodes only what an HTTP request line cannot carry raw; '%', '+', '@' etc. go as they are. */
function rawish(s: string): string {
  let out = '';
  for (const ch of s) out += /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]$/.test(ch) ? ch : encodeURIComponent(ch);
  return out;
}
const segment = fc.tuple(piece, fc.boolean()).map(([p, encode]) => (encode ? encodeURIComponent(p) : rawish(p).replace(/\//g, '%2F')));
const tail = fc.array(segment, { maxLength: 5 }).chain((segs) => fc.constantFrom(segs.join('/'), `${segs.join('/')}/`));

const queryKey = fc.oneof(
  fc.constantFrom('domain', 'domain-owner', 'repository', 'format', 'namespace', 'package', 'version', 'asset', 'max-results', 'next-token'),
  fc.constantFrom('X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date', 'X-Amz-Expires', 'external-connection', 'format'),
  piece,
);
const queryValue = fc.oneof(fc.constantFrom('acme', 'libs', 'npm', 'pypi', 'maven', 'generic', 'AWS4-HMAC-SHA256', 'public:npmjs', ...NASTY), piece);
const query = fc
  .array(fc.tuple(queryKey, queryValue, fc.constantFrom('raw', 'encoded', 'plus')), { maxLength: 5 })
  .map((pairs) =>
    pairs
      .map(([k, v, how]) => {
        const enc = how === 'encoded' ? encodeURIComponent : how === 'plus' ? (s: string) => rawish(s).replace(/%20/g, '+') : rawish;
        return `${enc(k).replace(/[&#]/g, encodeURIComponent)}=${enc(v).replace(/[&#]/g, encodeURIComponent)}`;
      })
      .join('&'),
  );

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const amzDate = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');

describe('fuzzing every face: no 5xx, always the face’s own error shape', () => {
  let h: TestHoard;
  let token: string;

  beforeAll(async () => {
    h = await startHoard();
    await h.sdk().send(new CreateDomainCommand({ domain: 'acme' }));
    await h.sdk().send(new CreateRepositoryCommand({ domain: 'acme', repository: 'libs' }));
    token = (await h.sdk().send(new GetAuthorizationTokenCommand({ domain: 'acme' }))).authorizationToken!;
    const pj = { name: 'left-pad', version: '1.0.0' };
    const r = await fetch(`${h.url}/npm/d/acme-${A}/libs/left-pad`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(publishBody(pj, await makeTgz(pj))),
    });
    expect(r.status).toBe(201);
  });
  afterAll(async () => h?.stop());

  /**
   * Authorization headers: none, garbage, Bearer/Basic with a good or a bad token, and SigV4 with
   * the real key, today's scope and hostile SignedHeaders (so the canonical request is built).
   * `sigv4`: how often the SigV4 form comes, relative to each of the others.
   */
  const authorization = (sigv4: number) =>
    fc.oneof(
      fc.constant(undefined),
      printable,
      fc.constantFrom(`Bearer ${token}`, `Basic ${Buffer.from(`aws:${token}`).toString('base64')}`),
      printable.map((t) => `Bearer ${t}`),
      fc.oneof(printable, fc.constant(`aws:${token.slice(0, 20)}`)).map((t) => `Basic ${Buffer.from(t).toString('base64')}`),
      {
        weight: sigv4,
        arbitrary: fc
          .record({
            key: fc.constantFrom(h.accessKeyId, h.accessKeyId, h.accessKeyId, 'AKIAUNKNOWNUNKNOWN00', ''),
            region: fc.constantFrom('us-east-1', 'us-east-1', 'us-east-1', 'eu-west-1', '__proto__'),
            service: fc.constantFrom('codeartifact', 'codeartifact', 'hoard', 'constructor'),
            signed: fc.array(fc.oneof(fc.constantFrom(...NASTY), printable.map((s) => s.replace(/[;,\s]/g, ''))), { minLength: 1, maxLength: 4 }),
            signature: fc.oneof(fc.constant('0'.repeat(64)), printable.map((s) => s.replace(/[,\s]/g, ''))),
          })
          .map(({ key, region, service, signed, signature }) => {
            const date = amzDate().slice(0, 8);
            return `AWS4-HMAC-SHA256 Credential=${key}/${date}/${region}/${service}/aws4_request, SignedHeaders=${['host', ...signed].join(';')}, Signature=${signature}`;
          }),
      },
    );

  function send(method: string, path: string, auth: string | undefined): Promise<{ status: number; statusText: string; headers: http.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { 'x-amz-date': amzDate() };
      if (auth !== undefined) headers.authorization = auth;
      if (method === 'POST' || method === 'PUT') headers['content-length'] = '0';
      const req = http.request({ host: '127.0.0.1', port: h.port, method, path, headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, statusText: res.statusMessage ?? '', headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  type Face = 'control' | 'npm' | 'pypi' | 'maven' | 'health';

  /** The face's own error shape; `what` says which request it was, for a readable failure. */
  function expectShape(face: Face, method: string, r: Awaited<ReturnType<typeof send>>, what: string) {
    expect(r.status, `${what} answered ${r.status}: ${r.body.slice(0, 300)}`).toBeLessThan(500);
    if (face === 'health') {
      expect([what, r.status]).toEqual([what, 200]);
      return;
    }
    if (r.status < 400 || method === 'HEAD') return;
    const type = String(r.headers['content-type'] ?? '');
    const json = () => JSON.parse(r.body) as Record<string, unknown>;
    switch (face) {
      case 'control':
        expect(r.headers['x-amzn-errortype'], what).toMatch(/^[A-Za-z]+$/);
        expect(typeof json().message, what).toBe('string');
        break;
      case 'npm':
        expect(type, what).toMatch(/^application\/json/);
        expect(typeof json().error, what).toBe('string');
        break;
      case 'pypi':
        expect(r.statusText.length, what).toBeGreaterThan(0);
        if (type.startsWith('application/problem+json')) expect(typeof json().detail, what).toBe('string');
        else if (type.startsWith('application/json')) expect(typeof json().message, what).toBe('string');
        else if (type.startsWith('text/html')) expect(r.body, what).toContain(`<h1>${r.status}</h1>`);
        else expect([what, type]).toEqual([what, 'text/plain; charset=utf-8']);
        break;
      case 'maven':
        expect(type, what).toBe('application/problem+json');
        expect(typeof json().detail, what).toBe('string');
        break;
    }
  }

  const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE');
  const withQuery = (path: string, q: string) => (q ? `${path}?${q}` : path);

  /**
   * `requests`: [method, path] pairs, or paths to try with any of `methods`; `examples`: cases
   * always run besides the random ones (the reported ones).
   */
  async function probe(
    face: Face,
    requests: fc.Arbitrary<[string, string]> | fc.Arbitrary<string>,
    methods: fc.Arbitrary<string> = method,
    examples: [[string, string], string, string | undefined][] = [],
  ) {
    const pairs = (requests as fc.Arbitrary<unknown>).chain((r) =>
      Array.isArray(r) ? fc.constant(r as [string, string]) : methods.map((m) => [m, r as string] as [string, string]),
    );
    await fc.assert(
      fc.asyncProperty(pairs, query, authorization(face === 'control' ? 10 : 1), async ([m, path], q, auth) => {
        const target = withQuery(path, q);
        const r = await send(m, target, auth);
        expectShape(face, m, r, `${m} ${target} (authorization ${JSON.stringify(auth)?.slice(0, 120)})`);
      }),
      { numRuns: RUNS, examples },
    );
  }

  it('control plane (/v1, /admin/v1, /hoard/v1)', async () => {
    // Mostly the declared operations (method and path), so requests reach the signature check.
    const ops = [...CONTROL_PLANE_OPERATIONS, ...HOARD_OPERATIONS].map((o) => [o.method, o.path] as [string, string]);
    const methods = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE');
    const junk = fc.oneof(tail.map((t) => `/v1/${t}`), tail.map((t) => `/admin/v1/${t}`));
    const reported = `AWS4-HMAC-SHA256 Credential=${h.accessKeyId}/${amzDate().slice(0, 8)}/us-east-1/codeartifact/aws4_request, SignedHeaders=host;constructor, Signature=${'0'.repeat(64)}`;
    await probe('control', fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ops) }, { weight: 1, arbitrary: fc.tuple(methods, junk) }), methods, [
      [['POST', '/v1/domains'], '', reported],
      [['GET', '/v1/domain'], 'domain=acme', reported.replace('constructor', '__proto__')],
    ]);
  });

  const endpoint = (format: string) =>
    fc
      .tuple(fc.oneof(fc.constant(`acme-${A}`), segment), fc.oneof(fc.constant('libs'), segment), tail)
      .map(([d, r, t]) => `/${format}/d/${d || 'x'}/${r || 'x'}/${t}`);

  it('npm', async () => {
    await probe('npm', fc.oneof(endpoint('npm'), tail.map((t) => `/npm/d/acme-${A}/libs/-/${t}`), tail.map((t) => `/npm/d/acme-${A}/libs/-/package/left-pad/dist-tags/${t}`)));
  });

  it('PyPI', async () => {
    await probe('pypi', fc.oneof(endpoint('pypi'), tail.map((t) => `/pypi/d/acme-${A}/libs/simple/${t}`), tail.map((t) => `/pypi/d/acme-${A}/libs/pypi/${t}/json`)), fc.constantFrom('GET', 'HEAD', 'POST'));
  });

  it('Maven', async () => {
    await probe('maven', fc.oneof(endpoint('maven'), tail.map((t) => `/maven/d/acme-${A}/libs/com/acme/${t}`)), fc.constantFrom('GET', 'HEAD', 'PUT'));
  });

  it('/healthz', async () => {
    await probe('health', fc.constant('/healthz'), fc.constantFrom('GET', 'HEAD'));
  });

  it('hostile names reach no prototype: SignedHeaders, an external connection, version names', async () => {
    // SignedHeaders naming Object.prototype members: a signature mismatch, not a 500.
    const date = amzDate();
    for (const signed of ['host;constructor', 'host;__proto__', 'host;tostring;x-amz-date']) {
      const r = await send('POST', '/v1/domains', `AWS4-HMAC-SHA256 Credential=${h.accessKeyId}/${date.slice(0, 8)}/us-east-1/codeartifact/aws4_request, SignedHeaders=${signed}, Signature=${'0'.repeat(64)}`);
      expect([signed, r.status, r.headers['x-amzn-errortype']]).toEqual([signed, 403, 'InvalidSignatureException']);
    }
    // An external connection named like an Object.prototype member is unknown, not accepted.
    for (const externalConnection of ['constructor', '__proto__', 'toString']) {
      const e = await failure(h.sdk().send(new AssociateExternalConnectionCommand({ domain: 'acme', repository: 'libs', externalConnection })));
      expect([externalConnection, e.name]).toEqual([externalConnection, 'ValidationException']);
    }
    // Versions named like Object.prototype members are versions like any other in batch results.
    const sdk = h.sdk();
    for (const packageVersion of ['constructor', 'toString']) {
      const asset = Buffer.from(packageVersion);
      await sdk.send(
        new PublishPackageVersionCommand({
          domain: 'acme', repository: 'libs', format: 'generic', namespace: 'ns', package: 'odd', packageVersion,
          assetName: 'a.bin', assetContent: asset, assetSHA256: sha256(asset),
        }),
      );
    }
    const r = await sdk.send(
      new UpdatePackageVersionsStatusCommand({
        domain: 'acme', repository: 'libs', format: 'generic', namespace: 'ns', package: 'odd',
        versions: ['constructor', 'toString'], versionRevisions: {}, targetStatus: 'Archived',
      }),
    );
    expect(r.failedVersions).toEqual({});
    expect(Object.keys(r.successfulVersions ?? {}).sort()).toEqual(['constructor', 'toString']);
  });

  it('signed control-plane requests with random paths and queries', async () => {
    // Properly signed (root), so the requests reach the operations: their query handling, not only
    // the signature check, meets the hostile names. Runs last: it may change what the others read.
    const opPaths = [...new Set([...CONTROL_PLANE_OPERATIONS, ...HOARD_OPERATIONS].map((o) => o.path))];
    const methods = fc.constantFrom(...new Set([...CONTROL_PLANE_OPERATIONS, ...HOARD_OPERATIONS].map((o) => o.method)));
    await fc.assert(
      fc.asyncProperty(methods, fc.oneof(fc.constantFrom(...opPaths), tail.map((t) => `/v1/${t}`)), query, async (m, path, q) => {
        const url = new URL(withQuery(`${h.url}${path}`, q));
        const service = path.startsWith('/admin/') || path.startsWith('/hoard/') ? 'hoard' : 'codeartifact';
        // An empty body, its hash declared (as the SDK does): streamed operations require that.
        const headers = await signRequest({ method: m, url: url.toString(), body: '', accessKeyId: h.accessKeyId, secretAccessKey: h.secretAccessKey, region: 'us-east-1', service });
        delete headers.host;
        const r = await new Promise<Awaited<ReturnType<typeof send>>>((resolve, reject) => {
          // Sent as generated (URL would resolve dot segments the server then never sees).
          const req = http.request({ host: '127.0.0.1', port: h.port, method: m, path: withQuery(path, q), headers, agent: false }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode!, statusText: res.statusMessage ?? '', headers: res.headers, body }));
          });
          req.on('error', reject);
          req.end();
        });
        const what = `signed ${m} ${withQuery(path, q)}`;
        expectShape('control', m, r, what);
        // The signature holds whatever the names: refusals are about the request, not the signing
        // (a query naming X-Amz-Algorithm is query authentication besides the header: refused).
        if (!url.searchParams.has('X-Amz-Algorithm'))
          expect(['InvalidSignatureException', 'IncompleteSignatureException'], `${what}: ${r.body}`).not.toContain(r.headers['x-amzn-errortype']);
      }),
      { numRuns: RUNS },
    );
  });
});
