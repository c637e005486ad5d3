// Maven through an external connection, request by request, against a fixture Maven repository on
// loopback: files verified against the upstream's checksum files and retained file by file,
// checksums from Hoard's own hashes, metadata merged and cached, 404s negatively cached but
// failures never, the upstream going down, stalling and lying, SNAPSHOTs never taken from
// outside, Gradle's request pattern, and the origin controls that keep a public artifact from
// shadowing a private one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import {
  AssociateExternalConnectionCommand,
  CreateRepositoryCommand,
  DescribePackageCommand,
  ListPackageVersionsCommand,
  PutPackageOriginConfigurationCommand,
} from '@aws-sdk/client-codeartifact';
import { startHoard, type TestHoard } from '../support/hoard.js';
import { MavenRepoFixture } from '../../src/bench/maven-repo-fixture.js';
import { removeTemp, setupDomain } from './npm-support.js';

const DOMAIN = 'mproxy';
const hex = (algo: string, b: Buffer) => createHash(algo).update(b).digest('hex');

describe('Maven external connection (wire)', () => {
  let h: TestHoard;
  let up: MavenRepoFixture;
  let auth: string;
  let endpoint: (repo: string) => string;
  const get = (repo: string, p: string, init: RequestInit = {}) =>
    fetch(`${endpoint(repo)}${p}`, { ...init, headers: { authorization: auth, ...((init.headers as Record<string, string>) ?? {}) } });
  const bytes = async (r: Response | Promise<Response>) => Buffer.from(await (await r).arrayBuffer());

  const versionsIn = async (repo: string, group: string, artifact: string) => {
    const r = await h
      .sdk()
      .send(new ListPackageVersionsCommand({ domain: DOMAIN, repository: repo, format: 'maven', namespace: group, package: artifact }))
      .catch((e: Error) => {
        if (e.name === 'ResourceNotFoundException') return { versions: [] };
        throw e;
      });
    return (r.versions ?? []).map((v) => ({ version: v.version, origin: v.origin?.originType, entry: v.origin?.domainEntryPoint }));
  };
  const blobCount = async () => {
    let n = 0;
    const svc = h.server.services;
    const d = await svc.domains.findDomain(h.accountId, DOMAIN);
    for await (const _ of svc.blobs.list(`d${d!.id}`)) n++;
    return n;
  };
  const put = (repo: string, p: string, body: string | Buffer) => get(repo, p, { method: 'PUT', body });

  beforeAll(async () => {
    up = await new MavenRepoFixture().start();
    up.addArtifact({ groupId: 'com.example', artifactId: 'lib', version: '1.0.0', sources: true, asc: true });
    up.addArtifact({ groupId: 'com.example', artifactId: 'lib', version: '2.0.0', module: true });
    up.addArtifact({ groupId: 'com.example', artifactId: 'app-util', version: '1.0.0', dependencies: ['com.example:lib:1.0.0'] });
    up.addArtifact({ groupId: 'com.example', artifactId: 'sha-only', version: '1.0.0' });
    up.addArtifact({ groupId: 'com.example', artifactId: 'no-sums', version: '1.0.0' });
    up.addArtifact({ groupId: 'com.example', artifactId: 'snap', version: '1.0' });
    up.addArtifact({ groupId: 'com.example', artifactId: 'snap', version: '1.1-SNAPSHOT' });
    up.addArtifact({ groupId: 'com.corp', artifactId: 'secret', version: '9.0.0' });
    for (let i = 0; i < 5; i++) up.addArtifact({ groupId: 'com.example', artifactId: `burst-${i}`, version: '1.0.0' });
    const sumsOf = up.checksumsFor;
    up.checksumsFor = (p) => (p.includes('/sha-only/') ? ['sha256'] : p.includes('/no-sums/') ? [] : sumsOf(p));
    h = await startHoard({ HOARD_EXTERNAL_MAVEN_CENTRAL_URL: up.url, HOARD_UPSTREAM_TIMEOUT_MS: '1500', HOARD_UPSTREAM_OFFLINE_S: '0' });
    const d = await setupDomain(h, DOMAIN, [{ name: 'maven-store' }, { name: 'app', upstreams: ['maven-store'] }]);
    auth = `Basic ${Buffer.from(`aws:${d.token}`).toString('base64')}`;
    endpoint = (repo) => `${h.url}/maven/d/${DOMAIN}-${h.accountId}/${repo}/`;
    await h.sdk().send(new AssociateExternalConnectionCommand({ domain: DOMAIN, repository: 'maven-store', externalConnection: 'public:maven-central' }));
  });
  afterAll(async () => {
    await h?.stop();
    await up?.stop().catch(() => {});
    removeTemp();
  });

  it('fetches a pom and a jar once each, checks them, and retains only that version in the repository asked and the store', async () => {
    const pomPath = 'com/example/lib/1.0.0/lib-1.0.0.pom';
    const jarPath = 'com/example/lib/1.0.0/lib-1.0.0.jar';
    const pom = await get('app', pomPath);
    expect(pom.status).toBe(200);
    expect((await bytes(pom)).equals(up.files.get(pomPath)!)).toBe(true);
    const jar = await get('app', jarPath);
    expect(jar.status).toBe(200);
    expect(jar.headers.get('x-checksum-sha1')).toBe(hex('sha1', up.files.get(jarPath)!));
    expect((await bytes(jar)).equals(up.files.get(jarPath)!)).toBe(true);
    for (const repo of ['app', 'maven-store'])
      expect(await versionsIn(repo, 'com.example', 'lib')).toEqual([{ version: '1.0.0', origin: 'EXTERNAL', entry: { externalConnectionName: 'public:maven-central' } }]);
    // A package first ingested takes publish=BLOCK, upstream=ALLOW (reference §1.10).
    const pkg = await h.sdk().send(new DescribePackageCommand({ domain: DOMAIN, repository: 'app', format: 'maven', namespace: 'com.example', package: 'lib' }));
    expect(pkg.package?.originConfiguration?.restrictions).toEqual({ publish: 'BLOCK', upstream: 'ALLOW' });
    // From the store from now on; checksum files come from Hoard's own hashes, any algorithm.
    up.resetCounts();
    expect((await bytes(get('app', jarPath))).equals(up.files.get(jarPath)!)).toBe(true);
    for (const algo of ['sha1', 'md5', 'sha256', 'sha512']) {
      const r = await get('app', `${jarPath}.${algo}`);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(hex(algo, up.files.get(jarPath)!));
    }
    expect(up.total()).toBe(0);
  });

  it('proxies sources, .module and signatures; a signature without checksum files is taken as it is', async () => {
    const src = await get('app', 'com/example/lib/1.0.0/lib-1.0.0-sources.jar');
    expect(src.status).toBe(200);
    const asc = await get('app', 'com/example/lib/1.0.0/lib-1.0.0.jar.asc');
    expect(asc.status).toBe(200);
    expect(await asc.text()).toContain('BEGIN PGP SIGNATURE');
    const mod = await get('app', 'com/example/lib/2.0.0/lib-2.0.0.module');
    expect(mod.status).toBe(200);
    expect((await mod.json()).component.version).toBe('2.0.0');
    // Both versions now, each holding the files fetched for it.
    expect((await versionsIn('app', 'com.example', 'lib')).map((v) => v.version).sort()).toEqual(['1.0.0', '2.0.0']);
  });

  it('verifies against .sha256 where that is all the upstream has; a file with no checksum at all is refused (502)', async () => {
    const r = await get('app', 'com/example/sha-only/1.0.0/sha-only-1.0.0.jar');
    expect(r.status).toBe(200);
    expect(up.count('com/example/sha-only/1.0.0/sha-only-1.0.0.jar.sha256')).toBe(1);
    const none = await get('app', 'com/example/no-sums/1.0.0/no-sums-1.0.0.jar');
    expect(none.status).toBe(502);
    expect((await none.json()).detail).toMatch(/publishes no checksum/);
    expect(await versionsIn('app', 'com.example', 'no-sums')).toEqual([]);
  });

  it('makes one upstream fetch for 20 concurrent requests of one uncached file', async () => {
    up.resetCounts();
    const p = 'com/example/burst-0/1.0.0/burst-0-1.0.0.jar';
    const answers = await Promise.all(Array.from({ length: 20 }, () => get('app', p)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    for (const a of answers) expect((await bytes(a)).equals(up.files.get(p)!)).toBe(true);
    expect(up.count(p)).toBe(1);
    expect(up.count(`${p}.sha1`)).toBe(1);
  });

  it('refuses tampered bytes with a 502 in Maven\'s error shape naming the path, and keeps nothing', async () => {
    const blobs = await blobCount();
    const p = 'com/example/burst-1/1.0.0/burst-1-1.0.0.jar';
    up.mode = 'corrupt';
    try {
      const r = await get('app', p);
      expect(r.status).toBe(502);
      expect(r.headers.get('content-type')).toBe('application/problem+json');
      const body = await r.json();
      expect(body.status).toBe(502);
      expect(body.detail).toContain(p);
      expect(body.detail).toMatch(/does not match its published sha1 checksum; nothing was kept|does not match its published sha1 checksum \(expected/);
    } finally {
      up.mode = 'up';
    }
    expect(await versionsIn('app', 'com.example', 'burst-1')).toEqual([]);
    expect(await versionsIn('maven-store', 'com.example', 'burst-1')).toEqual([]);
    expect(await blobCount()).toBe(blobs);
    // Not remembered as missing: once the upstream serves the right bytes, the same request works.
    expect((await get('app', p)).status).toBe(200);
  });

  it('negatively caches 404 and 410 by exact path; 401, 403 and 500 are never cached and never a 404', async () => {
    up.resetCounts();
    const missing = 'com/example/lib/1.0.0/lib-1.0.0-javadoc.jar';
    expect((await get('app', missing)).status).toBe(404);
    expect((await get('app', missing)).status).toBe(404);
    expect(up.count(missing)).toBe(1);
    // The .sha1 is asked for alongside the file; once the file is missing no other checksum is.
    expect(up.count(`${missing}.sha1`)).toBeLessThanOrEqual(1);
    for (const algo of ['sha256', 'sha512', 'md5']) expect(up.count(`${missing}.${algo}`)).toBe(0);
    const gone = 'com/example/burst-2/1.0.0/burst-2-1.0.0.pom';
    up.statusFor.set(gone, 410);
    expect((await get('app', gone)).status).toBe(404);
    expect((await get('app', gone)).status).toBe(404);
    expect(up.count(gone)).toBe(1);
    for (const [status, pattern] of [
      [500, /unreachable/],
      [401, /answered 401.*HOARD_EXTERNAL_\*_AUTH/],
      [403, /answered 403/],
    ] as const) {
      const p = `com/example/burst-3/1.0.0/burst-3-1.0.0.jar`;
      up.statusFor.set(p, status);
      up.resetCounts();
      const first = await get('app', p);
      expect(first.status).toBe(502);
      expect((await first.json()).detail).toMatch(pattern);
      const asked = up.count(p);
      expect(asked).toBeGreaterThan(0);
      expect((await get('app', p)).status).toBe(502);
      expect(up.count(p)).toBeGreaterThan(asked); // asked again: nothing remembered
      up.statusFor.delete(p);
    }
    expect((await get('app', 'com/example/burst-3/1.0.0/burst-3-1.0.0.jar')).status).toBe(200);
  });

  it('merges artifact metadata with the upstream\'s (cached with its TTL), without SNAPSHOTs; SNAPSHOT files are never fetched', async () => {
    up.resetCounts();
    const md = await get('app', 'com/example/lib/maven-metadata.xml');
    expect(md.status).toBe(200);
    const xml = await md.text();
    expect(xml).toMatch(/<version>1\.0\.0<\/version>\s*<version>2\.0\.0<\/version>/);
    expect(xml).toContain('<release>2.0.0</release>');
    const sha1 = await (await get('app', 'com/example/lib/maven-metadata.xml.sha1')).text();
    expect(sha1).toBe(hex('sha1', Buffer.from(xml)));
    expect(up.count('com/example/lib/maven-metadata.xml')).toBe(1);
    const snap = await (await get('app', 'com/example/snap/maven-metadata.xml')).text();
    expect(snap).toContain('<version>1.0</version>');
    expect(snap).not.toContain('SNAPSHOT');
    const file = await get('app', 'com/example/snap/1.1-SNAPSHOT/snap-1.1-SNAPSHOT.pom');
    expect(file.status).toBe(404);
    expect(up.count('com/example/snap/1.1-SNAPSHOT/snap-1.1-SNAPSHOT.pom')).toBe(0);
    // A version added upstream shows once the cached copy's TTL (300 s here) has passed, not before.
    up.addArtifact({ groupId: 'com.example', artifactId: 'lib', version: '3.0.0' });
    expect(await (await get('app', 'com/example/lib/maven-metadata.xml')).text()).not.toContain('3.0.0');
    expect(up.count('com/example/lib/maven-metadata.xml')).toBe(1);
    // An artifact the upstream does not have: 404, Maven's shape.
    const none = await get('app', 'com/example/nothing-here/maven-metadata.xml');
    expect(none.status).toBe(404);
  });

  it("replays Gradle's request pattern: .module, pom, HEAD before GET, sha256/sha512 checksums", async () => {
    const base = 'com/example/burst-4/1.0.0/burst-4-1.0.0';
    up.resetCounts();
    expect((await get('app', `${base}.module`, { method: 'HEAD' })).status).toBe(404); // this one has none
    expect((await get('app', `${base}.module`)).status).toBe(404);
    expect(up.count(`${base}.module`) + up.count(`${base}.module`, 'HEAD')).toBe(1);
    const pom = await get('app', `${base}.pom`);
    expect(pom.status).toBe(200);
    const head = await get('app', `${base}.jar`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const jarBytes = up.files.get(`${base}.jar`)!;
    expect(head.headers.get('content-length')).toBe(String(jarBytes.length));
    expect(head.headers.get('x-checksum-sha1')).toBe(hex('sha1', jarBytes));
    const jar = await get('app', `${base}.jar`);
    expect((await bytes(jar)).equals(jarBytes)).toBe(true);
    for (const algo of ['sha512', 'sha256', 'sha1']) expect(await (await get('app', `${base}.jar.${algo}`)).text()).toBe(hex(algo, jarBytes));
    expect(up.count(`${base}.jar`)).toBe(1);
    // Gradle's module metadata where the upstream has it, and a conditional GET.
    const mod = await get('app', 'com/example/lib/2.0.0/lib-2.0.0.module');
    const etag = mod.headers.get('etag')!;
    expect((await get('app', 'com/example/lib/2.0.0/lib-2.0.0.module', { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('serves retained files and the chain\'s versions while the upstream is down; never-fetched files get a 502', async () => {
    // app-util's jar only: its metadata was never fetched.
    expect((await get('app', 'com/example/app-util/1.0.0/app-util-1.0.0.jar')).status).toBe(200);
    await up.stop();
    try {
      expect((await bytes(get('app', 'com/example/lib/1.0.0/lib-1.0.0.jar'))).equals(up.files.get('com/example/lib/1.0.0/lib-1.0.0.jar')!)).toBe(true);
      const md = await get('app', 'com/example/app-util/maven-metadata.xml');
      expect(md.status).toBe(200);
      expect(await md.text()).toContain('<version>1.0.0</version>');
      const never = await get('app', 'com/example/app-util/1.0.0/app-util-1.0.0.pom');
      expect(never.status).toBe(502);
      expect((await never.json()).detail).toMatch(/unreachable/);
      const neverMd = await get('app', 'com/corp/secret/maven-metadata.xml');
      expect(neverMd.status).toBe(502);
    } finally {
      await up.restart();
    }
  });

  it('answers 504 when the upstream stalls past its timeout', async () => {
    up.mode = 'stall';
    try {
      const r = await get('app', 'com/example/app-util/1.0.0/app-util-1.0.0.pom');
      expect(r.status).toBe(504);
      expect(r.headers.get('retry-after')).toBeTruthy();
      expect((await r.json()).detail).toMatch(/did not answer in time/);
    } finally {
      up.mode = 'up';
      await up.stop();
      await up.restart();
    }
  });

  it('hides an upstream artifact of the same coordinates as a private one until upstream=ALLOW (dependency confusion)', async () => {
    const dir = 'com/corp/secret/1.0.0';
    const pom = `<project><modelVersion>4.0.0</modelVersion><groupId>com.corp</groupId><artifactId>secret</artifactId><version>1.0.0</version></project>`;
    expect((await put('app', `${dir}/secret-1.0.0.pom`, pom)).status).toBe(201);
    const md = `<metadata><groupId>com.corp</groupId><artifactId>secret</artifactId><versioning><versions><version>1.0.0</version></versions></versioning></metadata>`;
    expect((await put('app', 'com/corp/secret/maven-metadata.xml', md)).status).toBe(201);
    up.resetCounts();
    const doc = await (await get('app', 'com/corp/secret/maven-metadata.xml')).text();
    expect(doc).toContain('<version>1.0.0</version>');
    expect(doc).not.toContain('9.0.0');
    expect((await get('app', 'com/corp/secret/9.0.0/secret-9.0.0.pom')).status).toBe(404);
    expect(up.total()).toBe(0);
    await h.sdk().send(
      new PutPackageOriginConfigurationCommand({
        domain: DOMAIN,
        repository: 'app',
        format: 'maven',
        namespace: 'com.corp',
        package: 'secret',
        restrictions: { publish: 'ALLOW', upstream: 'ALLOW' },
      }),
    );
    await new Promise((r) => setTimeout(r, 2100)); // the chain lookup cache
    const merged = await (await get('app', 'com/corp/secret/maven-metadata.xml')).text();
    expect(merged).toMatch(/<version>1\.0\.0<\/version>\s*<version>9\.0\.0<\/version>/);
    // Publishing a version the external connection has is refused (409).
    const clash = await put('app', 'com/corp/secret/9.0.0/secret-9.0.0.pom', pom.replace('1.0.0', '9.0.0'));
    expect(clash.status).toBe(409);
    expect((await clash.json()).detail).toMatch(/already exists upstream, in the external connection public:maven-central/);
  });

  it('lets a repository without the connection see nothing from outside', async () => {
    await h.sdk().send(new CreateRepositoryCommand({ domain: DOMAIN, repository: 'island' }));
    up.resetCounts();
    expect((await get('island', 'com/example/burst-4/1.0.0/burst-4-1.0.0.pom')).status).toBe(404);
    expect((await get('island', 'com/example/lib/maven-metadata.xml')).status).toBe(404);
    expect(up.total()).toBe(0);
  });
});
