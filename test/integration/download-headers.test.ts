// Content a publisher uploaded is served so that no browser runs it: every response of every face
// says `X-Content-Type-Options: nosniff`; uploaded files (a Maven .xml holding XHTML script, a pom,
// wheels and their .metadata, generic assets) are attachments in a CSP sandbox, with the types
// their clients expect; documents Hoard renders (simple index, maven-metadata.xml) stay inline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { CreateDomainCommand, CreateRepositoryCommand, GetAuthorizationTokenCommand, PublishPackageVersionCommand } from '@aws-sdk/client-codeartifact';
import { signRequest } from '../../src/auth/sigv4.js';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { makeWheel, uploadForm } from '../support/pypi-fixtures.js';

const SCRIPT_XML = '<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(document.cookie)</script></html>\n';
const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

/** The security headers of a response, for one comparison. */
const headersOf = (r: Response) => ({
  status: r.status,
  type: r.headers.get('content-type'),
  nosniff: r.headers.get('x-content-type-options'),
  disposition: r.headers.get('content-disposition'),
  csp: r.headers.get('content-security-policy'),
});
const DOWNLOAD = { nosniff: 'nosniff', disposition: 'attachment', csp: "sandbox; default-src 'none'" };

describe('uploaded content is never run by a browser', () => {
  let h: TestHoard;
  let auth: Record<string, string>;
  const ep = (format: string) => `${h.url}/${format}/d/dl-${h.accountId}/main/`;

  beforeAll(async () => {
    h = await startHoard();
    const sdk = h.sdk();
    await sdk.send(new CreateDomainCommand({ domain: 'dl' }));
    await sdk.send(new CreateRepositoryCommand({ domain: 'dl', repository: 'main' }));
    const token = (await sdk.send(new GetAuthorizationTokenCommand({ domain: 'dl' }))).authorizationToken!;
    auth = { authorization: `Basic ${Buffer.from(`aws:${token}`).toString('base64')}` };
  });
  afterAll(async () => h?.stop());

  it('health, the control plane and npm answer with nosniff', async () => {
    for (const url of [`${h.url}/healthz`, `${h.url}/v1/domains`, `${ep('npm')}no-such-package`, `${ep('npm')}-/ping`]) {
      const r = await fetch(url, { method: url.endsWith('/v1/domains') ? 'POST' : 'GET', headers: auth });
      expect([url, r.headers.get('x-content-type-options')]).toEqual([url, 'nosniff']);
    }
  });

  it('Maven: files are attachments in a sandbox with their types; maven-metadata.xml stays inline, sandboxed', async () => {
    const dir = `${ep('maven')}com/acme/lib/`;
    const pom = '<project><modelVersion>4.0.0</modelVersion><groupId>com.acme</groupId><artifactId>lib</artifactId><version>1.0</version></project>';
    for (const [file, body] of [
      ['1.0/lib-1.0.pom', pom],
      ['1.0/lib-1.0-page.xml', SCRIPT_XML],
      ['maven-metadata.xml', '<metadata><groupId>com.acme</groupId><artifactId>lib</artifactId><versioning><versions><version>1.0</version></versions></versioning></metadata>'],
    ]) {
      const put = await fetch(dir + file, { method: 'PUT', headers: auth, body });
      expect([file, put.status]).toEqual([file, 201]);
    }
    const xml = await fetch(`${dir}1.0/lib-1.0-page.xml`, { headers: auth });
    expect(headersOf(xml)).toEqual({ status: 200, type: 'application/xml', ...DOWNLOAD });
    expect(await xml.text()).toBe(SCRIPT_XML); // served as uploaded, only never rendered
    expect(headersOf(await fetch(`${dir}1.0/lib-1.0.pom`, { headers: auth }))).toEqual({ status: 200, type: 'application/xml', ...DOWNLOAD });
    expect(headersOf(await fetch(`${dir}1.0/lib-1.0.pom`, { method: 'HEAD', headers: auth }))).toEqual({ status: 200, type: 'application/xml', ...DOWNLOAD });
    expect(headersOf(await fetch(`${dir}maven-metadata.xml`, { headers: auth }))).toEqual({
      status: 200,
      type: 'text/xml',
      nosniff: 'nosniff',
      disposition: null,
      csp: DOWNLOAD.csp,
    });
    // An error keeps nosniff and is no attachment.
    expect(headersOf(await fetch(`${dir}1.0/lib-1.0-missing.xml`, { headers: auth }))).toMatchObject({ status: 404, nosniff: 'nosniff', disposition: null });
  });

  it('PyPI: wheels and their .metadata are attachments in a sandbox; the index stays inline', async () => {
    const wheel = makeWheel({ name: 'dl-pkg', version: '1.0' });
    const up = await fetch(ep('pypi'), { method: 'POST', headers: auth, body: uploadForm({ filename: 'dl_pkg-1.0-py3-none-any.whl', bytes: wheel.bytes }, { name: 'dl-pkg', version: '1.0' }) });
    expect(up.status).toBe(200);
    const file = `${ep('pypi')}packages/dl-pkg/1.0/dl_pkg-1.0-py3-none-any.whl`;
    expect(headersOf(await fetch(file, { headers: auth }))).toEqual({ status: 200, type: 'application/octet-stream', ...DOWNLOAD });
    expect(headersOf(await fetch(`${file}.metadata`, { headers: auth }))).toEqual({ status: 200, type: 'application/octet-stream', ...DOWNLOAD });
    expect(headersOf(await fetch(file, { headers: { ...auth, range: 'bytes=-100' } }))).toMatchObject({ status: 206, ...DOWNLOAD });
    expect(headersOf(await fetch(`${ep('pypi')}simple/dl-pkg/`, { headers: auth }))).toEqual({
      status: 200,
      type: 'text/html; charset=utf-8',
      nosniff: 'nosniff',
      disposition: null,
      csp: null,
    });
    expect(headersOf(await fetch(`${ep('pypi')}packages/dl-pkg/1.0/missing.whl`, { headers: auth }))).toMatchObject({ status: 404, nosniff: 'nosniff', disposition: null });
  });

  it('generic: GetPackageVersionAsset answers an .html asset as an attachment in a sandbox', async () => {
    const page = '<html><script>alert(document.cookie)</script></html>';
    await h.sdk().send(
      new PublishPackageVersionCommand({
        domain: 'dl', repository: 'main', format: 'generic', namespace: 'ns', package: 'site', packageVersion: '1.0',
        assetName: 'index.html', assetContent: Buffer.from(page), assetSHA256: sha(page),
      }),
    );
    const url = `${h.url}/v1/package/version/asset?domain=dl&repository=main&format=generic&namespace=ns&package=site&version=1.0&asset=index.html`;
    const headers = await signRequest({ method: 'GET', url, accessKeyId: h.accessKeyId, secretAccessKey: h.secretAccessKey, region: 'us-east-1', service: 'codeartifact' });
    const r = await fetch(url, { headers });
    expect(headersOf(r)).toEqual({ status: 200, type: 'application/octet-stream', ...DOWNLOAD });
    expect(await r.text()).toBe(page);
  });
});
