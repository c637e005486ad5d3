// Every write route authenticates and authorizes before it reads the request body: an upload that
// declares 1 GiB but sends only its headers and a few hundred bytes (the PyPI form's first fields,
// the start of a jar or a JSON document) gets its 401 or 403 at once. Without credentials: 401 with
// the face's challenge; a reader's token: 403; then nothing more is sent by the client, so an answer
// proves that the body was not awaited. PyPI decides on the form's `name` field, which clients
// send before the file.
import net from 'node:net';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDomainCommand, CreateRepositoryCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-codeartifact';
import { signRequest } from '../../src/auth/sigv4.js';
import { startHoard, type TestHoard } from '../support/hoard.js';

const GIB = 1024 ** 3;
const ANSWER_WITHIN_MS = 30_000; // generous: the answer takes milliseconds; a server awaiting the body never answers

interface Early {
  status: number;
  head: string;
}

/** Sends a request head declaring `length` body bytes, then only `first`, and waits for the answer's head. */
function early(port: number, method: string, path: string, headers: Record<string, string>, first: string): Promise<Early> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    let done = false;
    const finish = (err: Error | null, r?: Early) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(r!);
    };
    const timer = setTimeout(
      () => finish(new Error(`no answer to ${method} ${path} within ${ANSWER_WITHIN_MS} ms: the server is waiting for the body`)),
      ANSWER_WITHIN_MS,
    );
    sock.on('connect', () => {
      const lines = [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, `Content-Length: ${GIB}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      sock.write(`${lines.join('\r\n')}\r\n\r\n`);
      sock.write(first);
    });
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end >= 0) finish(null, { status: Number(buf.split(' ')[1]), head: buf.slice(0, end) });
    });
    sock.on('error', (e) => finish(e));
    sock.on('close', () => finish(new Error(`connection closed without an answer to ${method} ${path}`)));
  });
}

const BOUNDARY = 'hoardboundary';
/** The first bytes twine sends: two fields, then the start of the file part. */
const formStart = (name: string) =>
  [
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name=":action"\r\n\r\nfile_upload\r\n`,
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\n${name}\r\n`,
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="content"; filename="early_pkg-1.0-py3-none-any.whl"\r\n`,
    'Content-Type: application/octet-stream\r\n\r\nPK\x03\x04',
  ].join('');

describe('write routes answer 401/403 before reading the body', () => {
  let h: TestHoard;
  let reader: string;
  let readerKey: { accessKeyId: string; secretAccessKey: string };
  let foreign: string;
  const basic = (token: string) => `Basic ${Buffer.from(`aws:${token}`).toString('base64')}`;
  const ep = (format: string) => `/${format}/d/early-${h.accountId}/main/`;

  beforeAll(async () => {
    h = await startHoard();
    const sdk = h.sdk();
    for (const domain of ['early', 'elsewhere']) await sdk.send(new CreateDomainCommand({ domain }));
    await sdk.send(new CreateRepositoryCommand({ domain: 'early', repository: 'main' }));
    foreign = (await sdk.send(new GetAuthorizationTokenCommand({ domain: 'elsewhere' }))).authorizationToken!;
    const svc = h.server.services;
    await svc.identity.createUser(h.accountId, 'reader');
    const key = await svc.identity.createAccessKey(h.accountId, 'reader');
    readerKey = key;
    await svc.identity.putUserPolicy(
      h.accountId,
      'reader',
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['codeartifact:GetAuthorizationToken', 'codeartifact:ReadFromRepository', 'sts:GetServiceBearerToken'], Resource: '*' }],
      }),
    );
    reader = (await h.sdk({ accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }).send(new GetAuthorizationTokenCommand({ domain: 'early' })))
      .authorizationToken!;
  });
  afterAll(async () => h?.stop());

  it('PyPI upload: no credentials 401, a token of another domain 401, a reader 403 (on the name field, before the file)', async () => {
    const form = { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` };
    const anon = await early(h.port, 'POST', ep('pypi'), form, formStart('early-pkg'));
    expect(anon.status).toBe(401);
    expect(anon.head).toMatch(/^WWW-Authenticate: Basic /im);
    expect((await early(h.port, 'POST', ep('pypi'), { ...form, Authorization: basic(foreign) }, formStart('early-pkg'))).status).toBe(401);
    const denied = await early(h.port, 'POST', ep('pypi'), { ...form, Authorization: basic(reader) }, formStart('early-pkg'));
    expect(denied.status).toBe(403);
    expect(denied.head).toMatch(/not authorized to perform codeartifact:PublishPackageVersion/);
  });

  it('PyPI upload: a form whose file comes before its name is refused without reading the file', async () => {
    const fileFirst = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="content"; filename="x-1.0-py3-none-any.whl"\r\n\r\nPK\x03\x04`;
    const r = await early(h.port, 'POST', ep('pypi'), { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, Authorization: basic(reader) }, fileFirst);
    expect(r.status).toBe(400);
    expect(r.head).toMatch(/The form field 'name' must come before the file/);
  });

  it('Maven PUT of a jar, a pom and maven-metadata.xml: 401 without credentials, 403 for a reader', async () => {
    for (const file of ['com/acme/lib/1.0/lib-1.0.jar', 'com/acme/lib/1.0/lib-1.0.pom', 'com/acme/lib/maven-metadata.xml']) {
      const first = file.endsWith('.jar') ? 'PK\x03\x04' : '<?xml version="1.0"?>\n<';
      const anon = await early(h.port, 'PUT', ep('maven') + file, {}, first);
      expect([file, anon.status]).toEqual([file, 401]);
      expect(anon.head).toMatch(/^WWW-Authenticate: Basic /im);
      expect([file, (await early(h.port, 'PUT', ep('maven') + file, { Authorization: basic(reader) }, first)).status]).toEqual([file, 403]);
    }
  });

  it('npm publish, document update, dist-tag: 401 without credentials, 403 for a reader', async () => {
    const json = { 'Content-Type': 'application/json' };
    for (const [path, first] of [
      ['early-pkg', '{"_id":"early-pkg","name":"early-pkg","versions":{'],
      ['early-pkg/-rev/1-abc', '{"_id":"early-pkg","name":"early-pkg","versions":{'],
      ['-/package/early-pkg/dist-tags/beta', '"1.0.'],
    ]) {
      expect([path, (await early(h.port, 'PUT', ep('npm') + path, json, first)).status]).toEqual([path, 401]);
      expect([path, (await early(h.port, 'PUT', ep('npm') + path, { ...json, Authorization: `Bearer ${reader}` }, first)).status]).toEqual([path, 403]);
    }
  });

  it('generic PublishPackageVersion: 403 without a signature or for a user without the permission', async () => {
    const sha = createHash('sha256').update('never sent').digest('hex');
    const path = '/v1/package/version/publish?domain=early&repository=main&format=generic&namespace=ns&package=p&version=1.0&asset=a.bin';
    const anon = await early(h.port, 'POST', path, { 'x-amz-content-sha256': sha }, 'first bytes');
    expect(anon.status).toBe(403);
    expect(anon.head).toMatch(/x-amzn-ErrorType: MissingAuthenticationToken/i);
    const key = readerKey;
    const signed = await signRequest({
      method: 'POST',
      url: `${h.url}${path}`,
      headers: { 'x-amz-content-sha256': sha },
      accessKeyId: key.accessKeyId,
      secretAccessKey: key.secretAccessKey,
      region: 'us-east-1',
      service: 'codeartifact',
    });
    const { host: _host, ...headers } = signed;
    const denied = await early(h.port, 'POST', path, headers, 'first bytes');
    expect(denied.status).toBe(403);
    expect(denied.head).toMatch(/x-amzn-ErrorType: AccessDeniedException/i);
  });
});
