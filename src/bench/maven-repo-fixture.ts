// A fixture Maven repository on 127.0.0.1, standing in for a public one (Maven Central, Google's,
// Clojars...) behind an external connection, for the Maven proxy tests and the proxy-maven
// benchmark: generated artifacts (pom, jar, optional sources, Gradle .module and .asc) or real
// files added by path, or a whole local repository served from disk as it is; checksum files
// (.sha1 and .md5 by default, any set per path) computed from the true bytes; artifact-level
// maven-metadata.xml with an ETag. It can go down, stall, answer 500, and serve corrupted file
// bytes (the checksum files still describe the true ones); it counts every request.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type http from 'node:http';
import { FixtureServer } from './fixture-server.js';
import path from 'node:path';
import { makeZip } from './zip.js';

export type MavenFixtureMode = 'up' | 'down' | 'stall' | 'error500' | 'corrupt';

export interface FixtureArtifact {
  groupId: string;
  artifactId: string;
  version: string;
  /** g:a:v of compile dependencies */
  dependencies?: string[];
  packaging?: 'jar' | 'pom';
  /** g:a:v of the parent pom */
  parent?: string;
  /** the jar's extra entries (class files...); a jar with only a manifest otherwise */
  jarEntries?: Record<string, Buffer>;
  sources?: boolean;
  /** a Gradle module metadata file (.module) beside the pom */
  module?: boolean;
  /** detached signatures (.asc) of the pom and jar, with no checksum files of their own */
  asc?: boolean;
}

const CHECKSUM = /\.(md5|sha1|sha256|sha512)$/;

export class MavenRepoFixture extends FixtureServer {
  /** files by path below the root (no leading slash) */
  readonly files = new Map<string, Buffer>();
  /** local repositories served from disk for paths not in `files` */
  readonly directories: string[] = [];
  /** requests seen, by "METHOD path" */
  readonly hits = new Map<string, number>();
  /** requests answered 404 */
  notFound = 0;
  mode: MavenFixtureMode = 'up';
  /** delay added to every answer, in ms */
  delayMs = 0;
  /** the checksum files published for a path (default .sha1 and .md5; .asc files get none) */
  checksumsFor: (path: string) => string[] = (p) => (p.endsWith('.asc') ? [] : ['sha1', 'md5']);
  /** a status forced for a path (401, 403, 410, 500...) */
  readonly statusFor = new Map<string, number>();

