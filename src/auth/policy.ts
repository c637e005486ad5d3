// IAM policies: the one evaluator every route (control plane and package-manager faces) uses.
// The grammar (parsePolicy) is in ./policy-grammar.ts, matching in ./policy-match.ts; both
// are re-exported here, so callers import from this file only.
//
// Evaluation rules (evaluate):
//  0. The condition context is defaultContext(principal, false) overlaid with req.context
//     (keys case-insensitive). For scope 'global' the resource is taken to be '*'.
//  1. Applicable statements are collected from the user's identity policies (users only; root
//     and anonymous have none that count), the domain policy (scopes 'domain' and
//     'repository'), and the repository policy (scope 'repository' only), leaving out the
//     policy named by ignoreResourcePolicyOf (Put*PermissionsPolicy: anti-lockout).
//     A statement applies when its Action/NotAction matches the action (case-insensitive,
//     `*` and `?` wildcards), its Resource/NotResource matches the resource (case-sensitive,
//     exact, wildcards; an absent Resource in a resource policy means '*'), and its Condition
//     holds. A resource-policy statement must also match the principal: '*' matches everyone,
//     anonymous included; an account (id or arn:aws:iam::X:root) matches every principal of
//     account X, root and users, but as IAM's account principal it *delegates* to that account
//     (see 4); a user ARN matches that user. NotPrincipal applies to everyone it does not
//     match, but never *grants* anonymous access (only '*' does).
//  2. An applicable Deny in any collected policy → denied (explicit deny wins, root included).
//  3. Anonymous: allowed only by a resource-policy Allow whose Principal is '*': the repository
//     or the domain policy for scope 'repository', the domain policy for scope 'domain';
//     never for scope 'global'.
//  4. Same account (principal.accountId === resourceAccount), and scope 'global' for everyone:
//     root → allowed; a user → allowed if an identity policy allows, or (not for 'global')
//     the domain or repository policy allows it by naming the user, '*' or (NotPrincipal) not
//     excluding it. A grant to the account alone delegates to the account: its users still need
//     their identity policy to allow, as in IAM.
//  5. Cross account: the caller's side must allow (root: implicitly; a user: an identity
//     policy) AND the owner's side must: scope 'domain' → the domain policy allows the action;
//     scope 'repository' → the repository policy allows the action AND the domain policy
//     admits the principal, i.e. allows it this same action or allows (and does not deny)
//     codeartifact:GetAuthorizationToken on the domain, as AWS gates cross-account use by
//     gating tokens.
//  6. Anything else → denied, the reason naming the grant that is missing.

import { evaluateCondition, globMatch, normalizeContext, type ConditionContext, type NormalizedContext } from './policy-match.js';
import type { PolicyDocument, Statement } from './policy-grammar.js';

export { KNOWN_ACTIONS, MAX_POLICY_LENGTH, PolicyValidationError, parsePolicy } from './policy-grammar.js';
export type { PolicyDocument, Statement } from './policy-grammar.js';
export { CONDITION_OPERATORS, globMatch } from './policy-match.js';
export type { ConditionBlock, ConditionContext, ConditionValue } from './policy-match.js';

export type PrincipalKind = 'root' | 'user' | 'anonymous';

export interface Principal {
  kind: PrincipalKind;
  /** 12 digits; '' for anonymous. */
  accountId: string;
  /** arn:aws:iam::{acct}:root | arn:aws:iam::{acct}:user/{name} | '*' for anonymous. */
  arn: string;
  userName?: string;
}

export interface EvaluationRequest {
  principal: Principal;
  /** e.g. 'codeartifact:ReadFromRepository'. */
  action: string;
  /** ARN acted on, e.g. arn:aws:codeartifact:us-east-1:111122223333:repository/acme/app. */
  resource: string;
  /** The domain owner's account. */
  resourceAccount: string;
  /** What the action authorizes against; package actions count as 'repository'. */
  scope: 'domain' | 'repository' | 'global';
  /** The principal's identity policies (users); ignored for root and anonymous. */
  identityPolicies: PolicyDocument[];
  domainPolicy?: PolicyDocument | null;
  repositoryPolicy?: PolicyDocument | null;
  context?: ConditionContext;
  /** Put*PermissionsPolicy ignores the resource's own policy (anti-lockout). */
  ignoreResourcePolicyOf?: 'domain' | 'repository';
}

export interface Decision {
  allowed: boolean;
  reason: string;
}

const GET_AUTHORIZATION_TOKEN = 'codeartifact:GetAuthorizationToken';

