// A fixture npm registry the tests start on 127.0.0.1, standing in for the public registry behind
// an external connection: generated packages with real tarballs, integrity and shasum, `time`,
// ETags and 304s, abbreviated documents, search, the bulk advisory and attestation endpoints.
// It can go down, stall, answer 500, and serve corrupted tarball bytes; it counts every request.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';

export interface FixturePackageVersion {
  version: string;
  dependencies?: Record<string, string>;
  /** ISO time of publication (default: now) */
  time?: string;
  deprecated?: string;
  /** extra fields merged into the version manifest (engines, license, _npmUser, dist.signatures ...) */
  extra?: Record<string, unknown>;
}

export type FixtureMode = 'up' | 'down' | 'stall' | 'error500' | 'corrupt';

interface StoredVersion {
  manifest: Record<string, unknown>;
  tarball: Buffer;
  time: string;
}

interface StoredPackage {
  name: string;
  versions: Map<string, StoredVersion>;
  tags: Record<string, string>;
  created: string;
  modified: string;
  rev: number;
}

export class NpmUpstreamFixture {
  readonly packages = new Map<string, StoredPackage>();
  /** requests seen, by "METHOD path" */
  readonly hits = new Map<string, number>();
  mode: FixtureMode = 'up';
  /** delay added to every answer, in ms */
  delayMs = 0;
  advisories: Record<string, unknown> = {};
  /** when false, -/v1/search answers 404 (an upstream without search) */
  searchable = true;
  private server!: http.Server;
  private sockets = new Set<Socket>();
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Closes the listener and every connection: the upstream is down (connections refused). */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async restart(): Promise<void> {
    await this.start(this.port);
  }

  count(path: string, method = 'GET'): number {
    return this.hits.get(`${method} ${path}`) ?? 0;
  }

  total(): number {
    let n = 0;
    for (const v of this.hits.values()) n += v;
    return n;
  }

  resetCounts(): void {
    this.hits.clear();
  }

  /** Adds (or replaces) versions of a package, with a generated tarball each. */
  async add(name: string, versions: FixturePackageVersion[], tags?: Record<string, string>): Promise<void> {
    const now = new Date().toISOString();
    let p = this.packages.get(name);
    if (!p) {
      p = { name, versions: new Map(), tags: {}, created: now, modified: now, rev: 0 };
      this.packages.set(name, p);
    }
    for (const v of versions) {
      const pkgJson = { name, version: v.version, description: `${name} fixture`, dependencies: v.dependencies ?? {}, ...(v.extra ?? {}) };
      const tarball = await makeTarball(pkgJson);
      const file = `${name.startsWith('@') ? name.split('/')[1] : name}-${v.version}.tgz`;
      const manifest: Record<string, unknown> = {
        ...pkgJson,
        _id: `${name}@${v.version}`,
        ...(v.deprecated ? { deprecated: v.deprecated } : {}),
        dist: {
          shasum: createHash('sha1').update(tarball).digest('hex'),
          integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
          tarball: `${this.url}/${name}/-/${file}`,
          ...(((v.extra ?? {}).dist as Record<string, unknown>) ?? {}),
        },
      };
      p.versions.set(v.version, { manifest, tarball, time: v.time ?? now });
      p.tags.latest = v.version;
    }
    if (tags) Object.assign(p.tags, tags);
    p.modified = new Date().toISOString();
    p.rev++;
  }

  tarballOf(name: string, version: string): Buffer {
    return this.packages.get(name)!.versions.get(version)!.tarball;
  }

  packument(p: StoredPackage, abbreviated: boolean): Record<string, unknown> {
    const versions: Record<string, unknown> = {};
    const time: Record<string, string> = { created: p.created, modified: p.modified };
    for (const [v, s] of p.versions) {
      // Tarball URLs follow the port the fixture listens on now.
      const dist = { ...(s.manifest.dist as Record<string, unknown>) };
      versions[v] = abbreviated
        ? {
            name: p.name,
            version: v,
            dependencies: s.manifest.dependencies,
            ...(s.manifest.deprecated ? { deprecated: s.manifest.deprecated } : {}),
            ...(s.manifest.engines ? { engines: s.manifest.engines } : {}),
            dist,
          }
        : { ...s.manifest, dist };
      time[v] = s.time;
    }
    return abbreviated
      ? { name: p.name, modified: p.modified, 'dist-tags': p.tags, versions }
      : { _id: p.name, _rev: `${p.rev}-fixture`, name: p.name, 'dist-tags': p.tags, versions, time, readme: `# ${p.name}\n` };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const key = `${req.method} ${path}`;
    this.hits.set(key, (this.hits.get(key) ?? 0) + 1);
    if (this.mode === 'stall') return; // never answers; the socket stays open until stop()
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.mode === 'down') {
      req.socket.destroy();
      return;
    }
    if (this.mode === 'error500') return send(res, 500, { error: 'fixture failure' });
    if (req.method === 'POST' && path === '/-/npm/v1/security/advisories/bulk') {
      for await (const _ of req);
      return send(res, 200, this.advisories);
    }
    if (path === '/-/v1/search') {
      if (!this.searchable) return send(res, 404, { error: 'not found' });
      const text = new URL(req.url!, 'http://x').searchParams.get('text') ?? '';
      const objects = [...this.packages.values()]
        .filter((p) => p.name.includes(text))
        .map((p) => ({ package: { name: p.name, version: p.tags.latest, description: `${p.name} fixture`, date: p.modified }, score: { final: 1 } }));
      return send(res, 200, { objects, total: objects.length, time: new Date().toUTCString() });
    }
    const att = /^\/-\/npm\/v1\/attestations\/(.+)@([^@/]+)$/.exec(decodeURIComponent(path));
    if (att) return send(res, 200, { attestations: [{ predicateType: 'https://slsa.dev/provenance/v1', bundle: { fixture: `${att[1]}@${att[2]}` } }] });
    if (path === '/-/npm/v1/keys') return send(res, 200, { keys: [{ keyid: 'fixture-key', key: 'AAAA' }] });
    const tgz = /^\/((?:@[^/]+\/)?[^/@]+)\/-\/(.+\.tgz)$/.exec(decodeURIComponent(path));
    if (tgz) {
      const p = this.packages.get(tgz[1]);
      const s = p && [...p.versions.values()].find((x) => (x.manifest.dist as { tarball: string }).tarball.endsWith(`/-/${tgz[2]}`));
      if (!s) return send(res, 404, { error: 'not found' });
      let body = s.tarball;
      if (this.mode === 'corrupt') {
        body = Buffer.from(body);
        body[body.length - 20] ^= 0xff;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
      return;
    }
    const name = decodeURIComponent(path.slice(1));
    const p = this.packages.get(name);
    if (!p) return send(res, 404, { error: 'not found' });
    const abbreviated = (req.headers.accept ?? '').includes('application/vnd.npm.install-v1+json');
    const body = JSON.stringify(this.packument(p, abbreviated));
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag });
      res.end();
      return;
    }
    res.writeHead(200, {
      'content-type': abbreviated ? 'application/vnd.npm.install-v1+json' : 'application/json',
      etag,
      'last-modified': new Date(p.modified).toUTCString(),
    });
    res.end(body);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function makeTarball(pkgJson: Record<string, unknown>): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  const entries: [string, string][] = [
    ['package/package.json', JSON.stringify(pkgJson, null, 2)],
    ['package/index.js', `module.exports = ${JSON.stringify(`${String(pkgJson.name)}@${String(pkgJson.version)}`)};\n`],
  ];
  for (const [name, content] of entries) pack.entry({ name, mtime: new Date(0) }, content);
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}
