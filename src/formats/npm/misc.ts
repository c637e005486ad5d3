// The rest of the npm CLI surface (protocols.md A.12-A.15): ping, whoami, legacy login, token
// list, search, and what only the external connection can answer (audit, attestations, keys).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { badGateway, notFound, unauthenticated, validation } from '../../errors.js';
import type { Services } from '../../services.js';
import type { Endpoint } from '../shared/endpoint.js';
import { npmUserName, type NpmRequest } from './context.js';
import { NpmError, parseObject, readBody, sendJson } from './http.js';
import { forward } from './upstream.js';

export async function ping(r: NpmRequest): Promise<void> {
  await r.authorizeRead();
  sendJson(r.ctx, 200, {});
}

export async function whoami(r: NpmRequest): Promise<void> {
  if (r.ep.caller.via === 'none') throw unauthenticated('npm whoami needs a token.');
  sendJson(r.ctx, 200, { username: npmUserName(r.principal) });
}

/**
 * `PUT /-/user/org.couchdb.user:{name}` (npm login --auth-type=legacy, yarn npm login): the user
 * name is an access key id (in lower case, as npm demands) and the password its secret; the answer carries a token for this
 * endpoint's domain, exactly as GetAuthorizationToken would issue it.
 */
export async function legacyLogin(ctx: Context, svc: Services, ep: Endpoint, rawName: string): Promise<void> {
  const body = parseObject(await readBody(ctx, 64 * 1024), 'login body');
  let urlName: string;
  try {
    urlName = decodeURIComponent(rawName);
  } catch {
    throw validation('Invalid percent-encoding in the user name.');
  }
  const name = typeof body.name === 'string' ? body.name : urlName;
  const password = typeof body.password === 'string' ? body.password : '';
  const refuse = () =>
    unauthenticated('Login failed: use an access key id as the user name and its secret access key as the password (or run `hoard login --tool npm`).');
  if (!name || !password) throw refuse();
  // npm insists on lower-case user names; access key ids are upper-case, so either spelling works.
  const key = (await svc.identity.resolveAccessKey(name)) ?? (await svc.identity.resolveAccessKey(name.toUpperCase()));
  const a = createHash('sha256').update(password).digest();
  const b = createHash('sha256').update(key?.secret ?? '').digest();
  if (!key || !timingSafeEqual(a, b)) throw refuse();
  if (ep.audit) ep.audit.principal = key.principal; // only once the secret matched
  const domainArn = svc.domains.domainArn({ owner: ep.domain.owner, name: ep.domain.name });
  await svc.access.require(key.principal, 'sts:GetServiceBearerToken', { scope: 'global', owner: key.principal.accountId, resource: '*' });
  await svc.access.require(key.principal, 'codeartifact:GetAuthorizationToken', {
    scope: 'domain',
    owner: ep.domain.owner,
    domainId: ep.domain.id,
    resource: domainArn,
  });
  const { token } = svc.tokens.issue(
    { sub: key.principal.arn, acct: key.principal.accountId, domain: ep.domain.name, owner: ep.domain.owner, pid: key.principal.id },
    43200,
  );
  sendJson(ctx, 201, { ok: true, id: `org.couchdb.user:${name}`, rev: '1', token });
}

/** `GET /-/npm/v1/tokens`: the token this request carries (tokens are not stored, so it is the only one known). */
export async function listTokens(r: NpmRequest): Promise<void> {
  if (r.ep.caller.via === 'none') throw unauthenticated('npm token list needs a token.');
  const auth = r.ctx.get('authorization');
  const raw = /^bearer\s+(.+)$/i.exec(auth)?.[1] ?? Buffer.from(auth.replace(/^basic\s+/i, ''), 'base64').toString('utf8').split(':').slice(1).join(':');
  const key = createHash('sha512').update(raw).digest('hex');
  const expires = r.ep.caller.expiresAt ? new Date(r.ep.caller.expiresAt * 1000).toISOString() : null;
  const now = new Date().toISOString();
  sendJson(r.ctx, 200, {
    objects: [
      { token: `${raw.slice(0, 6)}...`, key, cidr_whitelist: null, readonly: false, automation: false, created: now, updated: now, expires },
    ],
    total: 1,
    // npm-profile dereferences urls.next: it must exist.
    urls: {},
  });
}

