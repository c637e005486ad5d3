// The Maven endpoint over plain HTTP: the request sequences Maven and Gradle send (replayed, since
// the machine's Gradle is too old for its Java), snapshots and their build numbers, server-kept
// metadata merged across upstreams, checksums, the Basic challenge, and bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import http from 'node:http';
import {
  CreateDomainCommand,
  CreateRepositoryCommand,
  GetAuthorizationTokenCommand,
  GetRepositoryEndpointCommand,
  UpdateRepositoryCommand,
} from '@aws-sdk/client-codeartifact';
import { startHoard, type TestHoard } from '../support/hoard.js';

const hex = (algo: string, b: Buffer | string) => createHash(algo).update(b).digest('hex');

describe('maven endpoint over HTTP', () => {
  let h: TestHoard;
  let auth: string;
  let base: string; // repository "libs"
  let groupBase: string; // repository "group": upstreams libs, then shared
  let sharedBase: string;

  const endpoint = async (repository: string) =>
    (await h.sdk().send(new GetRepositoryEndpointCommand({ domain: 'acme', repository, format: 'maven' }))).repositoryEndpoint!;

  beforeAll(async () => {
    h = await startHoard();
    const sdk = h.sdk();
    await sdk.send(new CreateDomainCommand({ domain: 'acme' }));
    for (const r of ['libs', 'shared']) await sdk.send(new CreateRepositoryCommand({ domain: 'acme', repository: r }));
    await sdk.send(
      new CreateRepositoryCommand({ domain: 'acme', repository: 'group', upstreams: [{ repositoryName: 'libs' }, { repositoryName: 'shared' }] }),
    );
    const token = (await sdk.send(new GetAuthorizationTokenCommand({ domain: 'acme' }))).authorizationToken!;
    auth = `Basic ${Buffer.from(`aws:${token}`).toString('base64')}`;
    base = await endpoint('libs');
    groupBase = await endpoint('group');
    sharedBase = await endpoint('shared');
  });
  afterAll(async () => h?.stop());

  const put = (url: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'PUT', body, headers: { authorization: auth, ...headers } });
  const get = (url: string, method = 'GET', headers: Record<string, string> = {}) =>
    fetch(url, { method, headers: { authorization: auth, ...headers } });
  const text = async (url: string) => {
    const r = await get(url);
    expect(r.status, url).toBe(200);
    return r.text();
  };

  /** PUT a file and its .sha1/.md5, as Maven 3.8 does (plus .sha256/.sha512 with `gradle`). */
  async function upload(root: string, path: string, body: string | Buffer, gradle = false) {
    expect((await put(root + path, body)).status, path).toBe(201);
    for (const a of gradle ? ['sha1', 'md5', 'sha256', 'sha512'] : ['sha1', 'md5'])
      expect((await put(`${root}${path}.${a}`, hex(a, body))).status, `${path}.${a}`).toBe(201);
  }

  const metadataXml = (g: string, a: string, versions: string[]) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<metadata><groupId>${g}</groupId><artifactId>${a}</artifactId><versioning>` +
    `<release>${versions[versions.length - 1]}</release><versions>${versions.map((v) => `<version>${v}</version>`).join('')}</versions>` +
    `<lastUpdated>20250104101500</lastUpdated></versioning></metadata>\n`;

  const pom = (g: string, a: string, v: string, extra = '') =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>` +
    `<groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version><description>The ${a} library</description>${extra}</project>\n`;

  async function deployRelease(root: string, g: string, a: string, v: string, files: Record<string, string | Buffer>) {
    const dir = `${g.replace(/\./g, '/')}/${a}`;
    for (const [name, body] of Object.entries(files)) await upload(root, `${dir}/${v}/${name}`, body);
    const current = await get(`${root}${dir}/maven-metadata.xml`);
    const versions = current.status === 200 ? [...(await current.text()).matchAll(/<version>([^<]+)<\/version>/g)].map((m) => m[1]) : [];
    await upload(root, `${dir}/maven-metadata.xml`, metadataXml(g, a, [...versions, v]));
  }

  it('release: invisible until maven-metadata.xml, then served with checksum headers; never overwritten', async () => {
    const jar = Buffer.from('PK\u0003\u0004 pretend jar bytes');
    const dir = `${base}com/acme/lib/1.0.0/`;
    await upload(base, 'com/acme/lib/1.0.0/lib-1.0.0.pom', pom('com.acme', 'lib', '1.0.0'));
    await upload(base, 'com/acme/lib/1.0.0/lib-1.0.0.jar', jar);
    // Unfinished: nothing visible yet.
    expect((await get(`${dir}lib-1.0.0.jar`)).status).toBe(404);
    expect((await get(`${base}com/acme/lib/maven-metadata.xml`)).status).toBe(404);
    await upload(base, 'com/acme/lib/maven-metadata.xml', metadataXml('com.acme', 'lib', ['1.0.0']));

    const r = await get(`${dir}lib-1.0.0.jar`);
    expect(r.status).toBe(200);
    expect(Buffer.from(await r.arrayBuffer())).toEqual(jar);
    expect(r.headers.get('x-checksum-sha1')).toBe(hex('sha1', jar));
    expect(r.headers.get('x-checksum-md5')).toBe(hex('md5', jar));
    expect(r.headers.get('content-type')).toBe('application/java-archive');
    for (const a of ['md5', 'sha1', 'sha256', 'sha512']) expect(await text(`${dir}lib-1.0.0.jar.${a}`)).toBe(hex(a, jar));

    // Redeploying the release with other bytes is refused with a reason Maven prints.
    const again = await put(`${dir}lib-1.0.0.jar`, Buffer.from('other bytes'));
    expect(again.status).toBe(409);
    expect(again.statusText).toMatch(/published release; its file lib-1.0.0.jar cannot be replaced/);
    expect(await again.json()).toMatchObject({ status: 409, title: 'Conflict' });
    expect(Buffer.from(await (await get(`${dir}lib-1.0.0.jar`)).arrayBuffer())).toEqual(jar);
    // An identical replay (CI retry) succeeds; a new classifier file may still be added.
    expect((await put(`${dir}lib-1.0.0.jar`, jar)).status).toBe(200);
    await upload(base, 'com/acme/lib/1.0.0/lib-1.0.0-sources.jar', 'sources');
    expect(await text(`${dir}lib-1.0.0-sources.jar`)).toBe('sources');
  });

  it('keeps artifact-level metadata itself: Maven order, latest/release, checksums of what it serves', async () => {
    await deployRelease(base, 'com.acme', 'order', '1.10', { 'order-1.10.pom': pom('com.acme', 'order', '1.10') });
    await deployRelease(base, 'com.acme', 'order', '1.9', { 'order-1.9.pom': pom('com.acme', 'order', '1.9') });
    await deployRelease(base, 'com.acme', 'order', '1.10-rc1', { 'order-1.10-rc1.pom': pom('com.acme', 'order', '1.10-rc1') });
    // An upload naming versions Hoard has not got does not change what it serves.
    await upload(base, 'com/acme/order/maven-metadata.xml', metadataXml('com.acme', 'order', ['0.1', '9.9']));
    const url = `${base}com/acme/order/maven-metadata.xml`;
    const xml = await text(url);
    expect([...xml.matchAll(/<version>([^<]+)<\/version>/g)].map((m) => m[1])).toEqual(['1.9', '1.10-rc1', '1.10']);
    expect(xml).toContain('<latest>1.10</latest>');
    expect(xml).toContain('<release>1.10</release>');
    expect(xml).toMatch(/<lastUpdated>\d{14}<\/lastUpdated>/);
    expect(await text(`${url}.sha1`)).toBe(hex('sha1', xml));
    expect(await text(`${url}.sha512`)).toBe(hex('sha512', xml));
    const r = await get(url);
    expect(r.headers.get('x-checksum-sha1')).toBe(hex('sha1', xml));
    expect((await get(url, 'GET', { 'if-none-match': r.headers.get('etag')! })).status).toBe(304);

    // Concurrent deploys of different versions each upload metadata naming only their own
    // version (they all read "nothing yet"): every version is listed all the same.
    const vs = ['3.0', '3.1', '3.2', '3.3', '3.4'];
    await Promise.all(
      vs.map(async (v) => {
        await upload(base, `com/acme/conc/${v}/conc-${v}.pom`, pom('com.acme', 'conc', v));
        await upload(base, 'com/acme/conc/maven-metadata.xml', metadataXml('com.acme', 'conc', [v]));
      }),
    );
    const conc = await text(`${base}com/acme/conc/maven-metadata.xml`);
    expect([...conc.matchAll(/<version>([^<]+)<\/version>/g)].map((m) => m[1])).toEqual(vs);
  });

  it('replays a Gradle publish and resolve: .module, four checksums each, HEAD before GET', async () => {
    const root = 'org/example/gradle-lib/2.0.0/';
    const jar = Buffer.from('gradle jar');
    const module = JSON.stringify({ formatVersion: '1.1', component: { group: 'org.example', module: 'gradle-lib', version: '2.0.0' } });
    await upload(base, `${root}gradle-lib-2.0.0.jar`, jar, true);
    await upload(
      base,
      `${root}gradle-lib-2.0.0.pom`,
      pom('org.example', 'gradle-lib', '2.0.0', '<!-- do_not_remove: published-with-gradle-metadata -->'),
      true,
    );
    await upload(base, `${root}gradle-lib-2.0.0.module`, module, true);
    await upload(base, `${root}gradle-lib-2.0.0.jar.asc`, '-----BEGIN PGP SIGNATURE-----\nxx\n-----END PGP SIGNATURE-----\n', true);
    expect((await get(`${base}org/example/gradle-lib/maven-metadata.xml`)).status).toBe(404);
    await upload(base, 'org/example/gradle-lib/maven-metadata.xml', metadataXml('org.example', 'gradle-lib', ['2.0.0']), true);

    const head = await get(`${base}${root}gradle-lib-2.0.0.jar`, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(jar.length));
    expect(head.headers.get('x-checksum-sha1')).toBe(hex('sha1', jar));
    expect(head.headers.get('etag')).toBeTruthy();
    expect(head.headers.get('last-modified')).toBeTruthy();
    expect(await head.text()).toBe('');
    expect(await text(`${base}${root}gradle-lib-2.0.0.module`)).toBe(module);
    expect((await get(`${base}${root}gradle-lib-2.0.0.module`)).headers.get('content-type')).toBe('application/json');
    expect(await text(`${base}${root}gradle-lib-2.0.0.module.sha256`)).toBe(hex('sha256', module));
    expect(await text(`${base}${root}gradle-lib-2.0.0.jar.sha512`)).toBe(hex('sha512', jar));
    expect((await get(`${base}${root}gradle-lib-2.0.0.jar.asc`)).status).toBe(200);
    expect((await get(`${base}${root}gradle-lib-2.0.0.jar.sha1`, 'HEAD')).status).toBe(200);
    expect((await get(`${base}${root}gradle-lib-2.0.1.jar`, 'HEAD')).status).toBe(404);
  });

  const snapPath = 'com/acme/snap/1.0-SNAPSHOT/';
  const versionMetadata = (ts: string, n: number, exts: string[]) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<metadata modelVersion="1.1.0"><groupId>com.acme</groupId><artifactId>snap</artifactId>` +
    `<version>1.0-SNAPSHOT</version><versioning><snapshot><timestamp>${ts}</timestamp><buildNumber>${n}</buildNumber></snapshot>` +
    `<lastUpdated>${ts.replace('.', '')}</lastUpdated><snapshotVersions>${exts
      .map((e) => `<snapshotVersion><extension>${e}</extension><value>1.0-${ts}-${n}</value><updated>${ts.replace('.', '')}</updated></snapshotVersion>`)
      .join('')}</snapshotVersions></versioning></metadata>\n`;

  async function snapshotFiles(ts: string, n: number, tag: string) {
    await upload(base, `${snapPath}snap-1.0-${ts}-${n}.pom`, pom('com.acme', 'snap', '1.0-SNAPSHOT'));
    await upload(base, `${snapPath}snap-1.0-${ts}-${n}.jar`, `jar ${tag}`);
  }
  async function snapshotDone(ts: string, n: number) {
    await upload(base, `${snapPath}maven-metadata.xml`, versionMetadata(ts, n, ['jar', 'pom']));
    await upload(base, 'com/acme/snap/maven-metadata.xml', metadataXml('com.acme', 'snap', ['1.0-SNAPSHOT']));
  }

  it('snapshots: builds, latest-build resolution, in-progress builds invisible, concurrent deploys renumbered', async () => {
    await snapshotFiles('20250104.101500', 1, 'one');
    await snapshotDone('20250104.101500', 1);
    expect(await text(`${base}${snapPath}snap-1.0-SNAPSHOT.jar`)).toBe('jar one');

    // Build 2 is uploading: not visible yet, -SNAPSHOT still means build 1.
    await snapshotFiles('20250105.090000', 2, 'two');
    expect((await get(`${base}${snapPath}snap-1.0-20250105.090000-2.jar`)).status).toBe(404);
    expect(await text(`${base}${snapPath}maven-metadata.xml`)).toContain('<buildNumber>1</buildNumber>');
    // A second deploy that also read build 1 from the metadata uploads "build 2" too: Hoard numbers it 3.
    await snapshotFiles('20250105.090001', 2, 'three');
    await snapshotDone('20250105.090000', 2);
    expect(await text(`${base}${snapPath}snap-1.0-SNAPSHOT.jar`)).toBe('jar two');
    await snapshotDone('20250105.090001', 2);

    const md = await text(`${base}${snapPath}maven-metadata.xml`);
    expect(md).toContain('<timestamp>20250105.090001</timestamp>');
    expect(md).toContain('<buildNumber>3</buildNumber>');
    expect(md).toContain('<value>1.0-20250105.090001-3</value>');
    expect(md).toMatch(/<extension>pom<\/extension>\s*<value>1.0-20250105.090001-3<\/value>/);
    expect(await text(`${base}${snapPath}snap-1.0-SNAPSHOT.jar`)).toBe('jar three');
    expect(await text(`${base}${snapPath}snap-1.0-20250105.090001-3.jar`)).toBe('jar three');
    expect(await text(`${base}${snapPath}snap-1.0-20250105.090000-2.jar`)).toBe('jar two');
    expect(await text(`${base}${snapPath}snap-1.0-20250104.101500-1.jar`)).toBe('jar one');
    expect(await text(`${base}${snapPath}maven-metadata.xml.sha1`)).toBe(hex('sha1', md));
    expect(await text(`${base}com/acme/snap/maven-metadata.xml`)).toContain('<version>1.0-SNAPSHOT</version>');
    // Non-unique snapshot uploads are refused; completed builds are immutable.
    expect((await put(`${base}${snapPath}snap-1.0-SNAPSHOT.jar`, 'x')).status).toBe(400);
    expect((await put(`${base}${snapPath}snap-1.0-20250104.101500-1.jar`, 'changed')).status).toBe(409);
  });

  it('serializes concurrent snapshot deploys: every build gets its own number', async () => {
    const dir = 'com/acme/race/2.0-SNAPSHOT/';
    const vm = (ts: string) =>
      `<metadata><groupId>com.acme</groupId><artifactId>race</artifactId><version>2.0-SNAPSHOT</version><versioning>` +
      `<snapshot><timestamp>${ts}</timestamp><buildNumber>1</buildNumber></snapshot></versioning></metadata>`;
    // Six deploys that all read "no build yet" and all call themselves build 1, in parallel.
    const stamps = [1, 2, 3, 4, 5, 6].map((i) => `20250106.12000${i}`);
    await Promise.all(
      stamps.map(async (ts) => {
        await upload(base, `${dir}race-2.0-${ts}-1.jar`, `jar ${ts}`);
        await upload(base, `${dir}maven-metadata.xml`, vm(ts));
      }),
    );
    await upload(base, 'com/acme/race/maven-metadata.xml', metadataXml('com.acme', 'race', ['2.0-SNAPSHOT']));
    const md = await text(`${base}${dir}maven-metadata.xml`);
    expect(md).toContain('<buildNumber>6</buildNumber>');
    const files = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(async (n) => {
        const hit = await Promise.all(stamps.map(async (ts) => ((await get(`${base}${dir}race-2.0-${ts}-${n}.jar`)).status === 200 ? ts : null)));
        return hit.filter(Boolean);
      }),
    );
    // Each number 1..6 names exactly one build, and every deploy's jar is there under one number.
    expect(files.map((f) => f.length)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(new Set(files.flat()).size).toBe(6);
  });

  it('merges metadata across upstreams and retains release files fetched through them', async () => {
    await deployRelease(sharedBase, 'com.acme', 'merged', '1.0', { 'merged-1.0.jar': 'shared 1.0' });
    await deployRelease(base, 'com.acme', 'merged', '2.0', { 'merged-2.0.jar': 'libs 2.0' });
    const url = `${groupBase}com/acme/merged/maven-metadata.xml`;
    const xml = await text(url);
    expect([...xml.matchAll(/<version>([^<]+)<\/version>/g)].map((m) => m[1])).toEqual(['1.0', '2.0']);
    expect(xml).toContain('<release>2.0</release>');
    expect(await text(`${url}.sha1`)).toBe(hex('sha1', xml));
    expect(await text(`${groupBase}com/acme/merged/1.0/merged-1.0.jar`)).toBe('shared 1.0');
    // Retained: still served from "group" after its upstreams are removed.
    await h.sdk().send(new UpdateRepositoryCommand({ domain: 'acme', repository: 'group', upstreams: [] }));
    expect(await text(`${groupBase}com/acme/merged/1.0/merged-1.0.jar`)).toBe('shared 1.0');
    expect((await get(`${groupBase}com/acme/merged/2.0/merged-2.0.jar`)).status).toBe(404);
    expect(await text(`${groupBase}com/acme/merged/maven-metadata.xml`)).toContain('<version>1.0</version>');
    // A package that arrived from an upstream has publish=BLOCK there: a direct deploy is refused.
    const blocked = await put(`${groupBase}com/acme/merged/3.0/merged-3.0.jar`, 'x');
    expect(blocked.status).toBe(403);
    expect(blocked.statusText).toMatch(/publish=BLOCK/);
  });

  it('challenges requests without credentials and refuses bad tokens', async () => {
    const url = `${base}com/acme/lib/1.0.0/lib-1.0.0.jar`;
    for (const method of ['GET', 'HEAD', 'PUT']) {
      const r = await fetch(url, { method, body: method === 'PUT' ? 'x' : undefined });
      expect(r.status, method).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Basic realm="hoard"');
    }
    const bad = await fetch(url, { headers: { authorization: `Basic ${Buffer.from('aws:not-a-token').toString('base64')}` } });
    expect(bad.status).toBe(401);
  });

  /** A raw request, so that paths reach the server exactly as written and Expect can be sent. */
  function raw(method: string, url: string, body?: string, headers: Record<string, string> = {}) {
    const u = new URL(url);
    const path = url.slice(u.origin.length); // as written: URL would resolve "..", the server must see it
    return new Promise<{ status: number; reason: string; body: string; sawContinue: boolean }>((resolve, reject) => {
      let sawContinue = false;
      const req = http.request(
        { host: u.hostname, port: u.port, path, method, headers: { authorization: auth, ...headers } },
        (res) => {
          let b = '';
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve({ status: res.statusCode!, reason: res.statusMessage!, body: b, sawContinue }));
        },
      );
      req.on('error', reject);
      if (headers.expect) {
        req.on('continue', () => {
          sawContinue = true;
          req.end(body);
        });
        req.flushHeaders();
      } else req.end(body);
    });
  }

  it('answers Expect: 100-continue on PUT', async () => {
    const r = await raw('PUT', `${base}com/acme/expect/1.0/expect-1.0.jar`, 'jar', { expect: '100-continue', 'content-length': '3' });
    expect(r.sawContinue).toBe(true);
    expect(r.status).toBe(201);
  });

  it('bad input: each refused with a 4xx that says why; nothing partial becomes visible', async () => {
    const md = `${base}com/acme/evil/maven-metadata.xml`;
    await upload(base, 'com/acme/evil/1.0/evil-1.0.jar', 'evil jar');
    const xxe =
      '<?xml version="1.0"?>\n<!DOCTYPE metadata [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' +
      '<metadata><groupId>com.acme</groupId><artifactId>evil</artifactId><versioning><versions><version>&xxe;</version><version>1.0</version></versions></versioning></metadata>';
    const laughs =
      '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n<metadata><groupId>com.acme</groupId><artifactId>evil</artifactId>' +
      '<versioning><versions><version>1.0</version></versions><release>&lol3;</release></versioning></metadata>';
    // external entity → 400; billion laughs → 400
    for (const body of [xxe, laughs]) {
      const r = await put(md, body);
      expect(r.status).toBe(400);
      expect(r.statusText).toMatch(/DTD or entity declaration/);
    }
    // a pom with a DTD → 400; malformed XML → 400; metadata over 4 MiB → 413
    expect((await put(`${base}com/acme/evil/1.0/evil-1.0.pom`, `<!DOCTYPE project SYSTEM "http://127.0.0.1:1/x.dtd"><project/>`)).status).toBe(400);
    expect((await put(md, '<metadata><versioning>')).status).toBe(400);
    expect((await put(md, Buffer.alloc(4 * 1024 * 1024 + 1, 32))).status).toBe(413);
    // a checksum that does not match → 400; one for a file never uploaded → 404; garbage → 400
    const mismatch = await put(`${base}com/acme/evil/1.0/evil-1.0.jar.sha1`, hex('sha1', 'other'));
    expect(mismatch.status).toBe(400);
    expect(mismatch.statusText).toMatch(/Checksum mismatch/);
    expect((await put(`${base}com/acme/evil/1.0/evil-1.0-sources.jar.sha1`, hex('sha1', 'x'))).status).toBe(404);
    expect((await put(`${base}com/acme/evil/1.0/evil-1.0.jar.md5`, 'not hex')).status).toBe(400);
    // metadata checksums: before any (accepted) metadata upload → 404; not matching the upload → 400
    expect((await put(`${md}.sha1`, hex('sha1', 'x'))).status).toBe(404);
    const lib = `${base}com/acme/lib/maven-metadata.xml`;
    expect((await put(lib, metadataXml('com.acme', 'lib', ['1.0.0']))).status).toBe(201);
    expect((await put(`${lib}.sha1`, hex('sha1', 'not the metadata'))).status).toBe(400);
    // a pom whose coordinates disagree with its path → 400
    expect((await put(`${base}com/acme/evil/1.0/evil-1.0.pom`, pom('com.acme', 'evil', '2.0'))).status).toBe(400);
    // paths: traversal, encoded traversal, empty segments, a version directory that disagrees with the file name
    for (const p of ['com/acme/../../etc/passwd', 'com/acme/%2e%2e/evil/1.0/evil-1.0.jar', 'com//acme/evil/1.0/evil-1.0.jar', 'com/acme/evil%2F1.0/x.jar']) {
      const r = await raw('PUT', base + p, 'x');
      expect(r.status, p).toBe(400);
      expect((await raw('GET', base + p)).status, p).toBe(400);
    }
    const wrongDir = await put(`${base}com/acme/evil/1.0/evil-2.0.jar`, 'x');
    expect(wrongDir.status).toBe(400);
    expect(wrongDir.statusText).toMatch(/does not belong in evil\/1.0\//);
    expect((await put(`${base}com/acme/evil/1.0/other-1.0.jar`, 'x')).status).toBe(400);
    expect((await put(`${base}com/acme/Evil Name/1.0/x.jar`, 'x')).status).toBe(400);

    // Over the upload limit → 413, whether Content-Length says so or the stream runs over.
    const cfg = h.server.services.config;
    const limit = cfg.maxUploadBytes;
    cfg.maxUploadBytes = 64 * 1024;
    try {
      expect((await put(`${base}com/acme/evil/1.0/evil-1.0-big.jar`, Buffer.alloc(100 * 1024))).status).toBe(413);
      const chunks = new ReadableStream({
        start(c) {
          for (let i = 0; i < 10; i++) c.enqueue(new Uint8Array(16 * 1024));
          c.close();
        },
      });
      const streamed = await fetch(`${base}com/acme/evil/1.0/evil-1.0-big.jar`, {
        method: 'PUT',
        body: chunks,
        headers: { authorization: auth },
        duplex: 'half',
      } as RequestInit);
      expect(streamed.status).toBe(413);
    } finally {
      cfg.maxUploadBytes = limit;
    }
    expect((await put(`${base}com/acme/evil/1.0/evil-1.0-big.jar.sha1`, hex('sha1', 'x'))).status).toBe(404);

    // Nothing partial: evil 1.0 is still Unfinished, so neither listed nor downloadable.
    expect((await get(md)).status).toBe(404);
    expect((await get(`${base}com/acme/evil/1.0/evil-1.0.jar`)).status).toBe(404);
    // And the server keeps serving.
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    expect((await get(`${base}com/acme/lib/1.0.0/lib-1.0.0.jar`)).status).toBe(200);
  });
});
