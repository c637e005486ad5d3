// Package-group patterns as CodeArtifact defines them (reference §1.11), pure: parsing with
// messages that name the fault, matching a package, which of two patterns is more specific, which
// contains which (the hierarchy), the package-group ARN encoding, and the effective origin
// restriction through INHERIT. No I/O; core/package-groups.ts applies it to a domain's groups.
//
// Grammar (the six shapes CodeArtifact documents, a suffix ends every pattern):
//   /*                       every package                      (root)
//   /{format}/*              one format
//   /{format}/{ns-prefix}~   namespaces starting with a prefix
//   /{format}/{ns}/*         one namespace ('' = packages without one: /npm//*)
//   /{format}/{ns}/{prefix}~ names starting with a prefix in one namespace
//   /{format}/{ns}/{name}$   exactly one package
// Association: a package belongs to the most specific matching group. `$` (exact) gives a STRONG
// association, the relative shapes (`*`, `~`) a WEAK one.
import { validation } from '../errors.js';
import { PACKAGE_FORMATS, type PackageFormat } from './names.js';

export type PatternKind = 'root' | 'format' | 'namespacePrefix' | 'namespace' | 'namePrefix' | 'exact';

export interface Pattern {
  text: string;
  kind: PatternKind;
  format?: PackageFormat;
  /** namespace, or namespace prefix for 'namespacePrefix' */
  namespace?: string;
  /** name, or name prefix for 'namePrefix' */
  name?: string;
}

export interface PackageCoords {
  format: string;
  namespace: string;
  name: string;
}

