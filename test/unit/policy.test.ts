import { describe, it, expect } from 'vitest';
import {
  KNOWN_ACTIONS,
  PolicyValidationError,
  defaultContext,
  evaluate,
  parsePolicy,
  type EvaluationRequest,
  type PolicyDocument,
  type Principal,
} from '../../src/auth/policy.js';

const OWNER = '111122223333';
const OTHER = '444455556666';
const THIRD = '777788889999';

const ownerRoot: Principal = { kind: 'root', accountId: OWNER, arn: `arn:aws:iam::${OWNER}:root` };
const alice: Principal = { kind: 'user', accountId: OWNER, arn: `arn:aws:iam::${OWNER}:user/alice`, userName: 'alice' };
const otherRoot: Principal = { kind: 'root', accountId: OTHER, arn: `arn:aws:iam::${OTHER}:root` };
const bob: Principal = { kind: 'user', accountId: OTHER, arn: `arn:aws:iam::${OTHER}:user/bob`, userName: 'bob' };
const ciBot: Principal = { kind: 'user', accountId: OTHER, arn: `arn:aws:iam::${OTHER}:user/ci-bot`, userName: 'ci-bot' };
const thirdRoot: Principal = { kind: 'root', accountId: THIRD, arn: `arn:aws:iam::${THIRD}:root` };
const anonymous: Principal = { kind: 'anonymous', accountId: '', arn: '*' };

const ARN = `arn:aws:codeartifact:us-east-1:${OWNER}`;
const DOMAIN = `${ARN}:domain/acme`;
const REPO = `${ARN}:repository/acme/app`;
const SECRET_REPO = `${ARN}:repository/acme/secret`;
const LEFT_PAD = `${ARN}:package/acme/app/npm//left-pad`;
const RIGHT_PAD = `${ARN}:package/acme/app/npm//right-pad`;

const READ = 'codeartifact:ReadFromRepository';
const PUBLISH = 'codeartifact:PublishPackageVersion';
const GAT = 'codeartifact:GetAuthorizationToken';

type Stmt = Record<string, unknown>;
const doc = (statements: Stmt[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const rp = (...statements: Stmt[]): PolicyDocument => parsePolicy(doc(statements), 'resource');
const ip = (...statements: Stmt[]): PolicyDocument => parsePolicy(doc(statements), 'identity');
const aws = (...ids: string[]) => ({ AWS: ids.length === 1 ? ids[0] : ids });

/** Identity-policy Allow of `action` on `resource`. */
const idAllow = (action: string | string[], resource: string | string[] = '*', extra: Stmt = {}) =>
  ip({ Effect: 'Allow', Action: action, Resource: resource, ...extra });
/** Resource-policy Allow of `action` to `principal`. */
const grant = (principal: unknown, action: string | string[], extra: Stmt = {}) =>
  rp({ Effect: 'Allow', Principal: principal, Action: action, Resource: '*', ...extra });
const domainGat = (principal: unknown = aws(OTHER)) => grant(principal, GAT);

/** A repository read by `principal`; override anything. */
function req(principal: Principal, over: Partial<EvaluationRequest> = {}): EvaluationRequest {
  return {
    principal,
    action: READ,
    resource: REPO,
    resourceAccount: OWNER,
    scope: 'repository',
    identityPolicies: [],
    domainPolicy: null,
    repositoryPolicy: null,
    ...over,
  };
}

interface Case {
  name: string;
  req: EvaluationRequest;
  allowed: boolean;
  reason?: RegExp;
}

function runTable(cases: Case[]) {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const d = evaluate(c.req);
    expect(d.allowed, d.reason).toBe(c.allowed);
    expect(d.reason.length).toBeGreaterThan(0);
    if (c.reason) expect(d.reason).toMatch(c.reason);
  });
}

describe('evaluate: same account', () => {
  runTable([
    { name: 'owner root reads without any policy', req: req(ownerRoot), allowed: true, reason: /root/ },
    { name: 'owner root, domain action', req: req(ownerRoot, { scope: 'domain', action: 'codeartifact:DescribeDomain', resource: DOMAIN }), allowed: true },
    { name: 'owner root, global ListDomains', req: req(ownerRoot, { scope: 'global', action: 'codeartifact:ListDomains', resource: '*' }), allowed: true },
    { name: 'owner user without identity policy is denied', req: req(alice), allowed: false, reason: /no identity policy or resource policy allows codeartifact:ReadFromRepository/ },
    { name: 'owner user with identity policy on *', req: req(alice, { identityPolicies: [idAllow(READ)] }), allowed: true, reason: /identity policy statement 1/ },
    { name: 'owner user with identity policy on this repository ARN', req: req(alice, { identityPolicies: [idAllow(READ, REPO)] }), allowed: true },
    { name: 'owner user with identity policy on another repository', req: req(alice, { identityPolicies: [idAllow(READ, SECRET_REPO)] }), allowed: false },
    { name: 'owner user with identity policy for another action', req: req(alice, { identityPolicies: [idAllow(PUBLISH)] }), allowed: false },
    // An account principal delegates to the account: its users still need their identity policy.
    { name: 'owner user, repository policy naming the account alone does not allow', req: req(alice, { repositoryPolicy: grant(aws(OWNER), READ) }), allowed: false, reason: /repository policy statement 1 allows account 111122223333.*also needs an identity policy/ },
    { name: 'owner user, domain policy naming the account root ARN alone does not allow', req: req(alice, { domainPolicy: grant(aws(ownerRoot.arn), '*') }), allowed: false, reason: /domain policy statement 1 allows account 111122223333/ },
    { name: 'owner user, domain policy naming the account, DeleteRepository (the reported case)', req: req(alice, { action: 'codeartifact:DeleteRepository', domainPolicy: grant(aws(ownerRoot.arn), 'codeartifact:*') }), allowed: false },
    { name: 'owner user, account grant plus identity policy', req: req(alice, { identityPolicies: [idAllow(READ)], repositoryPolicy: grant(aws(OWNER), READ) }), allowed: true, reason: /identity policy/ },
    { name: 'owner user, account grant alongside a grant naming the user', req: req(alice, { repositoryPolicy: grant(aws(OWNER, alice.arn), READ) }), allowed: true, reason: /repository policy/ },
    { name: 'owner root, repository policy naming its own account', req: req(ownerRoot, { repositoryPolicy: grant(aws(OWNER), READ) }), allowed: true },
    { name: 'owner user, account grant does not beat a Deny naming the account', req: req(alice, { identityPolicies: [idAllow(READ)], repositoryPolicy: rp({ Effect: 'Deny', Principal: aws(OWNER), Action: READ }) }), allowed: false, reason: /explicit deny/ },
    { name: 'owner user allowed by domain policy naming the user', req: req(alice, { domainPolicy: grant(aws(alice.arn), READ) }), allowed: true, reason: /domain policy/ },
    { name: 'owner user, repository policy naming another user', req: req(alice, { repositoryPolicy: grant(aws(`arn:aws:iam::${OWNER}:user/carol`), READ) }), allowed: false },
    { name: 'owner user, domain action ignores the repository policy', req: req(alice, { scope: 'domain', action: 'codeartifact:DescribeDomain', resource: DOMAIN, repositoryPolicy: grant('*', '*') }), allowed: false },
    { name: 'owner user, global action with identity policy on *', req: req(alice, { scope: 'global', action: 'codeartifact:ListRepositories', resource: '*', identityPolicies: [idAllow('codeartifact:ListRepositories')] }), allowed: true },
    { name: 'owner user, global action with identity policy on a domain ARN only', req: req(alice, { scope: 'global', action: 'codeartifact:ListRepositories', resource: '*', identityPolicies: [idAllow('codeartifact:ListRepositories', `${ARN}:domain/*`)] }), allowed: false },
    { name: 'owner user, global action ignores resource policies', req: req(alice, { scope: 'global', action: 'codeartifact:ListDomains', resource: '*', domainPolicy: grant('*', '*') }), allowed: false, reason: /no identity policy allows codeartifact:ListDomains on "\*"/ },
  ]);
});