  count(p: string, method = 'GET'): number {
    return this.hits.get(`${method} /${p.replace(/^\//, '')}`) ?? 0;
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

  addFile(p: string, bytes: Buffer): void {
    this.files.set(p.replace(/^\//, ''), bytes);
  }

  /** Serves a local repository (e.g. ~/.m2/repository) from disk, read on each request. */
  addDirectory(dir: string): void {
    this.directories.push(dir);
  }

  /** Adds a generated artifact: pom, jar (unless packaging pom), and the extras asked for. */
  addArtifact(a: FixtureArtifact): void {
    const dir = `${a.groupId.replace(/\./g, '/')}/${a.artifactId}/${a.version}`;
    const base = `${dir}/${a.artifactId}-${a.version}`;
    const packaging = a.packaging ?? 'jar';
    const dep = (c: string) => {
      const [g, ar, v] = c.split(':');
      return `<dependency><groupId>${g}</groupId><artifactId>${ar}</artifactId><version>${v}</version></dependency>`;
    };
    const parent = a.parent?.split(':');
    const pom = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  ${parent ? `<parent><groupId>${parent[0]}</groupId><artifactId>${parent[1]}</artifactId><version>${parent[2]}</version></parent>` : ''}
  <groupId>${a.groupId}</groupId><artifactId>${a.artifactId}</artifactId><version>${a.version}</version>
  <packaging>${packaging}</packaging>
  <description>${a.artifactId} fixture</description>
  ${a.dependencies?.length ? `<dependencies>${a.dependencies.map(dep).join('')}</dependencies>` : ''}
</project>
`;
    this.addFile(`${base}.pom`, Buffer.from(pom));
    if (packaging === 'jar') {
      const jar = makeJar({ 'META-INF/MANIFEST.MF': Buffer.from('Manifest-Version: 1.0\r\nCreated-By: hoard fixture\r\n\r\n'), ...(a.jarEntries ?? {}) });
      this.addFile(`${base}.jar`, jar);
      if (a.sources) this.addFile(`${base}-sources.jar`, makeJar({ 'README.txt': Buffer.from(`${a.artifactId} sources\n`) }));
      if (a.module) {
        const jarFile = this.files.get(`${base}.jar`)!;
        const module = {
          formatVersion: '1.1',
          component: { group: a.groupId, module: a.artifactId, version: a.version },
          variants: [
            {
              name: 'apiElements',
              attributes: { 'org.gradle.category': 'library', 'org.gradle.usage': 'java-api' },
              files: [{ name: `${a.artifactId}-${a.version}.jar`, url: `${a.artifactId}-${a.version}.jar`, size: jarFile.length, sha1: hex('sha1', jarFile) }],
            },
          ],
        };
        this.addFile(`${base}.module`, Buffer.from(JSON.stringify(module, null, 2)));
      }
    }
    if (a.asc) {
      for (const ext of packaging === 'jar' ? ['pom', 'jar'] : ['pom'])
        this.addFile(`${base}.${ext}.asc`, Buffer.from(`-----BEGIN PGP SIGNATURE-----\n\nfixture ${a.artifactId} ${ext}\n-----END PGP SIGNATURE-----\n`));
    }
  }

  /** The true bytes at a path (from `files` or a served directory), or null. */
  bytesOf(p: string): Buffer | null {
    const mem = this.files.get(p);
    if (mem) return mem;
    for (const d of this.directories) {
      const full = path.join(d, p);
      if (!full.startsWith(d + path.sep) || /(^|\/)(_remote\.repositories|resolver-status\.properties)$|\.lastUpdated$|maven-metadata-[^/]*\.xml$/.test(p)) continue;
      if (existsSync(full) && statSync(full).isFile()) return readFileSync(full);
    }
    return null;
  }

  /** Release versions of `dir` (g/a), from the files added and the directories served. */
  versionsOf(dir: string): string[] {
    const set = new Set<string>();
    const prefix = `${dir}/`;
    for (const p of this.files.keys()) {
      if (!p.startsWith(prefix) || !p.endsWith('.pom')) continue;
      const rest = p.slice(prefix.length).split('/');
      if (rest.length === 2) set.add(rest[0]);
    }
    const artifactId = dir.split('/').pop()!;
    for (const d of this.directories) {
      const full = path.join(d, dir);
      if (!full.startsWith(d + path.sep) || !existsSync(full)) continue;
      for (const v of readdirSync(full)) if (existsSync(path.join(full, v, `${artifactId}-${v}.pom`))) set.add(v);
    }
    return [...set].sort(compareLoosely);
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const urlPath = (req.url ?? '/').split('?')[0];
    const key = `${req.method} ${urlPath}`;
    this.hits.set(key, (this.hits.get(key) ?? 0) + 1);
    if (this.mode === 'stall') return; // never answers; the socket stays open until stop()
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.mode === 'down') {
      req.socket.destroy();
      return;
    }
    if (this.mode === 'error500') return text(res, 500, 'fixture failure\n');
    let p: string;
    try {
      p = decodeURIComponent(urlPath.slice(1));
    } catch {
      return this.missing(res);
    }
    const forced = this.statusFor.get(p);
    if (forced) return text(res, forced, `status ${forced}\n`);
    const head = req.method === 'HEAD';
    const sum = CHECKSUM.exec(p);
    if (sum) {
      const target = p.slice(0, -sum[0].length);
      const bytes = target.endsWith('maven-metadata.xml') ? this.metadata(target) : this.bytesOf(target);
      if (!bytes || (!target.endsWith('maven-metadata.xml') && !this.checksumsFor(target).includes(sum[1]))) return this.missing(res);
      return send(res, 200, 'text/plain', Buffer.from(hex(sum[1], bytes)), head);
    }
    if (p.endsWith('/maven-metadata.xml')) {
      const body = this.metadata(p);
      if (!body) return this.missing(res);
      const etag = `"${hex('md5', body)}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag });
        res.end();
        return;
      }
      return send(res, 200, 'text/xml', body, head, { etag });
    }
    let bytes = this.bytesOf(p);
    if (!bytes) return this.missing(res);
    if (this.mode === 'corrupt') {
      bytes = Buffer.from(bytes);
      bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    }
    send(res, 200, 'application/octet-stream', bytes, head);
  }

  private metadata(p: string): Buffer | null {
    const dir = p.slice(0, -'/maven-metadata.xml'.length);
    const versions = this.versionsOf(dir);
    if (versions.length === 0) return null;
    const parts = dir.split('/');
    const artifactId = parts.pop()!;
    const release = versions.filter((v) => !v.endsWith('-SNAPSHOT')).pop();
    return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<metadata>
  <groupId>${parts.join('.')}</groupId>
  <artifactId>${artifactId}</artifactId>
  <versioning>
    <latest>${versions[versions.length - 1]}</latest>
    ${release ? `<release>${release}</release>` : ''}
    <versions>
${versions.map((v) => `      <version>${v}</version>`).join('\n')}
    </versions>
    <lastUpdated>20240102030405</lastUpdated>
  </versioning>
</metadata>
`);
  }

  private missing(res: http.ServerResponse): void {
    this.notFound++;
    text(res, 404, 'not found\n');
  }
}

function hex(algo: string, data: Buffer): string {
  return createHash(algo).update(data).digest('hex');
}

/** Numeric-aware order, close enough to Maven's for fixture versions. */
function compareLoosely(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

function send(res: http.ServerResponse, status: number, type: string, body: Buffer, head: boolean, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': body.length, ...headers });
  res.end(head ? undefined : body);
}

function text(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(body);
}

/** A jar: a zip of stored (uncompressed) entries. */
export function makeJar(entries: Record<string, Buffer>): Buffer {
  return makeZip(Object.entries(entries).map(([name, data]) => ({ name, data, stored: true })));
}