const LEVEL: Record<PatternKind, number> = { root: 0, format: 1, namespacePrefix: 2, namespace: 3, namePrefix: 4, exact: 5 };
const NO_NAMESPACE = new Set(['pypi', 'nuget', 'ruby', 'cargo']);
const NAMESPACE_REQUIRED = new Set(['maven', 'generic', 'swift']);
// What a component may hold: a package name's characters (no # / whitespace) and none of the suffixes.
const COMPONENT = /^[^#/\s*~$]+$/;

const bad = (pattern: string, why: string) =>
  validation(`Invalid package group pattern '${pattern.length > 100 ? `${pattern.slice(0, 100)}...` : pattern}': ${why}`);

/** The normalized form CodeArtifact stores (and patterns must use) for a format's names. */
export function normalizedName(format: string, name: string): string {
  if (format === 'pypi') return name.replace(/[-_.]+/g, '-').toLowerCase(); // PEP 503
  if (format === 'nuget' || format === 'swift') return name.toLowerCase();
  return name;
}

/** Parses and validates a pattern (length 2-520, no control or whitespace characters, one of the six shapes). */
export function parsePattern(text: string): Pattern {
  if (typeof text !== 'string' || text.length < 2 || text.length > 520)
    throw validation(
      `1 validation error detected: Value '${String(text).slice(0, 100)}' at 'packageGroup' failed to satisfy constraint: Member must have length between 2 and 520`,
    );
  if (/[\p{C}\s]/u.test(text)) throw bad(text, 'it must not contain whitespace or control characters.');
  if (!text.startsWith('/')) throw bad(text, "it must start with '/' (for example /npm/*).");
  const suffix = text[text.length - 1];
  if (suffix !== '*' && suffix !== '~' && suffix !== '$')
    throw bad(text, "it must end with '*' (all values), '~' (a prefix) or '$' (an exact package).");
  const parts = text.slice(1).split('/');
  if (parts.length > 4) throw bad(text, 'a pattern has at most three components: /format/namespace/name.');
  const last = parts[parts.length - 1];
  if (text === '/*') return { text, kind: 'root' };
  const format = checkFormat(text, parts[0], parts.length === 1);
  if (parts.length === 2) {
    if (last === '*') return { text, kind: 'format', format };
    if (suffix === '$') throw bad(text, "'$' matches a whole package: give /format/namespace/name$ (an empty namespace for formats without one).");
    if (suffix === '*') throw bad(text, "'*' must stand alone as the last component (for example /npm/*).");
    const prefix = component(text, last.slice(0, -1), 'namespace prefix', format);
    if (NO_NAMESPACE.has(format)) throw bad(text, `${format} packages have no namespace, so a namespace prefix cannot match any.`);
    return { text, kind: 'namespacePrefix', format, namespace: prefix };
  }
  const ns = parts[1] === '' ? '' : component(text, parts[1], 'namespace', format);
  if (ns === '' && NAMESPACE_REQUIRED.has(format)) throw bad(text, `${format} packages always have a namespace; the namespace component must not be empty.`);
  if (ns !== '' && NO_NAMESPACE.has(format)) throw bad(text, `${format} packages have no namespace; leave the namespace component empty (/${format}//name$).`);
  if (parts.length === 3) {
    if (last === '*') return { text, kind: 'namespace', format, namespace: ns };
    if (suffix === '*') throw bad(text, "'*' must stand alone as the last component (for example /npm/scope/*).");
    const name = component(text, last.slice(0, -1), suffix === '~' ? 'name prefix' : 'name', format);
    return { text, kind: suffix === '~' ? 'namePrefix' : 'exact', format, namespace: ns, name };
  }
  throw bad(text, `after the name nothing may follow; use /${format}/${ns}/name$ or /${format}/${ns}/prefix~.`);
}

function checkFormat(text: string, f: string, alone: boolean): PackageFormat {
  if (alone) throw bad(text, `give a format and then a suffix, for example /${PACKAGE_FORMATS.includes(f as PackageFormat) ? f : 'npm'}/*.`);
  if (!(PACKAGE_FORMATS as readonly string[]).includes(f))
    throw bad(text, `'${f}' is not a package format; use one of ${PACKAGE_FORMATS.join(', ')}.`);
  return f as PackageFormat;
}

function component(text: string, v: string, what: string, format: string): string {
  if (v === '') throw bad(text, `the ${what} is empty.`);
  if (v.length > 255) throw bad(text, `the ${what} is longer than 255 characters.`);
  if (!COMPONENT.test(v)) throw bad(text, `the ${what} '${v}' contains a character a package name cannot have, or '*', '~' or '$' before the end.`);
  const norm = normalizedName(format, v);
  if (norm !== v) throw bad(text, `${format} names are matched in their normalized form; use '${norm}' instead of '${v}'.`);
  return v;
}

/** Whether `p` matches the package. */
export function matches(p: Pattern, c: PackageCoords): boolean {
  if (p.kind === 'root') return true;
  if (c.format !== p.format) return false;
  const name = normalizedName(c.format, c.name);
  switch (p.kind) {
    case 'format':
      return true;
    case 'namespacePrefix':
      return c.namespace.startsWith(p.namespace!);
    case 'namespace':
      return c.namespace === p.namespace;
    case 'namePrefix':
      return c.namespace === p.namespace && name.startsWith(p.name!);
    case 'exact':
      return c.namespace === p.namespace && name === p.name;
  }
}

export const associationType = (p: Pattern): 'STRONG' | 'WEAK' => (p.kind === 'exact' ? 'STRONG' : 'WEAK');

/** Orders patterns from least to most specific (negative when a is less specific than b). */
export function compareSpecificity(a: Pattern, b: Pattern): number {
  const d = LEVEL[a.kind] - LEVEL[b.kind];
  if (d !== 0) return d;
  const len = (p: Pattern) => (p.kind === 'namespacePrefix' ? p.namespace!.length : p.kind === 'namePrefix' ? p.name!.length : 0);
  return len(a) - len(b) || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0);
}

/** Whether every package `b` matches is also matched by `a` (a is b or an ancestor of it). */
export function contains(a: Pattern, b: Pattern): boolean {
  if (a.kind === 'root') return true;
  if (b.kind === 'root' || a.format !== b.format) return false;
  switch (a.kind) {
    case 'format':
      return true;
    case 'namespacePrefix':
      return b.kind !== 'format' && b.namespace!.startsWith(a.namespace!);
    case 'namespace':
      return LEVEL[b.kind] >= LEVEL.namespace && b.namespace === a.namespace;
    case 'namePrefix':
      return LEVEL[b.kind] >= LEVEL.namePrefix && b.namespace === a.namespace && b.name!.startsWith(a.name!);
    case 'exact':
      return b.kind === 'exact' && b.namespace === a.namespace && b.name === a.name;
  }
}

