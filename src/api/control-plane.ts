// Mounts the CodeArtifact REST API (/v1/...), Hoard's admin API (/admin/v1/...) and webhook API (/hoard/v1/...): SigV4 on every
// request, checked before the body is read, then each operation's authorize, and only then the
// body (within limits, hashed for the signature); AWS error shapes on failure. Every operation
// mounted here is audited (core/audit.ts): its action, caller, resource and outcome, refusals too.
import { createHash } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import { HoardError, validation } from '../errors.js';
import type { Principal } from '../core/identity.js';
import { beginSigV4, type PendingSignature } from '../auth/sigv4.js';
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
import { packageGroupOps } from './ops/package-groups.js';
import { auditOps, auditTarget } from './audit.js';
import { markAudit } from '../core/audit.js';
import { webhookOps } from './ops/webhooks.js';

export const CONTROL_PLANE_OPERATIONS: Operation[] = [
  ...domainOps,
  ...repositoryOps,
  ...policyOps,
  ...packageOps,
  ...versionReadOps,
  ...versionLifecycleOps,
  ...genericOps,
  ...packageGroupOps,
];

/** Hoard's own API (SigV4 service `hoard`, actions `hoard:{name}`). */
export const HOARD_OPERATIONS: Operation[] = [...adminOps, ...auditOps, ...webhookOps];

/** Extra operations (packages, versions, generic) register here from their own modules. */
export function controlPlaneRouter(svc: Services, extra: Operation[] = []): Router {
  const router = new Router();
  mount(router, svc, [...CONTROL_PLANE_OPERATIONS, ...extra], 'codeartifact');
  // Hoard's own API beside CodeArtifact's (service `hoard`): admin and audit (/admin/v1/...), webhooks (/hoard/v1/...).
  mount(router, svc, HOARD_OPERATIONS, 'hoard');
  // Paths that exist with another method, and unknown /v1 paths, answer in AWS's shape too.
  router.all(/^\/(v1|admin\/v1|hoard\/v1)(\/.*)?$/, (ctx) => {
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
    if (op.body === 'json' && !op.authorize) throw new Error(`${op.name} reads a body, so it must declare authorize (operation.ts)`);
    router.register(op.path, [op.method], async (ctx: Context) => {
      const audit = markAudit(ctx.state, { action: `${service}:${op.name}` });
      let parsedBody: Record<string, unknown> | undefined;
      try {
        // 1. Credentials, before anything else: missing, malformed, expired or unknown ones are
        //    refused without reading the body; with a declared payload hash the signature is
        //    verified here too.
        const { caller, signature } = await authenticate(ctx, svc, service, op);
        const readVerified = async () => {
          const raw = await readBody(ctx.req, svc.config.maxBodyBytes);
          signature.completeWithBody(createHash('sha256').update(raw).digest('hex'));
          return raw;
        };
        // A signature over a body not yet read (botocore sends no payload hash): nothing is decided
        // for the caller until it is verified, so the (bounded) body is read first.
        let raw = op.body === 'json' && !signature.verified ? await readVerified() : null;
        ctx.state.principal = caller.arn; // for the access log, once the signature holds
        audit.principal = caller;
        const q = parseQuery(op, ctx.query as Record<string, string | string[] | undefined>);
        if (op.body === 'none' && Number(ctx.get('content-length') || 0) > svc.config.maxBodyBytes)
          throw validation('This operation takes no request body.');
        // 2. Permission for the resource the query names, then (3.) the body.
        const pre = { q, caller, svc, ctx };
        const granted = op.authorize ? await op.authorize(pre) : undefined;
        if (op.body === 'json' && raw === null) raw = await readVerified();
        parsedBody = raw ? parseJsonObject(raw) : {};
        const result = await op.run({ ...pre, body: parsedBody }, granted);
        if (result === undefined) return; // the handler wrote the response itself (streams)
        ctx.status = 200;
        ctx.type = 'application/json';
        ctx.body = JSON.stringify(toWire(result));
      } catch (e) {
        const err = awsErrorFrom(e);
        if (err.status >= 500) ctx.state.error = e;
        sendAwsError(ctx, err);
      } finally {
        Object.assign(audit, auditTarget(svc.config.region, service, ctx.query, parsedBody, audit.principal));
      }
    });
  }
}

/**
 * Verifies what the request head allows (beginSigV4): the payload hash is the empty body's for
 * operations without one, declared in x-amz-content-sha256 for streamed ones, and for JSON bodies
 * either declared or (signature.verified false) computed once the body is read.
 */
async function authenticate(ctx: Context, svc: Services, service: string, op: Operation): Promise<{ caller: Principal; signature: PendingSignature }> {
  let principal: Principal | null = null;
  const declared = ctx.get('x-amz-content-sha256') !== '';
  const signature = await beginSigV4(
    {
      method: ctx.method,
      // As Koa reads them (parseurl): the raw path, and the query the operation will see.
      path: ctx.path,
      query: ctx.querystring,
      headers: ctx.req.headers,
      payloadSha256: op.body === 'none' && !declared ? EMPTY_SHA256 : null,
    },
    {
      region: svc.config.region,
      service,
      bodyLater: op.body === 'json',
      async lookupSecret(id) {
        const k = await svc.identity.resolveAccessKey(id);
        principal = k?.principal ?? null;
        return k?.secret ?? null;
      },
    },
  );
  if (!principal) throw new HoardError('Unauthenticated', 'The security token included in the request is invalid.');
  return { caller: principal, signature };
}

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
