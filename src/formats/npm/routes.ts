// The npm endpoint: /npm/d/{domain}-{owner}/{repository}/... (protocols.md A.0). One route takes
// every method and dispatches on the raw path, because package names arrive in several encodings
// (`@scope%2fname`, `@scope%2Fname`, `@scope/name`) that a path pattern would split differently.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Services } from '../../services.js';
import { NpmData } from './data.js';
import { notFound } from '../../errors.js';
import { auditWrite, openEndpoint, parseDomainSegment } from '../shared/endpoint.js';
import { ACTIONS, loginHint, NpmRequest } from './context.js';
import { PackumentReader } from './documents.js';
import { NpmError, sendError, sendJson } from './http.js';
import { parseName, splitPackagePath } from './names.js';
import { decodeName, getDistTags, getPackument, getTarball, getVersion } from './read.js';
import { putPackage } from './publish.js';
import { changeDistTag, deletePackage, deleteTarball, putRevision } from './update.js';
import { audit, legacyLogin, listTokens, ping, search, upstreamOnly, whoami } from './misc.js';

const ENDPOINT = /^\/npm\/d\/([^/]+)\/([^/]+)\/(.*)$/;
const ATTESTATIONS = /^npm\/v1\/attestations\/[\w@%.~/-]+$/;
const LOGIN = /^-\/user\/org\.couchdb\.user:([^/]+)(?:\/-rev\/[^/]+)?$/;

export function npmRouter(svc: Services, data: NpmData): Router {
  const reader = new PackumentReader(svc, data);
  const router = new Router();
  router.all(ENDPOINT, async (ctx) => {
    const [, seg, rawRepo, rest] = ENDPOINT.exec(ctx.path)!;
    const d = parseDomainSegment(seg);
    let repoName = rawRepo;
    try {
      repoName = decodeURIComponent(rawRepo);
    } catch {
      /* reported by openEndpoint as not found */
    }
    const hint = loginHint(d?.domain ?? seg, repoName);
    try {
      const login = LOGIN.exec(rest);
      const audit = login
        ? auditWrite(svc, ctx.state, { domainSegment: seg, repository: repoName, action: 'codeartifact:GetAuthorizationToken', detail: 'npm login', scope: 'domain' })
        : isWrite(ctx.method, rest)
          ? auditWrite(svc, ctx.state, { domainSegment: seg, repository: repoName, action: WRITE_ACTION[ctx.method], detail: writeDetail(ctx.method, rest) })
          : undefined;
      // Login must work with an expired token still configured: it is not authenticated by one.
      const ep = await openEndpoint(svc, 'npm', seg, repoName, login ? undefined : ctx.get('authorization') || undefined, audit);
      if (login) {
        if (ctx.method !== 'PUT') throw notFound('Not found');
        return await legacyLogin(ctx, svc, ep, login[1]);
      }
      await dispatch(new NpmRequest(ctx, svc, ep, data, reader, hint), rest);
    } catch (e) {
      sendError(ctx, e, hint);
    }
  });
  return router;
}

const WRITE_ACTION: Record<string, string> = { PUT: ACTIONS.publish, DELETE: ACTIONS.delete };

/** Every PUT and DELETE changes the registry (publish, deprecate, unpublish, dist-tag), but logout's. */
function isWrite(method: string, rest: string): boolean {
  return (method === 'PUT' || method === 'DELETE') && !rest.startsWith('-/user/token/');
}

/** What the npm user ran, for the audit row (publish and deprecate both PUT a document: publish.ts tells them apart). */
function writeDetail(method: string, rest: string): string {
  if (rest.startsWith('-/package/')) return method === 'PUT' ? 'npm dist-tag add' : 'npm dist-tag rm';
  if (method === 'DELETE' || rest.includes('/-rev/')) return 'npm unpublish';
  return 'npm publish';
}

async function dispatch(r: NpmRequest, rest: string): Promise<void> {
  const { ctx } = r;
  const method = ctx.method === 'HEAD' ? 'GET' : ctx.method;
  if (rest === '') {
    if (method !== 'GET') throw methodNotAllowed(ctx);
    await r.authorizeRead();
    return sendJson(ctx, 200, { db_name: 'registry' });
  }
  if (rest.startsWith('-/')) return special(r, rest.slice(2), method);
  const { name, rest: tail } = splitPackagePath(rest);
  // Names are checked before anything is looked up (the same rules for reads and publishes).
  const n = parseName(name);
  if (tail === '') {
    if (method === 'GET') return getPackument(r, n);
    if (method === 'PUT') return putPackage(r, n);
    throw methodNotAllowed(ctx);
  }
  let m = /^\/-rev\/([^/]+)$/.exec(tail);
  if (m) {
    if (method === 'PUT') return putRevision(r, n);
    if (method === 'DELETE') return deletePackage(r, n);
    throw methodNotAllowed(ctx);
  }
  m = /^\/-\/(.+)\/-rev\/([^/]+)$/.exec(tail);
  if (m && method === 'DELETE') return deleteTarball(r, n, m[1]);
  m = /^\/-\/(.+)$/.exec(tail);
  if (m) {
    if (method === 'GET') return getTarball(r, n, m[1]);
    throw methodNotAllowed(ctx);
  }
  m = /^\/([^/]+)$/.exec(tail);
  if (m && method === 'GET') return getVersion(r, n, decodeName(m[1]));
  throw notFound(`Not found: ${ctx.path}`);
}

async function special(r: NpmRequest, path: string, method: string): Promise<void> {
  const { ctx } = r;
  if (path === 'ping' && method === 'GET') return ping(r);
  if (path === 'whoami' && method === 'GET') return whoami(r);
  if (path === 'v1/search' && method === 'GET') return search(r);
  if (path === 'npm/v1/tokens' && method === 'GET') return listTokens(r);
  if (path === 'npm/v1/security/advisories/bulk' && method === 'POST') return audit(r, 'bulk');
  if (path === 'npm/v1/security/audits/quick' && method === 'POST') return audit(r, 'quick');
  if ((path === 'npm/v1/keys' || ATTESTATIONS.test(path)) && method === 'GET' && !path.includes('..')) return upstreamOnly(r, path);
  if (path.startsWith('user/token/') && method === 'DELETE') {
    // npm logout: tokens are signed, not stored, so there is nothing to revoke here; they expire.
    return sendJson(ctx, 200, { ok: true });
  }
  if ((path === 'npm/v1/tokens' && method === 'POST') || path.startsWith('npm/v1/tokens/token/'))
    throw new NpmError(
      405,
      'Hoard tokens are short-lived authorization tokens: get one with `hoard login --tool npm` or `aws codeartifact get-authorization-token`; they expire on their own.',
    );
  let m = /^package\/([^/]+)\/dist-tags$/.exec(path);
  if (m && method === 'GET') return getDistTags(r, m[1]);
  m = /^package\/([^/]+)\/dist-tags\/([^/]+)$/.exec(path);
  if (m && (method === 'PUT' || method === 'DELETE')) {
    const n = parseName(decodeName(m[1]));
    return changeDistTag(r, n, m[2], method);
  }
  // Web login (POST /-/v1/login) answers 404 so npm falls back to the legacy flow; keys (audit
  // signatures), profile, hooks, orgs and the rest do not exist here.
  throw notFound(`Not found: this registry does not implement /-/${path.slice(0, 80)}`);
}

function methodNotAllowed(ctx: Context) {
  ctx.set('Allow', 'GET, HEAD, PUT, DELETE');
  return new NpmError(405, `${ctx.method} is not supported on ${ctx.path}.`);
}