/** Condition keys that follow from who is asking and how (the request may add more). */
export function defaultContext(principal: Principal, secure: boolean): ConditionContext {
  const ctx: ConditionContext = {
    'aws:PrincipalType': principal.kind === 'root' ? 'Account' : principal.kind === 'user' ? 'User' : 'Anonymous',
    'aws:SecureTransport': secure,
  };
  if (principal.kind !== 'anonymous') {
    ctx['aws:PrincipalAccount'] = principal.accountId;
    ctx['aws:PrincipalArn'] = principal.arn;
  }
  if (principal.kind === 'user') {
    const tail = principal.arn.includes(':user/') ? principal.arn.slice(principal.arn.indexOf(':user/') + 6) : '';
    ctx['aws:username'] = principal.userName ?? tail.split('/').pop() ?? '';
  }
  return ctx;
}

type Source = 'identity' | 'domain' | 'repository';

/** The first applicable Allow and Deny of one set of policies, as labels for reasons. */
interface Scan {
  allow?: string;
  /** The first applicable Allow that names the principal itself (not only its account). */
  allowDirect?: string;
  deny?: string;
}

/** How a statement's principal element matches: the principal itself ('*', its ARN), or only its account. */
type PrincipalMatch = 'direct' | 'account' | null;

function principalEntryMatches(entry: string, p: Principal): PrincipalMatch {
  if (entry === '*') return 'direct';
  if (p.kind === 'anonymous') return null;
  const root = /^arn:aws:iam::(\d{12}):root$/.exec(entry);
  if (root) return root[1] !== p.accountId ? null : p.kind === 'root' ? 'direct' : 'account';
  return p.kind === 'user' && entry === p.arn ? 'direct' : null;
}

function principalMatches(st: Statement, p: Principal): PrincipalMatch {
  if (st.principal) {
    let best: PrincipalMatch = null;
    for (const e of st.principal) {
      const m = principalEntryMatches(e, p);
      if (m === 'direct') return m;
      best ??= m;
    }
    return best;
  }
  if (st.notPrincipal) {
    if (st.notPrincipal.some((e) => principalEntryMatches(e, p) !== null)) return null;
    return p.kind === 'anonymous' && st.effect === 'Allow' ? null : 'direct';
  }
  return null;
}

function statementApplies(st: Statement, action: string, resource: string, ctx: NormalizedContext): boolean {
  const actionHit = (patterns: string[]) => patterns.some((a) => globMatch(a, action, true));
  if (st.action ? !actionHit(st.action) : st.notAction ? actionHit(st.notAction) : true) return false;
  const resourceHit = (patterns: string[]) => patterns.some((r) => globMatch(r, resource));
  if (st.resource ? !resourceHit(st.resource) : st.notResource ? resourceHit(st.notResource) : false) return false;
  return st.condition ? evaluateCondition(st.condition, ctx) : true;
}

function label(source: Source, st: Statement, index: number, policyIndex: number, policyCount: number): string {
  const policy = source === 'identity' && policyCount > 1 ? `identity policy ${policyIndex + 1}` : `${source} policy`;
  return st.sid ? `${policy} statement "${st.sid}"` : `${policy} statement ${index + 1}`;
}

function scan(
  docs: PolicyDocument[],
  source: Source,
  principal: Principal | null,
  action: string,
  resource: string,
  ctx: NormalizedContext,
): Scan {
  const out: Scan = {};
  docs.forEach((doc, pi) => {
    doc.statements.forEach((st, si) => {
      // Identity policies (principal null) belong to the principal: their statements are direct.
      const match = principal ? principalMatches(st, principal) : 'direct';
      if (match === null) return;
      if (!statementApplies(st, action, resource, ctx)) return;
      const name = label(source, st, si, pi, docs.length);
      if (st.effect === 'Deny') out.deny ??= name;
      else {
        out.allow ??= name;
        if (match === 'direct') out.allowDirect ??= name;
      }
    });
  });
  return out;
}

/** Anonymous access needs an Allow whose Principal names '*' outright. */
function scanAnonymousAllow(doc: PolicyDocument, source: Source, action: string, resource: string, ctx: NormalizedContext): string | undefined {
  let found: string | undefined;
  doc.statements.forEach((st, si) => {
    if (found || st.effect !== 'Allow' || !st.principal?.includes('*')) return;
    if (statementApplies(st, action, resource, ctx)) found = label(source, st, si, 0, 1);
  });
  return found;
}

