// A control-plane operation is declared once: method, path, query parameters (wire names as in
// CodeArtifact's model), body kind and handler. The router, parameter validation and openapi.yaml
// all follow from these declarations.
import type { Context } from 'koa';
import { validation } from '../errors.js';
import type { Principal } from '../core/identity.js';
import type { Services } from '../services.js';

export type ParamType = 'string' | 'int' | 'bool';

export interface ParamSpec {
  required?: boolean;
  type?: ParamType;
  min?: number;
  max?: number;
}

/** What an operation knows before its body is read: the verified caller and the query. */
export interface PreInput {
  q: Record<string, string | number | boolean | undefined>;
  caller: Principal;
  svc: Services;
  ctx: Context;
}

export interface OpInput extends PreInput {
  body: Record<string, unknown>;
}

export interface Operation {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query: Record<string, ParamSpec>;
  /** 'json': read, limit and verify the whole body; 'stream': the handler streams it (payload hash from the header) */
  body: 'none' | 'json' | 'stream';
  /**
   * Authorizes the caller for the resource the query names, BEFORE the body is read (required
   * for 'json' operations; see control-plane.ts). What it returns (the domain or repository it
   * found) is handed to run. Checks of resources named only in the body stay in run.
   */
  authorize?(input: PreInput): Promise<unknown>;
  run(input: OpInput, granted: unknown): Promise<unknown>;
}

/** Declares an operation whose authorize hands run a typed result. */
export function op<G>(
  o: Omit<Operation, 'authorize' | 'run'> & { authorize(input: PreInput): Promise<G>; run(input: OpInput, granted: G): Promise<unknown> },
): Operation {
  return o;
}

/**
 * For the rare operation whose resource is named only in its body (PutDomainPermissionsPolicy):
 * nothing to check before the bounded read; run authorizes it.
 */
export const authorizedInRun = async (): Promise<void> => undefined;

// The JS SDK appends this to some REST operations; it carries no meaning for us.
const IGNORED = new Set(['x-id']);

export function parseQuery(op: Operation, raw: Record<string, string | string[] | undefined>): OpInput['q'] {
  const out: OpInput['q'] = {};
  for (const [k, v] of Object.entries(raw)) {
    if (IGNORED.has(k)) continue;
    const spec = Object.hasOwn(op.query, k) ? op.query[k] : undefined;
    if (!spec)
      throw validation(
        `Unknown query parameter '${k}' for ${op.name}; accepted: ${Object.keys(op.query).join(', ') || 'none'}.`,
      );
    if (Array.isArray(v)) throw validation(`Query parameter '${k}' is given more than once.`);
    if (v === undefined) continue;
    out[k] = convert(k, v, spec);
  }
  for (const [k, spec] of Object.entries(op.query))
    if (spec.required && out[k] === undefined)
      throw validation(`1 validation error detected: Value null at '${k}' failed to satisfy constraint: Member must not be null`);
  return out;
}

function convert(name: string, v: string, spec: ParamSpec): string | number | boolean {
  switch (spec.type ?? 'string') {
    case 'int': {
      if (!/^-?[0-9]{1,12}$/.test(v)) throw validation(`Query parameter '${name}' must be a whole number; got '${v}'.`);
      const n = Number(v);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max))
        throw validation(
          `1 validation error detected: Value '${n}' at '${name}' failed to satisfy constraint: Member must have value between ${spec.min} and ${spec.max}`,
        );
      return n;
    }
    case 'bool':
      if (v !== 'true' && v !== 'false') throw validation(`Query parameter '${name}' must be true or false; got '${v}'.`);
      return v === 'true';
    default:
      return v;
  }
}

/** Body member accessors that turn shape errors into ValidationExceptions naming the member. */
export const body = {
  str(b: Record<string, unknown>, k: string, required = false): string | undefined {
    const v = b[k];
    if (v === undefined || v === null) {
      if (required) throw validation(`1 validation error detected: Value null at '${k}' failed to satisfy constraint: Member must not be null`);
      return undefined;
    }
    if (typeof v !== 'string') throw validation(`'${k}' must be a string.`);
    return v;
  },
  int(b: Record<string, unknown>, k: string, min: number, max: number): number | undefined {
    const v = b[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw validation(`'${k}' must be a whole number between ${min} and ${max}.`);
    return v;
  },
  bool(b: Record<string, unknown>, k: string): boolean | undefined {
    const v = b[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw validation(`'${k}' must be true or false.`);
    return v;
  },
  strList(b: Record<string, unknown>, k: string, required = false): string[] | undefined {
    const v = b[k];
    if (v === undefined || v === null) {
      if (required) throw validation(`1 validation error detected: Value null at '${k}' failed to satisfy constraint: Member must not be null`);
      return undefined;
    }
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw validation(`'${k}' must be a list of strings.`);
    return v as string[];
  },
  tags(b: Record<string, unknown>, k: string, required = false): { key: string; value: string }[] {
    const v = b[k];
    if (v === undefined || v === null) {
      if (required) throw validation(`1 validation error detected: Value null at '${k}' failed to satisfy constraint: Member must not be null`);
      return [];
    }
    if (!Array.isArray(v)) throw validation(`'${k}' must be a list of {key, value} objects.`);
    return v.map((t, i) => {
      if (!t || typeof t !== 'object' || typeof t.key !== 'string' || typeof t.value !== 'string')
        throw validation(`'${k}[${i}]' must be an object with string members key and value.`);
      return { key: t.key as string, value: t.value as string };
    });
  },
  upstreams(b: Record<string, unknown>, k: string): string[] | undefined {
    const v = b[k];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) throw validation(`'${k}' must be a list of {repositoryName} objects.`);
    return v.map((u, i) => {
      if (!u || typeof u !== 'object' || typeof u.repositoryName !== 'string')
        throw validation(`'${k}[${i}].repositoryName' must be a string.`);
      return u.repositoryName as string;
    });
  },
};

export const str = (q: OpInput['q'], k: string) => q[k] as string | undefined;
export const reqStr = (q: OpInput['q'], k: string) => q[k] as string;