describe('evaluate: cross account', () => {
  runTable([
    { name: 'other root, no policies', req: req(otherRoot), allowed: false, reason: /repository has no resource policy/ },
    { name: 'other root, repository grant but no domain policy', req: req(otherRoot, { repositoryPolicy: grant(aws(OTHER), READ) }), allowed: false, reason: /does not admit arn:aws:iam::444455556666:root.*GetAuthorizationToken/ },
    { name: 'other root, repository grant, domain grants GetAuthorizationToken', req: req(otherRoot, { repositoryPolicy: grant(aws(OTHER), READ), domainPolicy: domainGat() }), allowed: true },
    { name: 'other root, repository grant, domain grants the same action', req: req(otherRoot, { repositoryPolicy: grant(aws(OTHER), READ), domainPolicy: grant(aws(OTHER), READ) }), allowed: true },
    { name: 'other root, domain grant only', req: req(otherRoot, { domainPolicy: grant(aws(OTHER), [GAT, READ]) }), allowed: false, reason: /repository has no resource policy/ },
    { name: 'other root, repository policy for a different action', req: req(otherRoot, { repositoryPolicy: grant(aws(OTHER), PUBLISH), domainPolicy: domainGat() }), allowed: false, reason: /repository policy does not allow codeartifact:ReadFromRepository/ },
    { name: 'other root, grants to a third account', req: req(otherRoot, { repositoryPolicy: grant(aws(THIRD), READ), domainPolicy: domainGat(aws(THIRD)) }), allowed: false },
    { name: 'other root, domain token grant explicitly denied', req: req(otherRoot, { repositoryPolicy: grant(aws(OTHER), READ), domainPolicy: rp({ Effect: 'Allow', Principal: aws(OTHER), Action: GAT }, { Effect: 'Deny', Principal: '*', Action: GAT }) }), allowed: false, reason: /does not admit/ },
    { name: 'other user, both grants, no identity policy', req: req(bob, { repositoryPolicy: grant(aws(OTHER), READ), domainPolicy: domainGat() }), allowed: false, reason: /no identity policy allows codeartifact:ReadFromRepository.*cross-account/ },
    { name: 'other user, both grants and identity policy', req: req(bob, { identityPolicies: [idAllow(READ)], repositoryPolicy: grant(aws(OTHER), READ), domainPolicy: domainGat() }), allowed: true },
    { name: 'other user, identity policy but no resource grants', req: req(bob, { identityPolicies: [idAllow(READ)] }), allowed: false },
    { name: 'other user, identity policy, repository grant, no domain grant', req: req(bob, { identityPolicies: [idAllow(READ)], repositoryPolicy: grant(aws(OTHER), READ) }), allowed: false, reason: /does not admit/ },
    { name: 'other user, grants naming the user ARN', req: req(bob, { identityPolicies: [idAllow(READ)], repositoryPolicy: grant(aws(bob.arn), READ), domainPolicy: domainGat(aws(bob.arn)) }), allowed: true },
    { name: 'other user, account grants plus its identity policy (account principal works across accounts)', req: req(bob, { identityPolicies: [idAllow(READ)], repositoryPolicy: grant(aws(`arn:aws:iam::${OTHER}:root`), READ), domainPolicy: domainGat(aws(`arn:aws:iam::${OTHER}:root`)) }), allowed: true },
    { name: 'other user, account grants without its identity policy', req: req(bob, { repositoryPolicy: grant(aws(`arn:aws:iam::${OTHER}:root`), READ), domainPolicy: domainGat(aws(`arn:aws:iam::${OTHER}:root`)) }), allowed: false, reason: /no identity policy allows/ },
    { name: 'other user, account grant on the repository, domain does not admit', req: req(bob, { identityPolicies: [idAllow(READ)], repositoryPolicy: grant(aws(OTHER), READ), domainPolicy: grant(aws(OTHER), PUBLISH) }), allowed: false, reason: /does not admit/ },
    { name: 'other user, domain action with account grant and identity policy', req: req(bob, { scope: 'domain', action: 'codeartifact:DescribeDomain', resource: DOMAIN, identityPolicies: [idAllow('codeartifact:DescribeDomain')], domainPolicy: grant(aws(OTHER), 'codeartifact:DescribeDomain') }), allowed: true },
    { name: 'other user, grants naming a different user', req: req(bob, { identityPolicies: [idAllow(READ)], repositoryPolicy: grant(aws(ciBot.arn), READ), domainPolicy: domainGat(aws(ciBot.arn)) }), allowed: false },
    { name: 'other root, GetAuthorizationToken with domain grant', req: req(otherRoot, { scope: 'domain', action: GAT, resource: DOMAIN, domainPolicy: domainGat() }), allowed: true },
    { name: 'other root, GetAuthorizationToken without domain policy', req: req(otherRoot, { scope: 'domain', action: GAT, resource: DOMAIN }), allowed: false, reason: /domain has no resource policy/ },
    { name: 'other root, domain action: repository policy does not count', req: req(otherRoot, { scope: 'domain', action: GAT, resource: DOMAIN, repositoryPolicy: grant('*', '*') }), allowed: false },
    { name: 'other user, GetAuthorizationToken needs identity policy', req: req(bob, { scope: 'domain', action: GAT, resource: DOMAIN, domainPolicy: domainGat() }), allowed: false },
    { name: 'other root, global action is about its own account', req: req(otherRoot, { scope: 'global', action: 'codeartifact:ListDomains', resource: '*' }), allowed: true },
    { name: 'other root publishes a package its repository grant names', req: req(otherRoot, { action: PUBLISH, resource: LEFT_PAD, repositoryPolicy: grant(aws(OTHER), PUBLISH, { Resource: LEFT_PAD }), domainPolicy: domainGat() }), allowed: true },
    { name: 'other root publishes a package the grant does not name', req: req(otherRoot, { action: PUBLISH, resource: RIGHT_PAD, repositoryPolicy: grant(aws(OTHER), PUBLISH, { Resource: LEFT_PAD }), domainPolicy: domainGat() }), allowed: false },
  ]);
});

