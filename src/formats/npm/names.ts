// npm package names as they arrive in URLs (protocols.md A.0): `name`, `@scope%2fname` (npm, yarn),
// `@scope%2Fname` (pnpm), `@scope/name` (tarball URLs, unpublish) and `%40scope%2fname`; plus the
// rules a name must follow (validate-npm-package-name) and the one canonical tarball URL form.
import validate from 'validate-npm-package-name';
import semver from 'semver';
import { validation } from '../../errors.js';
import type { Coordinates } from '../../core/packages.js';

export interface NpmName {
  /** full name, `@scope/name` or `name` */
  full: string;
  /** scope without `@`, '' when unscoped */
  scope: string;
  /** name without scope */
  bare: string;
}

// Scope rule as npm-package-arg and npmjs apply it; validate-npm-package-name alone lets `@../x` through.
const SCOPE = /^[a-z0-9~-][a-z0-9._~-]*$/i;

export function coordsOf(n: NpmName): Coordinates {
  return { format: 'npm', namespace: n.scope, name: n.bare };
}

export function fromCoords(c: { namespace: string; name: string }): NpmName {
  return { scope: c.namespace, bare: c.name, full: c.namespace ? `@${c.namespace}/${c.name}` : c.name };
}

/**
 * Checks a decoded name against the rules npm applies to every package, old ones included
 * (validate-npm-package-name's validForOldPackages): capitals (`JSONStream`), names longer than
 * 214 characters and core module names are accepted, for reads and publishes alike, as npm
 * clients and registries accept them; what npm refuses outright is refused.
 */
export function parseName(full: string): NpmName {
  if (typeof full !== 'string' || full.length === 0) throw validation('Invalid package name: the name is empty.');
  const r = validate(full);
  const problems = [...(r.errors ?? [])];
  let scope = '';
  let bare = full;
  if (full.startsWith('@')) {
    const slash = full.indexOf('/');
    scope = slash > 0 ? full.slice(1, slash) : '';
    bare = slash > 0 ? full.slice(slash + 1) : '';
    if (!scope || !SCOPE.test(scope) || scope.startsWith('.')) problems.push('the scope must be letters, digits, "-", "_", "." or "~" and cannot start with a period');
    if (!bare || bare.includes('/')) problems.push('a scoped name is @scope/name with exactly one slash');
  } else if (full.includes('/')) {
    problems.push('name can only contain URL-friendly characters');
  }
  if (full.length > 255) problems.push('name cannot be longer than 255 characters');
  if (problems.length) throw validation(`Invalid package name "${clip(full)}": ${[...new Set(problems)].join('; ')}.`);
  return { full, scope, bare };
}

/** The registry path after the endpoint, split into the package name and what follows it. */
export interface PackagePath {
  name: string;
  /** the raw remainder after the name, starting with '/' or empty */
  rest: string;
}

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    throw validation(`Invalid percent-encoding in "${clip(s)}".`);
  }
};

/** Splits a raw (still percent-encoded) path below the endpoint into name and remainder. */
export function splitPackagePath(raw: string): PackagePath {
  const p = raw.replace(/^%40/i, '@');
  if (p.startsWith('@')) {
    const m = /^@([^/]*?)(?:%2f|\/)([^/]*)(.*)$/i.exec(p);
    if (!m) return { name: decode(p), rest: '' };
    return { name: `@${decode(m[1])}/${decode(m[2])}`, rest: m[3] };
  }
  const m = /^([^/]*)(.*)$/.exec(p)!;
  return { name: decode(m[1]), rest: m[2] };
}

/** `{name}/-/{bare}-{version}.tgz`, relative to the endpoint: the only form Hoard hands out. */
export function tarballPath(n: NpmName, version: string): string {
  return `${n.full}/-/${tarballFile(n, version)}`;
}

export function tarballFile(n: NpmName, version: string): string {
  return `${n.bare}-${version}.tgz`;
}

/**
 * The version named by a tarball file name, or null. Accepts `{bare}-{v}.tgz` and the
 * `@scope/name-{v}.tgz` form old publish bodies carry; anything else (traversal included) is null.
 */
export function versionFromFile(n: NpmName, rawFile: string): string | null {
  let file: string;
  try {
    file = decodeURIComponent(rawFile);
  } catch {
    return null;
  }
  for (const prefix of [`${n.bare}-`, `${n.full}-`]) {
    if (file.startsWith(prefix) && file.endsWith('.tgz')) {
      const v = file.slice(prefix.length, -4);
      if (semver.valid(v) === v) return v;
    }
  }
  return null;
}

/** A version as npm publishes it: valid and already clean (no leading `v`, no spaces). */
export function checkVersion(v: unknown): string {
  if (typeof v !== 'string' || semver.valid(v) !== v)
    throw validation(`Invalid version "${clip(String(v))}": versions must be valid semver, like 1.2.3 or 2.0.0-rc.1.`);
  if (v.length > 255) throw validation('Invalid version: longer than 255 characters.');
  return v;
}

/** dist-tag names: npm refuses tags that are valid semver ranges (they would shadow versions). */
export function checkTag(tag: string): string {
  if (!tag || tag.length > 128 || !/^[A-Za-z0-9._~-]+$/.test(tag))
    throw validation(`Invalid dist-tag "${clip(tag)}": use letters, digits, ".", "_", "~" or "-".`);
  if (semver.validRange(tag)) throw validation(`Invalid dist-tag "${clip(tag)}": a tag cannot be a valid semver range.`);
  return tag;
}

const clip = (s: string) => (s.length > 80 ? `${s.slice(0, 80)}...` : s);
