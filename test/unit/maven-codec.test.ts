// The Maven codec without a server: version order, path parsing, checksum bodies, metadata XML
// reading (and refusing) and writing, SNAPSHOT build numbering.
import { describe, expect, it } from 'vitest';
import { compareMavenVersions, sortMavenVersions } from '../../src/formats/maven/version-order.js';
import { parseChecksumBody, parseMavenPath, type ArtifactFile } from '../../src/formats/maven/layout.js';
import { readPom, readUploadedMetadata, renderArtifactMetadata } from '../../src/formats/maven/metadata-xml.js';
import { assignBuild, findBuild, latestDone, type SnapshotState } from '../../src/formats/maven/snapshots.js';
import { HoardError } from '../../src/errors.js';

describe('Maven version order (ComparableVersion)', () => {
  it('orders as Maven does', () => {
    // Each is lower than the next (from Maven's own ComparableVersionTest).
    const ordered = [
      '1-alpha2snapshot', '1-alpha2', '1-alpha-123', '1-beta-2', '1-beta123', '1-m2', '1-m11', '1-rc', '1-cr2', '1-rc123',
      '1-SNAPSHOT', '1', '1-sp', '1-sp2', '1-sp123', '1-abc', '1-def', '1-pom-1', '1-1-snapshot', '1-1', '1-2', '1-123',
    ];
    for (let i = 1; i < ordered.length; i++) expect(compareMavenVersions(ordered[i - 1], ordered[i]), `${ordered[i - 1]} < ${ordered[i]}`).toBeLessThan(0);
    expect(compareMavenVersions('1.0', '1')).toBe(0);
    expect(compareMavenVersions('1.0.0-ga', '1')).toBe(0);
    expect(compareMavenVersions('1.10', '1.9')).toBeGreaterThan(0);
    expect(sortMavenVersions(['1.10', '1.9', '1.10-rc1', '2.0-SNAPSHOT', '1.9'])).toEqual(['1.9', '1.10-rc1', '1.10', '2.0-SNAPSHOT']);
  });
});

describe('layout', () => {
  const file = (p: string) => {
    const r = parseMavenPath(p);
    if (r.kind !== 'file') throw new Error(`${p}: ${r.kind === 'other' ? r.reason : 'metadata'}`);
    return { ...r.f, checksum: r.checksum } as ArtifactFile & { checksum?: string };
  };
  const refused = (p: string) => {
    try {
      parseMavenPath(p);
    } catch (e) {
      expect(e).toBeInstanceOf(HoardError);
      return (e as HoardError).kind;
    }
    return 'accepted';
  };

  it('parses files, classifiers, compound extensions, checksums and snapshot builds', () => {
    expect(file('com/acme/lib/1.2.0/lib-1.2.0.jar')).toMatchObject({ groupId: 'com.acme', artifactId: 'lib', version: '1.2.0', classifier: '', extension: 'jar', snapshot: null });
    expect(file('com/acme/lib/1.2.0/lib-1.2.0-sources.jar.sha1')).toMatchObject({ classifier: 'sources', extension: 'jar', checksum: 'sha1' });
    expect(file('com/acme/lib/1.2.0/lib-1.2.0-bin.tar.gz')).toMatchObject({ classifier: 'bin', extension: 'tar.gz' });
    expect(file('com/acme/lib/1.2.0/lib-1.2.0.jar.asc.md5')).toMatchObject({ classifier: '', extension: 'jar.asc', checksum: 'md5' });
    expect(file('com/acme/lib/1.2.0/lib-1.2.0-natives-linux.x86_64.jar')).toMatchObject({ classifier: 'natives-linux.x86_64', extension: 'jar' });
    expect(file('com/acme/lib/1.3.0-SNAPSHOT/lib-1.3.0-20250104.101500-7-tests.jar')).toMatchObject({
      version: '1.3.0-SNAPSHOT',
      classifier: 'tests',
      snapshot: { timestamp: '20250104.101500', buildNumber: 7 },
    });
    expect(file('com/acme/lib/1.3.0-SNAPSHOT/lib-1.3.0-SNAPSHOT.pom')).toMatchObject({ snapshot: 'SNAPSHOT', extension: 'pom' });
    expect(parseMavenPath('com/acme/lib/maven-metadata.xml.sha256')).toEqual({ kind: 'metadata', dirs: ['com', 'acme', 'lib'], checksum: 'sha256' });
  });

  it('refuses traversal and empty segments; names outside Maven rules are not files', () => {
    expect(refused('com/../etc/passwd')).toBe('ValidationException');
    expect(refused('com/%2E%2E/etc/passwd')).toBe('ValidationException');
    expect(refused('com//lib/1.0/lib-1.0.jar')).toBe('ValidationException');
    expect(refused('com/acme%2flib/1.0/lib-1.0.jar')).toBe('ValidationException');
    expect(parseMavenPath('com/acme/lib/').kind).toBe('other'); // a directory: 404 on GET, 400 on PUT
    expect(refused('com/../lib/')).toBe('ValidationException');
    expect(refused('com/acme/lib/1.0/%ZZ')).toBe('ValidationException');
    for (const p of [
      'com/acme/lib/1.0/lib-2.0.jar', // version directory disagrees with the file name
      'com/acme/lib/1.0/lib-1.0.1.jar',
      'com/acme/lib/1.0/other-1.0.jar',
      'com/acme/lib/1.0-SNAPSHOT/lib-1.0-20251301.000000-1.jar', // month 13
      'com/acme/lib/1.0-SNAPSHOT/lib-1.0.jar',
      'com/ac me/lib/1.0/lib-1.0.jar',
      'com/acme.x/lib/1.0/lib-1.0.jar',
      'lib/1.0/lib-1.0.jar',
    ])
      expect(parseMavenPath(p).kind, p).toBe('other');
  });

  it('reads checksum bodies in the forms Maven accepts', () => {
    const sha1 = 'a9993e364706816aba3e25717850c26c9cd0d89d';
    expect(parseChecksumBody(sha1, 'sha1')).toBe(sha1);
    expect(parseChecksumBody(`${sha1.toUpperCase()}\n`, 'sha1')).toBe(sha1);
    expect(parseChecksumBody(`${sha1}  lib-1.0.jar`, 'sha1')).toBe(sha1);
    expect(parseChecksumBody(`SHA1(lib-1.0.jar)= ${sha1}`, 'sha1')).toBe(sha1);
    expect(parseChecksumBody(sha1, 'md5')).toBeNull();
    expect(parseChecksumBody('zz', 'sha1')).toBeNull();
  });
});

