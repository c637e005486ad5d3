// HOARD_S3_DOWNLOADS=redirect: reads of stored files are answered 307 to a short-lived presigned S3
// URL, and the real clients follow it: npm install (a published package and one fetched through an
// external connection), pip download and pip install of an uploaded wheel, mvn resolving a
// deployed jar, and Gradle's request sequence replayed (HEAD answered by Hoard, GETs redirected,
// checksum files served directly). Needs S3 (HOARD_TEST_S3_*: `source /work/svc/env.sh`, or
// .ci/run); without it only the start-up checks run. The server's access log shows which requests
// were answered 307.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AssociateExternalConnectionCommand, GetAuthorizationTokenCommand, GetPackageVersionAssetCommand } from '@aws-sdk/client-codeartifact';
import { accessLogger, backend, cliEnv, startHoard, tempHome, type TestHoard } from '../support/hoard.js';
import { S3BlobStore } from '../../src/blobs/s3-blob-store.js';
import { NpmUpstreamFixture } from '../../src/bench/npm-registry-fixture.js';
import { Client, out, project, removeTemp, setupDomain, tmpDir, writePackage } from './npm-support.js';
import { baseEnv, buildProject, findPythonTools, makeVenv, run, writeProject, type PythonTools } from '../support/python.js';
import { signIn } from '../support/ui.js';
import { HAVE_MVN, localRepoCopy, missingPlugins, mvn, pluginManagement, tail } from '../support/maven.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const S3 = backend.s3;
if (!S3) console.warn('s3-redirect.test: HOARD_TEST_S3_ENDPOINT is not set (source /work/svc/env.sh); the redirect tests need S3 and are skipped');
const python = findPythonTools();
const noPython = 'missing' in python ? python.missing : null;
if (S3 && noPython) console.warn(`s3-redirect.test: pip test skipped: ${noPython}`);
const MVN_MISSING = missingPlugins(['maven-resources-plugin', 'maven-compiler-plugin', 'maven-jar-plugin', 'maven-install-plugin', 'maven-deploy-plugin']);
const noMaven = !HAVE_MVN ? 'mvn is not installed' : MVN_MISSING.length ? `the local repository lacks ${MVN_MISSING.join(', ')}` : null;
if (S3 && noMaven) console.warn(`s3-redirect.test: mvn test skipped: ${noMaven}`);

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const execRun = promisify(execFile);

