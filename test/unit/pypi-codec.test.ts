// The PyPI wire codec on its own: names, file names, versions, core metadata, negotiation, ranges
// and the bounded archive readers.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canonicalVersion, compareVersions, normalize, parseFileName, sameVersion } from '../../src/formats/pypi/names.js';
import { dependencies, parseCoreMetadata, versionMetadata } from '../../src/formats/pypi/metadata.js';
import { escapeHtml, negotiate } from '../../src/formats/pypi/simple.js';
import { parseRange } from '../../src/formats/shared/range.js';
import { ArchiveError, DEFAULT_LIMITS, readTarGzMetadata, readZipMetadata } from '../../src/formats/pypi/archive.js';
import { defaultVersion } from '../../src/formats/pypi/json-api.js';
import { makeTarGz, makeZip } from '../support/pypi-fixtures.js';
import type { FileEntry } from '../../src/formats/pypi/simple.js';

describe('names and versions', () => {
  it('normalizes as PEP 503 says', () => {
    for (const [raw, norm] of [
      ['friendly-bard', 'friendly-bard'],
      ['Friendly-Bard', 'friendly-bard'],
      ['FRIENDLY-BARD', 'friendly-bard'],
      ['friendly.bard', 'friendly-bard'],
      ['friendly_bard', 'friendly-bard'],
      ['friendly--bard', 'friendly-bard'],
      ['FrIeNdLy-._.-bArD', 'friendly-bard'],
    ])
      expect(normalize(raw)).toBe(norm);
  });

  it('parses wheel, PEP 625 sdist and legacy sdist names', () => {
    expect(parseFileName('my_pkg-1.0-py3-none-any.whl')).toMatchObject({ kind: 'wheel', name: 'my_pkg', version: '1.0', pythonTag: 'py3' });
    expect(parseFileName('My.Pkg-1.0-1-cp311-cp311-manylinux_2_28_x86_64.whl')).toMatchObject({ name: 'My.Pkg', version: '1.0' });
    expect(parseFileName('pkg-2.0-py2.py3-none-any.whl')).toMatchObject({ pythonTag: 'py2.py3' });
    expect(parseFileName('my_pkg-1.0.tar.gz')).toMatchObject({ kind: 'sdist', name: 'my_pkg', version: '1.0', extension: '.tar.gz' });
    expect(parseFileName('my-pkg-1.0.tar.gz')).toMatchObject({ name: 'my-pkg', version: '1.0' });
    expect(parseFileName('my-pkg-1.0-1.tar.gz', 'my-pkg')).toMatchObject({ name: 'my-pkg', version: '1.0-1' });
    expect(parseFileName('Foo-Bar-2.0.zip', 'foo.bar')).toMatchObject({ name: 'Foo-Bar', version: '2.0', extension: '.zip' });
    for (const bad of ['pkg.whl', 'pkg-1.0-py3-none.whl', 'pkg-1.0-x-py3-none-any.whl', 'pkg-1.0.exe', 'pkg.tar.gz', '../pkg-1.0.tar.gz', 'pkg-one.tar.gz'])
      expect(() => parseFileName(bad), bad).toThrow();
  });

  it('compares PEP 440 versions', () => {
    expect(canonicalVersion('1.0.0-RC1')).toBe('1.0.0rc1');
    expect(canonicalVersion('not a version')).toBeNull();
    expect(sameVersion('1.0', '1.0.0')).toBe(true);
    expect(sameVersion('1.0-1', '1.0.post1')).toBe(true);
    expect(['1.10', '1.2', '1.0rc1', '1.0'].sort(compareVersions)).toEqual(['1.0rc1', '1.0', '1.2', '1.10']);
  });

  it('picks info.version as Warehouse does', () => {
    const e = (version: string, yanked: string | null = null) => ({ version, yanked }) as FileEntry;
    expect(defaultVersion([e('1.0'), e('2.0rc1'), e('1.5')])).toBe('1.5');
    expect(defaultVersion([e('1.0'), e('2.0', 'bad')])).toBe('1.0');
    expect(defaultVersion([e('2.0rc1')])).toBe('2.0rc1');
  });
});

