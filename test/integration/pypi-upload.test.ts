// Uploads that must be refused, each with what the client sees (status and reason phrase, which
// twine prints), access (401 with a Basic challenge, 403), and what version statuses show.
// After every refusal the project is unchanged and the server keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { CreateDomainCommand, CreateRepositoryCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-codeartifact';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { makeSdist, makeTarGz, makeWheel, makeZip, metadataText, sha256, uploadForm, zerosDeflated } from '../support/pypi-fixtures.js';

const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';

describe('PyPI uploads: refusals, access, statuses', () => {
  let h: TestHoard;
  let token: string;
  const url = () => `${h.url}/pypi/d/acme-${h.accountId}/main/`;
  const post = async (form: FormData, authorization: string | null = `Bearer ${token}`) => {
    const r = await fetch(url(), { method: 'POST', headers: authorization ? { authorization } : {}, body: form });
    return { status: r.status, reason: r.statusText, challenge: r.headers.get('www-authenticate'), body: await r.text() };
  };
  const page = async () => {
    const r = await fetch(`${url()}simple/good-pkg/`, { headers: { authorization: `Bearer ${token}`, accept: JSON_TYPE } });
    return { status: r.status, etag: r.headers.get('etag'), doc: (await r.json()) as { versions: string[]; files: { filename: string; yanked: unknown }[] } };
  };
  const good = makeWheel({ name: 'good-pkg', version: '1.0' });
  const wheelForm = (bytes: Buffer, filename = 'good_pkg-2.0-py3-none-any.whl', fields: Parameters<typeof uploadForm>[1] = { name: 'good-pkg', version: '2.0' }) =>
    uploadForm({ filename, bytes }, fields);

  beforeAll(async () => {
    h = await startHoard({ HOARD_MAX_UPLOAD_BYTES: String(8 * 1024 * 1024) });
    const sdk = h.sdk();
    await sdk.send(new CreateDomainCommand({ domain: 'acme' }));
    await sdk.send(new CreateDomainCommand({ domain: 'other' }));
    await sdk.send(new CreateRepositoryCommand({ domain: 'acme', repository: 'main' }));
    token = (await sdk.send(new GetAuthorizationTokenCommand({ domain: 'acme' }))).authorizationToken!;
    const r = await post(wheelForm(good.bytes, 'good_pkg-1.0-py3-none-any.whl', { name: 'good-pkg', version: '1.0' }));
    expect(r.status, r.reason).toBe(200);
  });
  afterAll(async () => h?.stop());

  it('refuses bad input with a 400 naming the problem, and nothing partial is visible', async () => {
    const before = await page();
    const v2 = (m: Partial<Parameters<typeof makeWheel>[0]> = {}) => makeWheel({ name: 'good-pkg', version: '2.0', ...m }).bytes;
    const cases: [string, FormData, number, RegExp][] = [
      ['METADATA names another project', wheelForm(makeWheel({ name: 'other-pkg', version: '2.0' }, { distInfo: 'good_pkg-2.0.dist-info' }).bytes), 400,
        /^The name in good_pkg-2\.0\.dist-info\/METADATA \(other-pkg\) does not match the name in the upload form \(good-pkg\)\.$/],
      ['form names another project', wheelForm(v2(), 'good_pkg-2.0-py3-none-any.whl', { name: 'other-pkg', version: '2.0' }), 400,
        /does not match the name in the upload form \(other-pkg\)/],
      ['METADATA has another version', wheelForm(makeWheel({ name: 'good-pkg', version: '3.0' }, { distInfo: 'good_pkg-2.0.dist-info' }).bytes), 400,
        /version in good_pkg-2\.0\.dist-info\/METADATA \(3\.0\) does not match the version in the upload form \(2\.0\)/],
      ['file name does not parse', wheelForm(v2(), 'good_pkg.whl'), 400, /^Invalid wheel file name 'good_pkg\.whl'/],
      ['unknown extension', wheelForm(v2(), 'good_pkg-2.0.exe'), 400, /^Invalid file extension in 'good_pkg-2\.0\.exe'/],
      ['version is not PEP 440', wheelForm(v2(), 'good_pkg-two-py3-none-any.whl'), 400, /'two' is not a valid PEP 440 version/],
      ['digest mismatch', wheelForm(v2(), undefined, { name: 'good-pkg', version: '2.0', sha256: 'ab'.repeat(32) }), 400,
        /^The digest supplied does not match a digest calculated from the uploaded file \(sha256_digest\)\.$/],
      ['md5 mismatch', wheelForm(v2(), undefined, { name: 'good-pkg', version: '2.0', md5: '0'.repeat(32) }), 400, /\(md5_digest\)/],
      ['no digest at all', wheelForm(v2(), undefined, { name: 'good-pkg', version: '2.0', sha256: false }), 400, /at least one message digest/],
      ['corrupt zip', wheelForm(Buffer.from('PK\x03\x04 this is not really a zip file at all')), 400,
        /^Invalid distribution file: good_pkg-2\.0-py3-none-any\.whl is not a valid zip archive/],
      ['truncated zip', wheelForm(v2().subarray(0, 200)), 400, /is not a valid zip archive/],
      ['wheel without METADATA', wheelForm(makeZip([{ name: 'good_pkg/__init__.py', data: Buffer.from('') }])), 400,
        /does not contain the required METADATA file/],
      ['zip bomb: 3 GiB of zeros in 3 MB', wheelForm(makeWheel({ name: 'good-pkg', version: '2.0' }, {
        extra: [{ name: 'good_pkg/data.bin', deflated: zerosDeflated(3 * 1024 ** 3), size: 3 * 1024 ** 3 }],
      }).bytes), 400, /looks like a zip bomb/],
      ['METADATA that inflates past its declared size',
        wheelForm(makeZip([{ name: 'good_pkg-2.0.dist-info/METADATA', deflated: zerosDeflated(64 * 1024 * 1024), size: 100 }])), 400,
        /METADATA (inflates past|cannot be read)/],
      ['member path with ../', wheelForm(makeZip([{ name: '../evil.py', data: Buffer.from('x') }])), 400, /member outside the archive/],
      ['sdist tar with ../ members', uploadForm({ filename: 'good_pkg-2.0.tar.gz', bytes: makeSdist({ name: 'good-pkg', version: '2.0' }, {
        extra: [{ name: 'good_pkg-2.0/../../etc/cron.d/evil', data: Buffer.from('* * * * * root true\n') }],
      }) }, { name: 'good-pkg', version: '2.0' }), 400, /has a member outside the archive \('good_pkg-2\.0\/\.\.\/\.\.\/etc\/cron\.d\/evil'\)/],
      ['sdist with a symlink out of the archive', uploadForm({ filename: 'good_pkg-2.0.tar.gz', bytes: makeSdist({ name: 'good-pkg', version: '2.0' }, {
        extra: [{ name: 'good_pkg-2.0/passwd', type: 'symlink', linkname: '../../../etc/passwd' }],
      }) }, { name: 'good-pkg', version: '2.0' }), 400, /member outside the archive/],
      ['sdist without PKG-INFO', uploadForm({ filename: 'good_pkg-2.0.tar.gz', bytes: makeTarGz([{ name: 'good_pkg-2.0/setup.py', data: Buffer.from('') }]) },
        { name: 'good-pkg', version: '2.0' }), 400, /has no PKG-INFO in its top-level directory/],
      ['sdist that is not gzip', uploadForm({ filename: 'good_pkg-2.0.tar.gz', bytes: Buffer.from('plain text') }, { name: 'good-pkg', version: '2.0' }), 400,
        /is not a valid gzipped tar archive/],
      ['sdist with a wheel filetype', uploadForm({ filename: 'good_pkg-2.0.tar.gz', bytes: makeSdist({ name: 'good-pkg', version: '2.0' }) },
        { name: 'good-pkg', version: '2.0', filetype: 'bdist_wheel' }), 400, /filetype 'bdist_wheel' does not match/],
      ['sdist without pyversion source', uploadForm({ filename: 'good_pkg-2.0.tar.gz', bytes: makeSdist({ name: 'good-pkg', version: '2.0' }) },
        { name: 'good-pkg', version: '2.0', pyversion: 'py3' }), 400, /^Use 'source' as Python version for an sdist\.$/],
      ['egg', uploadForm({ filename: 'good_pkg-2.0-py3.11.egg', bytes: v2() }, { name: 'good-pkg', version: '2.0', filetype: 'bdist_egg' }), 400,
        /Invalid file extension/],
      ['METADATA that is not UTF-8', wheelForm(makeWheel({ name: 'good-pkg', version: '2.0' }, { metadata: Buffer.from([0x4d, 0x65, 0xff, 0xfe, 0x0a]) }).bytes), 400,
        /METADATA is not valid UTF-8/],
      ['METADATA without Name', wheelForm(makeWheel({ name: 'good-pkg', version: '2.0' }, { metadata: Buffer.from('Metadata-Version: 2.1\nVersion: 2.0\n') }).bytes), 400,
        /METADATA has no Name field/],
    ];
    const big = makeWheel({ name: 'good-pkg', version: '2.0' }, { extra: [{ name: 'good_pkg/big.bin', deflated: randomBytes(9 * 1024 * 1024), size: 9 * 1024 * 1024 }] });
    cases.push(['larger than the upload limit (8 MiB here)', wheelForm(big.bytes), 413, /^The file is larger than the upload limit of 8388608 bytes\.$/]);
    const seen: string[] = [];
    for (const [label, form, status, reason] of cases) {
      const r = await post(form);
      seen.push(label);
      expect([label, r.status]).toEqual([label, status]);
      expect(r.reason, label).toMatch(reason);
      expect(JSON.parse(r.body)).toMatchObject({ status, detail: expect.any(String) }); // problem+json, as uv reads it
    }
    // Not the legacy upload form at all.
    const raw = (body: string, type: string) =>
      fetch(url(), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body });
    const json = await raw('{"name":"good-pkg"}', 'application/json');
    expect([json.status, json.statusText]).toEqual([400, 'The upload must be multipart/form-data (the legacy upload API that twine and uv use).']);
    const broken = await raw('--x\r\nContent-Disposition: form-data; name="name"\r\n\r\ngood-pkg', 'multipart/form-data; boundary=x');
    expect(broken.status).toBe(400);
    const noFile = new FormData();
    noFile.append(':action', 'file_upload');
    noFile.append('name', 'good-pkg');
    noFile.append('version', '2.0');
    expect((await post(noFile)).reason).toBe('Upload payload does not have a file.');

    const after = await page();
    expect(after.etag).toBe(before.etag);
    expect(after.doc.versions).toEqual(['1.0']);
    const svc = h.server.services;
    const repo = await svc.domains.repository((await svc.domains.findDomain(h.accountId, 'acme'))!, 'main');
    const pkg = (await svc.packages.findPackage(repo, { format: 'pypi', namespace: '', name: 'good-pkg' }))!;
    expect((await svc.packages.versions(pkg)).map((v) => v.version)).toEqual(['1.0']);
    expect(await svc.packages.findPackage(repo, { format: 'pypi', namespace: '', name: 'other-pkg' })).toBeNull();
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });

  it('answers a byte-identical re-upload with 200, and refuses other bytes as PyPI does', async () => {
    const again = await post(wheelForm(good.bytes, 'good_pkg-1.0-py3-none-any.whl', { name: 'good-pkg', version: '1.0' }));
    expect(again.status).toBe(200);
    const other = makeWheel({ name: 'good-pkg', version: '1.0', summary: 'rebuilt' });
    const r = await post(wheelForm(other.bytes, 'good_pkg-1.0-py3-none-any.whl', { name: 'good-pkg', version: '1.0' }));
    expect(r.status).toBe(400);
    expect(r.reason).toBe(`File already exists ('good_pkg-1.0-py3-none-any.whl', with sha256 hash '${sha256(good.bytes)}'). Uploaded files are immutable; publish a new version instead.`);
    // One sdist per release.
    const sd = await post(uploadForm({ filename: 'good_pkg-1.0.tar.gz', bytes: makeSdist({ name: 'good-pkg', version: '1.0' }) }, { name: 'good-pkg', version: '1.0' }));
    expect(sd.status).toBe(200);
    const zip = makeZip([{ name: 'good-pkg-1.0/PKG-INFO', data: Buffer.from(metadataText({ name: 'good-pkg', version: '1.0' })) }]);
    const second = await post(uploadForm({ filename: 'good-pkg-1.0.zip', bytes: zip }, { name: 'good-pkg', version: '1.0' }));
    expect([second.status, second.reason]).toEqual([400, 'Only one sdist may be uploaded per release.']);
  });

  it('challenges missing or foreign credentials with 401 and refuses readers with 403', async () => {
    const form = () => wheelForm(makeWheel({ name: 'good-pkg', version: '4.0' }).bytes, 'good_pkg-4.0-py3-none-any.whl', { name: 'good-pkg', version: '4.0' });
    const anon = await post(form(), null);
    expect([anon.status, anon.challenge]).toEqual([401, 'Basic realm="hoard", charset="UTF-8"']);
    expect(anon.reason).toMatch(/needs a token/);
    const foreign = (await h.sdk().send(new GetAuthorizationTokenCommand({ domain: 'other' }))).authorizationToken!;
    const wrong = await post(form(), `Basic ${Buffer.from(`aws:${foreign}`).toString('base64')}`);
    expect([wrong.status, wrong.challenge]).toEqual([401, expect.stringMatching(/^Basic /)]);
    expect(wrong.reason).toMatch(/issued for domain other/);
    const garbage = await post(form(), `Basic ${Buffer.from('aws:not-a-token').toString('base64')}`);
    expect(garbage.status).toBe(401);
    // Reading the index without credentials: 401 with the challenge pip answers with credentials.
    const idx = await fetch(`${url()}simple/good-pkg/`);
    expect([idx.status, idx.headers.get('www-authenticate')]).toEqual([401, 'Basic realm="hoard", charset="UTF-8"']);
    const file = await fetch(`${url()}packages/good-pkg/1.0/good_pkg-1.0-py3-none-any.whl`);
    expect(file.status).toBe(401);

    // A user who may read but not publish: 403 on upload, 200 on read.
    const svc = h.server.services;
    await svc.identity.createUser(h.accountId, 'reader');
    const key = await svc.identity.createAccessKey(h.accountId, 'reader');
    await svc.identity.putUserPolicy(h.accountId, 'reader', JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['codeartifact:GetAuthorizationToken', 'codeartifact:ReadFromRepository', 'sts:GetServiceBearerToken'], Resource: '*' }],
    }));
    const readerToken = (await h.sdk({ accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey })
      .send(new GetAuthorizationTokenCommand({ domain: 'acme' }))).authorizationToken!;
    const denied = await post(form(), `Basic ${Buffer.from(`aws:${readerToken}`).toString('base64')}`);
    expect(denied.status).toBe(403);
    expect(denied.reason).toMatch(/is not authorized to perform codeartifact:PublishPackageVersion/);
    const read = await fetch(`${url()}simple/good-pkg/`, { headers: { authorization: `Bearer ${readerToken}` } });
    expect(read.status).toBe(200);
    // The refusals published nothing.
    expect((await page()).doc.versions).toEqual(['1.0']);
  });

  it('shows Unlisted versions as yanked (still installable by pin) and hides Archived ones', async () => {
    const w = makeWheel({ name: 'good-pkg', version: '5.0' });
    expect((await post(wheelForm(w.bytes, 'good_pkg-5.0-py3-none-any.whl', { name: 'good-pkg', version: '5.0' }))).status).toBe(200);
    const svc = h.server.services;
    const repo = await svc.domains.repository((await svc.domains.findDomain(h.accountId, 'acme'))!, 'main');
    // What UpdatePackageVersionsStatus does in the control plane: change the status, refresh documents.
    const setStatus = (status: 'Unlisted' | 'Archived' | 'Published') =>
      svc.packages.inPackage(repo, { format: 'pypi', namespace: '', name: 'good-pkg' }, false, async (p) => {
        await p.update((await p.version('5.0'))!, { status });
        await p.refresh();
      });
    const fileUrl = `${url()}packages/good-pkg/5.0/good_pkg-5.0-py3-none-any.whl`;
    const auth = { authorization: `Bearer ${token}` };
    await setStatus('Unlisted');
    let p = await page();
    expect(p.doc.versions).toEqual(['1.0', '5.0']);
    expect(p.doc.files.find((f) => f.filename === 'good_pkg-5.0-py3-none-any.whl')!.yanked).toBe('This version is Unlisted in the repository.');
    const html = await (await fetch(`${url()}simple/good-pkg/`, { headers: auth })).text();
    expect(html).toMatch(/good_pkg-5\.0-py3-none-any\.whl#sha256=[0-9a-f]{64}" data-dist-info-metadata="sha256=[0-9a-f]{64}" data-core-metadata="sha256=[0-9a-f]{64}" data-yanked="This version is Unlisted in the repository\." data-upload-time="\d{4}-\d\d-\d\dT[0-9:.]+Z">/);
    expect((await fetch(fileUrl, { headers: auth })).status).toBe(200);
    const json = (await (await fetch(`${url()}pypi/good-pkg/json`, { headers: auth })).json()) as { info: { version: string } };
    expect(json.info.version).toBe('1.0'); // not yanked beats higher
    await setStatus('Archived');
    p = await page();
    expect(p.doc.versions).toEqual(['1.0']);
    expect((await fetch(fileUrl, { headers: auth })).status).toBe(404);
    expect((await fetch(`${fileUrl}.metadata`, { headers: auth })).status).toBe(404);
    await setStatus('Published');
    expect((await page()).doc.versions).toEqual(['1.0', '5.0']);
  });
});
