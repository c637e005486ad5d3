// EventBridge event patterns, the whole language: exact values (strings, numbers, booleans,
// null), prefix, suffix (each also with equals-ignore-case), anything-but (values, prefix, suffix,
// equals-ignore-case, wildcard), numeric ranges, exists, equals-ignore-case, wildcard, cidr,
// $or, and nested fields. Pure: compilePattern validates a pattern (a malformed one is a
// ValidationException naming the field and the fault) and returns a predicate over events.
// No regular expressions touch patterns or events: wildcards are matched iteratively.
import ipaddr from 'ipaddr.js';
import { validation } from '../../errors.js';

/** Longest pattern text accepted, in characters (EventBridge allows 4096 for a rule's pattern). */
export const MAX_PATTERN_LENGTH = 4096;
const MAX_DEPTH = 16;

type Scalar = string | number | boolean | null;
type Matcher =
  | { k: 'exact'; v: Scalar }
  | { k: 'prefix' | 'suffix' | 'eqic'; v: string; ci: boolean }
  | { k: 'wildcard'; tokens: WildToken[] }
  | { k: 'numeric'; checks: [Op, number][] }
  | { k: 'exists'; v: boolean }
  | { k: 'cidr'; range: [ipaddr.IPv4 | ipaddr.IPv6, number] }
  | { k: 'not'; any: Matcher[] };
type Op = '<' | '<=' | '=' | '>' | '>=';
type WildToken = string | null; // null = '*', a string = one literal character
interface Node {
  fields: [string, Node | Matcher[]][];
  ors: Node[][];
}

export type EventPredicate = (event: unknown) => boolean;

/** Parses and validates pattern text; throws a ValidationException naming what is wrong and where. */
export function compilePattern(text: string): EventPredicate {
  if (text.length > MAX_PATTERN_LENGTH) throw bad('', `is longer than ${MAX_PATTERN_LENGTH} characters`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw validation(`Event pattern is not valid JSON: ${(e as Error).message}`);
  }
  const root = node(doc, '', 0);
  return (event) => matchNode(root, event);
}

