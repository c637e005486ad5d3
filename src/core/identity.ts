// Accounts, principals (account root and users) and their access keys.
import type { Db, Queryable } from '../store/db.js';
import { identityStore, type PrincipalRow } from '../store/identity.js';
import { conflict, notFound, validation } from '../errors.js';
import { arn, check } from './names.js';
import { LookupCache } from './lookup-cache.js';
import { newAccessKeyId, newAccountId, newSecretAccessKey, openSecret, sealSecret } from './secrets.js';

export type PrincipalKind = 'root' | 'user' | 'anonymous';

export interface Principal {
  kind: PrincipalKind;
  accountId: string; // '' for anonymous
  arn: string; // '*' for anonymous
  userName?: string;
  /** database id; absent for anonymous */
  id?: number;
}

export const ANONYMOUS: Principal = { kind: 'anonymous', accountId: '', arn: '*' };

export function toPrincipal(p: PrincipalRow): Principal {
  return p.kind === 'root'
    ? { kind: 'root', accountId: p.account_id, arn: arn.root(p.account_id), id: p.id }
    : { kind: 'user', accountId: p.account_id, arn: arn.user(p.account_id, p.user_name!), userName: p.user_name!, id: p.id };
}

/** A token's subject as the data plane needs it: the principal, and when its earlier tokens were voided. */
export interface TokenSubject {
  principal: Principal;
  /** epoch ms; tokens issued before it are void (an access key of the principal was deleted) */
  tokensValidAfter: number | null;
}

export interface NewKey {
  accessKeyId: string;
  secretAccessKey: string;
}

const BOOTSTRAP_LOCK = 0x686f617202;

export class IdentityService {
  // Token subjects are looked up on every package-manager request: cached like the domain
  // lookups (core/lookup-cache.ts), cleared at once by this server's own identity writes, so a
  // deletion made through another replica is seen within the TTL.
  private readonly subjects: LookupCache;

  constructor(
    private readonly db: Db,
    private readonly masterKey: Buffer,
    cacheTtlMs = 2000,
  ) {
    this.subjects = new LookupCache(cacheTtlMs);
  }

  /**
   * First start with an empty store creates the operator account and its root key, from the
   * configured values when set, else generated (the caller prints them once).
   */
  async bootstrap(root: { accountId?: string; accessKeyId?: string; secretAccessKey?: string }) {
    return this.db.withAdvisoryLock(BOOTSTRAP_LOCK, async () =>
      this.db.transaction(async (tx) => {
        if ((await identityStore.countAccounts(tx)) > 0) return null;
        const accountId = root.accountId ?? newAccountId();
        const key = { accessKeyId: root.accessKeyId ?? newAccessKeyId(), secretAccessKey: root.secretAccessKey ?? newSecretAccessKey() };
        await this.insertAccount(tx, accountId, true, key);
        return { accountId, ...key, generated: root.accessKeyId === undefined };
      }),
    );
  }

  async createAccount(accountId?: string): Promise<{ accountId: string } & NewKey> {
    if (accountId !== undefined) check('accountId', 'accountId', accountId);
    const id = accountId ?? newAccountId();
    const key = { accessKeyId: newAccessKeyId(), secretAccessKey: newSecretAccessKey() };
    await this.db.transaction((tx) => this.insertAccount(tx, id, false, key));
    return { accountId: id, ...key };
  }

  private async insertAccount(tx: Queryable, id: string, operator: boolean, key: NewKey) {
    if (!(await identityStore.insertAccount(tx, id, operator))) throw conflict(`Account ${id} already exists.`);
    const root = await identityStore.insertPrincipal(tx, id, 'root', null);
    await identityStore.insertAccessKey(tx, key.accessKeyId, root!.id, sealSecret(this.masterKey, key.secretAccessKey));
  }

  async isOperator(accountId: string): Promise<boolean> {
    return (await identityStore.getAccount(this.db, accountId))?.is_operator ?? false;
  }