describe('evaluate: "*" principal and anonymous', () => {
  const publicRead = grant('*', READ);
  runTable([
    { name: 'anonymous, repository policy Principal "*"', req: req(anonymous, { repositoryPolicy: publicRead }), allowed: true, reason: /anonymous access granted by repository policy/ },
    { name: 'anonymous, repository policy {"AWS":"*"}', req: req(anonymous, { repositoryPolicy: grant(aws('*'), READ) }), allowed: true },
    { name: 'anonymous, domain policy "*" covers repository reads', req: req(anonymous, { domainPolicy: publicRead }), allowed: true, reason: /domain policy/ },
    { name: 'anonymous, no policies', req: req(anonymous), allowed: false, reason: /no repository or domain policy allows codeartifact:ReadFromRepository.*"\*"/ },
    { name: 'anonymous, grant to an account does not cover anonymous', req: req(anonymous, { repositoryPolicy: grant(aws(OWNER), READ) }), allowed: false },
    { name: 'anonymous, NotPrincipal Allow never grants anonymous', req: req(anonymous, { repositoryPolicy: rp({ Effect: 'Allow', NotPrincipal: aws(THIRD), Action: READ }) }), allowed: false },
    { name: 'anonymous, "*" grant for another action', req: req(anonymous, { action: PUBLISH, resource: LEFT_PAD, repositoryPolicy: publicRead }), allowed: false },
    { name: 'anonymous, identity policies never apply', req: req(anonymous, { identityPolicies: [idAllow('*')] }), allowed: false },
    { name: 'anonymous, global action', req: req(anonymous, { scope: 'global', action: 'codeartifact:ListDomains', resource: '*', domainPolicy: grant('*', '*') }), allowed: false, reason: /anonymous/ },
    { name: 'anonymous, domain action with domain policy "*"', req: req(anonymous, { scope: 'domain', action: 'codeartifact:DescribeDomain', resource: DOMAIN, domainPolicy: grant('*', 'codeartifact:DescribeDomain') }), allowed: true },
    { name: 'anonymous, domain action: repository policy does not count', req: req(anonymous, { scope: 'domain', action: 'codeartifact:DescribeDomain', resource: DOMAIN, repositoryPolicy: grant('*', '*') }), allowed: false, reason: /no domain policy/ },
    { name: 'named other root via "*" grants', req: req(otherRoot, { repositoryPolicy: publicRead, domainPolicy: domainGat('*') }), allowed: true },
    { name: 'named other user via "*" grants still needs identity policy', req: req(bob, { repositoryPolicy: publicRead, domainPolicy: domainGat('*') }), allowed: false },
    { name: 'named owner user via "*" repository grant', req: req(alice, { repositoryPolicy: publicRead }), allowed: true },
    {
      name: '"*" with aws:PrincipalAccount condition admits that account',
      req: req(otherRoot, { repositoryPolicy: grant('*', READ, { Condition: { StringEquals: { 'aws:PrincipalAccount': OTHER } } }), domainPolicy: domainGat('*') }),
      allowed: true,
    },
    {
      name: '"*" with aws:PrincipalAccount condition refuses another account',
      req: req(thirdRoot, { repositoryPolicy: grant('*', READ, { Condition: { StringEquals: { 'aws:PrincipalAccount': OTHER } } }), domainPolicy: domainGat('*') }),
      allowed: false,
    },
    {
      name: '"*" with aws:PrincipalAccount condition refuses anonymous (key missing)',
      req: req(anonymous, { repositoryPolicy: grant('*', READ, { Condition: { StringEquals: { 'aws:PrincipalAccount': OTHER } } }) }),
      allowed: false,
    },
  ]);
});

