// The npm codec and name rules without a server: path splitting for every name encoding, tarball
// file names, dist-tags shown, document assembly and the merge across a read chain.
import { describe, expect, it } from 'vitest';
import { assembleDocuments, BASE, effectiveTags, mergeDocuments, versionEntries, withBase } from '../../src/formats/npm/codec.js';
import { checkTag, parseName, splitPackagePath, tarballPath, versionFromFile } from '../../src/formats/npm/names.js';
import { createHash } from 'node:crypto';
import { algorithmsFor, checkIntegrity, INTEGRITY_ALGOS } from '../../src/formats/npm/tarball.js';
import { Base64Decoder } from '../../src/formats/npm/attachment.js';

describe('npm names', () => {
  it('splits every encoding of a scoped name the same way', () => {
    for (const raw of ['@acme%2fwidget', '@acme%2Fwidget', '@acme/widget', '%40acme%2fwidget'])
      expect(splitPackagePath(raw), raw).toEqual({ name: '@acme/widget', rest: '' });
    expect(splitPackagePath('@acme/widget/-/widget-1.0.0.tgz')).toEqual({ name: '@acme/widget', rest: '/-/widget-1.0.0.tgz' });
    expect(splitPackagePath('@acme%2fwidget/-rev/3-abc')).toEqual({ name: '@acme/widget', rest: '/-rev/3-abc' });
    expect(splitPackagePath('lodash/4.17.21')).toEqual({ name: 'lodash', rest: '/4.17.21' });
    expect(splitPackagePath('..%2f..%2fetc')).toEqual({ name: '../../etc', rest: '' });
  });

  it('applies validate-npm-package-name rules for old packages, to reads and publishes alike', () => {
    expect(parseName('@acme/widget')).toEqual({ full: '@acme/widget', scope: 'acme', bare: 'widget' });
    // Valid for old packages (npm warns, never refuses): capitals, special characters, long and core-module names.
    for (const old of ['JSONStream', '@Acme/Widget', "it's(ok)!", 'x'.repeat(240), 'http'])
      expect(parseName(old).full, old).toBe(old);
    // What npm refuses outright.
    for (const bad of ['../../etc', '.x', '_x', '@../x', '@acme/', '@/x', 'a/b', ' x', 'x ', 'node_modules', 'favicon.ico', 'a b', 'x'.repeat(256)])
      expect(() => parseName(bad), bad).toThrow(/Invalid package name/);
  });

  it('reads versions from tarball file names and refuses anything else', () => {
    const n = parseName('@acme/widget');
    expect(tarballPath(n, '1.2.3')).toBe('@acme/widget/-/widget-1.2.3.tgz');
    expect(versionFromFile(n, 'widget-1.2.3.tgz')).toBe('1.2.3');
    expect(versionFromFile(n, 'widget-2.0.0-rc.1.tgz')).toBe('2.0.0-rc.1');
    expect(versionFromFile(n, '@acme%2fwidget-1.2.3.tgz')).toBe('1.2.3');
    for (const bad of ['widget-1.2.tgz', 'other-1.2.3.tgz', '..%2fwidget-1.2.3.tgz', 'widget-1.2.3.tgz%00', 'widget-1.2.3.tar.gz', '%E0%A4%A'])
      expect(versionFromFile(n, bad), bad).toBeNull();
  });

  it('refuses dist-tags that are semver ranges', () => {
    expect(checkTag('next')).toBe('next');
    expect(() => checkTag('1.x')).toThrow(/semver range/);
    expect(() => checkTag('a/b')).toThrow(/Invalid dist-tag/);
  });
});