/** The most specific of `candidates` matching the package (null when none does). */
export function associated<T extends { pattern: Pattern }>(candidates: T[], c: PackageCoords): T | null {
  let best: T | null = null;
  for (const g of candidates) if (matches(g.pattern, c) && (!best || compareSpecificity(g.pattern, best.pattern) > 0)) best = g;
  return best;
}

/** The parent of `p` among `groups`: the most specific other group containing it (null for the root). */
export function parentOf<T extends { pattern: Pattern }>(groups: T[], p: Pattern): T | null {
  let best: T | null = null;
  for (const g of groups)
    if (g.pattern.text !== p.text && contains(g.pattern, p) && (!best || compareSpecificity(g.pattern, best.pattern) > 0)) best = g;
  return best;
}

/** The pattern as it appears in an ARN: `%` -> %25, `*` -> %2a, `$` -> %24 (lowercase hex). */
export function encodePatternForArn(pattern: string): string {
  return pattern.replace(/%/g, '%25').replace(/\*/g, '%2a').replace(/\$/g, '%24');
}

/** The inverse of encodePatternForArn; null when the text holds another escape. */
export function decodePatternFromArn(encoded: string): string | null {
  let out = '';
  for (let i = 0; i < encoded.length; i++) {
    const ch = encoded[i];
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const esc = encoded.slice(i, i + 3);
    const v = esc === '%25' ? '%' : esc === '%2a' ? '*' : esc === '%24' ? '$' : null;
    if (v === null) return null;
    out += v;
    i += 2;
  }
  return out;
}

// ---- origin restrictions ----

export const RESTRICTION_TYPES = ['EXTERNAL_UPSTREAM', 'INTERNAL_UPSTREAM', 'PUBLISH'] as const;
export type RestrictionType = (typeof RESTRICTION_TYPES)[number];
export const RESTRICTION_MODES = ['ALLOW', 'ALLOW_SPECIFIC_REPOSITORIES', 'BLOCK', 'INHERIT'] as const;
export type RestrictionMode = (typeof RESTRICTION_MODES)[number];

/** What the evaluation needs of one group: its pattern, its own modes and its allow lists (repository names). */
export interface GroupRestrictions {
  pattern: Pattern;
  modes: Record<RestrictionType, RestrictionMode>;
  allowed: Record<RestrictionType, string[]>;
}

export interface EffectiveRestriction<T> {
  mode: RestrictionMode;
  effectiveMode: Exclude<RestrictionMode, 'INHERIT'>;
  /** the group the effective mode comes from when mode is INHERIT */
  inheritedFrom: T | null;
  /** the allow list that applies (the deciding group's) */
  repositories: string[];
}

/**
 * The effective restriction of `type` for a group given its ancestry (the group first, then its
 * parent, ..., the root last): the first mode that is not INHERIT. A root left at INHERIT (which
 * the API refuses) counts as ALLOW, CodeArtifact's default.
 */
export function effectiveRestriction<T extends GroupRestrictions>(ancestry: T[], type: RestrictionType): EffectiveRestriction<T> {
  const self = ancestry[0];
  for (const g of ancestry) {
    const m = g.modes[type];
    if (m !== 'INHERIT') return { mode: self.modes[type], effectiveMode: m, inheritedFrom: g === self ? null : g, repositories: g.allowed[type] };
  }
  return { mode: self.modes[type], effectiveMode: 'ALLOW', inheritedFrom: null, repositories: [] };
}

/** Whether the effective restriction lets `repository` do what `type` governs. */
export function permits(e: EffectiveRestriction<unknown>, repository: string): boolean {
  if (e.effectiveMode === 'ALLOW') return true;
  if (e.effectiveMode === 'BLOCK') return false;
  return e.repositories.includes(repository);
}
