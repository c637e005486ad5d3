// One helper for every package-manager endpoint: Bearer (npm, pnpm, yarn) or Basic with any
// user name and the token as password (pip, twine, Maven, Gradle). No credentials at all yields
// the anonymous principal, which only a policy granting `*` lets through.
import { unauthenticated } from '../errors.js';
import { ANONYMOUS, type IdentityService, type Principal } from '../core/identity.js';
import type { TokenService } from './tokens.js';

export interface DataPlaneCaller {
  principal: Principal;
  /** how the credentials came: decides the challenge a client is sent */
  via: 'bearer' | 'basic' | 'none';
  /** token expiry, epoch seconds */
  expiresAt?: number;
}

const CACHE_MS = 5_000;

export class DataPlaneAuth {
  // Token subjects resolve to principals on every request; a short cache keeps that off the hot
  // path while a deleted user still loses access within seconds.
  private readonly cache = new Map<string, { p: Principal | null; at: number }>();

  constructor(
    private readonly tokens: TokenService,
    private readonly identity: IdentityService,
  ) {}

  /** Verifies the credentials for a request to `domain` owned by `owner`. */
  async authenticate(authorization: string | undefined, domain: string, owner: string): Promise<DataPlaneCaller> {
    if (!authorization) return { principal: ANONYMOUS, via: 'none' };
    const sp = authorization.indexOf(' ');
    const scheme = (sp < 0 ? authorization : authorization.slice(0, sp)).toLowerCase();
    const value = sp < 0 ? '' : authorization.slice(sp + 1).trim();
    let token: string;
    let via: DataPlaneCaller['via'];
    if (scheme === 'bearer') {
      token = value;
      via = 'bearer';
    } else if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw unauthenticated('Basic credentials must be user:token; use the authorization token as the password.');
      token = decoded.slice(colon + 1);
      via = 'basic';
    } else {
      throw unauthenticated(`Unsupported authorization scheme ${scheme}; send the token as Bearer or as a Basic password.`);
    }
    if (!token) throw unauthenticated('The authorization token is empty.');
    const claims = this.tokens.verify(token);
    if (claims.domain !== domain || claims.owner !== owner)
      throw unauthenticated(
        `This token was issued for domain ${claims.domain} (owner ${claims.owner}), not ${domain} (owner ${owner}); get a token for this domain.`,
      );
    const principal = await this.principal(claims.sub);
    if (!principal) throw unauthenticated('The principal this token was issued to no longer exists.');
    return { principal, via, expiresAt: claims.exp };
  }

  private async principal(arn: string): Promise<Principal | null> {
    const hit = this.cache.get(arn);
    const now = Date.now();
    if (hit && now - hit.at < CACHE_MS) return hit.p;
    const p = await this.identity.principalByArn(arn);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(arn, { p, at: now });
    return p;
  }
}