function bad(path: string, fault: string) {
  return validation(`Event pattern is not valid: ${path ? `"${path}"` : 'the pattern'} ${fault}.`);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

function node(v: unknown, path: string, depth: number): Node {
  if (!isObj(v)) throw bad(path, `must be a JSON object, not ${describe(v)}`);
  if (depth > MAX_DEPTH) throw bad(path, `nests deeper than ${MAX_DEPTH} levels`);
  const keys = Object.keys(v);
  if (keys.length === 0) throw bad(path, 'is an empty object');
  const out: Node = { fields: [], ors: [] };
  for (const key of keys) {
    const p = path ? `${path}.${key}` : key;
    const val = v[key];
    if (key === '$or') {
      if (!Array.isArray(val) || val.length < 2) throw bad(p, 'must be an array of at least two patterns');
      out.ors.push(val.map((alt, i) => node(alt, `${p}[${i}]`, depth + 1)));
    } else if (Array.isArray(val)) {
      if (val.length === 0) throw bad(p, 'is an empty array, which matches nothing');
      out.fields.push([key, val.map((m, i) => matcher(m, `${p}[${i}]`))]);
    } else if (isObj(val)) {
      out.fields.push([key, node(val, p, depth + 1)]);
    } else {
      throw bad(p, `must be an array of values or matchers (or a nested object), not ${describe(val)}; write [${JSON.stringify(val)}]`);
    }
  }
  return out;
}

const MATCHERS = ['prefix', 'suffix', 'anything-but', 'numeric', 'exists', 'equals-ignore-case', 'wildcard', 'cidr'];

function matcher(m: unknown, path: string): Matcher {
  if (m === null || typeof m === 'string' || typeof m === 'boolean') return { k: 'exact', v: m };
  if (typeof m === 'number') {
    if (!Number.isFinite(m)) throw bad(path, 'is not a finite number');
    return { k: 'exact', v: m };
  }
  if (!isObj(m)) throw bad(path, `must be a value or a matcher object, not ${describe(m)}`);
  const keys = Object.keys(m);
  if (keys.length !== 1) throw bad(path, `must have exactly one of ${MATCHERS.join(', ')}; it has ${keys.length ? keys.join(', ') : 'none'}`);
  const [k] = keys;
  const v = m[k];
  const p = `${path}.${k}`;
  switch (k) {
    case 'prefix':
    case 'suffix':
      return affix(k, v, p);
    case 'equals-ignore-case':
      if (typeof v !== 'string') throw bad(p, 'must be a string');
      return { k: 'eqic', v: fold(v), ci: true };
    case 'wildcard':
      return { k: 'wildcard', tokens: wildTokens(v, p) };
    case 'exists':
      if (typeof v !== 'boolean') throw bad(p, 'must be true or false');
      return { k: 'exists', v };
    case 'numeric':
      return { k: 'numeric', checks: numeric(v, p) };
    case 'cidr':
      if (typeof v !== 'string') throw bad(p, 'must be a CIDR string such as 10.0.0.0/24');
      try {
        return { k: 'cidr', range: ipaddr.parseCIDR(v) };
      } catch {
        throw bad(p, `is not a CIDR block: ${JSON.stringify(v)}`);
      }
    case 'anything-but':
      return { k: 'not', any: anythingBut(v, p) };
    default:
      throw bad(path, `uses ${JSON.stringify(k)}, which is not a matcher; use one of ${MATCHERS.join(', ')}`);
  }
}

function affix(k: 'prefix' | 'suffix', v: unknown, p: string): Matcher {
  if (typeof v === 'string') return { k, v, ci: false };
  if (isObj(v) && Object.keys(v).length === 1 && typeof v['equals-ignore-case'] === 'string')
    return { k, v: fold(v['equals-ignore-case']), ci: true };
  throw bad(p, 'must be a string or {"equals-ignore-case": "<string>"}');
}

function anythingBut(v: unknown, p: string): Matcher[] {
  if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) return [{ k: 'exact', v }];
  if (Array.isArray(v)) {
    if (v.length === 0) throw bad(p, 'is an empty array');
    if (!v.every((x) => typeof x === 'string') && !v.every((x) => typeof x === 'number' && Number.isFinite(x)))
      throw bad(p, 'must list only strings or only numbers');
    return v.map((x) => ({ k: 'exact', v: x as Scalar }));
  }
  if (isObj(v) && Object.keys(v).length === 1) {
    const [k] = Object.keys(v);
    const inner = v[k];
    const pp = `${p}.${k}`;
    if (k === 'prefix' || k === 'suffix') return [affix(k, inner, pp)];
    if (k === 'wildcard') {
      const list = Array.isArray(inner) ? inner : [inner];
      if (list.length === 0) throw bad(pp, 'is an empty array');
      return list.map((w, i) => ({ k: 'wildcard', tokens: wildTokens(w, Array.isArray(inner) ? `${pp}[${i}]` : pp) }));
    }
    if (k === 'equals-ignore-case') {
      const list = Array.isArray(inner) ? inner : [inner];
      if (list.length === 0 || !list.every((x) => typeof x === 'string')) throw bad(pp, 'must be a string or a non-empty array of strings');
      return list.map((x) => ({ k: 'eqic', v: fold(x as string), ci: true }));
    }
  }
  throw bad(p, 'must be a value, an array of values, or one of {"prefix"}, {"suffix"}, {"equals-ignore-case"}, {"wildcard"}');
}

const OPS: Op[] = ['<', '<=', '=', '>', '>='];

function numeric(v: unknown, p: string): [Op, number][] {
  if (!Array.isArray(v) || v.length === 0 || v.length % 2 !== 0 || v.length > 4)
    throw bad(p, 'must be [operator, number] or [operator, number, operator, number], e.g. [">", 0, "<=", 5]');
  const checks: [Op, number][] = [];
  for (let i = 0; i < v.length; i += 2) {
    const op = v[i];
    const n = v[i + 1];
    if (typeof op !== 'string' || !OPS.includes(op as Op)) throw bad(`${p}[${i}]`, `must be one of ${OPS.join(' ')}`);
    if (typeof n !== 'number' || !Number.isFinite(n)) throw bad(`${p}[${i + 1}]`, 'must be a number');
    checks.push([op as Op, n]);
  }
  if (checks.length === 2) {
    const [[a, x], [b, y]] = checks;
    const lower = (o: Op) => o === '>' || o === '>=';
    const upper = (o: Op) => o === '<' || o === '<=';
    if (!(lower(a) && upper(b)) || x > y) throw bad(p, 'with two comparisons must be a range: a lower bound (> or >=) then a higher upper bound (< or <=)');
  }
  return checks;
}

