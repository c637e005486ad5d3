// Hand-made distributions for the PyPI tests: minimal wheels and sdists, and the bad ones a build
// tool would never write (zip bombs, lying sizes, `../` members), plus the legacy upload form.
import { createHash } from 'node:crypto';
import { constants, deflateRawSync, gzipSync } from 'node:zlib';

import { makeZip, type ZipEntry } from '../../src/bench/zip.js';

export { makeZip, type ZipEntry };

/**
 * A raw deflate stream that inflates to `bytes` zeros (a multiple of 1 MiB), about 1000 times
 * smaller: one fully flushed block of 1 MiB zeros is self-contained, so it can be repeated.
 */
export function zerosDeflated(bytes: number): Buffer {
  const MiB = 1024 * 1024;
  const block = deflateRawSync(Buffer.alloc(MiB), { finishFlush: constants.Z_FULL_FLUSH });
  const n = Math.ceil(bytes / MiB);
  return Buffer.concat([...Array.from({ length: n }, () => block), Buffer.from([0x03, 0x00])]);
}

export interface TarEntry {
  name: string;
  data?: Buffer;
  type?: 'file' | 'dir' | 'symlink';
  linkname?: string;
}

/** A gzipped ustar archive. */
export function makeTarGz(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 100, 'utf8');
    h.write(e.type === 'dir' ? '0000755\0' : '0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${(e.type === 'file' || !e.type ? data.length : 0).toString(8).padStart(11, '0')}\0`, 124);
    h.write(`${(1700000000).toString(8).padStart(11, '0')}\0`, 136);
    h.write('        ', 148);
    h.write(e.type === 'dir' ? '5' : e.type === 'symlink' ? '2' : '0', 156);
    if (e.linkname) h.write(e.linkname, 157, 100);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h);
    if (e.type === 'file' || !e.type) {
      blocks.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

export interface MetadataSpec {
  name: string;
  version: string;
  summary?: string;
  requiresPython?: string;
  requiresDist?: string[];
  description?: string;
  extraHeaders?: string[];
}

export function metadataText(m: MetadataSpec): string {
  const lines = ['Metadata-Version: 2.1', `Name: ${m.name}`, `Version: ${m.version}`, `Summary: ${m.summary ?? 'A test project'}`];
  lines.push('Author: Hoard Tests', 'License: MIT', 'Classifier: Programming Language :: Python :: 3');
  if (m.requiresPython) lines.push(`Requires-Python: ${m.requiresPython}`);
  for (const d of m.requiresDist ?? []) lines.push(`Requires-Dist: ${d}`);
  lines.push(...(m.extraHeaders ?? []), 'Description-Content-Type: text/markdown');
  return `${lines.join('\n')}\n\n${m.description ?? `# ${m.name}\n\nThe long description.\n`}`;
}

/** A minimal wheel; `distInfo` overrides the .dist-info directory name. */
export function makeWheel(m: MetadataSpec, opts: { distInfo?: string; extra?: ZipEntry[]; metadata?: Buffer } = {}): { bytes: Buffer; metadata: Buffer } {
  const dir = opts.distInfo ?? `${m.name.replace(/[-.]+/g, '_')}-${m.version}.dist-info`;
  const metadata = opts.metadata ?? Buffer.from(metadataText(m));
  const mod = m.name.replace(/[-.]+/g, '_').toLowerCase();
  const bytes = makeZip([
    { name: `${mod}/__init__.py`, data: Buffer.from(`VERSION = '${m.version}'\n`) },
    { name: `${dir}/METADATA`, data: metadata },
    { name: `${dir}/WHEEL`, data: Buffer.from('Wheel-Version: 1.0\nGenerator: hoard-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n') },
    ...(opts.extra ?? []),
    { name: `${dir}/RECORD`, data: Buffer.from('') },
  ]);
  return { bytes, metadata };
}

/** A minimal sdist (.tar.gz) with `{top}/PKG-INFO`. */
export function makeSdist(m: MetadataSpec, opts: { top?: string; extra?: TarEntry[] } = {}): Buffer {
  const top = opts.top ?? `${m.name.replace(/[-.]+/g, '_')}-${m.version}`;
  return makeTarGz([
    { name: `${top}/`, type: 'dir' },
    { name: `${top}/PKG-INFO`, data: Buffer.from(metadataText(m)) },
    { name: `${top}/setup.py`, data: Buffer.from('from setuptools import setup\nsetup()\n') },
    ...(opts.extra ?? []),
  ]);
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
export const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

/** The multipart form twine sends; `sha256: false` omits the digest, a string overrides it. */
export function uploadForm(
  file: { filename: string; bytes: Buffer },
  f: { name: string; version: string; filetype?: string; pyversion?: string; sha256?: string | false; md5?: string; extra?: [string, string][] },
): FormData {
  const form = new FormData();
  const isWheel = file.filename.endsWith('.whl');
  form.append(':action', 'file_upload');
  form.append('protocol_version', '1');
  form.append('metadata_version', '2.1');
  form.append('name', f.name);
  form.append('version', f.version);
  form.append('filetype', f.filetype ?? (isWheel ? 'bdist_wheel' : 'sdist'));
  form.append('pyversion', f.pyversion ?? (isWheel ? 'py3' : 'source'));
  if (f.sha256 !== false) form.append('sha256_digest', f.sha256 ?? sha256(file.bytes));
  if (f.md5) form.append('md5_digest', f.md5);
  for (const [k, v] of f.extra ?? []) form.append(k, v);
  form.append('content', new Blob([file.bytes]), file.filename);
  return form;
}