describe('core metadata', () => {
  const text = [
    'Metadata-Version: 2.1',
    'Name: Acme.Widget',
    'Version: 1.0',
    'Summary: Widgets',
    'Requires-Python: >=3.9',
    'Requires-Dist: requests (>=2.0) ; python_version < "3.12"',
    'Requires-Dist: attrs',
    'Project-URL: Source, https://example.invalid/src',
    'License: MIT',
    '  with a continued line',
    '',
    'The *long* description.',
    '',
  ].join('\n');

  it('reads headers, continuations and the body', () => {
    const m = parseCoreMetadata(Buffer.from(text), 'METADATA');
    expect([m.name, m.version, m.metadataVersion]).toEqual(['Acme.Widget', '1.0', '2.1']);
    expect(m.fields.get('requires-dist')).toHaveLength(2);
    expect(m.fields.get('license')).toEqual(['MIT\n  with a continued line']);
    expect(m.description).toBe('The *long* description.\n');
    expect(dependencies(m)).toEqual([
      { package: 'requests', dependencyType: 'Requires-Dist', versionRequirement: '>=2.0; python_version < "3.12"' },
      { package: 'attrs', dependencyType: 'Requires-Dist', versionRequirement: '' },
    ]);
    expect(versionMetadata(m)).toMatchObject({ summary: 'Widgets', sourceCodeRepository: 'https://example.invalid/src', licenses: [{ name: 'MIT' }] });
  });

  it('reads an old-style folded Description header', () => {
    const m = parseCoreMetadata(Buffer.from('Metadata-Version: 1.1\nName: old\nVersion: 0.1\nDescription: First line\n        second line\n'), 'PKG-INFO');
    expect(m.description).toBe('First line\nsecond line');
  });

  it('refuses what is not core metadata', () => {
    expect(() => parseCoreMetadata(Buffer.from('Name: x\nVersion: 1\n'), 'M')).toThrow(/no Metadata-Version/);
    expect(() => parseCoreMetadata(Buffer.from('Metadata-Version: 3.0\nName: x\nVersion: 1\n'), 'M')).toThrow(/unsupported Metadata-Version/);
    expect(() => parseCoreMetadata(Buffer.from('Metadata-Version: 2.1\nName: -bad-\nVersion: 1\n'), 'M')).toThrow(/not a valid project name/);
    expect(() => parseCoreMetadata(Buffer.from('Metadata-Version: 2.1\nthis is no header\n'), 'M')).toThrow(/not a 'Field: value' header/);
  });
});

describe('core metadata from an attacker (linear time)', () => {
  // The backtracking patterns this code once used took seconds on these inputs (`/\n+$/` over the
  // body is quadratic, the Requires-Dist pattern cubic) and hours on 1 MB; linear code takes
  // milliseconds. The bound is generous: far above linear, far below what backtracking takes.
  const head = 'Metadata-Version: 2.1\nName: a\nVersion: 1\n';
  const BOUND_MS = 2_000;
  const timed = <T>(fn: () => T): { value: T; ms: number } => {
    const start = performance.now();
    const value = fn();
    return { value, ms: performance.now() - start };
  };

  it('reads a body of many newlines then x', () => {
    const n = 150_000;
    const r = timed(() => parseCoreMetadata(Buffer.from(`${head}\n${'\n'.repeat(n)}x`), 'METADATA'));
    expect(r.value.description).toBe(`${'\n'.repeat(n)}x`);
    expect(r.ms).toBeLessThan(BOUND_MS);
  });

  it('keeps one trailing newline of a body ending in many of them', () => {
    const r = timed(() => parseCoreMetadata(Buffer.from(`${head}\nx${'\n'.repeat(1_000_000)}`), 'METADATA'));
    expect(r.value.description).toBe('x\n');
    expect(r.ms).toBeLessThan(BOUND_MS);
    expect(parseCoreMetadata(Buffer.from(`${head}\nx`), 'METADATA').description).toBe('x');
  });

  it('skips a Requires-Dist whose whitespace run ends in a line break', () => {
    const spaces = ' '.repeat(3_000);
    const m = parseCoreMetadata(
      Buffer.from(`${head}Requires-Dist: a\n${spaces}x\n y\nRequires-Dist: b[]\n${spaces}x\n z\nRequires-Dist: c${spaces}(>=1)\n`),
      'METADATA',
    );
    const r = timed(() => dependencies(m));
    expect(r.value).toEqual([{ package: 'c', dependencyType: 'Requires-Dist', versionRequirement: '>=1' }]);
    expect(r.ms).toBeLessThan(BOUND_MS);
  });

  it('reads Requires-Dist as the specification writes it', () => {
    const m = parseCoreMetadata(
      Buffer.from(
        `${head}Requires-Dist: pkg[a,b] (>=1,<2); extra == "x"\nRequires-Dist:   other  >=2\nRequires-Dist: [bad]\nRequires-Dist: half[open >=1\nRequires-Python: >=3.9\n`,
      ),
      'METADATA',
    );
    expect(dependencies(m)).toEqual([
      { package: 'pkg', dependencyType: 'Requires-Dist', versionRequirement: '[a,b]>=1,<2; extra == "x"' },
      { package: 'other', dependencyType: 'Requires-Dist', versionRequirement: '>=2' },
      { package: 'half', dependencyType: 'Requires-Dist', versionRequirement: '[open >=1' },
    ]);
  });
});

