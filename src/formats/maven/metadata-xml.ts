// maven-metadata.xml and pom.xml as Hoard reads and writes them (reference C.2). Reading is
// defensive: size-capped by the caller, any DTD or entity declaration refused outright (no
// billion laughs, no external entities), entity processing off, well-formedness checked first.
// Writing renders the server-kept documents from Hoard's own records.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { validation } from '../../errors.js';
import type { BuildId } from './layout.js';

export const METADATA_MAX_BYTES = 4 * 1024 * 1024;
export const POM_MAX_BYTES = 8 * 1024 * 1024;

const ARRAYS = new Set([
  'metadata.versioning.versions.version',
  'metadata.versioning.snapshotVersions.snapshotVersion',
  'metadata.plugins.plugin',
  'project.licenses.license',
  'project.dependencies.dependency',
]);

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false, // versions such as 1.10 stay strings
  parseAttributeValue: false,
  processEntities: false,
  htmlEntities: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (_name, jpath) => ARRAYS.has(String(jpath)),
});

type Xml = Record<string, unknown>;

/** Parses untrusted XML; anything with a DTD, an entity declaration or broken syntax is a 400. */
export function parseXmlSafely(buf: Buffer, what: string): Xml {
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (/<!DOCTYPE|<!ENTITY|<!ELEMENT|<!ATTLIST/i.test(text))
    throw validation(`${what} contains a DTD or entity declaration (<!DOCTYPE/<!ENTITY); Hoard refuses those. Upload plain XML.`);
  if (text.includes('\0')) throw validation(`${what} is not UTF-8 text.`);
  const ok = XMLValidator.validate(text);
  if (ok !== true) throw validation(`${what} is not well-formed XML: ${ok.err.msg} (line ${ok.err.line}).`);
  try {
    return parser.parse(text) as Xml;
  } catch (e) {
    throw validation(`${what} could not be read as XML: ${(e as Error).message}.`);
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Xml => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Xml) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export interface UploadedMetadata {
  groupId?: string;
  artifactId?: string;
  version?: string;
  versions: string[];
  snapshot?: BuildId;
  /** a group-level document (plugin prefixes) rather than an artifact's */
  plugins: boolean;
}

export function readUploadedMetadata(buf: Buffer): UploadedMetadata {
  const doc = parseXmlSafely(buf, 'maven-metadata.xml');
  if (!('metadata' in doc)) throw validation('maven-metadata.xml must have <metadata> as its root element.');
  const m = obj(doc.metadata);
  const v = obj(m.versioning);
  const snap = obj(v.snapshot);
  const ts = str(snap.timestamp);
  const bn = str(snap.buildNumber);
  let snapshot: BuildId | undefined;
  if (ts && bn) {
    if (!/^\d{8}\.\d{6}$/.test(ts) || !/^[1-9]\d{0,8}$/.test(bn))
      throw validation(`maven-metadata.xml has an invalid <snapshot> (timestamp ${ts.slice(0, 40)}, buildNumber ${bn.slice(0, 20)}).`);
    snapshot = { timestamp: ts, buildNumber: Number(bn) };
  }
  return {
    groupId: str(m.groupId),
    artifactId: str(m.artifactId),
    version: str(m.version),
    versions: arr(obj(v.versions).version).filter((x): x is string => typeof x === 'string' && x !== ''),
    snapshot,
    plugins: 'plugins' in m && !('versioning' in m),
  };
}

export interface ArtifactMetadataInfo {
  versions: string[]; // in Maven order
  latest?: string;
  release?: string;
  lastUpdated: string; // yyyyMMddHHmmss
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderArtifactMetadata(groupId: string, artifactId: string, info: ArtifactMetadataInfo): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<metadata>',
    `  <groupId>${esc(groupId)}</groupId>`,
    `  <artifactId>${esc(artifactId)}</artifactId>`,
    '  <versioning>',
  ];
  if (info.latest) lines.push(`    <latest>${esc(info.latest)}</latest>`);
  if (info.release) lines.push(`    <release>${esc(info.release)}</release>`);
  lines.push('    <versions>');
  for (const v of info.versions) lines.push(`      <version>${esc(v)}</version>`);
  lines.push('    </versions>', `    <lastUpdated>${info.lastUpdated}</lastUpdated>`, '  </versioning>', '</metadata>', '');
  return lines.join('\n');
}

