// pip (and uv's request sequence) through a PyPI external connection, against the fixture index on
// loopback: a hosted project whose dependencies come from outside installs into a fresh venv
// through one repository, `pip download` and `--require-hashes` get the upstream's bytes, a second
// install passes with the upstream stopped, tampered bytes fail pip with the 502 and leave nothing,
// and a hosted name is not shadowed by a public one. pip sees only Hoard (PIP_CONFIG_FILE=/dev/null,
// no PIP_* from the machine, no cache). uv is not installed here (not in node_modules nor Debian's
// packages), so its request sequence is replayed with fetch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { makeWheel, uploadForm } from '../support/pypi-fixtures.js';
import { baseEnv, findPythonTools, makeVenv, run, type PythonTools } from '../support/python.js';
import { PypiIndexFixture, sha256 } from '../../src/bench/pypi-index-fixture.js';
import { blobCount, pypiVersionsIn, setupProxyDomain, UV_ACCEPT } from './pypi-proxy-support.js';

const found = findPythonTools();
const missing = 'missing' in found ? found.missing : null;
if (missing) console.warn(`pypi proxy client tests skipped: ${missing}`);

const DOMAIN = 'pyclients';

describe.skipIf(missing)('pip and uv through public:pypi', () => {
  const tools = found as PythonTools;
  let h: TestHoard;
  let up: PypiIndexFixture;
  let token: string;
  let endpoint: (repo: string) => string;
  let work: string;
  const indexUrl = () => endpoint('app').replace('http://', `http://aws:${token}@`) + 'simple/';
  const pipEnv = () => baseEnv(mkdtempSync(path.join(work, 'home-')), { PIP_NO_CACHE_DIR: '1' });
  const pip = async (python: string, args: string[]) => run(python, ['-m', 'pip', ...args, '--index-url', indexUrl()], { env: pipEnv(), timeoutMs: 180_000 });
  const freshVenv = async () => makeVenv(tools, mkdtempSync(path.join(work, 'venv-')));
  const versionsIn = (repo: string, pkg: string) => pypiVersionsIn(h, DOMAIN, repo, pkg);
  const publish = async (name: string, version: string, requiresDist: string[] = []) => {
    const w = makeWheel({ name, version, requiresDist });
    const filename = `${name.replace(/-/g, '_')}-${version}-py3-none-any.whl`;
    const r = await fetch(endpoint('app'), { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: uploadForm({ filename, bytes: w.bytes }, { name, version }) });
    expect(r.status, r.statusText).toBe(200);
  };

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'hoard-pypi-proxy-'));
    up = await new PypiIndexFixture().start();
    await up.add('ext-dep-a', [{ version: '1.0', dependencies: ['ext-dep-b>=2.0'] }]);
    await up.add('ext-dep-b', [{ version: '1.0' }, { version: '2.0', dependencies: ['ext-dep-c'], requiresPython: '>=3.8' }]);
    await up.add('ext-dep-c', [{ version: '1.0', metadata: false }]);
    await up.add('ext-solo', [{ version: '1.0' }]);
    await up.add('ext-hashed', [{ version: '3.0' }]);
    await up.add('ext-late', [{ version: '1.0' }]);
    await up.add('ext-uv', [{ version: '1.0' }, { version: '1.1', metadata: false }]);
    await up.add('corp-tool', [{ version: '5.0' }]);
    h = await startHoard({ HOARD_EXTERNAL_PYPI_URL: `${up.url}/simple`, HOARD_UPSTREAM_METADATA_TTL_S: '0', HOARD_UPSTREAM_OFFLINE_S: '0' });
    ({ token, endpoint } = await setupProxyDomain(h, DOMAIN));
    // The team's own project, hosted in app, depends on public ones.
    await publish('hosted-app', '1.0', ['ext-dep-a>=1.0']);
  });
  afterAll(async () => {
    await h?.stop();
    await up?.stop().catch(() => {});
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('pip installs a hosted project with external dependencies through one repository into a fresh venv', async () => {
    const python = await freshVenv();
    const r = await pip(python, ['install', 'hosted-app']);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/Successfully installed ext-dep-a-1\.0 ext-dep-b-2\.0 ext-dep-c-1\.0 hosted-app-1\.0/);
    const check = await run(python, ['-c', 'import hosted_app, ext_dep_a, ext_dep_b, ext_dep_c; print(ext_dep_b.VERSION)'], { env: pipEnv() });
    expect(check.stdout.trim()).toBe('2.0');
    // Only the versions whose files pip fetched are retained (ext-dep-b 1.0 was never downloaded).
    expect(await versionsIn('py-store', 'ext-dep-b')).toEqual([{ version: '2.0', origin: 'EXTERNAL', entry: { externalConnectionName: 'public:pypi' } }]);
    expect((await versionsIn('app', 'ext-dep-c')).map((v) => v.version)).toEqual(['1.0']);
    expect(await versionsIn('py-store', 'hosted-app')).toEqual([]);
  });

  it('pip download gets an external file byte for byte', async () => {
    const python = await freshVenv();
    const dest = mkdtempSync(path.join(work, 'dl-'));
    const r = await pip(python, ['download', '--no-deps', '--only-binary', ':all:', '-d', dest, 'ext-solo==1.0']);
    expect(r.status, r.out).toBe(0);
    expect(readdirSync(dest)).toEqual(['ext_solo-1.0-py3-none-any.whl']);
    expect(readFileSync(path.join(dest, 'ext_solo-1.0-py3-none-any.whl')).equals(up.file('ext_solo-1.0-py3-none-any.whl').bytes)).toBe(true);
  });

  it('verifies the hashes of a --require-hashes requirements file, and refuses a wrong one', async () => {
    const python = await freshVenv();
    const reqs = path.join(work, 'requirements.txt');
    const wheel = up.file('ext_hashed-3.0-py3-none-any.whl');
    const sdist = up.file('ext_hashed-3.0.tar.gz');
    writeFileSync(reqs, `ext-hashed==3.0 --hash=sha256:${wheel.sha256} --hash=sha256:${sdist.sha256}\n`);
    const ok = await pip(python, ['install', '--require-hashes', '--no-deps', '-r', reqs]);
    expect(ok.status, ok.out).toBe(0);
    expect(ok.out).toMatch(/Successfully installed ext-hashed-3\.0/);
    writeFileSync(reqs, `ext-solo==1.0 --hash=sha256:${'0'.repeat(64)}\n`);
    const bad = await pip(await freshVenv(), ['install', '--require-hashes', '--no-deps', '-r', reqs]);
    expect(bad.status).not.toBe(0);
    expect(bad.out).toMatch(/DO NOT MATCH THE HASHES/);
  });

  it('installs again with the upstream stopped, from the cached pages and retained files', async () => {
    await up.stop();
    try {
      const python = await freshVenv();
      const r = await pip(python, ['install', 'hosted-app']);
      expect(r.status, r.out).toBe(0);
      expect(r.out).toMatch(/Successfully installed ext-dep-a-1\.0 ext-dep-b-2\.0 ext-dep-c-1\.0 hosted-app-1\.0/);
      // A project never seen cannot be had: Hoard answers 502 saying why (pip shows an index page's
      // error only with -vvv, then reports no matching distribution), never a 404.
      const never = await pip(await freshVenv(), ['install', '-vvv', '--retries', '0', 'ext-late']);
      expect(never.status).not.toBe(0);
      expect(never.out).toMatch(/502 Server Error: The upstream public:pypi is unreachable/);
    } finally {
      await up.restart();
    }
  });

  it('fails pip with the 502 when the upstream serves tampered bytes, and keeps nothing', async () => {
    const blobs = await blobCount(h, DOMAIN);
    up.mode = 'corrupt';
    try {
      const r = await pip(await freshVenv(), ['install', '--retries', '0', 'ext-late']);
      expect(r.status).not.toBe(0);
      expect(r.out).toMatch(/502/);
      expect(r.out).toMatch(/does not match its published sha256/);
    } finally {
      up.mode = 'up';
    }
    expect(await versionsIn('app', 'ext-late')).toEqual([]);
    expect(await versionsIn('py-store', 'ext-late')).toEqual([]);
    expect(await blobCount(h, DOMAIN)).toBe(blobs);
    const again = await pip(await freshVenv(), ['install', 'ext-late']);
    expect(again.status, again.out).toBe(0);
  });

  it("replays uv's requests: JSON page, .metadata when advertised, else HEAD and a Range read of the wheel", async () => {
    const auth = { authorization: `Basic ${Buffer.from(`aws:${token}`).toString('base64')}` };
    const pageUrl = `${endpoint('app')}simple/ext-uv/`;
    const res = await fetch(pageUrl, { headers: { ...auth, accept: UV_ACCEPT, 'accept-encoding': 'gzip, deflate, zstd' } });
    expect(res.headers.get('content-type')).toBe('application/vnd.pypi.simple.v1+json');
    const doc = (await res.json()) as { files: { filename: string; url: string; hashes: { sha256: string }; 'core-metadata'?: { sha256: string }; 'upload-time': string }[] };
    for (const f of doc.files) expect(f['upload-time']).toMatch(/Z$/); // uv's exclude-newer needs it
    const w10 = doc.files.find((f) => f.filename === 'ext_uv-1.0-py3-none-any.whl')!;
    const meta = await fetch(new URL(`${w10.url}.metadata`, pageUrl), { headers: auth });
    const metaBytes = Buffer.from(await meta.arrayBuffer());
    expect(createHash('sha256').update(metaBytes).digest('hex')).toBe(w10['core-metadata']!.sha256);
    const w11 = doc.files.find((f) => f.filename === 'ext_uv-1.1-py3-none-any.whl')!;
    expect(w11['core-metadata']).toBeUndefined();
    const fileUrl = new URL(w11.url, pageUrl);
    const head = await fetch(fileUrl, { method: 'HEAD', headers: auth });
    expect(head.status).toBe(200);
    expect(head.headers.get('accept-ranges')).toBe('bytes');
    const size = Number(head.headers.get('content-length'));
    expect(size).toBe(up.file('ext_uv-1.1-py3-none-any.whl').bytes.length);
    const tail = await fetch(fileUrl, { headers: { ...auth, range: 'bytes=-16384', 'accept-encoding': 'identity' } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(up.file('ext_uv-1.1-py3-none-any.whl').bytes.subarray(Math.max(0, size - 16384)))).toBe(true);
    const whole = Buffer.from(await (await fetch(fileUrl, { headers: auth })).arrayBuffer());
    expect(sha256(whole)).toBe(w11.hashes.sha256);
  });

  it('installs the hosted project, not the public one of the same name (dependency confusion)', async () => {
    await publish('corp-tool', '1.0');
    const python = await freshVenv();
    const r = await pip(python, ['install', 'corp-tool']);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/Successfully installed corp-tool-1\.0/);
    expect(await versionsIn('py-store', 'corp-tool')).toEqual([]);
  });
});