/** The domain ARN a repository, package or package-group ARN belongs to (itself for a domain). */
function domainArnOf(resource: string): string {
  const m = /^(arn:[^:]+:codeartifact:[^:]*:[^:]*):(?:domain|repository|package|package-group)\/([^/]+)/.exec(resource);
  return m ? `${m[1]}:domain/${m[2]}` : resource;
}

const allow = (reason: string): Decision => ({ allowed: true, reason });
const deny = (reason: string): Decision => ({ allowed: false, reason });

export function evaluate(req: EvaluationRequest): Decision {
  const p = req.principal;
  const { action, scope } = req;
  const resource = scope === 'global' ? '*' : req.resource;
  const ctx = normalizeContext(defaultContext(p, false), req.context);

  const domainIgnored = req.ignoreResourcePolicyOf === 'domain';
  const repoIgnored = req.ignoreResourcePolicyOf === 'repository';
  const domainDoc = scope !== 'global' && !domainIgnored ? (req.domainPolicy ?? null) : null;
  const repoDoc = scope === 'repository' && !repoIgnored ? (req.repositoryPolicy ?? null) : null;

  const identity = p.kind === 'user' ? scan(req.identityPolicies ?? [], 'identity', null, action, resource, ctx) : {};
  const domain = domainDoc ? scan([domainDoc], 'domain', p, action, resource, ctx) : {};
  const repo = repoDoc ? scan([repoDoc], 'repository', p, action, resource, ctx) : {};

  for (const s of [identity, domain, repo]) {
    if (s.deny) return deny(`explicit deny in ${s.deny}`);
  }

  if (p.kind === 'anonymous') {
    if (scope === 'global') return deny(`anonymous requests cannot call ${action}`);
    const grant =
      (repoDoc && scanAnonymousAllow(repoDoc, 'repository', action, resource, ctx)) ||
      (domainDoc && scanAnonymousAllow(domainDoc, 'domain', action, resource, ctx));
    if (grant) return allow(`anonymous access granted by ${grant}`);
    const where = scope === 'repository' ? 'repository or domain policy' : 'domain policy';
    return deny(`no ${where} allows ${action} on ${resource} to "*" (anonymous)`);
  }

  if (scope === 'global' || p.accountId === req.resourceAccount) {
    if (p.kind === 'root') return allow('root of the owning account');
    if (identity.allow) return allow(`allowed by ${identity.allow}`);
    if (repo.allowDirect) return allow(`allowed by ${repo.allowDirect}`);
    if (domain.allowDirect) return allow(`allowed by ${domain.allowDirect}`);
    if (scope === 'global') return deny(`no identity policy allows ${action} on "*"`);
    const delegated = repo.allow ?? domain.allow;
    if (delegated)
      return deny(
        `${delegated} allows account ${p.accountId}, which delegates to the account: ` +
          `${p.arn} also needs an identity policy that allows ${action} on ${resource}`,
      );
    return deny(`no identity policy or resource policy allows ${action} on ${resource} for ${p.arn}`);
  }

  // Cross account: the caller's side, then the owner's side.
  if (p.kind === 'user' && !identity.allow) {
    return deny(`no identity policy allows ${action} on ${resource} (cross-account access needs the caller's own identity policy as well)`);
  }
  const missing = (source: 'domain' | 'repository', ignored: boolean, doc: PolicyDocument | null) =>
    ignored
      ? `the ${source} policy is not consulted for ${action}, so it cannot be granted to another account`
      : doc
        ? `the ${source} policy does not allow ${action} for ${p.arn}`
        : `the ${source} has no resource policy, so ${action} is not granted to account ${p.accountId}`;

  if (scope === 'domain') {
    if (!domain.allow) return deny(missing('domain', domainIgnored, domainDoc));
    return allow(`cross-account access allowed by ${domain.allow}`);
  }
  if (!repo.allow) return deny(missing('repository', repoIgnored, repoDoc));
  if (domain.allow) return allow(`cross-account access allowed by ${repo.allow} and ${domain.allow}`);
  if (domainDoc) {
    const token = scan([domainDoc], 'domain', p, GET_AUTHORIZATION_TOKEN, domainArnOf(resource), ctx);
    if (token.allow && !token.deny) {
      return allow(`cross-account access allowed by ${repo.allow}; ${token.allow} admits the principal (${GET_AUTHORIZATION_TOKEN})`);
    }
  }
  if (domainIgnored) return deny(missing('domain', true, null));
  return deny(
    `${domainDoc ? 'the domain policy' : 'the domain has no resource policy, so it'} does not admit ${p.arn}: ` +
      `the domain owner must allow it ${GET_AUTHORIZATION_TOKEN} (or ${action})`,
  );
}
