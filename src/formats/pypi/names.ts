// Project names, versions and distribution file names as the packaging specs define them:
// PEP 503 normalization, PEP 440 versions (through @renovatebot/pep440), PEP 427 wheel names,
// PEP 625 sdist names and the older sdist names setuptools still writes (`my-pkg-1.0.tar.gz`).
import * as pep440 from '@renovatebot/pep440';
import { normalizedName } from '../../core/package-group-pattern.js';

/** PEP 503: lowercase, every run of `-`, `_`, `.` becomes one `-` (core's, which package groups match on). */
export function normalize(name: string): string {
  return normalizedName('pypi', name);
}

const VALID_NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;
export const isValidName = (name: string): boolean => name.length <= 255 && VALID_NAME.test(name);

/** The PEP 440 normal form of a version, or null when it is not a PEP 440 version. */
export function canonicalVersion(v: string): string | null {
  if (!v || v.length > 128) return null;
  return pep440.valid(v.trim()) ? pep440.clean(v.trim()) : null;
}

/** Same release under PEP 440 (1.0 == 1.0.0, 1.0-1 == 1.0.post1). */
export function sameVersion(a: string, b: string): boolean {
  const ca = canonicalVersion(a);
  const cb = canonicalVersion(b);
  if (!ca || !cb) return a === b;
  return ca === cb || pep440.eq(ca, cb);
}

/** PEP 440 order, with unparsable (legacy) versions first in string order. */
export function compareVersions(a: string, b: string): number {
  const va = pep440.valid(a);
  const vb = pep440.valid(b);
  if (va && vb) return pep440.compare(a, b);
  if (!va && !vb) return a < b ? -1 : a > b ? 1 : 0;
  return va ? 1 : -1;
}

export const isPrerelease = (v: string): boolean => Boolean(pep440.explain(v)?.is_prerelease);

export type DistKind = 'wheel' | 'sdist';
export interface DistFile {
  kind: DistKind;
  /** the name part as written in the file name */
  name: string;
  version: string;
  /** wheel only: the python tag (`py3`, `cp311`, `py2.py3`) */
  pythonTag?: string;
  extension: '.whl' | '.tar.gz' | '.zip';
}

/** Why a file name does not parse, in words a person can act on. */
export class FileNameError extends Error {}

/**
 * Parses a distribution file name. `project` (the upload's name field) lets legacy sdist names with
 * dashes in the project name split where they should: the longest prefix that normalizes to it.
 */
export function parseFileName(filename: string, project?: string): DistFile {
  if (!filename || filename.length > 255 || /[/\\\0]/.test(filename) || filename.startsWith('.'))
    throw new FileNameError(`Invalid file name '${clip(filename)}'.`);
  if (filename.endsWith('.whl')) return parseWheel(filename);
  const ext = filename.endsWith('.tar.gz') ? '.tar.gz' : filename.endsWith('.zip') ? '.zip' : null;
  if (!ext)
    throw new FileNameError(
      `Invalid file extension in '${clip(filename)}': use .whl for wheels and .tar.gz (or the older .zip) for sdists (PEP 527, PEP 625).`,
    );
  return parseSdist(filename, ext, project);
}

function parseWheel(filename: string): DistFile {
  const parts = filename.slice(0, -4).split('-');
  if (parts.length !== 5 && parts.length !== 6)
    throw new FileNameError(
      `Invalid wheel file name '${clip(filename)}': expected {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl (PEP 427).`,
    );
  const [name, version] = parts;
  if (parts.length === 6 && !/^[0-9]/.test(parts[2]))
    throw new FileNameError(`Invalid wheel file name '${clip(filename)}': the build tag '${parts[2]}' must start with a digit.`);
  if (!isValidName(name)) throw new FileNameError(`Invalid wheel file name '${clip(filename)}': '${name}' is not a valid project name.`);
  if (!canonicalVersion(version))
    throw new FileNameError(`Invalid wheel file name '${clip(filename)}': '${version}' is not a valid PEP 440 version.`);
  const tags = parts.slice(-3);
  if (tags.some((t) => !/^[A-Za-z0-9_.]+$/.test(t)))
    throw new FileNameError(`Invalid wheel file name '${clip(filename)}': malformed compatibility tags '${tags.join('-')}'.`);
  return { kind: 'wheel', name, version, pythonTag: tags[0], extension: '.whl' };
}

function parseSdist(filename: string, ext: '.tar.gz' | '.zip', project?: string): DistFile {
  const base = filename.slice(0, -ext.length);
  const dashes = [...base.matchAll(/-/g)].map((m) => m.index);
  const split = (i: number) => ({ name: base.slice(0, i), version: base.slice(i + 1) });
  let chosen: { name: string; version: string } | undefined;
  if (project) {
    // The longest name prefix that normalizes to the project, so `my-pkg-1.0-1` reads as my-pkg 1.0.post1.
    for (const i of [...dashes].reverse()) {
      const c = split(i);
      if (normalize(c.name) === normalize(project) && canonicalVersion(c.version)) {
        chosen = c;
        break;
      }
    }
  }
  // Otherwise the first split whose remainder is a version (`name-1.0.tar.gz` has exactly one).
  chosen ??= dashes.map(split).find((c) => isValidName(c.name) && canonicalVersion(c.version));
  if (!chosen)
    throw new FileNameError(
      `Invalid sdist file name '${clip(filename)}': expected {name}-{version}${ext} with a PEP 440 version (PEP 625).`,
    );
  return { kind: 'sdist', name: chosen.name, version: chosen.version, extension: ext };
}

const clip = (s: string) => (s.length > 120 ? `${s.slice(0, 120)}...` : s);
