// Authorization tokens: HS256 JWTs naming the principal and the domain. The header carries a key
// id derived from the signing key, so previous keys keep verifying live tokens after a rotation.
// The issue time in milliseconds and the principal's database id let the data plane refuse a
// token issued before its principal's tokens were voided, or to a user since deleted and
// recreated under the same name (auth/data-plane.ts).
import { createHash, createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { unauthenticated } from '../errors.js';

export interface TokenClaims {
  /** principal ARN */
  sub: string;
  /** account id of the principal */
  acct: string;
  /** domain the token is for */
  domain: string;
  /** the domain owner */
  owner: string;
  /** the principal's database id */
  pid?: number;
}

export interface VerifiedToken extends TokenClaims {
  exp: number;
  /** issue time, epoch ms (whole seconds for tokens that carry only `iat`) */
  issuedAtMs: number;
}

const ISSUER = 'hoard';
const AUDIENCE = 'hoard-data-plane';

export const keyId = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 16);

export class TokenService {
  // KeyObjects made once: handing jsonwebtoken raw buffers makes it build a key on every call.
  private readonly keys: Map<string, KeyObject>;
  private readonly currentKid: string;
  private readonly signingKey: KeyObject;

  constructor(signingKey: Buffer, previousKeys: Buffer[] = []) {
    this.currentKid = keyId(signingKey);
    this.signingKey = createSecretKey(signingKey);
    this.keys = new Map([signingKey, ...previousKeys].map((k) => [keyId(k), createSecretKey(k)]));
  }

  /** durationSeconds 0 means "as long as the caller's credentials": long-term keys have no session, so the default applies. */
  issue(claims: TokenClaims, durationSeconds: number, now = Date.now()): { token: string; expiration: Date } {
    const seconds = durationSeconds === 0 ? 43200 : durationSeconds;
    const iat = Math.floor(now / 1000);
    const exp = iat + seconds;
    const token = jwt.sign({ ...claims, iat, iat_ms: now, exp }, this.signingKey, {
      algorithm: 'HS256',
      keyid: this.currentKid,
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    return { token, expiration: new Date(exp * 1000) };
  }

  verify(token: string): VerifiedToken {
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded === 'string' || typeof decoded.payload === 'string')
      throw unauthenticated('The authorization token is malformed.');
    const kid = decoded.header.kid;
    const key = kid ? this.keys.get(kid) : undefined;
    if (!key) throw unauthenticated('The authorization token was signed with a key this server does not know.');
    try {
      const p = jwt.verify(token, key, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE }) as jwt.JwtPayload;
      if (typeof p.sub !== 'string' || typeof p.acct !== 'string' || typeof p.domain !== 'string' || typeof p.owner !== 'string')
        throw unauthenticated('The authorization token is missing claims.');
      const issuedAtMs = typeof p.iat_ms === 'number' ? p.iat_ms : typeof p.iat === 'number' ? p.iat * 1000 : 0;
      return {
        sub: p.sub,
        acct: p.acct,
        domain: p.domain,
        owner: p.owner,
        exp: p.exp as number,
        issuedAtMs,
        ...(typeof p.pid === 'number' ? { pid: p.pid } : {}),
      };
    } catch (e) {
      if (e instanceof jwt.TokenExpiredError) throw unauthenticated('The authorization token has expired.');
      if (e instanceof jwt.JsonWebTokenError) throw unauthenticated(`The authorization token is invalid: ${e.message}.`);
      throw e;
    }
  }
}
