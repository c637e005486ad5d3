// Core metadata (METADATA / PKG-INFO): RFC 822-style headers, the long description in the body
// (metadata 2.1+) or in a `Description:` header with continuation lines (older files). From it the
// version's dependency list, readme and the JSON API's `info` are derived. Everything here reads
// uploaded text: it is scanned in linear time, never with a pattern that can backtrack.
import { isValidName } from './names.js';

export interface CoreMetadata {
  metadataVersion: string;
  name: string;
  version: string;
  /** lower-case header name → values in order (multiple-use fields keep every value) */
  fields: Map<string, string[]>;
  description: string;
}

export class MetadataError extends Error {}

export function parseCoreMetadata(bytes: Buffer, file: string): CoreMetadata {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new MetadataError(`${file} is not valid UTF-8.`);
  }
  text = text.replace(/\r\n?/g, '\n');
  const fields = new Map<string, string[]>();
  const lines = text.split('\n');
  let i = 0;
  let last: { key: string; index: number } | null = null;
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') {
      i++;
      break; // the body (long description) follows the first empty line
    }
    if (/^[ \t]/.test(line)) {
      if (!last) throw new MetadataError(`${file}: line ${i + 1} continues a header that does not exist.`);
      const values = fields.get(last.key)!;
      values[last.index] += `\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MetadataError(`${file}: line ${i + 1} is not a 'Field: value' header.`);
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const values = fields.get(key) ?? [];
    values.push(value);
    fields.set(key, values);
    last = { key, index: values.length - 1 };
  }
  const body = lines.slice(i).join('\n');
  const one = (k: string) => fields.get(k)?.[0]?.trim() ?? '';
  const metadataVersion = one('metadata-version');
  const name = one('name');
  const version = one('version');
  if (!metadataVersion) throw new MetadataError(`${file} has no Metadata-Version field.`);
  if (!/^[0-9]+\.[0-9]+$/.test(metadataVersion) || Number(metadataVersion.split('.')[0]) > 2)
    throw new MetadataError(`${file} has an unsupported Metadata-Version '${metadataVersion}'.`);
  if (!name) throw new MetadataError(`${file} has no Name field.`);
  if (!isValidName(name)) throw new MetadataError(`${file}: '${name}' is not a valid project name.`);
  if (!version) throw new MetadataError(`${file} has no Version field.`);
  const description = body.trim() ? oneTrailingNewline(body) : unfoldDescription(fields.get('description')?.[0] ?? '');
  return { metadataVersion, name, version, fields, description };
}

/** Trailing newlines collapsed to one, scanning back from the end (what `/\n+$/` would do, linearly). */
function oneTrailingNewline(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x0a) end--;
  return end === s.length ? s : `${s.slice(0, end)}\n`;
}

/** Older metadata folds the description into a header: continuation lines start with 8 spaces or `       |`. */
function unfoldDescription(v: string): string {
  return v
    .split('\n')
    .map((l, n) => (n === 0 ? l : l.replace(/^( {7}\||\t| {1,8})/, '')))
    .join('\n');
}

export const all = (m: CoreMetadata, k: string): string[] => (m.fields.get(k.toLowerCase()) ?? []).map((s) => s.trim());
export const first = (m: CoreMetadata, k: string): string | null => {
  const v = m.fields.get(k.toLowerCase())?.[0];
  return v === undefined ? null : v.trim();
};

export interface Dependency {
  namespace?: string;
  package: string;
  dependencyType: string;
  versionRequirement: string;
}

/**
 * Requires-Dist entries as CodeArtifact's PackageDependency list. Requires-Python is not a
 * dependency: CodeArtifact lists Requires-Dist only (it stays in the JSON API's `requires_python`).
 */
export function dependencies(m: CoreMetadata): Dependency[] {
  const out: Dependency[] = [];
  for (const req of all(m, 'Requires-Dist')) {
    const parsed = parseRequirement(req);
    if (!parsed) continue;
    const [spec, marker] = splitMarker(parsed.rest);
    const cleaned = unparenthesize(spec.trim()).trim();
    const requirement = parsed.extras + cleaned + (marker ? `; ${marker}` : '');
    out.push({ package: parsed.name, dependencyType: 'Requires-Dist', versionRequirement: requirement });
  }
  return out;
}

const isSpace = (c: string) => /\s/.test(c); // one character: constant time
const isNameStart = (c: string) => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
const isNameChar = (c: string) => isNameStart(c) || c === '.' || c === '_' || c === '-';
const LINE_BREAK = /[\n\r\u2028\u2029]/; // a character class, searched once: linear

/**
 * `name [extras] rest` of a requirement, scanned once: leading space, the name, space, an optional
 * `[...]` (up to the first `]`), space, then the rest, which must be on one line. Null when there
 * is no name or the rest spans lines (such an entry is skipped).
 */
function parseRequirement(req: string): { name: string; extras: string; rest: string } | null {
  let i = 0;
  const skipSpace = () => {
    while (i < req.length && isSpace(req[i])) i++;
  };
  skipSpace();
  const start = i;
  if (i >= req.length || !isNameStart(req[i])) return null;
  while (i < req.length && isNameChar(req[i])) i++;
  const name = req.slice(start, i);
  skipSpace();
  let extras = '';
  if (req[i] === '[') {
    const close = req.indexOf(']', i);
    if (close >= 0) {
      extras = req.slice(i, close + 1);
      i = close + 1;
      skipSpace();
    }
  }
  const rest = req.slice(i);
  if (LINE_BREAK.test(rest)) return null;
  return { name, extras, rest };
}

/** `(>=1.0)` → `>=1.0` (the parenthesized form of older metadata). */
const unparenthesize = (s: string) => (s.length >= 2 && s.startsWith('(') && s.endsWith(')') ? s.slice(1, -1) : s);

function splitMarker(s: string): [string, string | null] {
  const i = s.indexOf(';');
  return i < 0 ? [s, null] : [s.slice(0, i), s.slice(i + 1).trim()];
}

/** `Label, URL` pairs of Project-URL. */
export function projectUrls(m: CoreMetadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of all(m, 'Project-URL')) {
    const i = v.indexOf(',');
    if (i > 0) out[v.slice(0, i).trim()] = v.slice(i + 1).trim();
  }
  return out;
}

/**
 * What the version row keeps (package_version.metadata): CodeArtifact's description fields, the
 * dependency list and readme for the control plane, and the JSON API's `info` fields under `pypi`.
 */
export function versionMetadata(m: CoreMetadata): Record<string, unknown> {
  const urls = projectUrls(m);
  const home = first(m, 'Home-page') || urls.Homepage || urls.homepage || urls.Home || null;
  const source = urls.Source || urls.source || urls.Repository || urls.repository || urls['Source Code'] || null;
  const license = first(m, 'License-Expression') || first(m, 'License');
  const field = (k: string) => first(m, k) ?? null;
  return {
    displayName: m.name,
    summary: field('Summary') ?? '',
    homePage: home,
    sourceCodeRepository: source,
    licenses: license ? [{ name: license.split('\n')[0].slice(0, 200) }] : [],
    dependencies: dependencies(m),
    readme: m.description,
    pypi: {
      metadata_version: m.metadataVersion,
      name: m.name,
      summary: field('Summary'),
      description: m.description,
      description_content_type: field('Description-Content-Type'),
      keywords: field('Keywords'),
      home_page: field('Home-page'),
      download_url: field('Download-URL'),
      author: field('Author'),
      author_email: field('Author-email'),
      maintainer: field('Maintainer'),
      maintainer_email: field('Maintainer-email'),
      license: field('License'),
      license_expression: field('License-Expression'),
      license_files: all(m, 'License-File'),
      classifiers: all(m, 'Classifier'),
      platform: field('Platform'),
      requires_dist: all(m, 'Requires-Dist'),
      requires_python: field('Requires-Python'),
      provides_extra: all(m, 'Provides-Extra'),
      dynamic: all(m, 'Dynamic'),
      project_urls: urls,
    },
  };
}