describe('evaluate: explicit deny wins', () => {
  const denyRead = (principal: unknown, sid = 'NoRead') => ({ Sid: sid, Effect: 'Deny', Principal: principal, Action: READ, Resource: '*' });
  runTable([
    {
      name: 'identity Deny beats identity Allow',
      req: req(alice, { identityPolicies: [ip({ Effect: 'Allow', Action: '*', Resource: '*' }, { Sid: 'NoRead', Effect: 'Deny', Action: READ, Resource: REPO })] }),
      allowed: false,
      reason: /^explicit deny in identity policy statement "NoRead"$/,
    },
    {
      name: 'Deny in a second identity policy is labelled by position',
      req: req(alice, { identityPolicies: [idAllow('*'), ip({ Effect: 'Deny', Action: 'codeartifact:Read*', Resource: '*' })] }),
      allowed: false,
      reason: /^explicit deny in identity policy 2 statement 1$/,
    },
    {
      name: 'identity Deny beats repository Allow',
      req: req(alice, { identityPolicies: [ip({ Effect: 'Deny', Action: READ, Resource: '*' })], repositoryPolicy: grant(aws(OWNER), READ) }),
      allowed: false,
      reason: /explicit deny in identity policy/,
    },
    { name: 'domain Deny beats owner root', req: req(ownerRoot, { domainPolicy: rp(denyRead('*', 'Lockdown')) }), allowed: false, reason: /^explicit deny in domain policy statement "Lockdown"$/ },
    { name: 'repository Deny beats owner root', req: req(ownerRoot, { repositoryPolicy: rp(denyRead(aws(OWNER))) }), allowed: false, reason: /^explicit deny in repository policy statement "NoRead"$/ },
    {
      name: 'repository Deny beats identity Allow',
      req: req(alice, { identityPolicies: [idAllow('*')], repositoryPolicy: rp(denyRead(aws(alice.arn))) }),
      allowed: false,
      reason: /repository policy statement "NoRead"/,
    },
    {
      name: 'repository Deny beats Allow in the same policy (cross account)',
      req: req(otherRoot, { repositoryPolicy: rp({ Effect: 'Allow', Principal: aws(OTHER), Action: 'codeartifact:*' }, { Effect: 'Deny', Principal: aws(OTHER), Action: READ }), domainPolicy: domainGat() }),
      allowed: false,
      reason: /^explicit deny in repository policy statement 2$/,
    },
    { name: 'Deny for another principal does not apply', req: req(ownerRoot, { repositoryPolicy: rp(denyRead(aws(OTHER))) }), allowed: true },
    { name: 'Deny with "*" applies to anonymous too', req: req(anonymous, { repositoryPolicy: rp({ Effect: 'Allow', Principal: '*', Action: READ }, denyRead('*')) }), allowed: false, reason: /explicit deny/ },
    { name: 'identity Deny is not applied to root', req: req(ownerRoot, { identityPolicies: [ip({ Effect: 'Deny', Action: '*', Resource: '*' })] }), allowed: true },
    {
      name: 'Deny with NotPrincipal hits everyone else',
      req: req(otherRoot, { repositoryPolicy: rp({ Effect: 'Deny', NotPrincipal: aws(OWNER), Action: '*' }, { Effect: 'Allow', Principal: '*', Action: READ }), domainPolicy: domainGat() }),
      allowed: false,
      reason: /explicit deny/,
    },
    {
      name: 'Deny with NotPrincipal spares the named account',
      req: req(alice, { repositoryPolicy: rp({ Effect: 'Deny', NotPrincipal: aws(OWNER), Action: '*' }, { Effect: 'Allow', Principal: '*', Action: READ }) }),
      allowed: true,
    },
  ]);
});

describe('evaluate: NotAction and NotResource', () => {
  const allButDelete = ip({ Effect: 'Allow', NotAction: ['codeartifact:Delete*', 'codeartifact:Dispose*'], Resource: '*' });
  const allButSecret = ip({ Effect: 'Allow', Action: READ, NotResource: SECRET_REPO });
  runTable([
    { name: 'NotAction allows actions outside the list', req: req(alice, { identityPolicies: [allButDelete] }), allowed: true },
    { name: 'NotAction does not allow listed actions', req: req(alice, { action: 'codeartifact:DeletePackageVersions', resource: LEFT_PAD, identityPolicies: [allButDelete] }), allowed: false },
    {
      name: 'Deny with NotAction denies everything else',
      req: req(alice, { action: PUBLISH, resource: LEFT_PAD, identityPolicies: [idAllow('*')], repositoryPolicy: rp({ Effect: 'Deny', Principal: '*', NotAction: READ }) }),
      allowed: false,
      reason: /explicit deny in repository policy/,
    },
    { name: 'Deny with NotAction spares the listed action', req: req(alice, { identityPolicies: [idAllow('*')], repositoryPolicy: rp({ Effect: 'Deny', Principal: '*', NotAction: READ }) }), allowed: true },
    { name: 'NotResource allows other resources', req: req(alice, { identityPolicies: [allButSecret] }), allowed: true },
    { name: 'NotResource does not allow the listed resource', req: req(alice, { resource: SECRET_REPO, identityPolicies: [allButSecret] }), allowed: false },
    { name: 'resource policy NotResource', req: req(alice, { repositoryPolicy: rp({ Effect: 'Allow', Principal: aws(alice.arn), Action: PUBLISH, NotResource: RIGHT_PAD }), action: PUBLISH, resource: LEFT_PAD }), allowed: true },
    { name: 'resource policy NotResource excludes', req: req(alice, { repositoryPolicy: rp({ Effect: 'Allow', Principal: aws(alice.arn), Action: PUBLISH, NotResource: RIGHT_PAD }), action: PUBLISH, resource: RIGHT_PAD }), allowed: false },
  ]);
});

describe('evaluate: resource matching', () => {
  runTable([
    { name: 'package wildcard in identity policy', req: req(alice, { action: PUBLISH, resource: LEFT_PAD, identityPolicies: [idAllow(PUBLISH, `${ARN}:package/acme/app/npm//*`)] }), allowed: true },
    { name: '"?" matches one character', req: req(alice, { identityPolicies: [idAllow(READ, `${ARN}:repository/acme/ap?`)] }), allowed: true },
    { name: 'resource match is case-sensitive', req: req(alice, { identityPolicies: [idAllow(READ, `${ARN}:repository/acme/App`)] }), allowed: false },
    { name: '":" and "/" are not interchangeable', req: req(alice, { identityPolicies: [idAllow(READ, `${ARN}:repository:acme:app`)] }), allowed: false },
    { name: 'repository ARN does not cover its packages', req: req(alice, { action: PUBLISH, resource: LEFT_PAD, identityPolicies: [idAllow(PUBLISH, REPO)] }), allowed: false },
    { name: 'resource-policy Resource on another repository does not apply', req: req(alice, { repositoryPolicy: grant(aws(OWNER), READ, { Resource: SECRET_REPO }) }), allowed: false },
  ]);
});

