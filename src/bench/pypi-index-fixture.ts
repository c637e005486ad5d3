// A fixture PyPI index on 127.0.0.1, standing in for the public index behind an external
// connection, for the proxy tests and the proxy-pypi benchmark: generated projects (installable
// wheels and sdists with a dependency tree) or real distribution files added as they are, served
// as PEP 691 JSON (absolute file URLs) or PEP 503 HTML (relative URLs) by Accept, with PEP 658
// `.metadata` files, PEP 700 size and upload-time, PEP 592 yanks, PEP 740 provenance and ETags.
// It can go down, stall, and serve corrupted file bytes; it counts every request.
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { FixtureServer } from './fixture-server.js';
import { gzipSync } from 'node:zlib';
import { makeZip } from './zip.js';
import tarStream from 'tar-stream';
import yauzl from 'yauzl';

export type PypiFixtureMode = 'up' | 'down' | 'stall' | 'corrupt';

export interface FixtureRelease {
  version: string;
  /** Requires-Dist lines, e.g. 'ext-beta>=1.0' */
  dependencies?: string[];
  requiresPython?: string;
  /** true or a reason: the release's files are yanked */
  yanked?: string | true;
  /** ISO upload time (default: now) */
  uploadTime?: string;
  /** which files to make (default both) */
  wheel?: boolean;
  sdist?: boolean;
  /** serve the wheel's `.metadata` (default true) */
  metadata?: boolean;
  /** a PEP 740 provenance for each file */
  provenance?: boolean;
}

export interface FixtureFile {
  filename: string;
  bytes: Buffer;
  sha256: string;
  /** the wheel's METADATA, served at `{file}.metadata` when set */
  metadata: Buffer | null;
  requiresPython: string | null;
  yanked: string | true | null;
  uploadTime: string;
  provenance: boolean;
}

interface FixtureProject {
  /** the name as published (the page shows the normalized one) */
  name: string;
  files: Map<string, FixtureFile>;
  rev: number;
}

export const normalizeName = (name: string) => name.replace(/[-_.]+/g, '-').toLowerCase();

export class PypiIndexFixture extends FixtureServer {
  readonly projects = new Map<string, FixtureProject>();
  /** requests seen, by "METHOD path" */
  readonly hits = new Map<string, number>();
  notFound = 0;
  mode: PypiFixtureMode = 'up';
  /** projects (normalized) served only as HTML, whatever the client accepts */
  readonly htmlOnly = new Set<string>();
  /** a second port the pages point files at (another origin, as a public index serves its files from another host); 0 = none */
  filesPort = 0;
  /** the Authorization header of every request, and whether it came to the files port */
  readonly authorizations: { files: boolean; authorization: string | undefined }[] = [];

  /** Where the pages say files are: the files port's origin once serveFilesElsewhere() ran. */
  get filesUrl(): string {
    return this.filesPort ? `http://127.0.0.1:${this.filesPort}` : this.url;
  }

  /** Serves files from a second port too, and points the pages' file URLs there (absolute in HTML as well). */
  async serveFilesElsewhere(): Promise<void> {
    this.filesPort = await this.listen(0);
  }

  /** The simple index URL (what pip's --index-url and HOARD_EXTERNAL_PYPI_URL take). */
  get indexUrl(): string {
    return `${this.url}/simple/`;
  }

  count(path: string, method = 'GET'): number {
    return this.hits.get(`${method} ${path}`) ?? 0;
  }