describe('metadata XML', () => {
  it('reads versions and snapshots, keeps versions as strings', () => {
    const md = readUploadedMetadata(
      Buffer.from(
        '<?xml version="1.0"?><metadata modelVersion="1.1.0"><groupId>g</groupId><artifactId>a</artifactId><version>1.0-SNAPSHOT</version>' +
          '<versioning><snapshot><timestamp>20250104.101500</timestamp><buildNumber>7</buildNumber></snapshot>' +
          '<versions><version>1.10</version></versions></versioning></metadata>',
      ),
    );
    expect(md).toMatchObject({ groupId: 'g', artifactId: 'a', version: '1.0-SNAPSHOT', versions: ['1.10'], snapshot: { timestamp: '20250104.101500', buildNumber: 7 } });
  });

  it('refuses DTDs, entities and malformed XML before parsing', () => {
    const kinds = [
      '<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><metadata>&x;</metadata>',
      '<!doctype m><metadata/>',
      '<metadata><versioning>',
      '<project/>',
    ].map((x) => {
      try {
        readUploadedMetadata(Buffer.from(x));
        return 'accepted';
      } catch (e) {
        return (e as HoardError).kind;
      }
    });
    expect(kinds).toEqual(['ValidationException', 'ValidationException', 'ValidationException', 'ValidationException']);
    expect(() => readPom(Buffer.from('<!DOCTYPE project><project/>'))).toThrow(/DTD/);
  });

  it('reads pom fields and renders artifact metadata', () => {
    const p = readPom(
      Buffer.from(
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><parent><groupId>g</groupId><version>1</version></parent><artifactId>a</artifactId>' +
          '<name>A</name><url>https://example.invalid</url><licenses><license><name>MIT</name></license></licenses>' +
          '<dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId><version>2</version><scope>test</scope></dependency></dependencies></project>',
      ),
    );
    expect(p).toMatchObject({ groupId: 'g', artifactId: 'a', version: '1', packaging: 'jar', summary: 'A', licenses: [{ name: 'MIT' }] });
    expect(p.dependencies).toEqual([{ groupId: 'x', artifactId: 'y', version: '2', scope: 'test', optional: false }]);
    const xml = renderArtifactMetadata('g', 'a<b', { versions: ['1', '2'], latest: '2', release: '2', lastUpdated: '20250101000000' });
    expect(xml).toContain('<artifactId>a&lt;b</artifactId>');
    expect(readUploadedMetadata(Buffer.from(xml)).versions).toEqual(['1', '2']);
  });
});

describe('SNAPSHOT builds', () => {
  it('numbers builds above every earlier one and remembers the client name', () => {
    const s: SnapshotState = { builds: [], aliases: {} };
    expect(assignBuild(s, { timestamp: '20250101.000000', buildNumber: 1 }).build.buildNumber).toBe(1);
    // Two deploys that both read "no build yet" and both say 1 (or 2) get distinct numbers.
    expect(assignBuild(s, { timestamp: '20250101.000001', buildNumber: 1 }).build.buildNumber).toBe(2);
    expect(assignBuild(s, { timestamp: '20250101.000002', buildNumber: 2 }).build.buildNumber).toBe(3);
    expect(assignBuild(s, { timestamp: '20250101.000001', buildNumber: 1 })).toMatchObject({ created: false, build: { buildNumber: 2 } });
    expect(findBuild(s, { timestamp: '20250101.000002', buildNumber: 2 })?.buildNumber).toBe(3);
    expect(latestDone(s)).toBeUndefined();
    s.builds[1].done = true;
    expect(latestDone(s)?.buildNumber).toBe(2);
  });
});
