// Matching primitives for IAM policies: wildcard patterns (Action, Resource, StringLike,
// ArnLike) and Condition blocks. Pure functions, no I/O; src/auth/policy.ts is the entry point.

/** Condition keys of one request, e.g. 'aws:PrincipalAccount' or 'aws:SecureTransport'. */
export type ConditionValue = string | string[] | boolean | undefined;
export type ConditionContext = Record<string, ConditionValue>;

/** A parsed Condition element: operator → condition key → policy values (any of them). */
export type ConditionBlock = Record<string, Record<string, string[]>>;

/**
 * Wildcard match of a whole string: `*` matches any run of characters (empty, ':' and '/'
 * included), `?` exactly one character, everything else itself. Linear backtracking, no
 * regular expressions, so a policy cannot make matching blow up.
 */
export function globMatch(pattern: string, value: string, ignoreCase = false): boolean {
  if (ignoreCase) {
    pattern = pattern.toLowerCase();
    value = value.toLowerCase();
  }
  let p = 0;
  let v = 0;
  let star = -1;
  let mark = 0;
  while (v < value.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = v;
    } else if (p < pattern.length && (pattern[p] === '?' || pattern[p] === value[v])) {
      p++;
      v++;
    } else if (star !== -1) {
      p = star + 1;
      v = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Splits an ARN into its six colon-separated parts (the last keeps its colons), or null. */
function arnParts(s: string): string[] | null {
  const parts: string[] = [];
  let rest = s;
  for (let i = 0; i < 5; i++) {
    const at = rest.indexOf(':');
    if (at < 0) return null;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  parts.push(rest);
  return parts;
}

/**
 * ArnEquals/ArnLike as IAM does it: each of the six ARN parts is matched on its own, so a
 * wildcard never spans a ':' between parts. A value or pattern that is not a six-part ARN
 * matches nothing (except the pattern '*').
 */
export function arnMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  const pp = arnParts(pattern);
  const vp = arnParts(value);
  if (!pp || !vp) return false;
  return pp.every((part, i) => globMatch(part, vp[i]));
}

type Comparator = (requestValue: string, policyValue: string) => boolean;

const compare: Record<string, Comparator> = {
  eq: (v, p) => v === p,
  eqi: (v, p) => v.toLowerCase() === p.toLowerCase(),
  like: (v, p) => globMatch(p, v),
  arn: (v, p) => arnMatch(p, v),
  bool: (v, p) => v.toLowerCase() === p.toLowerCase(),
};

/** The base operators: which comparison each makes and whether it is negated. */
const BASE_OPERATORS: Record<string, { cmp: keyof typeof compare | 'null'; negated: boolean }> = {
  StringEquals: { cmp: 'eq', negated: false },
  StringNotEquals: { cmp: 'eq', negated: true },
  StringEqualsIgnoreCase: { cmp: 'eqi', negated: false },
  StringNotEqualsIgnoreCase: { cmp: 'eqi', negated: true },
  StringLike: { cmp: 'like', negated: false },
  StringNotLike: { cmp: 'like', negated: true },
  ArnEquals: { cmp: 'arn', negated: false },
  ArnLike: { cmp: 'arn', negated: false },
  ArnNotEquals: { cmp: 'arn', negated: true },
  ArnNotLike: { cmp: 'arn', negated: true },
  Bool: { cmp: 'bool', negated: false },
  Null: { cmp: 'null', negated: false },
};

export const CONDITION_OPERATORS: readonly string[] = Object.keys(BASE_OPERATORS);

export interface ParsedOperator {
  base: string;
  set: 'ForAnyValue' | 'ForAllValues' | null;
  ifExists: boolean;
}

/** Parses `[ForAnyValue:|ForAllValues:]Base[IfExists]`; null when the name is not one we know. */
export function parseOperator(name: string): ParsedOperator | null {
  let rest = name;
  let set: ParsedOperator['set'] = null;
  for (const prefix of ['ForAnyValue', 'ForAllValues'] as const) {
    if (rest.startsWith(prefix + ':')) {
      set = prefix;
      rest = rest.slice(prefix.length + 1);
      break;
    }
  }
  let ifExists = false;
  if (rest.endsWith('IfExists')) {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  if (!Object.hasOwn(BASE_OPERATORS, rest)) return null;
  return { base: rest, set, ifExists };
}

/** Request context with lower-cased keys (condition key names are case-insensitive in IAM). */
export type NormalizedContext = Map<string, string[]>;

export function normalizeContext(...layers: (ConditionContext | undefined)[]): NormalizedContext {
  const out: NormalizedContext = new Map();
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key, raw] of Object.entries(layer)) {
      const k = key.toLowerCase();
      if (raw === undefined) {
        out.delete(k);
        continue;
      }
      const values = typeof raw === 'boolean' ? [String(raw)] : Array.isArray(raw) ? raw.map(String) : [raw];
      if (values.length === 0) out.delete(k);
      else out.set(k, values);
    }
  }
  return out;
}

/** One operator applied to one key. */
function evaluateKey(op: ParsedOperator, policyValues: string[], requestValues: string[] | undefined): boolean {
  const spec = BASE_OPERATORS[op.base];
  if (spec.cmp === 'null') {
    const absent = requestValues === undefined;
    return policyValues.some((pv) => (pv.toLowerCase() === 'true') === absent);
  }
  if (requestValues === undefined) {
    if (op.ifExists || op.set === 'ForAllValues') return true;
    if (op.set === 'ForAnyValue') return false;
    return spec.negated; // a missing key fails a positive test and passes a negated one
  }
  const cmp = compare[spec.cmp];
  const positive = (v: string) => policyValues.some((pv) => cmp(v, pv));
  const holds = (v: string) => (spec.negated ? !positive(v) : positive(v));
  if (op.set === 'ForAllValues') return requestValues.every(holds);
  if (op.set === 'ForAnyValue') return requestValues.some(holds);
  // No set operator: a multi-valued key behaves as "any value matches" (negated: none does).
  return spec.negated ? !requestValues.some(positive) : requestValues.some(positive);
}

/** All operators AND, all keys of one operator AND, the values of one key OR. */
export function evaluateCondition(block: ConditionBlock, ctx: NormalizedContext): boolean {
  for (const [opName, keys] of Object.entries(block)) {
    const op = parseOperator(opName);
    if (!op) return false; // cannot happen for parsed policies; fail closed
    for (const [key, values] of Object.entries(keys)) {
      if (!evaluateKey(op, values, ctx.get(key.toLowerCase()))) return false;
    }
  }
  return true;
}