  async accountExists(accountId: string): Promise<boolean> {
    return (await identityStore.getAccount(this.db, accountId)) !== null;
  }

  async createUser(accountId: string, userName: string): Promise<Principal> {
    check('userName', 'userName', userName);
    const row = await identityStore.insertPrincipal(this.db, accountId, 'user', userName);
    if (!row) throw conflict(`User ${userName} already exists in account ${accountId}.`);
    return toPrincipal(row);
  }

  async listUsers(accountId: string): Promise<Principal[]> {
    return (await identityStore.listUsers(this.db, accountId)).map(toPrincipal);
  }

  /** A new key for the account root (no userName) or one of its users. */
  async createAccessKey(accountId: string, userName?: string): Promise<NewKey & { principal: Principal }> {
    const p = await this.principal(accountId, userName);
    const key = { accessKeyId: newAccessKeyId(), secretAccessKey: newSecretAccessKey() };
    await identityStore.insertAccessKey(this.db, key.accessKeyId, p.id, sealSecret(this.masterKey, key.secretAccessKey));
    return { ...key, principal: toPrincipal(p) };
  }

  /** Deleting a key also voids every token its principal was issued until now (README: revocation). */
  async deleteAccessKey(accountId: string, accessKeyId: string): Promise<void> {
    const deleted = await identityStore.deleteAccessKey(this.db, accessKeyId, accountId, new Date());
    this.subjects.invalidate();
    if (!deleted) throw notFound(`Access key ${accessKeyId} not found in account ${accountId}.`);
  }

  /** A user, its access keys and identity policy; its tokens stop working with it. */
  async deleteUser(accountId: string, userName: string): Promise<void> {
    check('userName', 'userName', userName);
    const deleted = await identityStore.deleteUser(this.db, accountId, userName);
    this.subjects.invalidate();
    if (!deleted) throw notFound(`User ${userName} not found in account ${accountId}.`);
  }

  /** The identity policy text must already be validated by the caller (auth owns the grammar). */
  async putUserPolicy(accountId: string, userName: string, document: string | null): Promise<void> {
    const p = await this.principal(accountId, userName);
    if (document === null) await identityStore.deleteIdentityPolicy(this.db, p.id);
    else await identityStore.putIdentityPolicy(this.db, p.id, document);
  }

  async identityPolicy(principalId: number): Promise<string | null> {
    return identityStore.getIdentityPolicy(this.db, principalId);
  }

  /** The principal behind an access key and its secret, for signature checks. */
  async resolveAccessKey(accessKeyId: string): Promise<{ principal: Principal; secret: string } | null> {
    const row = await identityStore.getAccessKey(this.db, accessKeyId);
    if (!row) return null;
    return { principal: toPrincipal(row.principal), secret: openSecret(this.masterKey, row.secret_enc) };
  }

  /** Looks a token's subject up by ARN, or null when it no longer exists (cached, see above). */
  tokenSubject(principalArn: string): Promise<TokenSubject | null> {
    return this.subjects.get(principalArn, async () => {
      const m = /^arn:aws:iam::([0-9]{12}):(root|user\/(.+))$/.exec(principalArn);
      if (!m) return null;
      const row = m[2] === 'root' ? await identityStore.getRoot(this.db, m[1]) : await identityStore.getUser(this.db, m[1], m[3]);
      return row ? { principal: toPrincipal(row), tokensValidAfter: row.tokens_valid_after?.getTime() ?? null } : null;
    });
  }

  private async principal(accountId: string, userName?: string): Promise<PrincipalRow> {
    if (userName === undefined) {
      const root = await identityStore.getRoot(this.db, accountId);
      if (!root) throw notFound(`Account ${accountId} not found.`);
      return root;
    }
    if (!userName) throw validation('userName must not be empty');
    const user = await identityStore.getUser(this.db, accountId, userName);
    if (!user) throw notFound(`User ${userName} not found in account ${accountId}.`);
    return user;
  }
}
