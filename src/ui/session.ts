// Who is looking at a web UI page. Signing in checks an access key exactly as a SigV4 request is
// checked (the secret signs a request that the server's verifier then verifies) or an
// authorization token exactly as the data plane checks one; either starts a session (a row in
// ui_session, core/ui-sessions.ts) named by an HttpOnly, SameSite=Strict cookie (Secure when the
// public URL is https) with an expiry. Every request re-reads the session and its principal, so
// signing out, deleting the user or deleting one of its keys ends it at once. POSTs must come
// from this origin (Sec-Fetch-Site / Origin) and carry the session's CSRF token.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { HoardError, unauthenticated } from '../errors.js';
import { ANONYMOUS, type Principal } from '../core/identity.js';
import { UiSessions } from '../core/ui-sessions.js';
import { signRequest, verifySigV4, SigV4Error } from '../auth/sigv4.js';
import type { Services } from '../services.js';
import type { Viewer } from './html.js';

const COOKIE = 'hoard_ui';
/** A session lasts 8 hours (a working day), or less when the token it came from expires sooner. */
export const SESSION_TTL_S = 8 * 3600;
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

/** A cookie's value from the Cookie header (no pattern matching on attacker input). */
function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export class UiAuth {
  readonly sessions: UiSessions;
  private readonly secure: boolean;

  constructor(private readonly svc: Services) {
    this.sessions = new UiSessions(svc.db);
    this.secure = svc.config.publicUrl.startsWith('https:');
  }

  /**
   * The viewer of this request: anonymous without a cookie, the session's principal with a live
   * one, and null for a cookie that names no live session (forged, expired, signed out, or its
   * principal gone): the caller refuses that request and clears the cookie.
   */
  async viewer(ctx: Context): Promise<Viewer | null> {
    const id = readCookie(ctx.get('cookie'), COOKIE);
    if (id === undefined || id === '') return { principal: ANONYMOUS };
    const row = await this.sessions.find(id);
    if (!row) return null;
    const subject = await this.svc.identity.tokenSubject(row.principal_arn);
    if (!subject || subject.principal.id !== row.principal_id) return null;
    if (subject.tokensValidAfter !== null && row.created_at.getTime() < subject.tokensValidAfter) return null;
    return {
      principal: subject.principal,
      csrf: row.csrf,
      expiresAt: row.expires_at,
      ...(row.token_domain && row.token_owner ? { scope: { domain: row.token_domain, owner: row.token_owner } } : {}),
    };
  }

  /** An access key id and secret, verified by the same SigV4 verifier as every API request. */
  async checkAccessKey(accessKeyId: string, secretAccessKey: string): Promise<Principal> {
    if (!accessKeyId || !secretAccessKey) throw unauthenticated('Enter both the access key id and the secret access key.');
    const { region, publicUrl } = this.svc.config;
    const url = `${publicUrl}/ui/signin`;
    const headers = await signRequest({ method: 'POST', url, accessKeyId, secretAccessKey, region, service: 'hoard' });
    let principal: Principal | null = null;
    const identity = this.svc.identity;
    try {
      await verifySigV4(
        {
          method: 'POST',
          path: new URL(url).pathname,
          query: '',
          headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
          payloadSha256: EMPTY_SHA256,
        },
        {
          region,
          service: 'hoard',
          lookupSecret: async (id) => {
            const k = await identity.resolveAccessKey(id);
            principal = k?.principal ?? null;
            return k?.secret ?? null;
          },
        },
      );
    } catch (e) {
      if (e instanceof SigV4Error) throw unauthenticated('The access key id or the secret access key is not valid.');
      throw e;
    }
    if (!principal) throw unauthenticated('The access key id or the secret access key is not valid.');
    return principal;
  }

  /** An authorization token, verified as the data plane verifies it; the session is limited to its domain. */
  async checkToken(token: string): Promise<{ principal: Principal; scope: { domain: string; owner: string }; expiresAt: Date }> {
    if (!token) throw unauthenticated('Enter an authorization token.');
    const claims = this.svc.tokens.verify(token);
    const caller = await this.svc.dataPlaneAuth.authenticate(`Bearer ${token}`, claims.domain, claims.owner);
    return { principal: caller.principal, scope: { domain: claims.domain, owner: claims.owner }, expiresAt: new Date(claims.exp * 1000) };
  }

  /** Starts a session for the principal and sets its cookie. */
  async start(ctx: Context, principal: Principal, opts: { scope?: { domain: string; owner: string }; expiresAt?: Date } = {}): Promise<void> {
    if (principal.id === undefined) throw new HoardError('Unauthenticated', 'Anonymous visitors have no session.');
    const cap = Date.now() + SESSION_TTL_S * 1000;
    const expiresAt = new Date(Math.min(cap, opts.expiresAt?.getTime() ?? cap));
    const s = await this.sessions.create({
      principalArn: principal.arn,
      principalId: principal.id,
      via: opts.scope ? 'token' : 'access-key',
      tokenScope: opts.scope,
      expiresAt,
    });
    this.setCookie(ctx, s.id, expiresAt);
  }

  /** Ends the session the cookie names (the row is deleted: the cookie stops working everywhere). */
  async end(ctx: Context): Promise<void> {
    const id = readCookie(ctx.get('cookie'), COOKIE);
    if (id) await this.sessions.revoke(id);
    this.clearCookie(ctx);
  }

  clearCookie(ctx: Context): void {
    this.setCookie(ctx, '', new Date(0));
  }

  private setCookie(ctx: Context, value: string, expires: Date): void {
    const maxAge = Math.max(0, Math.floor((expires.getTime() - Date.now()) / 1000));
    const attrs = [`${COOKIE}=${value}`, 'Path=/ui', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAge}`, `Expires=${expires.toUTCString()}`];
    if (this.secure) attrs.push('Secure');
    ctx.append('Set-Cookie', attrs.join('; '));
  }

  /**
   * A POST that a page of this origin sent: a browser says so in Sec-Fetch-Site; one too old for
   * that sends Origin, which must be this server's. Neither: refused.
   */
  sameOrigin(ctx: Context): boolean {
    const site = ctx.get('sec-fetch-site');
    if (site) return site === 'same-origin';
    const origin = ctx.get('origin');
    if (!origin) return false;
    return origin === new URL(this.svc.config.publicUrl).origin || origin === `${ctx.protocol}://${ctx.host}`;
  }
}

/** The session's CSRF token compared in constant time. */
export function csrfMatches(viewer: Viewer, sent: string | undefined): boolean {
  if (!viewer.csrf || !sent) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(viewer.csrf), digest(sent));
}