/** `GET /-/v1/search?text=&size=&from=`: name, description and keywords of the latest versions. */
export async function search(r: NpmRequest): Promise<void> {
  await r.authorizeRead();
  const q = r.ctx.query;
  const text = String(q.text ?? '').slice(0, 500);
  const size = clampInt(q.size, 20, 1, 250);
  const from = clampInt(q.from, 0, 0, 100_000);
  const terms: string[] = [];
  let scope: string | null = null;
  for (const word of text.toLowerCase().split(/\s+/).filter(Boolean)) {
    const m = /^(scope|keywords|author|maintainer|is|not|boost-exact):(.*)$/.exec(word);
    if (!m) terms.push(word);
    else if (m[1] === 'scope') scope = m[2].replace(/^@/, '');
    else if (m[1] === 'keywords') terms.push(...m[2].split(',').filter(Boolean));
  }
  const repos = (await r.svc.domains.searchOrder(r.ep.repo)).map((x) => x.id);
  const { rows, total } = await r.data.search(repos, terms, scope, size, from);
  const exact = terms.join(' ');
  const objects = rows
    .filter((x) => x.summary)
    .map((x) => {
      const s = x.summary as Record<string, unknown>;
      const isExact = s.name === exact;
      return {
        package: s,
        flags: {},
        score: { final: isExact ? 1 : 0.5, detail: { quality: 0.5, popularity: 0.5, maintenance: 0.5 } },
        searchScore: isExact ? 100 : 1,
        downloads: { monthly: 0, weekly: 0 },
      };
    });
  // The external connection's results follow the domain's own (a name found in both shows once).
  const link = (await r.svc.packages.chains.chain(r.ep.repo, 'npm')).external;
  let extra = 0;
  if (link && objects.length < size) {
    const qs = new URLSearchParams({ text, size: String(size - objects.length), from: String(Math.max(0, from - total)) });
    try {
      const res = await forward(r.svc.upstreams.client(link.connection), `-/v1/search?${qs.toString()}`, { method: 'GET' }, 8 * 1024 * 1024);
      const parsed = res.status === 200 ? (JSON.parse(res.body) as { objects?: { package?: { name?: string } }[]; total?: number }) : {};
      const seen = new Set(objects.map((o) => (o.package as { name?: string }).name));
      for (const o of parsed.objects ?? []) if (o?.package?.name && !seen.has(o.package.name)) objects.push(o as (typeof objects)[number]);
      extra = Number(parsed.total ?? 0);
    } catch (e) {
      r.svc.log.warn({ err: (e as Error).message }, 'upstream search failed; answering with the domain\'s own results');
    }
  }
  sendJson(r.ctx, 200, { objects, total: total + extra, time: new Date().toISOString() });
}

const clampInt = (v: unknown, def: number, min: number, max: number) => {
  const n = Number.parseInt(String(v ?? ''), 10);
  return Number.isNaN(n) ? def : Math.min(max, Math.max(min, n));
};

/**
 * Audit (`npm audit`, and the check after every install): passed on to the external connection the
 * repository's chain reaches. Without one the answer is an error saying so: an empty answer would
 * read as "found 0 vulnerabilities", an all-clear Hoard cannot give.
 */
export async function audit(r: NpmRequest, kind: 'bulk' | 'quick'): Promise<void> {
  await r.authorizeRead();
  const link = (await r.svc.packages.chains.chain(r.ep.repo, 'npm')).external;
  const body = await readBody(r.ctx, 64 * 1024 * 1024);
  if (!link)
    throw new NpmError(
      404,
      `npm audit is not available for repository ${r.ep.repo.name}: it reaches no external connection to ask, so Hoard cannot tell whether these packages have advisories.`,
    );
  const path = kind === 'bulk' ? '-/npm/v1/security/advisories/bulk' : '-/npm/v1/security/audits/quick';
  const client = r.svc.upstreams.client(link.connection);
  const res = await forward(client, path, {
    method: 'POST',
    body,
    contentType: r.ctx.get('content-type') || 'application/json',
    contentEncoding: r.ctx.get('content-encoding') || undefined,
  });
  relay(r, res);
}

/** `GET /-/npm/v1/attestations/{name}@{version}` and `/-/npm/v1/keys`: the external connection's, where the chain has one. */
export async function upstreamOnly(r: NpmRequest, path: string): Promise<void> {
  await r.authorizeRead();
  const link = (await r.svc.packages.chains.chain(r.ep.repo, 'npm')).external;
  if (!link) throw notFound(`Not found: repository ${r.ep.repo.name} reaches no external connection that could answer /-/${path.slice(0, 80)}.`);
  relay(r, await forward(r.svc.upstreams.client(link.connection), `-/${path}`, { method: 'GET' }, 16 * 1024 * 1024));
}

function relay(r: NpmRequest, res: { status: number; type: string; body: string }): void {
  if (res.status >= 500) throw badGateway(`The upstream answered ${res.status}.`);
  r.ctx.status = res.status;
  r.ctx.set('Cache-Control', 'no-store');
  r.ctx.type = /json/.test(res.type) ? 'application/json' : 'text/plain';
  r.ctx.body = res.body;
}