  /** Requests whose path starts with `prefix` (e.g. '/files/'). */
  countPrefix(prefix: string): number {
    let n = 0;
    for (const [k, v] of this.hits) if (k.split(' ')[1].startsWith(prefix)) n += v;
    return n;
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

  file(filename: string): FixtureFile {
    for (const p of this.projects.values()) {
      const f = p.files.get(filename);
      if (f) return f;
    }
    throw new Error(`fixture: no file ${filename}`);
  }

  /** Adds releases of a project, each with a generated wheel and sdist (installable by pip). */
  async add(name: string, releases: FixtureRelease[]): Promise<void> {
    for (const r of releases) {
      const metadata = Buffer.from(metadataText(name, r));
      const base = `${name.replace(/[-_.]+/g, '_').toLowerCase()}-${r.version}`;
      const common = {
        requiresPython: r.requiresPython ?? null,
        yanked: r.yanked ?? null,
        uploadTime: r.uploadTime ?? new Date().toISOString(),
        provenance: r.provenance ?? false,
      };
      if (r.wheel !== false)
        this.put(name, { filename: `${base}-py3-none-any.whl`, bytes: makeWheel(name, r.version, metadata), metadata: r.metadata === false ? null : metadata, ...common });
      if (r.sdist !== false) this.put(name, { filename: `${base}.tar.gz`, bytes: await makeSdist(base, metadata), metadata: null, ...common });
    }
  }

  /** Adds a real distribution file as it is; a wheel's METADATA is read out of it and served as `.metadata`. */
  async addFile(project: string, filename: string, bytes: Buffer, opts: { requiresPython?: string; uploadTime?: string } = {}): Promise<void> {
    const metadata = filename.endsWith('.whl') ? await wheelMetadata(bytes) : null;
    const requiresPython = opts.requiresPython ?? (metadata ? header(metadata.toString('utf8'), 'Requires-Python') : null);
    this.put(project, { filename, bytes, metadata, requiresPython, yanked: null, uploadTime: opts.uploadTime ?? new Date().toISOString(), provenance: false });
  }

  private put(name: string, f: Omit<FixtureFile, 'sha256'>): void {
    const key = normalizeName(name);
    let p = this.projects.get(key);
    if (!p) {
      p = { name, files: new Map(), rev: 0 };
      this.projects.set(key, p);
    }
    p.files.set(f.filename, { ...f, sha256: sha256(f.bytes) });
    p.rev++;
  }

  /** The PEP 691 page (absolute file URLs, as the public index has them on another host). */
  jsonPage(project: string): string {
    const p = this.projects.get(project)!;
    const files = [...p.files.values()].map((f) => {
      const o: Record<string, unknown> = {
        filename: f.filename,
        url: `${this.filesUrl}/files/${project}/${encodeURIComponent(f.filename)}`,
        hashes: { sha256: f.sha256 },
        'requires-python': f.requiresPython,
        size: f.bytes.length,
        'upload-time': f.uploadTime,
        yanked: f.yanked === null ? false : f.yanked,
      };
      if (f.metadata) o['core-metadata'] = o['dist-info-metadata'] = { sha256: sha256(f.metadata) };
      o.provenance = f.provenance ? `${this.filesUrl}/files/${project}/${encodeURIComponent(f.filename)}.provenance` : null;
      return o;
    });
    const versions = [...new Set([...p.files.keys()].map((f) => versionOf(f)))];
    return JSON.stringify({ meta: { 'api-version': '1.3', '_last-serial': p.rev }, name: project, versions, files });
  }

  /** The PEP 503 page (relative file URLs, HTML-escaped attributes). */
  htmlPage(project: string): string {
    const p = this.projects.get(project)!;
    const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    const files = this.filesPort ? `${this.filesUrl}/files` : '../../files';
    const links = [...p.files.values()].map((f) => {
      let a = `<a href="${files}/${project}/${encodeURIComponent(f.filename)}#sha256=${f.sha256}"`;
      if (f.requiresPython) a += ` data-requires-python="${esc(f.requiresPython)}"`;
      if (f.metadata) a += ` data-dist-info-metadata="sha256=${sha256(f.metadata)}" data-core-metadata="sha256=${sha256(f.metadata)}"`;
      if (f.yanked !== null) a += f.yanked === true ? ' data-yanked' : ` data-yanked="${esc(f.yanked)}"`;
      if (f.provenance) a += ` data-provenance="${files}/${project}/${encodeURIComponent(f.filename)}.provenance"`;
      return `    ${a}>${esc(f.filename)}</a><br/>\n`;
    });
    return (
      '<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" content="1.3">\n' +
      `    <title>Links for ${project}</title>\n  </head>\n  <body>\n    <h1>Links for ${project}</h1>\n${links.join('')}  </body>\n</html>\n`
    );
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const key = `${req.method} ${path}`;
    this.hits.set(key, (this.hits.get(key) ?? 0) + 1);
    this.authorizations.push({ files: this.filesPort !== 0 && req.socket.localPort === this.filesPort, authorization: req.headers.authorization });
    if (this.mode === 'stall') return; // never answers; the socket stays open until stop()
    if (this.mode === 'down') {
      req.socket.destroy();
      return;
    }
    if (path === '/simple/') {
      const names = [...this.projects.keys()].sort();
      return this.sendPage(req, res, 'text/html', `<!DOCTYPE html>\n<html><body>\n${names.map((n) => `<a href="${n}/">${n}</a>`).join('\n')}\n</body></html>\n`);
    }
    const page = path.startsWith('/simple/') ? path.slice(8) : null;
    if (page !== null) {
      const name = decodeURIComponent(page.replace(/\/$/, ''));
      const p = this.projects.get(name);
      if (!p) return this.missing(res);
      if (normalizeName(name) !== name || !page.endsWith('/')) {
        res.writeHead(301, { location: `/simple/${normalizeName(name)}/` });
        res.end();
        return;
      }
      const json = !this.htmlOnly.has(name) && (req.headers.accept ?? '').includes('application/vnd.pypi.simple.v1+json');
      return json
        ? this.sendPage(req, res, 'application/vnd.pypi.simple.v1+json', this.jsonPage(name))
        : this.sendPage(req, res, 'text/html', this.htmlPage(name));
    }
    const file = path.startsWith('/files/') ? path.slice(7).split('/') : null;
    if (file && file.length === 2) {
      const p = this.projects.get(file[0]);
      let filename = decodeURIComponent(file[1]);
      const kind = filename.endsWith('.metadata') ? 'metadata' : filename.endsWith('.provenance') ? 'provenance' : 'file';
      if (kind !== 'file') filename = filename.slice(0, filename.lastIndexOf('.'));
      const f = p?.files.get(filename);
      if (!f || (kind === 'metadata' && !f.metadata) || (kind === 'provenance' && !f.provenance)) return this.missing(res);
      if (kind === 'provenance') {
        res.writeHead(200, { 'content-type': 'application/vnd.pypi.integrity.v1+json' });
        res.end(JSON.stringify({ version: 1, attestation_bundles: [{ publisher: { kind: 'fixture' }, attestations: [{ file: filename }] }] }));
        return;
      }
      let body = kind === 'metadata' ? f.metadata! : f.bytes;
      if (this.mode === 'corrupt') {
        body = Buffer.from(body);
        body[Math.max(0, body.length - 30)] ^= 0xff;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
      return;
    }
    this.missing(res);
  }

  private sendPage(req: http.IncomingMessage, res: http.ServerResponse, type: string, body: string): void {
    const etag = `"${createHash('md5').update(type).update(body).digest('hex')}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag, vary: 'Accept' });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': type, etag, vary: 'Accept' });
    res.end(body);
  }

  private missing(res: http.ServerResponse): void {
    this.notFound++;
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('404 Not Found\n');
  }
}

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** The version part of a distribution file name (wheel, or `{name}-{version}.tar.gz`). */
function versionOf(filename: string): string {
  if (filename.endsWith('.whl')) return filename.split('-')[1];
  const base = filename.replace(/\.(tar\.gz|zip)$/, '');
  return base.slice(base.lastIndexOf('-') + 1);
}

function header(text: string, name: string): string | null {
  for (const line of text.split('\n')) {
    if (line === '' || line === '\r') break;
    if (line.toLowerCase().startsWith(`${name.toLowerCase()}:`)) return line.slice(name.length + 1).trim();
  }
  return null;
}

function metadataText(name: string, r: FixtureRelease): string {
  const lines = ['Metadata-Version: 2.1', `Name: ${name}`, `Version: ${r.version}`, `Summary: ${name} from the fixture index`, 'License: MIT'];
  if (r.requiresPython) lines.push(`Requires-Python: ${r.requiresPython}`);
  for (const d of r.dependencies ?? []) lines.push(`Requires-Dist: ${d}`);
  return `${lines.join('\n')}\n\n# ${name}\n`;
}

const recordHash = (b: Buffer) => `sha256=${createHash('sha256').update(b).digest('base64url')}`;

/** A pure-Python wheel pip installs: a module, METADATA, WHEEL and a RECORD. */
function makeWheel(name: string, version: string, metadata: Buffer): Buffer {
  const mod = name.replace(/[-_.]+/g, '_').toLowerCase();
  const info = `${mod}-${version}.dist-info`;
  const files: [string, Buffer][] = [
    [`${mod}/__init__.py`, Buffer.from(`NAME = ${JSON.stringify(name)}\nVERSION = ${JSON.stringify(version)}\n`)],
    [`${info}/METADATA`, metadata],
    [`${info}/WHEEL`, Buffer.from('Wheel-Version: 1.0\nGenerator: hoard-fixture\nRoot-Is-Purelib: true\nTag: py3-none-any\n')],
  ];
  const record = `${files.map(([n, d]) => `${n},${recordHash(d)},${d.length}`).join('\n')}\n${info}/RECORD,,\n`;
  files.push([`${info}/RECORD`, Buffer.from(record)]);
  return makeZip(files.map(([name, data]) => ({ name, data })));
}

async function makeSdist(base: string, metadata: Buffer): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  pack.entry({ name: `${base}/PKG-INFO`, mtime: new Date(0) }, metadata);
  pack.entry({ name: `${base}/setup.py`, mtime: new Date(0) }, 'from setuptools import setup\nsetup()\n');
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

/** A wheel's `*.dist-info/METADATA`, read with yauzl. */
async function wheelMetadata(bytes: Buffer): Promise<Buffer | null> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(bytes, { lazyEntries: true }, (e, z) => (e ? reject(e) : resolve(z!))),
  );
  return new Promise((resolve, reject) => {
    zip.on('entry', (e: yauzl.Entry) => {
      const parts = e.fileName.split('/');
      if (parts.length !== 2 || !parts[0].endsWith('.dist-info') || parts[1] !== 'METADATA') return zip.readEntry();
      zip.openReadStream(e, (err, s) => {
        if (err || !s) return reject(err ?? new Error('no stream'));
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('end', () => {
          zip.close();
          resolve(Buffer.concat(chunks));
        });
        s.on('error', reject);
      });
    });
    zip.on('end', () => resolve(null));
    zip.on('error', reject);
    zip.readEntry();
  });
}
