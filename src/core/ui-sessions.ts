// Web UI sessions: a random id handed to the browser in a cookie, its SHA-256 kept in
// ui_session with the principal, an expiry and the session's CSRF token. Signing in and out,
// and what the cookie proves, are decided in src/ui/session.ts; this is only their storage.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../store/db.js';
import { uiSessionStore, type UiSessionRow } from '../store/ui-sessions.js';

export type { UiSessionRow };

export interface NewUiSession {
  principalArn: string;
  principalId: number;
  via: UiSessionRow['via'];
  tokenScope?: { domain: string; owner: string };
  expiresAt: Date;
}

const hashId = (id: string) => createHash('sha256').update(id).digest('hex');

export class UiSessions {
  constructor(private readonly db: Db) {}

  /** Stores a new session; returns the id for the cookie (never stored) and the CSRF token. */
  async create(s: NewUiSession): Promise<{ id: string; csrf: string }> {
    const id = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    await uiSessionStore.purgeExpired(this.db, 100);
    await uiSessionStore.insert(this.db, {
      id_hash: hashId(id),
      principal_arn: s.principalArn,
      principal_id: s.principalId,
      via: s.via,
      token_domain: s.tokenScope?.domain ?? null,
      token_owner: s.tokenScope?.owner ?? null,
      csrf,
      expires_at: s.expiresAt,
    });
    return { id, csrf };
  }

  /** The live session a cookie value names, or null (unknown, signed out or expired). */
  async find(id: string): Promise<UiSessionRow | null> {
    if (id.length !== 43 || !/^[A-Za-z0-9_-]+$/.test(id)) return null;
    return uiSessionStore.get(this.db, hashId(id));
  }

  async revoke(id: string): Promise<void> {
    await uiSessionStore.delete(this.db, hashId(id));
  }
}
