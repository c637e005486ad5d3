// openapi.yaml must describe exactly the operations the code declares: same (method, path, operationId),
// same query parameters (wire name, required, type and bounds) and the body kind. A new or changed
// Operation without a matching openapi.yaml edit fails here.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONTROL_PLANE_OPERATIONS } from '../../src/api/control-plane.js';
import { adminOps } from '../../src/api/admin.js';
import { auditOps } from '../../src/api/audit.js';
import { webhookOps } from '../../src/api/ops/webhooks.js';
import type { Operation } from '../../src/api/operation.js';

type Obj = Record<string, any>;

const doc: Obj = parse(readFileSync(fileURLToPath(new URL('../../openapi.yaml', import.meta.url)), 'utf8'));
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
// Served by server.ts itself, not declared as Operations.
const OPERATIONAL = ['GET /healthz Healthz', 'GET /readyz Readyz', 'GET /metrics Metrics'];

/** Follows a local `#/...` reference; throws on a dangling one so the document stays whole. */
function deref(v: Obj): Obj {
  let cur = v;
  for (let i = 0; cur && typeof cur.$ref === 'string'; i++) {
    if (i > 20) throw new Error(`reference loop at ${v.$ref}`);
    const ref: string = cur.$ref;
    if (!ref.startsWith('#/')) throw new Error(`non-local reference ${ref}`);
    cur = ref
      .slice(2)
      .split('/')
      .reduce<Obj | undefined>((o, k) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc) as Obj;
    if (cur === undefined) throw new Error(`dangling reference ${ref}`);
  }
  return cur;
}

const documented = new Map<string, { path: string; method: string; op: Obj }>();
for (const [path, item] of Object.entries<Obj>(doc.paths ?? {}))
  for (const method of METHODS)
    if (item[method]) documented.set(`${method.toUpperCase()} ${path} ${item[method].operationId}`, { path, method, op: item[method] });

const declared: { op: Operation; scheme: string }[] = [
  ...CONTROL_PLANE_OPERATIONS.map((op) => ({ op, scheme: 'codeartifactSigV4' })),
  ...[...adminOps, ...auditOps].map((op) => ({ op, scheme: 'hoardAdminSigV4' })),
  ...webhookOps.map((op) => ({ op, scheme: 'hoardSigV4' })),
];
const key = (op: Operation) => `${op.method} ${op.path} ${op.name}`;

describe('openapi.yaml', () => {
  it('is OpenAPI 3.0.3 and every $ref in it resolves', () => {
    expect(doc.openapi).toBe('3.0.3');
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        if (typeof (v as Obj).$ref === 'string') deref(v as Obj);
        Object.values(v).forEach(walk);
      }
    };
    walk(doc);
  });

  it('documents exactly the declared operations (method, path, operationId)', () => {
    const want = new Set([...declared.map((d) => key(d.op)), ...OPERATIONAL]);
    expect([...documented.keys()].sort()).toEqual([...want].sort());
  });

  it('has unique operationIds', () => {
    const ids = [...documented.values()].map((d) => d.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(declared.map((d) => [d.op.name, d] as const))('%s: query parameters match the declaration', (_n, { op }) => {
    const entry = documented.get(key(op));
    expect(entry, `${key(op)} is not documented`).toBeDefined();
    const params = (entry!.op.parameters ?? []).map(deref);
    for (const p of params) expect(p.in, `${op.name}: parameter ${p.name}`).toBe('query');
    const got = Object.fromEntries(params.map((p: Obj) => [p.name, { required: !!p.required, ...schemaSpec(deref(p.schema ?? {})) }]));
    const want = Object.fromEntries(
      Object.entries(op.query).map(([name, s]) => [
        name,
        {
          required: !!s.required,
          type: s.type ?? 'string',
          ...(s.min !== undefined ? { min: s.min } : {}),
          ...(s.max !== undefined ? { max: s.max } : {}),
        },
      ]),
    );
    expect(got).toEqual(want);
  });

  it.each(declared.map((d) => [d.op.name, d] as const))('%s: body kind, security and error responses', (_n, { op, scheme }) => {
    const o = documented.get(key(op))!.op;
    const rb = o.requestBody ? deref(o.requestBody) : undefined;
    if (op.body === 'none') expect(rb, `${op.name} takes no body`).toBeUndefined();
    if (op.body === 'json') expect(Object.keys(rb?.content ?? {})).toEqual(['application/json']);
    if (op.body === 'stream') expect(Object.keys(rb?.content ?? {})).not.toContain('application/json');

    // /v1 inherits the document's codeartifact scheme; admin and webhook operations name their `hoard` ones.
    const security = o.security ?? doc.security;
    expect(security).toEqual([{ [scheme]: [] }]);

    for (const status of ['200', '400', '403', '500']) expect(Object.keys(o.responses), `${op.name} ${status}`).toContain(status);
    if (op.body === 'json') expect(Object.keys(o.responses)).toContain('413');
    for (const [status, r] of Object.entries<Obj>(o.responses)) {
      if (status === '200') continue;
      const res = deref(r);
      expect(res.headers?.['x-amzn-ErrorType'], `${op.name} ${status} names its error type`).toBeDefined();
      expect(deref(res.content['application/json'].schema)).toBe(doc.components.schemas.AwsError);
    }
  });

  it('leaves the operational endpoints unauthenticated (/metrics: optionally behind HOARD_METRICS_TOKEN)', () => {
    for (const k of OPERATIONAL.filter((o) => !o.includes('/metrics'))) expect(documented.get(k)!.op.security).toEqual([]);
    expect(documented.get('GET /metrics Metrics')!.op.security).toEqual([{}, { metricsToken: [] }]);
  });
});

/** The ParamSpec a parameter schema amounts to: type int/bool/string and, for ints, its bounds. */
function schemaSpec(s: Obj): { type: string; min?: number; max?: number } {
  if (s.type === 'integer')
    return {
      type: 'int',
      ...(s.minimum !== undefined ? { min: s.minimum } : {}),
      ...(s.maximum !== undefined ? { max: s.maximum } : {}),
    };
  if (s.type === 'boolean') return { type: 'bool' };
  if (s.type === 'string') return { type: 'string' };
  throw new Error(`unsupported parameter schema ${JSON.stringify(s)}`);
}