describe('HOARD_S3_DOWNLOADS and HOARD_S3_PRESIGN_SECONDS at start-up', () => {
  const serve = (env: Record<string, string>) => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hoard-cfg-'));
    return execRun('node', [path.join(ROOT, 'dist/main.js'), 'serve'], {
      env: { PATH: process.env.PATH, HOARD_LOG_LEVEL: 'warn', HOARD_PORT: '0', HOARD_DATA_DIR: dataDir, ...env },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
  };
  const s3env = { S3_ENDPOINT: 'http://127.0.0.1:9', S3_BUCKET: 'hoard-cfg', S3_ACCESS_KEY: 'k', S3_SECRET_KEY: 's' };

  it('a bad value stops `hoard serve` with one line naming the allowed values, exit 2', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ ...s3env, HOARD_S3_DOWNLOADS: 'presign' }, /^hoard: configuration error: HOARD_S3_DOWNLOADS: one of proxy, redirect; got presign\n$/],
      [{ HOARD_S3_DOWNLOADS: 'bogus' }, /HOARD_S3_DOWNLOADS: one of proxy, redirect; got bogus/],
      // Refused, not ignored, on disk: an operator asking for redirects expects Hoard not to carry the bytes.
      [{ HOARD_S3_DOWNLOADS: 'redirect' }, /HOARD_S3_DOWNLOADS: redirect needs the S3 blob store \(S3_ENDPOINT, .*unset it or set it to proxy/],
      [{ ...s3env, HOARD_S3_PRESIGN_SECONDS: '0' }, /HOARD_S3_PRESIGN_SECONDS: must be between 1 and 604800, got 0/],
      [{ ...s3env, HOARD_S3_PRESIGN_SECONDS: '5m' }, /HOARD_S3_PRESIGN_SECONDS: not a whole number: 5m/],
      [{ ...s3env, HOARD_S3_PUBLIC_ENDPOINT: 'http://s3.example.invalid/bucket' }, /HOARD_S3_PUBLIC_ENDPOINT: give the S3 endpoint as clients reach it/],
      // npm keeps its token on a redirect to another port of the same host: S3 would get it (and refuse).
      [{ ...s3env, HOARD_S3_DOWNLOADS: 'redirect' }, /HOARD_S3_PUBLIC_ENDPOINT: with HOARD_S3_DOWNLOADS=redirect clients must reach S3 under another host name than Hoard's \(127\.0\.0\.1\)/],
      [{ ...s3env, HOARD_S3_DOWNLOADS: 'redirect', HOARD_PUBLIC_URL: 'http://hoard.example.invalid', HOARD_S3_PUBLIC_ENDPOINT: 'http://HOARD.example.invalid:9000' }, /another host name than Hoard's \(hoard\.example\.invalid\)/],
    ];
    for (const [env, re] of cases) {
      const r = await serve(env);
      expect(r.code, JSON.stringify(env)).toBe(2);
      expect(r.stderr, JSON.stringify(env)).toMatch(re);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('presigned URLs name HOARD_S3_PUBLIC_ENDPOINT, carry the expiry and the response headers; proxy mode and disk give none', async () => {
    const cfg = { endpoint: 'http://127.0.0.1:9', bucket: 'hoard-b', accessKey: 'AKIDEXAMPLE', secretKey: 'secret', region: 'us-east-1' };
    const sha = 'a'.repeat(64);
    const store = new S3BlobStore({ ...cfg, downloads: 'redirect', presignSeconds: 90, publicEndpoint: 'https://s3.example.invalid' });
    const u = new URL((await store.downloadUrl('d1', sha, { contentType: 'application/java-archive', contentDisposition: 'attachment', cacheControl: 'private, max-age=60' }))!);
    expect(u.origin).toBe('https://s3.example.invalid');
    expect(u.pathname).toBe(`/hoard-b/d1/${sha}`);
    expect(u.searchParams.get('X-Amz-Expires')).toBe('90');
    expect(u.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/us-east-1\/s3\/aws4_request$/);
    expect(u.searchParams.get('response-content-type')).toBe('application/java-archive');
    expect(u.searchParams.get('response-content-disposition')).toBe('attachment');
    expect(u.searchParams.get('response-cache-control')).toBe('private, max-age=60');
    expect(new URL((await new S3BlobStore({ ...cfg, downloads: 'redirect' }).downloadUrl('d1', sha))!).origin).toBe('http://127.0.0.1:9');
    expect(await new S3BlobStore(cfg).downloadUrl('d1', sha)).toBeNull();
    expect(await new S3BlobStore({ ...cfg, downloads: 'proxy' }).downloadUrl('d1', sha)).toBeNull();
  });
});


describe.skipIf(!S3)('HOARD_S3_DOWNLOADS=redirect with real clients', () => {
  const s3Public = S3 ? (() => { const u = new URL(S3); u.hostname = 'localhost'; return u.origin; })() : '';
  const logger = accessLogger();
  const access = logger.lines;
  let h: TestHoard;
  let up: NpmUpstreamFixture;
  let token: string;
  let bucket: string;
  const DOMAIN = 'redir';
  const ep = (format: string, repo = 'libs') => `${h.url}/${format}/d/${DOMAIN}-${h.accountId}/${repo}/`;
  const bearer = () => ({ authorization: `Bearer ${token}` });
  const basic = () => ({ authorization: `Basic ${Buffer.from(`aws:${token}`).toString('base64')}` });
  /** Requests after `mark` for a path ending in `suffix`, as method+status. */
  const seen = (mark: number, suffix: string) => access.slice(mark).filter((l) => l.path.split('?')[0].endsWith(suffix)).map((l) => `${l.method} ${l.status}`);

  /** A GET answered 307 to the bucket at S3's public endpoint, no-store; the Location's answer. */
  async function expectRedirect(url: string, headers: Record<string, string>, extra: Record<string, string> = {}) {
    const r = await fetch(url, { headers: { ...headers, ...extra }, redirect: 'manual' });
    expect(r.status, url).toBe(307);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('etag')).toBeNull();
    const loc = new URL(r.headers.get('location')!);
    expect(loc.origin).toBe(s3Public);
    expect(loc.pathname.startsWith(`/${bucket}/d`)).toBe(true);
    expect(loc.searchParams.get('X-Amz-Expires')).toBe('120');
    expect(loc.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    // Fetched as a client does after the redirect: no credentials of Hoard's go to S3.
    const s3 = await fetch(loc, { headers: extra });
    return { loc, s3, body: Buffer.from(await s3.arrayBuffer()) };
  }

  beforeAll(async () => {
    up = await new NpmUpstreamFixture().start();
    await up.add('ext-left', [{ version: '1.0.0' }, { version: '1.1.0' }]);
    // Hoard is 127.0.0.1; clients reach S3 as localhost (another host name, as HOARD_S3_PUBLIC_ENDPOINT requires).
    h = await startHoard(
      { HOARD_S3_DOWNLOADS: 'redirect', HOARD_S3_PRESIGN_SECONDS: '120', HOARD_S3_PUBLIC_ENDPOINT: s3Public, HOARD_EXTERNAL_NPMJS_URL: up.url },
      { log: logger.log },
    );
    bucket = h.env.S3_BUCKET;
    await setupDomain(h, DOMAIN, [{ name: 'npm-store' }, { name: 'libs', upstreams: ['npm-store'] }]);
    await h.sdk().send(new AssociateExternalConnectionCommand({ domain: DOMAIN, repository: 'npm-store', externalConnection: 'public:npmjs' }));
    token = (await h.sdk().send(new GetAuthorizationTokenCommand({ domain: DOMAIN }))).authorizationToken!;
  });
  afterAll(async () => {
    await h?.stop();
    await up?.stop().catch(() => {});
    removeTemp();
  });

  it('npm install follows the 307 for a published tarball and for one fetched through the external connection', async () => {
    const c = new Client(h, tmpDir('hoard-cache-'));
    c.configure(ep('npm'), token);
    const pub = await c.npm(['publish'], writePackage({ name: 'redir-lib', version: '1.0.0' }, { 'data.txt': 'x'.repeat(5000) }));
    expect(pub.code, out(pub)).toBe(0);
    // A fresh cache: npm publish left the tarball it packed in the publisher's.
    const consumer = new Client(h, tmpDir('hoard-cache-'));
    consumer.configure(ep('npm'), token);
    const mark = access.length;
    const p = project({ dependencies: { 'redir-lib': '1.0.0', 'ext-left': '^1.0.0' } });
    const r = await consumer.npm(['install'], p);
    expect(r.code, out(r)).toBe(0);
    expect(JSON.parse(readFileSync(path.join(p, 'node_modules/redir-lib/package.json'), 'utf8')).version).toBe('1.0.0');
    expect(readFileSync(path.join(p, 'node_modules/redir-lib/data.txt'), 'utf8')).toBe('x'.repeat(5000));
    expect(JSON.parse(readFileSync(path.join(p, 'node_modules/ext-left/package.json'), 'utf8')).version).toBe('1.1.0');
    // Both tarballs were answered by S3 (the upstream one is stored before it is served, so its
    // first fetch is redirected too); the lockfile keeps Hoard's URL, not the presigned one.
    expect(seen(mark, '/redir-lib/-/redir-lib-1.0.0.tgz')).toEqual(['GET 307']);
    expect(seen(mark, '/ext-left/-/ext-left-1.1.0.tgz')).toEqual(['GET 307']);
    const lock = readFileSync(path.join(p, 'package-lock.json'), 'utf8');
    expect(lock).toContain(`${ep('npm')}redir-lib/-/redir-lib-1.0.0.tgz`);
    expect(lock).not.toContain('X-Amz-');
  });

  it('the npm tarball: 307 only after authorization, HEAD and 304 answered by Hoard, a Range honoured by S3', async () => {
    const url = `${ep('npm')}redir-lib/-/redir-lib-1.0.0.tgz`;
    // No credentials: 401 as before, never a URL to the bytes.
    const anon = await fetch(url, { redirect: 'manual' });
    expect(anon.status).toBe(401);
    expect(anon.headers.get('location')).toBeNull();
    const head = await fetch(url, { method: 'HEAD', headers: bearer(), redirect: 'manual' });
    expect(head.status).toBe(200);
    const size = Number(head.headers.get('content-length'));
    expect(size).toBeGreaterThan(100);
    const etag = head.headers.get('etag')!;
    expect((await fetch(url, { headers: { ...bearer(), 'if-none-match': etag }, redirect: 'manual' })).status).toBe(304);
    const whole = await expectRedirect(url, bearer());
    expect(whole.s3.status).toBe(200);
    expect(whole.body.length).toBe(size);
    expect(`"${sha256(whole.body)}"`).toBe(etag);
    expect(whole.s3.headers.get('content-type')).toBe('application/octet-stream');
    expect(whole.loc.searchParams.get('response-cache-control')).toBe('private, max-age=31536000, immutable');
    const part = await expectRedirect(url, bearer(), { range: 'bytes=10-19' });
    expect(part.s3.status).toBe(206);
    expect(part.s3.headers.get('content-range')).toBe(`bytes 10-19/${size}`);
    expect(part.body.equals(whole.body.subarray(10, 20))).toBe(true);
  });

  it.skipIf(noPython)('pip download and pip install of an uploaded wheel follow the 307', async () => {
    const tools = python as PythonTools;
    const work = mkdtempSync(path.join(os.tmpdir(), 'hoard-redir-py-'));
    try {
      writeProject(path.join(work, 'src'), { name: 'redir-py', version: '0.3.0' });
      const built = await buildProject(tools, path.join(work, 'src'), path.join(work, 'dist'));
      const home = tempHome();
      const env = baseEnv(home, { TWINE_USERNAME: 'aws', TWINE_PASSWORD: token, TWINE_REPOSITORY_URL: ep('pypi') });
      const upload = await run(tools.twine[0], [...tools.twine.slice(1), 'upload', built.wheel], { env });
      expect(upload.status, upload.out).toBe(0);
      const wheel = path.basename(built.wheel);
      const index = `${ep('pypi').replace('http://', `http://aws:${token}@`)}simple/`;
      const pipEnv = baseEnv(home, { PIP_NO_CACHE_DIR: '1' }); // PIP_CONFIG_FILE=/dev/null from baseEnv
      const py = await makeVenv(tools, path.join(work, 'venv'));
      const mark = access.length;
      const dl = await run(py, ['-m', 'pip', 'download', '--no-deps', '--index-url', index, '-d', path.join(work, 'dl'), 'redir-py==0.3.0'], { env: pipEnv });
      expect(dl.status, dl.out).toBe(0);
      expect(readdirSync(path.join(work, 'dl'))).toEqual([wheel]);
      expect(sha256(readFileSync(path.join(work, 'dl', wheel)))).toBe(sha256(readFileSync(built.wheel)));
      const target = path.join(work, 'target');
      const inst = await run(py, ['-m', 'pip', 'install', '--no-deps', '--index-url', index, '--target', target, 'redir-py==0.3.0'], { env: pipEnv });
      expect(inst.status, inst.out).toBe(0);
      expect(readFileSync(path.join(target, 'redir_py', '__init__.py'), 'utf8')).toContain('VERSION = "0.3.0"');
        expect(seen(mark, `/${wheel}`)).toEqual(['GET 307', 'GET 307']);
      // What S3 answers carries the attachment disposition of uploaded content.
      const file = await expectRedirect(`${ep('pypi')}packages/redir-py/0.3.0/${wheel}`, basic());
      expect(file.s3.status).toBe(200);
      expect(file.s3.headers.get('content-disposition')).toBe('attachment');
      expect(file.s3.headers.get('content-type')).toBe('application/octet-stream');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it.skipIf(noMaven)('mvn resolves a deployed jar through the 307; Gradle\'s requests (HEAD, GET, checksum files) all work', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'hoard-redir-mvn-'));
    try {
      const settings = path.join(work, 'settings.xml');
      const login = await execRun(
        'node',
        [path.join(ROOT, 'dist/main.js'), 'login', '--tool', 'maven', '--domain', DOMAIN, '--repository', 'libs', '--settings', settings],
        { env: cliEnv(h, tempHome()) },
      );
      expect(login.stderr).not.toMatch(/error/i);
      const serverId = `${DOMAIN}-libs`;
      const pom = (artifactId: string, body: string) => `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>com.acme.redir</groupId><artifactId>${artifactId}</artifactId><version>1.0.0</version>
  <properties><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding><maven.compiler.release>17</maven.compiler.release></properties>
  ${body}
  <build>${pluginManagement()}<plugins><plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-surefire-plugin</artifactId><executions><execution><id>default-test</id><phase>none</phase></execution></executions></plugin></plugins></build>
</project>
`;
      const java = (dir: string, cls: string, src: string) => {
        const f = path.join(dir, 'src/main/java', `${cls.replace(/\./g, '/')}.java`);
        mkdirSync(path.dirname(f), { recursive: true });
        writeFileSync(f, src);
      };
      const lib = path.join(work, 'lib');
      mkdirSync(lib);
      writeFileSync(
        path.join(lib, 'pom.xml'),
        pom('greeter', `<distributionManagement><repository><id>${serverId}</id><url>${ep('maven')}</url></repository></distributionManagement>`),
      );
      java(lib, 'com.acme.redir.Greeter', 'package com.acme.redir;\npublic class Greeter { public static String greet() { return "hi"; } }\n');
      const deploy = await mvn({ cwd: lib, home: work, settings, repo: localRepoCopy(path.join(work, 'producer')), args: ['deploy'] });
      expect(deploy.ok, tail(deploy.out)).toBe(true);

      const app = path.join(work, 'app');
      mkdirSync(app);
      writeFileSync(
        path.join(app, 'pom.xml'),
        pom('app', '<dependencies><dependency><groupId>com.acme.redir</groupId><artifactId>greeter</artifactId><version>1.0.0</version></dependency></dependencies>'),
      );
      java(app, 'com.acme.redir.app.Main', 'package com.acme.redir.app;\npublic class Main { public static String run() { return com.acme.redir.Greeter.greet(); } }\n');
      const consumerRepo = localRepoCopy(path.join(work, 'consumer'));
      const mark = access.length;
      const compile = await mvn({ cwd: app, home: work, settings, repo: consumerRepo, args: ['compile'] });
      expect(compile.ok, tail(compile.out)).toBe(true);
      expect(existsSync(path.join(app, 'target/classes/com/acme/redir/app/Main.class'))).toBe(true);
      const jarPath = path.join(consumerRepo, 'com/acme/redir/greeter/1.0.0/greeter-1.0.0.jar');
      const jar = readFileSync(jarPath);
      // Maven 3.8 asks without credentials first (401 with a Basic challenge: no URL to the bytes),
      // then with them; checksum files are Hoard's own small documents, answered directly.
      expect(seen(mark, '/greeter-1.0.0.jar')).toEqual(['GET 401', 'GET 307']);
      expect(seen(mark, '/greeter-1.0.0.pom')).toContain('GET 307');
      expect(seen(mark, '/greeter-1.0.0.pom').filter((s) => s !== 'GET 401')).toEqual(['GET 307']);
      expect(seen(mark, '/greeter-1.0.0.jar.sha1')).toEqual(['GET 200']);

      // Gradle's sequence for a Maven repository (it is not installed here): the .module (absent
      // for Maven-built libraries), the .pom, HEAD then GET of the jar, its sha256/sha512/sha1
      // files; fetch follows redirects as Gradle's HTTP client does.
      const base = `${ep('maven')}com/acme/redir/greeter/1.0.0/greeter-1.0.0`;
      const auth = basic();
      const gmark = access.length;
      expect((await fetch(`${base}.module`, { headers: auth })).status).toBe(404);
      const pomRes = await fetch(`${base}.pom`, { headers: auth });
      expect(pomRes.status).toBe(200);
      expect(await pomRes.text()).toContain('<artifactId>greeter</artifactId>');
      const head = await fetch(`${base}.jar`, { method: 'HEAD', headers: auth, redirect: 'manual' });
      expect(head.status).toBe(200);
      expect(Number(head.headers.get('content-length'))).toBe(jar.length);
      expect(head.headers.get('x-checksum-sha1')).toBe(createHash('sha1').update(jar).digest('hex'));
      const get = await fetch(`${base}.jar`, { headers: auth });
      expect(get.status).toBe(200);
      expect(get.redirected).toBe(true);
      expect(get.headers.get('content-type')).toBe('application/java-archive');
      expect(get.headers.get('content-disposition')).toBe('attachment');
      const got = Buffer.from(await get.arrayBuffer());
      expect(got.equals(jar)).toBe(true);
      for (const algo of ['sha256', 'sha512', 'sha1'] as const) {
        const r = await fetch(`${base}.jar.${algo}`, { headers: auth, redirect: 'manual' });
        expect(r.status, algo).toBe(200);
        expect(await r.text()).toBe(createHash(algo).update(jar).digest('hex'));
      }
      expect(seen(gmark, '/greeter-1.0.0.jar')).toEqual(['HEAD 200', 'GET 307']);
      expect(seen(gmark, '/greeter-1.0.0.pom')).toEqual(['GET 307']);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('the web UI\'s download is redirected, S3 asked for the file name; GetPackageVersionAsset (SDK clients do not follow redirects) still streams', async () => {
    const ui = await signIn(h, { method: 'key', accessKeyId: h.accessKeyId, secretAccessKey: h.secretAccessKey });
    const href = `/ui/d/${DOMAIN}-${h.accountId}/libs/p/npm/redir-lib/download?v=1.0.0&asset=package.tgz`;
    const anon = await fetch(`${h.url}${href}`, { redirect: 'manual' });
    expect(anon.status).toBe(401);
    const r = await expectRedirect(`${h.url}${href}`, { cookie: ui.cookie });
    expect(r.s3.status).toBe(200);
    expect(r.s3.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''redir-lib-1.0.0.tgz");
    const asset = await h.sdk().send(
      new GetPackageVersionAssetCommand({ domain: DOMAIN, repository: 'libs', format: 'npm', package: 'redir-lib', packageVersion: '1.0.0', asset: 'package.tgz' }),
    );
    const streamed = Buffer.from(await asset.asset!.transformToByteArray());
    expect(streamed.equals(r.body)).toBe(true);
  });
});