describe('HTTP details', () => {
  it('escapes HTML as PEP 503 requires for data-requires-python', () => {
    expect(escapeHtml('>=3.8,<4,!=3.9.*')).toBe('&gt;=3.8,&lt;4,!=3.9.*');
    expect(escapeHtml(`"'&`)).toBe('&quot;&#39;&amp;');
  });

  it('negotiates PEP 691 content types', () => {
    expect(negotiate('application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01')).toBe('json');
    expect(negotiate(undefined)).toBe('html');
    expect(negotiate('*/*')).toBe('html');
    expect(negotiate('application/*')).toBe('json');
    expect(negotiate('text/*')).toBe('html');
    expect(negotiate('application/vnd.pypi.simple.v1+json;q=0, text/html')).toBe('html');
    expect(negotiate('application/json')).toBeNull();
    expect(negotiate('text/html', 'application/vnd.pypi.simple.v1+json')).toBe('json');
  });

  it('parses single byte ranges', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-500', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=50-5000', 100)).toEqual({ start: 50, end: 99 });
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1,5-6', 100)).toBeNull();
    expect(parseRange('items=0-1', 100)).toBeNull();
  });
});

describe('bounded archive reading', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hoard-pypi-unit-'));
  const file = (name: string, bytes: Buffer) => {
    const p = path.join(dir, name);
    writeFileSync(p, bytes);
    return { p, size: bytes.length };
  };
  const limits = { ...DEFAULT_LIMITS, maxMembers: 10, ratioFloorBytes: 1024 * 1024 };

  it('refuses absurd member counts', async () => {
    const z = file('many.whl', makeZip(Array.from({ length: 11 }, (_, i) => ({ name: `m${i}`, data: Buffer.from('x') }))));
    await expect(readZipMetadata(z.p, 'many.whl', z.size, (n) => n[0], limits)).rejects.toThrow(/has 11 members; at most 10/);
    const t = file('many.tar.gz', makeTarGz(Array.from({ length: 11 }, (_, i) => ({ name: `p/m${i}`, data: Buffer.from('x') }))));
    await expect(readTarGzMetadata(t.p, 'many.tar.gz', t.size, () => false, limits)).rejects.toThrow(/more than 10 members/);
  });

  it('refuses a gzip bomb while inflating', async () => {
    const t = file('bomb.tar.gz', makeTarGz([{ name: 'p/PKG-INFO', data: Buffer.from('x') }, { name: 'p/zeros', data: Buffer.alloc(8 * 1024 * 1024) }]));
    const err = await readTarGzMetadata(t.p, 'bomb.tar.gz', t.size, (n) => n === 'p/PKG-INFO', limits).catch((e) => e);
    expect(err).toBeInstanceOf(ArchiveError);
    expect(err.message).toMatch(/looks like a gzip bomb/);
  });

  it('refuses duplicate zip members', async () => {
    const z = file('dup.whl', makeZip([{ name: 'a', data: Buffer.from('1') }, { name: 'a', data: Buffer.from('2') }]));
    await expect(readZipMetadata(z.p, 'dup.whl', z.size, (n) => n[0])).rejects.toThrow(/member 'a' twice/);
  });
});
