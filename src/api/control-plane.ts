// Mounts the CodeArtifact REST API (/v1/...) and Hoard's admin API (/admin/v1/...): SigV4 on every
// request, bodies read within limits and hashed for the signature, AWS error shapes on failure.
import { createHash } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import { HoardError, validation } from '../errors.js';
import type { Principal } from '../core/identity.js';
import { verifySigV4 } from '../auth/sigv4.js';
import type { Services } from '../services.js';
import { parseJsonObject, sendAwsError, awsErrorFrom, toWire } from './wire.js';
import { readBody } from '../formats/shared/body.js';
import { parseQuery, type Operation } from './operation.js';
import { domainOps } from './ops/domains.js';
import { repositoryOps } from './ops/repositories.js';
import { policyOps } from './ops/policies.js';
import { adminOps } from './admin.js';
import { packageOps } from './ops/packages.js';
import { versionLifecycleOps, versionReadOps } from './ops/versions.js';
import { genericOps } from './ops/generic.js';

export const CONTROL_PLANE_OPERATIONS: Operation[] = [
  ...domainOps,
  ...repositoryOps,
  ...policyOps,
  ...packageOps,
  ...versionReadOps,
  ...versionLifecycleOps,
  ...genericOps,
];

/** Extra operations (packages, versions, generic) register here from their own modules. */
export function controlPlaneRouter(svc: Services, extra: Operation[] = []): Router {
  const router = new Router();
  mount(router, svc, [...CONTROL_PLANE_OPERATIONS, ...extra], 'codeartifact');
  mount(router, svc, adminOps, 'hoard');
  // Paths that exist with another method, and unknown /v1 paths, answer in AWS's shape too.
  router.all(/^\/(v1|admin\/v1)(\/.*)?$/, (ctx) => {
    sendAwsError(ctx, {
      type: 'UnknownOperationException',
      status: 404,
      message: `No CodeArtifact operation is served at ${ctx.method} ${ctx.path}.`,
    });
  });
  return router;
}

function mount(router: Router, svc: Services, ops: Operation[], service: string) {
  for (const op of ops) {
    router.register(op.path, [op.method], async (ctx: Context) => {
      try {
        const q = parseQuery(op, ctx.query as Record<string, string | string[] | undefined>);
        const raw = op.body === 'json' ? await readBody(ctx.req, svc.config.maxBodyBytes) : null;
        if (op.body === 'none' && Number(ctx.get('content-length') || 0) > svc.config.maxBodyBytes)
          throw validation('This operation takes no request body.');
        const caller = await authenticate(ctx, svc, service, raw);
        ctx.state.principal = caller.arn;
        const body = raw ? parseJsonObject(raw) : {};
        const result = await op.run({ q, body, caller, svc, ctx });
        if (result === undefined) return; // the handler wrote the response itself (streams)
        ctx.status = 200;
        ctx.type = 'application/json';
        ctx.body = JSON.stringify(toWire(result));
      } catch (e) {
        const err = awsErrorFrom(e);
        if (err.status >= 500) ctx.state.error = e;
        sendAwsError(ctx, err);
      }
    });
  }
}

async function authenticate(ctx: Context, svc: Services, service: string, body: Buffer | null): Promise<Principal> {
  let principal: Principal | null = null;
  const rawUrl = ctx.req.url ?? '/';
  const qi = rawUrl.indexOf('?');
  await verifySigV4(
    {
      method: ctx.method,
      path: qi < 0 ? rawUrl : rawUrl.slice(0, qi),
      query: qi < 0 ? '' : rawUrl.slice(qi + 1),
      headers: ctx.req.headers,
      payloadSha256: body ? createHash('sha256').update(body).digest('hex') : ctx.get('x-amz-content-sha256') ? null : EMPTY_SHA256,
    },
    {
      region: svc.config.region,
      service,
      async lookupSecret(id) {
        const k = await svc.identity.resolveAccessKey(id);
        principal = k?.principal ?? null;
        return k?.secret ?? null;
      },
    },
  );
  if (!principal) throw new HoardError('Unauthenticated', 'The security token included in the request is invalid.');
  return principal;
}

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