describe('npm attachments', () => {
  /** Decodes `text` handed over in pieces of `size` characters. */
  const decode = (text: string, size: number) => {
    const d = new Base64Decoder('f');
    const out: Buffer[] = [];
    for (let i = 0; i < text.length; i += size) {
      const b = d.push(text.slice(i, i + size));
      if (b) out.push(b);
    }
    const last = d.end();
    if (last) out.push(last);
    return Buffer.concat(out);
  };

  it('decodes clean base64 in pieces of any size, in groups of 4 characters', () => {
    const bytes = createHash('sha512').update('x').digest();
    const big = Buffer.concat(Array.from({ length: 3000 }, () => bytes)); // past one decode batch
    for (const b of [Buffer.from('hello world'), Buffer.from('hello worl'), Buffer.from('hello wor'), big])
      for (const size of [1, 3, 5, 256, 100_000]) expect(decode(b.toString('base64'), size).equals(b), `${b.length}/${size}`).toBe(true);
    // Whitespace (MIME line wrapping) is ignored.
    expect(decode('aGVs\nbG8g\r\nd29y bGQ=', 3).toString()).toBe('hello world');
  });

  it('refuses anything but clean base64', () => {
    const data = Buffer.from('hello world').toString('base64'); // ...ZA==
    for (const bad of [data.slice(0, -1), '!!!!', 'aGVs=bG8=', 'aGVsbA===', 'aGVsbA==aa', 'aGV-bG8g'])
      for (const size of [1, 4, 100]) expect(() => decode(bad, size), `${bad}/${size}`).toThrow(/Attachment f is not valid base64/);
  });

  it('checks every digest the manifest names', () => {
    const digests = new Map(INTEGRITY_ALGOS.map((a) => [a, createHash(a).update('x').digest()]));
    const ok = checkIntegrity(digests, { integrity: 'sha1-EfatjsUqKYSrqv18O1FlA3hcIHI=' });
    expect(ok.sha1).toBe('11f6ad8ec52a2984abaafd7c3b516503785c2072');
    expect(ok.integrity).toBe(`sha512-${createHash('sha512').update('x').digest('base64')}`);
    const sha384 = `sha384-${createHash('sha384').update('x').digest('base64')}`;
    expect(checkIntegrity(digests, { integrity: `${sha384} ${ok.integrity}` }).sha1).toBe(ok.sha1);
    expect(() => checkIntegrity(digests, { integrity: `sha384-${Buffer.alloc(48).toString('base64')}` })).toThrow(/does not match dist.integrity/);
    expect(() => checkIntegrity(digests, { shasum: 'f'.repeat(40) })).toThrow(/dist.shasum/);
    expect(() => checkIntegrity(digests, {})).toThrow(/no dist.integrity/);
    expect(() => checkIntegrity(digests, { integrity: 'md5-abc' })).toThrow(/Subresource Integrity/);
  });

  it('computes the digests the manifest names, sha1 and sha512 always', () => {
    expect([...algorithmsFor({ integrity: 'sha512-abc' })].sort()).toEqual(['sha1', 'sha512']);
    expect([...algorithmsFor({ integrity: 'sha384-abc sha256-def' })].sort()).toEqual(['sha1', 'sha256', 'sha384', 'sha512']);
    expect([...algorithmsFor(undefined)].sort()).toEqual(['sha1', 'sha512']);
  });
});

