// A fixture npm registry on 127.0.0.1, standing in for the public registry behind an external
// connection, for the proxy tests and the proxy-npm benchmark: generated packages (or real ones
// added from their tarball and manifest) with integrity and shasum, `time`, ETags and 304s,
// abbreviated documents, search, the bulk advisory and attestation endpoints. It can go down,
// stall, answer 500, and serve corrupted tarball bytes; it counts every request.
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { FixtureServer } from './fixture-server.js';
import { gzipSync } from 'node:zlib';
import semver from 'semver';
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

export class NpmUpstreamFixture extends FixtureServer {
  readonly packages = new Map<string, StoredPackage>();
  /** requests seen, by "METHOD path" */
  readonly hits = new Map<string, number>();
  /** requests answered 404 */
  notFound = 0;
  mode: FixtureMode = 'up';
  /** delay added to every answer, in ms */
  delayMs = 0;
  advisories: Record<string, unknown> = {};
  /** when false, -/v1/search answers 404 (an upstream without search) */
  searchable = true;
  /** when set, every request without exactly this Authorization header answers 401 (a private upstream) */
  authorization: string | null = null;

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
    this.notFound = 0;
  }

  /** Adds (or replaces) versions of a package, with a generated tarball each. */
  async add(name: string, versions: FixturePackageVersion[], tags?: Record<string, string>): Promise<void> {
    const now = new Date().toISOString();
    for (const v of versions) {
      const pkgJson = { name, version: v.version, description: `${name} fixture`, dependencies: v.dependencies ?? {}, ...(v.extra ?? {}) };
      const tarball = await makeTarball(pkgJson);
      const extraDist = ((v.extra ?? {}).dist as Record<string, unknown>) ?? {};
      this.put({ ...pkgJson, ...(v.deprecated ? { deprecated: v.deprecated } : {}) }, tarball, v.time ?? now, extraDist);
    }
    if (tags) Object.assign(this.packages.get(name)!.tags, tags);
  }

  /**
   * Adds one version from an existing tarball (a gzipped tar with files under package/) and its
   * manifest (the package.json: dependencies, optional and peer dependencies, bin, os, cpu...).
   * dist.integrity and dist.shasum are computed from the bytes; `latest` is the highest version.
   */
  addTarball(manifest: Record<string, unknown> & { name: string; version: string }, tarball: Buffer, time?: string): void {
    const latest = this.packages.get(manifest.name)?.tags.latest;
    this.put(manifest, tarball, time ?? new Date().toISOString(), {});
    if (latest && semver.gt(latest, manifest.version)) this.packages.get(manifest.name)!.tags.latest = latest;
  }

  private put(pkgJson: Record<string, unknown> & { name: string; version: string }, tarball: Buffer, time: string, extraDist: Record<string, unknown>): void {
    const { name, version } = pkgJson;
    let p = this.packages.get(name);
    if (!p) {
      const now = new Date().toISOString();
      p = { name, versions: new Map(), tags: {}, created: now, modified: now, rev: 0 };
      this.packages.set(name, p);
    }
    const file = `${name.startsWith('@') ? name.split('/')[1] : name}-${version}.tgz`;
    const manifest: Record<string, unknown> = {
      ...pkgJson,
      _id: `${name}@${version}`,
      dist: {
        shasum: createHash('sha1').update(tarball).digest('hex'),
        integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
        tarball: `${this.url}/${name}/-/${file}`,
        ...extraDist,
      },
    };
    p.versions.set(version, { manifest, tarball, time });
    p.tags.latest = version;
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
      versions[v] = abbreviated ? { ...pick(s.manifest, ABBREVIATED_FIELDS), name: p.name, version: v, dist } : { ...s.manifest, dist };
      time[v] = s.time;
    }
    return abbreviated
      ? { name: p.name, modified: p.modified, 'dist-tags': p.tags, versions }
      : { _id: p.name, _rev: `${p.rev}-fixture`, name: p.name, 'dist-tags': p.tags, versions, time, readme: `# ${p.name}\n` };
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
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
    if (this.authorization !== null && req.headers.authorization !== this.authorization) return send(res, 401, { error: 'authentication required' });
    if (req.method === 'POST' && path === '/-/npm/v1/security/advisories/bulk') {
      for await (const _ of req);
      return send(res, 200, this.advisories);
    }
    if (path === '/-/v1/search') {
      if (!this.searchable) return send(res, 404, { error: 'not found' });
      const text = new URL(req.url!, this.url).searchParams.get('text') ?? '';
      const objects = [...this.packages.values()]
        .filter((p) => p.name.includes(text))
        .map((p) => ({ package: { name: p.name, version: p.tags.latest, description: `${p.name} fixture`, date: p.modified }, score: { final: 1 } }));
      return send(res, 200, { objects, total: objects.length, time: new Date().toUTCString() });
    }
    const att = /^\/-\/npm\/v1\/attestations\/(.+)@([^@/]+)$/.exec(decodeURIComponent(path));
    if (att) return send(res, 200, { attestations: [{ predicateType: 'fixture-provenance/v1', bundle: { fixture: `${att[1]}@${att[2]}` } }] });
    if (path === '/-/npm/v1/keys') return send(res, 200, { keys: [{ keyid: 'fixture-key', key: 'AAAA' }] });
    const tgz = /^\/((?:@[^/]+\/)?[^/@]+)\/-\/(.+\.tgz)$/.exec(decodeURIComponent(path));
    if (tgz) {
      const p = this.packages.get(tgz[1]);
      const s = p && [...p.versions.values()].find((x) => (x.manifest.dist as { tarball: string }).tarball.endsWith(`/-/${tgz[2]}`));
      if (!s) return this.missing(res);
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
    if (!p) return this.missing(res);
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

  private missing(res: http.ServerResponse): void {
    this.notFound++;
    send(res, 404, { error: 'not found' });
  }
}

/** The manifest fields the registry keeps in an abbreviated (install) document. */
const ABBREVIATED_FIELDS = [
  'dependencies',
  'optionalDependencies',
  'devDependencies',
  'bundleDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'acceptDependencies',
  'bin',
  'directories',
  'engines',
  'os',
  'cpu',
  'deprecated',
  '_hasShrinkwrap',
  'hasInstallScript',
];

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) r[k] = o[k];
  return r;
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
