// The one place every route asks "may this principal do this here?". It gathers the identity
// policy and the domain/repository resource policies, then lets the evaluator decide.
import { accessDenied } from '../errors.js';
import type { Principal } from '../core/identity.js';
import type { IdentityService } from '../core/identity.js';
import type { DomainService } from '../core/domains.js';
import { evaluate, defaultContext, parsePolicy, type PolicyDocument } from './policy.js';

export interface AccessTarget {
  scope: 'domain' | 'repository' | 'global';
  /** account that owns the domain (the resource account); for 'global', the caller's */
  owner: string;
  domainId?: number;
  repositoryId?: number;
  /** ARN of what is acted on: domain, repository or package */
  resource: string;
}

export interface AccessOptions {
  ignoreResourcePolicyOf?: 'domain' | 'repository';
  secure?: boolean;
}

export class Access {
  // Parsed documents keyed by their text: policies change rarely, parsing on every request would not.
  private readonly parsed = new Map<string, PolicyDocument>();

  constructor(
    private readonly identity: IdentityService,
    private readonly domains: DomainService,
  ) {}

  async allowed(principal: Principal, action: string, target: AccessTarget, opts: AccessOptions = {}) {
    const identityPolicies: PolicyDocument[] = [];
    if (principal.kind === 'user' && principal.id !== undefined) {
      const text = await this.identity.identityPolicy(principal.id);
      if (text) identityPolicies.push(this.parse(text, 'identity'));
    }
    let domainPolicy: PolicyDocument | null = null;
    let repositoryPolicy: PolicyDocument | null = null;
    if (target.domainId !== undefined && target.scope !== 'global') {
      const p = await this.domains.policiesFor(target.domainId, target.scope === 'repository' ? target.repositoryId ?? null : null);
      domainPolicy = p.domainPolicy ? this.parse(p.domainPolicy.document, 'resource') : null;
      repositoryPolicy = p.repositoryPolicy ? this.parse(p.repositoryPolicy.document, 'resource') : null;
    }
    return evaluate({
      principal,
      action,
      resource: target.resource,
      resourceAccount: target.owner,
      scope: target.scope,
      identityPolicies,
      domainPolicy,
      repositoryPolicy,
      context: defaultContext(principal, opts.secure ?? false),
      ignoreResourcePolicyOf: opts.ignoreResourcePolicyOf,
    });
  }

  /** Throws AccessDenied with AWS's wording when the evaluator says no (see deniedMessage). */
  async require(principal: Principal, action: string, target: AccessTarget, opts: AccessOptions = {}): Promise<void> {
    const d = await this.allowed(principal, action, target, opts);
    if (!d.allowed) throw accessDenied(deniedMessage(principal, target.owner, action, target.resource, d.reason));
  }

  private parse(text: string, kind: 'identity' | 'resource'): PolicyDocument {
    const key = `${kind}:${text}`;
    let doc = this.parsed.get(key);
    if (!doc) {
      doc = parsePolicy(text, kind);
      if (this.parsed.size > 10_000) this.parsed.clear();
      this.parsed.set(key, doc);
    }
    return doc;
  }
}

/** A principal of another account than the one owning the resource (anonymous is no account's). */
export function isOtherAccount(principal: Principal, owner: string): boolean {
  return principal.kind !== 'anonymous' && principal.accountId !== owner;
}

/**
 * The AccessDenied message, worded as AWS words it. The owning account's principals are told why
 * (the missing grant, the Deny statement). Another account is told only what it asked: the same
 * words whether the resource is missing, not shared with it, or denied to it, so it can learn
 * neither which domains and repositories exist nor the owner's statement ids. `action` null
 * means the request as a whole (a package-manager request, before its action is known).
 */
export function deniedMessage(principal: Principal, owner: string, action: string | null, resource: string, reason: string): string {
  const who = `User: ${principal.arn === '*' ? 'anonymous' : principal.arn} is not authorized to perform`;
  const what = `${action === null ? ' this request' : `: ${action}`} on resource: ${resource}`;
  return isOtherAccount(principal, owner) ? `${who}${what}` : `${who}${what} because ${reason}`;
}