describe('npm documents', () => {
  const n = parseName('@acme/widget');
  const entry = (version: string, extra: Record<string, unknown> = {}) =>
    versionEntries({ name: n.full, version, dist: { integrity: 'sha512-x', shasum: 'y' }, ...extra }, n);

  it('shows only tags of listed versions and always a latest', () => {
    expect(effectiveTags({ latest: '2.0.0', beta: '3.0.0-rc.1' }, ['1.0.0', '2.0.0'])).toEqual({ latest: '2.0.0' });
    expect(effectiveTags({ latest: '2.0.0' }, ['1.0.0', '1.5.0', '3.0.0-rc.1'])).toEqual({ latest: '1.5.0' });
    expect(effectiveTags({}, ['3.0.0-rc.1', '3.0.0-rc.2'])).toEqual({ latest: '3.0.0-rc.2' });
    expect(effectiveTags({ next: '1.0.0', latest: '1.0.0', alpha: '1.0.0' }, ['1.0.0'])).toEqual({ latest: '1.0.0', alpha: '1.0.0', next: '1.0.0' });
    expect(effectiveTags({ latest: '1.0.0' }, [])).toEqual({});
  });

  it('builds abbreviated entries with hasInstallScript and without fields npm does not need', () => {
    const e = entry('1.0.0', { hasInstallScript: true, scripts: { postinstall: 'x' }, readme: 'r', description: 'd', deprecated: '' });
    const full = JSON.parse(e.full);
    const abbr = JSON.parse(e.abbr);
    expect(full.scripts).toEqual({ postinstall: 'x' });
    expect(full.hasInstallScript).toBeUndefined();
    expect(full.dist.tarball).toBe(`${BASE}@acme/widget/-/widget-1.0.0.tgz`);
    expect(abbr).toEqual({ name: n.full, version: '1.0.0', dist: full.dist, hasInstallScript: true });
  });

  it('assembles documents by concatenation that parse as the protocol says', () => {
    const created = new Date('2025-01-01T00:00:00Z');
    const modified = new Date('2025-02-01T00:00:00Z');
    const docs = assembleDocuments({
      name: n,
      rev: '3-abc',
      created,
      modified,
      tags: { latest: '1.1.0' },
      versions: [
        { version: '1.0.0', time: created, ...entry('1.0.0') },
        { version: '1.1.0', time: modified, ...entry('1.1.0', { description: 'newest' }) },
      ],
      latest: { description: 'newest', license: 'MIT' },
      readme: '# widget',
      readmeFilename: 'README.md',
    });
    const full = JSON.parse(withBase(docs.full, 'http://h/npm/d/x-111122223333/r/'));
    expect(full).toMatchObject({ _id: n.full, _rev: '3-abc', name: n.full, description: 'newest', license: 'MIT', readme: '# widget' });
    expect(full.time).toEqual({ created: created.toISOString(), modified: modified.toISOString(), '1.0.0': created.toISOString(), '1.1.0': modified.toISOString() });
    expect(full.versions['1.0.0'].dist.tarball).toBe('http://h/npm/d/x-111122223333/r/@acme/widget/-/widget-1.0.0.tgz');
    expect(JSON.parse(docs.abbr)).toMatchObject({ name: n.full, modified: modified.toISOString(), 'dist-tags': { latest: '1.1.0' } });
  });

  it('merges a chain: first repository wins a version, the upstream wins a tag, times are united', () => {
    const doc = (tags: Record<string, string>, versions: Record<string, string>, modified: string) =>
      JSON.stringify({
        _id: 'p',
        _rev: '1-x',
        name: 'p',
        'dist-tags': tags,
        versions: Object.fromEntries(Object.entries(versions).map(([v, d]) => [v, { version: v, description: d }])),
        time: { created: '2025-01-01T00:00:00.000Z', modified, ...Object.fromEntries(Object.keys(versions).map((v) => [v, modified])) },
      });
    const own = doc({ latest: '1.0.2' }, { '1.0.2': 'own', '1.0.1': 'own copy' }, '2025-03-01T00:00:00.000Z');
    const up = doc({ latest: '1.0.1', beta: '2.0.0-b' }, { '1.0.1': 'upstream', '2.0.0-b': 'upstream' }, '2025-02-01T00:00:00.000Z');
    const merged = JSON.parse(mergeDocuments([own, up], 'full'));
    expect(merged.versions['1.0.1'].description).toBe('own copy');
    expect(Object.keys(merged.versions).sort()).toEqual(['1.0.1', '1.0.2', '2.0.0-b']);
    // CodeArtifact: for a tag held by both, the upstream's value wins.
    expect(merged['dist-tags']).toEqual({ latest: '1.0.1', beta: '2.0.0-b' });
    expect(merged.time.modified).toBe('2025-03-01T00:00:00.000Z');
    expect(merged.time['2.0.0-b']).toBe('2025-02-01T00:00:00.000Z');
    const abbr = JSON.parse(mergeDocuments([own, up], 'abbr'));
    expect(Object.keys(abbr).sort()).toEqual(['dist-tags', 'modified', 'name', 'time', 'versions']);
    expect(abbr.time['2.0.0-b']).toBe('2025-02-01T00:00:00.000Z');
  });
});