/** A wildcard as tokens: '*' any run of characters, '\*' a literal star, '\\' a literal backslash. */
function wildTokens(v: unknown, p: string): WildToken[] {
  if (typeof v !== 'string') throw bad(p, 'must be a string');
  const chars = [...v];
  const out: WildToken[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '\\') {
      const next = chars[i + 1];
      if (next !== '*' && next !== '\\') throw bad(p, 'may escape only * and \\ with a backslash');
      out.push(next);
      i++;
    } else if (c === '*') {
      if (out.length && out[out.length - 1] === null) throw bad(p, 'has consecutive wildcard characters (**)');
      out.push(null);
    } else out.push(c);
  }
  return out;
}

const fold = (s: string) => s.toLowerCase();

// ---------------------------------------------------------------- matching

function matchNode(n: Node, ev: unknown): boolean {
  if (Array.isArray(ev)) return ev.some((e) => matchNode(n, e)); // arrays of objects: any element
  if (!isObj(ev)) return false;
  for (const [key, want] of n.fields) {
    const present = Object.hasOwn(ev, key);
    const val = present ? ev[key] : undefined;
    if (Array.isArray(want)) {
      if (!matchLeaf(want, present, val)) return false;
    } else if (!present || !matchNode(want, val)) return false;
  }
  return n.ors.every((alts) => alts.some((alt) => matchNode(alt, ev)));
}

function matchLeaf(ms: Matcher[], present: boolean, val: unknown): boolean {
  const values = Array.isArray(val) ? val : [val];
  return ms.some((m) => {
    if (m.k === 'exists') return m.v === present;
    return present && values.some((x) => one(m, x));
  });
}

function one(m: Matcher, x: unknown): boolean {
  switch (m.k) {
    case 'exact':
      return x === m.v;
    case 'prefix':
      return typeof x === 'string' && (m.ci ? fold(x) : x).startsWith(m.v);
    case 'suffix':
      return typeof x === 'string' && (m.ci ? fold(x) : x).endsWith(m.v);
    case 'eqic':
      return typeof x === 'string' && fold(x) === m.v;
    case 'wildcard':
      return typeof x === 'string' && wildMatch(m.tokens, [...x]);
    case 'numeric':
      return typeof x === 'number' && m.checks.every(([op, n]) => compare(op, x, n));
    case 'cidr':
      return typeof x === 'string' && inCidr(x, m.range);
    case 'not':
      // anything-but: a value of the same kind that none of the excluded matchers matches.
      if (m.any.some((a) => (a.k === 'exact' ? typeof a.v !== typeof x : typeof x !== 'string'))) return false;
      return !m.any.some((a) => one(a, x));
    case 'exists':
      return false;
  }
}

function compare(op: Op, x: number, n: number): boolean {
  switch (op) {
    case '<':
      return x < n;
    case '<=':
      return x <= n;
    case '=':
      return x === n;
    case '>':
      return x > n;
    case '>=':
      return x >= n;
  }
}

function inCidr(x: string, range: [ipaddr.IPv4 | ipaddr.IPv6, number]): boolean {
  if (!ipaddr.isValid(x)) return false;
  const a = ipaddr.parse(x);
  return a.kind() === range[0].kind() && a.match(range);
}

/**
 * Glob match in O(pattern × text) at worst, without recursion or regexes: the classic two-pointer
 * walk that remembers only the last star and how much text it has swallowed.
 */
export function wildMatch(p: WildToken[], s: string[]): boolean {
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (j < s.length) {
    if (i < p.length && p[i] !== null && p[i] === s[j]) {
      i++;
      j++;
    } else if (i < p.length && p[i] === null) {
      star = i++;
      mark = j;
    } else if (star >= 0) {
      i = star + 1;
      j = ++mark;
    } else return false;
  }
  while (i < p.length && p[i] === null) i++;
  return i === p.length;
}