describe('evaluate: conditions', () => {
  const withCond = (Condition: Stmt, principal: Principal = alice, context?: EvaluationRequest['context']) =>
    req(principal, { identityPolicies: [idAllow(READ, '*', { Condition })], context });
  runTable([
    { name: 'StringEquals on aws:username holds', req: withCond({ StringEquals: { 'aws:username': 'alice' } }), allowed: true },
    { name: 'StringEquals on aws:username fails', req: withCond({ StringEquals: { 'aws:username': 'carol' } }), allowed: false },
    { name: 'StringEquals values of one key OR together', req: withCond({ StringEquals: { 'aws:username': ['carol', 'alice'] } }), allowed: true },
    { name: 'StringEquals is case-sensitive', req: withCond({ StringEquals: { 'aws:username': 'Alice' } }), allowed: false },
    { name: 'StringEqualsIgnoreCase', req: withCond({ StringEqualsIgnoreCase: { 'aws:username': 'ALICE' } }), allowed: true },
    { name: 'condition key names are case-insensitive', req: withCond({ StringEquals: { 'AWS:PrincipalACCOUNT': OWNER } }), allowed: true },
    { name: 'keys AND together', req: withCond({ StringEquals: { 'aws:username': 'alice', 'aws:PrincipalAccount': OTHER } }), allowed: false },
    { name: 'operators AND together', req: withCond({ StringEquals: { 'aws:username': 'alice' }, StringLike: { 'aws:PrincipalArn': '*:user/a*' } }), allowed: true },
    { name: 'operators AND together (one fails)', req: withCond({ StringEquals: { 'aws:username': 'alice' }, StringLike: { 'aws:PrincipalArn': '*:user/b*' } }), allowed: false },
    { name: 'StringNotEquals holds', req: withCond({ StringNotEquals: { 'aws:username': 'carol' } }), allowed: true },
    { name: 'StringNotEquals fails', req: withCond({ StringNotEquals: { 'aws:username': ['carol', 'alice'] } }), allowed: false },
    {
      name: 'StringLike on aws:PrincipalArn in a repository policy',
      req: req(ciBot, { identityPolicies: [idAllow(READ)], domainPolicy: domainGat(), repositoryPolicy: grant(aws(OTHER), READ, { Condition: { StringLike: { 'aws:PrincipalArn': `arn:aws:iam::${OTHER}:user/ci-*` } } }) }),
      allowed: true,
    },
    {
      name: 'StringLike refuses a non-matching user',
      req: req(bob, { identityPolicies: [idAllow(READ)], domainPolicy: domainGat(), repositoryPolicy: grant(aws(OTHER), READ, { Condition: { StringLike: { 'aws:PrincipalArn': `arn:aws:iam::${OTHER}:user/ci-*` } } }) }),
      allowed: false,
    },
    { name: 'StringNotLike', req: withCond({ StringNotLike: { 'aws:username': 'ci-*' } }), allowed: true },
    { name: 'ArnLike with wildcard account', req: withCond({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/al*' } }), allowed: true },
    { name: 'ArnLike wildcard stays within its ARN part', req: withCond({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*' } }), allowed: false },
    { name: 'ArnEquals exact', req: withCond({ ArnEquals: { 'aws:PrincipalArn': alice.arn } }), allowed: true },
    { name: 'ArnNotLike', req: withCond({ ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:root' } }), allowed: true },
    { name: 'Bool SecureTransport true over TLS', req: withCond({ Bool: { 'aws:SecureTransport': 'true' } }, alice, defaultContext(alice, true)), allowed: true },
    { name: 'Bool SecureTransport true over plain HTTP', req: withCond({ Bool: { 'aws:SecureTransport': true } }, alice, defaultContext(alice, false)), allowed: false },
    { name: 'Bool defaults to insecure when no context is given', req: withCond({ Bool: { 'aws:SecureTransport': 'true' } }), allowed: false },
    {
      name: 'Deny when not over TLS',
      req: req(ownerRoot, { repositoryPolicy: rp({ Sid: 'TlsOnly', Effect: 'Deny', Principal: '*', Action: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }), context: { 'aws:SecureTransport': false } }),
      allowed: false,
      reason: /"TlsOnly"/,
    },
    { name: 'missing key fails a positive operator', req: withCond({ StringEquals: { 'hoard:Team': 'web' } }), allowed: false },
    { name: 'missing key passes a negated operator', req: withCond({ StringNotEquals: { 'hoard:Team': 'web' } }), allowed: true },
    { name: 'IfExists passes when the key is missing', req: withCond({ StringEqualsIfExists: { 'hoard:Team': 'web' } }), allowed: true },
    { name: 'IfExists tests the key when present (match)', req: withCond({ StringEqualsIfExists: { 'hoard:Team': 'web' } }, alice, { 'hoard:Team': 'web' }), allowed: true },
    { name: 'IfExists tests the key when present (no match)', req: withCond({ StringEqualsIfExists: { 'hoard:Team': 'web' } }, alice, { 'hoard:Team': 'ops' }), allowed: false },
    { name: 'a condition key named "__proto__" is a key like any other (absent here, so the Allow does not apply)', req: withCond({ StringEquals: { ['__proto__']: 'x' } }), allowed: false },
    { name: 'a condition key named "__proto__" matches when the request has it', req: withCond({ StringEquals: { ['__proto__']: 'x' } }, alice, { ['__proto__']: 'x' }), allowed: true },
    { name: 'undefined context value counts as missing', req: withCond({ StringEquals: { 'aws:username': 'alice' } }, alice, { 'aws:username': undefined }), allowed: false },
    { name: 'Null true: key absent', req: withCond({ Null: { 'hoard:Team': 'true' } }), allowed: true },
    { name: 'Null true: key present', req: withCond({ Null: { 'aws:username': 'true' } }), allowed: false },
    { name: 'Null false: key present', req: withCond({ Null: { 'aws:username': false } }), allowed: true },
    { name: 'ForAnyValue: one value in the set', req: withCond({ 'ForAnyValue:StringEquals': { 'hoard:Tags': ['b', 'x'] } }, alice, { 'hoard:Tags': ['a', 'b'] }), allowed: true },
    { name: 'ForAnyValue: no value in the set', req: withCond({ 'ForAnyValue:StringEquals': { 'hoard:Tags': ['x'] } }, alice, { 'hoard:Tags': ['a', 'b'] }), allowed: false },
    { name: 'ForAnyValue: missing key', req: withCond({ 'ForAnyValue:StringEquals': { 'hoard:Tags': ['x'] } }), allowed: false },
    { name: 'ForAnyValue:StringLike', req: withCond({ 'ForAnyValue:StringLike': { 'hoard:Tags': 'team-*' } }, alice, { 'hoard:Tags': ['prod', 'team-web'] }), allowed: true },
    { name: 'ForAllValues: all values in the set', req: withCond({ 'ForAllValues:StringEquals': { 'hoard:Tags': ['a', 'b', 'c'] } }, alice, { 'hoard:Tags': ['a', 'b'] }), allowed: true },
    { name: 'ForAllValues: one value outside the set', req: withCond({ 'ForAllValues:StringEquals': { 'hoard:Tags': ['a', 'b'] } }, alice, { 'hoard:Tags': ['a', 'z'] }), allowed: false },
    { name: 'ForAllValues: missing key holds', req: withCond({ 'ForAllValues:StringEquals': { 'hoard:Tags': ['a'] } }), allowed: true },
    { name: 'multi-valued key without set operator matches any value', req: withCond({ StringEquals: { 'hoard:Tags': 'b' } }, alice, { 'hoard:Tags': ['a', 'b'] }), allowed: true },
    { name: 'sts:AWSServiceName from the request context', req: req(alice, { scope: 'domain', action: 'sts:GetServiceBearerToken', resource: '*', identityPolicies: [idAllow('sts:GetServiceBearerToken', '*', { Condition: { StringEquals: { 'sts:AWSServiceName': 'codeartifact.amazonaws.com' } } })], context: { 'sts:AWSServiceName': 'codeartifact.amazonaws.com' } }), allowed: true },
    { name: 'aws:PrincipalType distinguishes root', req: req(ownerRoot, { repositoryPolicy: rp({ Effect: 'Deny', Principal: '*', Action: '*', Condition: { StringEquals: { 'aws:PrincipalType': 'Account' } } }) }), allowed: false },
  ]);
});

describe('evaluate: wildcard actions', () => {
  runTable([
    { name: 'codeartifact:Describe* covers DescribeRepository', req: req(alice, { action: 'codeartifact:DescribeRepository', identityPolicies: [idAllow('codeartifact:Describe*')] }), allowed: true },
    { name: 'codeartifact:Describe* does not cover ReadFromRepository', req: req(alice, { identityPolicies: [idAllow('codeartifact:Describe*')] }), allowed: false },
    { name: 'codeartifact:* covers every codeartifact action', req: req(alice, { action: PUBLISH, resource: LEFT_PAD, identityPolicies: [idAllow('codeartifact:*')] }), allowed: true },
    { name: 'codeartifact:* does not cover sts:GetServiceBearerToken', req: req(alice, { scope: 'domain', action: 'sts:GetServiceBearerToken', resource: '*', identityPolicies: [idAllow('codeartifact:*')] }), allowed: false },
    { name: '"*" covers sts:GetServiceBearerToken', req: req(alice, { scope: 'domain', action: 'sts:GetServiceBearerToken', resource: '*', identityPolicies: [idAllow('*')] }), allowed: true },
    { name: 'action match is case-insensitive', req: req(alice, { identityPolicies: [idAllow('CodeArtifact:readFROMrepository')] }), allowed: true },
    { name: 'request action case does not matter either', req: req(alice, { action: 'codeartifact:readfromrepository', identityPolicies: [idAllow(READ)] }), allowed: true },
    { name: '"?" wildcard in an action', req: req(alice, { scope: 'domain', action: GAT, resource: DOMAIN, identityPolicies: [idAllow('codeartifact:Get?uthorizationToken')] }), allowed: true },
    { name: 'wildcard in a resource policy Action', req: req(otherRoot, { action: 'codeartifact:ListPackages', repositoryPolicy: grant(aws(OTHER), 'codeartifact:List*'), domainPolicy: domainGat() }), allowed: true },
  ]);
});

describe('evaluate: ignoreResourcePolicyOf (anti-lockout)', () => {
  const putRepoPolicy = 'codeartifact:PutRepositoryPermissionsPolicy';
  const putDomainPolicy = 'codeartifact:PutDomainPermissionsPolicy';
  runTable([
    { name: 'repository policy grant counts normally', req: req(alice, { action: putRepoPolicy, repositoryPolicy: grant(aws(alice.arn), putRepoPolicy) }), allowed: true },
    { name: 'repository policy grant is ignored for its own Put', req: req(alice, { action: putRepoPolicy, repositoryPolicy: grant(aws(alice.arn), putRepoPolicy), ignoreResourcePolicyOf: 'repository' }), allowed: false },
    { name: 'repository policy Deny locks root out normally', req: req(ownerRoot, { action: putRepoPolicy, repositoryPolicy: rp({ Effect: 'Deny', Principal: '*', Action: '*' }) }), allowed: false },
    { name: 'repository policy Deny is ignored for its own Put', req: req(ownerRoot, { action: putRepoPolicy, repositoryPolicy: rp({ Effect: 'Deny', Principal: '*', Action: '*' }), ignoreResourcePolicyOf: 'repository' }), allowed: true },
    { name: 'domain policy still applies when the repository policy is ignored', req: req(ownerRoot, { action: putRepoPolicy, domainPolicy: rp({ Effect: 'Deny', Principal: '*', Action: '*' }), ignoreResourcePolicyOf: 'repository' }), allowed: false },
    {
      name: 'domain policy Deny is ignored for PutDomainPermissionsPolicy',
      req: req(ownerRoot, { scope: 'domain', action: putDomainPolicy, resource: DOMAIN, domainPolicy: rp({ Effect: 'Deny', Principal: '*', Action: '*' }), ignoreResourcePolicyOf: 'domain' }),
      allowed: true,
    },
    {
      name: 'cross account cannot be granted PutDomainPermissionsPolicy',
      req: req(otherRoot, { scope: 'domain', action: putDomainPolicy, resource: DOMAIN, domainPolicy: grant(aws(OTHER), '*'), ignoreResourcePolicyOf: 'domain' }),
      allowed: false,
      reason: /not consulted/,
    },
    {
      name: 'cross account cannot be granted PutRepositoryPermissionsPolicy',
      req: req(otherRoot, { action: putRepoPolicy, repositoryPolicy: grant(aws(OTHER), '*'), domainPolicy: domainGat(), ignoreResourcePolicyOf: 'repository' }),
      allowed: false,
      reason: /not consulted/,
    },
  ]);
});

describe('defaultContext', () => {
  it('fills root keys', () => {
    expect(defaultContext(ownerRoot, true)).toEqual({
      'aws:PrincipalType': 'Account',
      'aws:SecureTransport': true,
      'aws:PrincipalAccount': OWNER,
      'aws:PrincipalArn': ownerRoot.arn,
    });
  });
  it('fills user keys including aws:username', () => {
    expect(defaultContext(alice, false)).toMatchObject({ 'aws:PrincipalType': 'User', 'aws:username': 'alice', 'aws:PrincipalArn': alice.arn, 'aws:SecureTransport': false });
    const { userName: _omit, ...noName } = bob;
    expect(defaultContext(noName, false)['aws:username']).toBe('bob');
  });
  it('leaves principal keys out for anonymous', () => {
    expect(defaultContext(anonymous, true)).toEqual({ 'aws:PrincipalType': 'Anonymous', 'aws:SecureTransport': true });
  });
});

describe('parsePolicy: accepted documents', () => {
  it('normalizes principals, statements and resources', () => {
    const text = JSON.stringify({
      Version: '2012-10-17',
      Id: 'repo-policy',
      Statement: { Sid: 'Read1', Effect: 'Allow', Principal: { AWS: [OTHER, alice.arn, '*'] }, Action: READ, Condition: { Bool: { 'aws:SecureTransport': true } } },
    });
    const p = parsePolicy(text, 'resource');
    expect(p).toEqual({
      version: '2012-10-17',
      id: 'repo-policy',
      text,
      statements: [
        {
          sid: 'Read1',
          effect: 'Allow',
          principal: [`arn:aws:iam::${OTHER}:root`, alice.arn, '*'],
          action: [READ],
          resource: ['*'],
          condition: { Bool: { 'aws:SecureTransport': ['true'] } },
        },
      ],
    });
  });

  it('accepts the reference examples and 2008-10-17', () => {
    expect(() => parsePolicy(JSON.stringify({ Version: '2008-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: ['codeartifact:Describe*', 'codeartifact:Get*', 'codeartifact:List*', READ, 'sts:GetServiceBearerToken'], Resource: '*' }] }), 'resource')).not.toThrow();
    expect(() => parsePolicy(doc([{ Effect: 'Allow', Action: ['codeartifact:*', 'sts:GetServiceBearerToken'], Resource: `${ARN}:package/acme/app/npm/parity/ui` }]), 'identity')).not.toThrow();
    expect(() => parsePolicy(doc([{ Effect: 'Allow', NotPrincipal: { AWS: `arn:aws:iam::${OWNER}:user/ci/deployer` }, NotAction: 'sts:*', NotResource: REPO, Condition: { 'ForAllValues:StringLikeIfExists': { 'hoard:Tags': ['a*', 1] } } }]), 'resource')).not.toThrow();
  });

  it('accepts a document of exactly 7168 characters', () => {
    const base = doc([{ Effect: 'Allow', Action: READ, Resource: '*' }]);
    const text = base + ' '.repeat(7168 - base.length);
    expect(text.length).toBe(7168);
    expect(parsePolicy(text, 'identity').statements).toHaveLength(1);
  });

  it('KNOWN_ACTIONS lists every codeartifact action, the hoard: webhook and audit actions and sts:GetServiceBearerToken', () => {
    expect(KNOWN_ACTIONS).toHaveLength(60);
    expect(new Set(KNOWN_ACTIONS).size).toBe(60);
    for (const a of [READ, PUBLISH, GAT, 'codeartifact:PutPackageMetadata', 'codeartifact:AssociateWithDownstreamRepository', 'codeartifact:ListRepositories', 'codeartifact:UpdatePackageGroupOriginConfiguration', 'sts:GetServiceBearerToken']) {
      expect(KNOWN_ACTIONS).toContain(a);
    }
    expect(KNOWN_ACTIONS.filter((a) => a.startsWith('codeartifact:'))).toHaveLength(51);
    expect(KNOWN_ACTIONS.filter((a) => a.startsWith('hoard:')).sort()).toEqual(
      ['CreateWebhook', 'DeleteWebhook', 'DescribeWebhook', 'ListWebhookDeliveries', 'ListWebhooks', 'LookupAuditEvents', 'RedeliverWebhook', 'UpdateWebhook'].map((a) => `hoard:${a}`),
    );
  });
});

describe('parsePolicy: rejections', () => {
  const ok = { Effect: 'Allow', Principal: '*', Action: READ };
  const v = (statement: unknown) => JSON.stringify({ Version: '2012-10-17', Statement: statement });
  const cases: [string, string, 'resource' | 'identity', RegExp][] = [
    ['malformed JSON', '{"Version": "2012-10-17", ', 'resource', /^Policy document is not valid JSON: /],
    ['empty text', '   ', 'resource', /Policy document is empty/],
    ['JSON array', '[]', 'resource', /must be a JSON object, not an array/],
    ['JSON string', '"policy"', 'resource', /must be a JSON object, not string/],
    ['JSON null', 'null', 'resource', /must be a JSON object, not null/],
    ['missing Version', JSON.stringify({ Statement: [ok] }), 'resource', /missing "Version"/],
    ['unsupported Version', JSON.stringify({ Version: '2020-01-01', Statement: [ok] }), 'resource', /unsupported Version "2020-01-01"/],
    ['unknown top-level key', JSON.stringify({ Version: '2012-10-17', Statement: [ok], Extra: 1 }), 'resource', /unknown key "Extra"/],
    ['lower-case top-level key', JSON.stringify({ version: '2012-10-17', Statement: [ok] }), 'resource', /unknown key "version"/],
    ['non-string Id', JSON.stringify({ Version: '2012-10-17', Id: 5, Statement: [ok] }), 'resource', /"Id" must be a string/],
    ['missing Statement', JSON.stringify({ Version: '2012-10-17' }), 'resource', /missing "Statement"/],
    ['empty Statement array', v([]), 'resource', /"Statement" must not be an empty array/],
    ['statement not an object', v(['Allow']), 'resource', /^Policy statement 1: must be a JSON object/],
    ['missing Effect', v([ok, { Principal: '*', Action: READ }]), 'resource', /^Policy statement 2: missing "Effect"/],
    ['bad Effect', v([{ ...ok, Effect: 'allow' }]), 'resource', /Effect "allow" is invalid/],
    ['missing Action', v([{ Effect: 'Allow', Principal: '*' }]), 'resource', /^Policy statement 1: missing "Action" \(or "NotAction"\)/],
    ['both Action and NotAction', v([{ ...ok, NotAction: PUBLISH }]), 'resource', /both "Action" and "NotAction"/],
    ['empty Action array', v([{ ...ok, Action: [] }]), 'resource', /"Action" must be a string or a non-empty array of strings/],
    ['non-string Action', v([{ ...ok, Action: [READ, 5] }]), 'resource', /"Action" must be a string/],
    ['unknown action', v([ok, { ...ok, Action: 'codeartifact:ReadFromRepo' }]), 'resource', /^Policy statement 2: unknown action "codeartifact:ReadFromRepo"$/],
    ['unknown action pattern', v([{ ...ok, Action: 'codeartifact:Frobnicate*' }]), 'resource', /unknown action "codeartifact:Frobnicate\*"/],
    ['unknown sts action', v([{ ...ok, Action: 'sts:AssumeRole' }]), 'resource', /unknown action "sts:AssumeRole"/],
    ['unknown action in NotAction', v([{ Effect: 'Deny', Principal: '*', NotAction: 'codeartifact:Read' }]), 'resource', /unknown action "codeartifact:Read"/],
    ['unknown service', v([{ ...ok, Action: 's3:GetObject' }]), 'resource', /unknown service "s3" in action "s3:GetObject"; only "codeartifact", "hoard" and "sts"/],
    ['action without service', v([{ ...ok, Action: 'ReadFromRepository' }]), 'resource', /invalid action "ReadFromRepository"; expected .*service:ActionName/],
    ['Principal in identity policy', v([{ ...ok, Resource: '*' }]), 'identity', /"Principal" is not allowed in an identity policy/],
    ['NotPrincipal in identity policy', v([{ Effect: 'Allow', NotPrincipal: '*', Action: READ, Resource: '*' }]), 'identity', /"NotPrincipal" is not allowed in an identity policy/],
    ['missing Principal in resource policy', v([{ Effect: 'Allow', Action: READ }]), 'resource', /^Policy statement 1: missing "Principal"/],
    ['both Principal and NotPrincipal', v([{ ...ok, NotPrincipal: '*' }]), 'resource', /both "Principal" and "NotPrincipal"/],
    ['Service principal', v([{ ...ok, Principal: { Service: 'codeartifact.amazonaws.com' } }]), 'resource', /"Principal" type "Service" is not supported; only "AWS" principals/],
    ['Federated principal', v([{ ...ok, Principal: { AWS: '*', Federated: 'x' } }]), 'resource', /type "Federated" is not supported/],
    ['role principal', v([{ ...ok, Principal: { AWS: `arn:aws:iam::${OWNER}:role/builder` } }]), 'resource', /invalid principal "arn:aws:iam::111122223333:role\/builder"/],
    ['short account id', v([{ ...ok, Principal: { AWS: '12345' } }]), 'resource', /invalid principal "12345"/],
    ['bare string principal', v([{ ...ok, Principal: OWNER }]), 'resource', /"Principal" must be "\*" or an object/],
    ['empty principal object', v([{ ...ok, Principal: {} }]), 'resource', /"Principal" must not be empty/],
    ['missing Resource in identity policy', v([{ Effect: 'Allow', Action: READ }]), 'identity', /missing "Resource" \(or "NotResource"\)/],
    ['both Resource and NotResource', v([{ ...ok, Resource: '*', NotResource: REPO }]), 'resource', /both "Resource" and "NotResource"/],
    ['Resource that is not an ARN', v([{ ...ok, Resource: 'acme/app' }]), 'resource', /invalid Resource "acme\/app"; expected "\*" or an ARN/],
    ['unknown condition operator', v([{ ...ok, Condition: { StringEqualz: { 'aws:username': 'a' } } }]), 'resource', /unknown condition operator "StringEqualz"; supported operators are StringEquals/],
    ['unsupported numeric operator', v([{ ...ok, Condition: { NumericLessThan: { 'hoard:n': 1 } } }]), 'resource', /unknown condition operator "NumericLessThan"/],
    ['Null with IfExists', v([{ ...ok, Condition: { NullIfExists: { 'aws:username': 'true' } } }]), 'resource', /Null takes no IfExists/],
    ['Bool with a non-boolean', v([{ ...ok, Condition: { Bool: { 'aws:SecureTransport': 'yes' } } }]), 'resource', /must be "true" or "false"/],
    ['condition value that is an object', v([{ ...ok, Condition: { StringEquals: { 'aws:username': { a: 1 } } } }]), 'resource', /must be a string, number, boolean, or a non-empty array/],
    ['condition that is not an object', v([{ ...ok, Condition: 'aws:SecureTransport' }]), 'resource', /"Condition" must be an object/],
    ['Sid with spaces', v([{ ...ok, Sid: 'read access' }]), 'resource', /Sid "read access" is invalid; a Sid may contain only letters and digits/],
    ['duplicate Sid', v([{ ...ok, Sid: 'A' }, { ...ok, Sid: 'A' }]), 'resource', /^Policy statement 2: duplicate Sid "A"/],
    ['unknown statement key', v([{ ...ok, Actions: READ }]), 'resource', /unknown key "Actions"/],
    ['oversize document', doc([{ Effect: 'Allow', Action: Array(400).fill(READ), Resource: '*' }]), 'identity', /is \d+ characters long; the maximum is 7168/],
  ];
  it.each(cases)('%s', (_name, text, kind, message) => {
    let error: unknown;
    try {
      parsePolicy(text, kind);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyValidationError);
    expect((error as Error).message).toMatch(message);
  });
});
