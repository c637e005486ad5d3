// The maven endpoint: /maven/d/{domain}-{owner}/{repository}/{Maven repository layout}.
// GET/HEAD read (read.ts), PUT deploys (publish.ts). Every answer is in the shape Maven and
// Gradle show to their users (http.ts); reads without credentials get a Basic challenge, which is
// what makes Maven 3.8 and Gradle send them at all.
import Router from '@koa/router';
import type { Context } from 'koa';
import { notFound } from '../../errors.js';
import type { Services } from '../../services.js';
import { auditWrite, authorize, openEndpoint } from '../shared/endpoint.js';
import { sendError } from './http.js';
import { parseMavenPath } from './layout.js';
import { handlePut, loginHint } from './publish.js';
import { serveRead } from './read.js';

const PREFIX = /^\/maven\/d\/([^/]+)\/([^/]+)\/(.*)$/s;
const PUBLISH = 'codeartifact:PublishPackageVersion';

export function mavenRouter(svc: Services): Router {
  const router = new Router();

  const handle = async (ctx: Context) => {
    try {
      // The raw path, so that an encoded slash or dot-dot is judged here rather than decoded away.
      const m = PREFIX.exec(ctx.path);
      if (!m) throw notFound('Not a Maven repository path.');
      const path = parseMavenPath(m[3]);
      let repository: string;
      try {
        repository = decodeURIComponent(m[2]);
      } catch {
        throw notFound('Not a Maven repository path.');
      }
      // A deploy is one PUT per file (artifact, POM, checksums, metadata): each is audited.
      const audit =
        ctx.method === 'PUT'
          ? auditWrite(svc, ctx.state, { domainSegment: m[1], repository, action: PUBLISH, detail: `maven deploy ${m[3].slice(0, 400)}` })
          : undefined;
      const ep = await openEndpoint(svc, 'maven', m[1], repository, ctx.get('authorization') || undefined, audit);
      ctx.state.principal = ep.caller.principal.arn;
      if (ctx.method === 'PUT') {
        const status = await handlePut(svc, ctx, ep, path);
        ctx.status = status;
        ctx.body = '';
        return;
      }
      await authorize(svc, ep, 'codeartifact:ReadFromRepository', undefined, loginHint(ep));
      await serveRead(svc, ctx, ep, path);
    } catch (e) {
      sendError(ctx, e);
    }
  };

  // @koa/router answers HEAD with the GET route.
  router.get('/maven/d/:domain/:repository/{*rest}', handle);
  router.put('/maven/d/:domain/:repository/{*rest}', handle);
  return router;
}
