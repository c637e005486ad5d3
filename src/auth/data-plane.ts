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

export class DataPlaneAuth {
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
    // The subject is re-read on every request (through the identity lookup cache: 2 s, cleared at
    // once by this server's own deletions), so a deleted user or key stops its tokens within that.
    const subject = await this.identity.tokenSubject(claims.sub);
    if (!subject || (claims.pid !== undefined && claims.pid !== subject.principal.id))
      throw unauthenticated(`The principal this token was issued to (${claims.sub}) no longer exists; get a new token.`);
    if (subject.tokensValidAfter !== null && claims.issuedAtMs < subject.tokensValidAfter)
      throw unauthenticated(
        `The authorization token was revoked: an access key of ${claims.sub} was deleted after it was issued; get a new token with a current key.`,
      );
    return { principal: subject.principal, via, expiresAt: claims.exp };
  }
}