export interface SnapshotVersionEntry {
  classifier: string;
  extension: string;
  value: string;
  updated: string;
}

export function renderVersionMetadata(
  groupId: string,
  artifactId: string,
  version: string,
  latest: BuildId,
  lastUpdated: string,
  entries: SnapshotVersionEntry[],
): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<metadata modelVersion="1.1.0">',
    `  <groupId>${esc(groupId)}</groupId>`,
    `  <artifactId>${esc(artifactId)}</artifactId>`,
    `  <version>${esc(version)}</version>`,
    '  <versioning>',
    '    <snapshot>',
    `      <timestamp>${latest.timestamp}</timestamp>`,
    `      <buildNumber>${latest.buildNumber}</buildNumber>`,
    '    </snapshot>',
    `    <lastUpdated>${lastUpdated}</lastUpdated>`,
    '    <snapshotVersions>',
  ];
  for (const e of entries) {
    lines.push('      <snapshotVersion>');
    if (e.classifier) lines.push(`        <classifier>${esc(e.classifier)}</classifier>`);
    lines.push(
      `        <extension>${esc(e.extension)}</extension>`,
      `        <value>${esc(e.value)}</value>`,
      `        <updated>${e.updated}</updated>`,
      '      </snapshotVersion>',
    );
  }
  lines.push('    </snapshotVersions>', '  </versioning>', '</metadata>', '');
  return lines.join('\n');
}

/** What Hoard keeps from a pom: CodeArtifact's version fields plus packaging and dependencies. */
export interface PomInfo {
  groupId?: string;
  artifactId?: string;
  version?: string;
  packaging: string;
  summary?: string;
  homePage?: string;
  sourceCodeRepository?: string;
  licenses: { name?: string; url?: string }[];
  /** the `<parent>` pom, which CodeArtifact lists as a dependency of type `parent` */
  parent?: { groupId: string; artifactId: string; version?: string };
  dependencies: { groupId: string; artifactId: string; version?: string; scope: string; optional: boolean }[];
}

export function readPom(buf: Buffer): PomInfo {
  const doc = parseXmlSafely(buf, 'The pom');
  if (!('project' in doc)) throw validation('The pom must have <project> as its root element.');
  const p = obj(doc.project);
  const parent = obj(p.parent);
  return {
    groupId: str(p.groupId) ?? str(parent.groupId),
    artifactId: str(p.artifactId),
    version: str(p.version) ?? str(parent.version),
    packaging: str(p.packaging) ?? 'jar',
    summary: (str(p.description) ?? str(p.name))?.slice(0, 1000),
    homePage: str(p.url),
    sourceCodeRepository: str(obj(p.scm).url),
    licenses: arr(obj(p.licenses).license)
      .map(obj)
      .map((l) => ({ name: str(l.name), url: str(l.url) }))
      .slice(0, 50),
    parent: str(parent.groupId) && str(parent.artifactId) ? { groupId: str(parent.groupId)!, artifactId: str(parent.artifactId)!, version: str(parent.version) } : undefined,
    dependencies: arr(obj(p.dependencies).dependency)
      .map(obj)
      .filter((d) => str(d.groupId) && str(d.artifactId))
      .map((d) => ({
        groupId: str(d.groupId)!,
        artifactId: str(d.artifactId)!,
        version: str(d.version),
        scope: str(d.scope) ?? 'compile',
        optional: str(d.optional) === 'true',
      }))
      .slice(0, 1000),
  };
}

/** yyyyMMddHHmmss in UTC, as Maven writes lastUpdated. */
export function mavenTimestamp(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}
