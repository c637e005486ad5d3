// The IAM policy grammar Hoard accepts: parsePolicy validates a policy document's text and
// returns it normalized. Evaluation lives in src/auth/policy.ts (which re-exports all of this).

import { CONDITION_OPERATORS, globMatch, parseOperator, type ConditionBlock } from './policy-match.js';

/** Largest policy document CodeArtifact accepts, in characters. */
export const MAX_POLICY_LENGTH = 7168;

const API_OPERATIONS = [
  'AssociateExternalConnection', 'CopyPackageVersions', 'CreateDomain', 'CreatePackageGroup',
  'CreateRepository', 'DeleteDomain', 'DeleteDomainPermissionsPolicy', 'DeletePackage',
  'DeletePackageGroup', 'DeletePackageVersions', 'DeleteRepository', 'DeleteRepositoryPermissionsPolicy',
  'DescribeDomain', 'DescribePackage', 'DescribePackageGroup', 'DescribePackageVersion',
  'DescribeRepository', 'DisassociateExternalConnection', 'DisposePackageVersions',
  'GetAssociatedPackageGroup', 'GetAuthorizationToken', 'GetDomainPermissionsPolicy',
  'GetPackageVersionAsset', 'GetPackageVersionReadme', 'GetRepositoryEndpoint',
  'GetRepositoryPermissionsPolicy', 'ListAllowedRepositoriesForGroup', 'ListAssociatedPackages',
  'ListDomains', 'ListPackageGroups', 'ListPackageVersionAssets', 'ListPackageVersionDependencies',
  'ListPackageVersions', 'ListPackages', 'ListRepositories', 'ListRepositoriesInDomain',
  'ListSubPackageGroups', 'ListTagsForResource', 'PublishPackageVersion', 'PutDomainPermissionsPolicy',
  'PutPackageOriginConfiguration', 'PutRepositoryPermissionsPolicy', 'TagResource', 'UntagResource',
  'UpdatePackageGroup', 'UpdatePackageGroupOriginConfiguration', 'UpdatePackageVersionsStatus',
  'UpdateRepository',
] as const;

/** Permission-only action names that have no API operation of their own. */
const EXTRA_ACTIONS = ['ReadFromRepository', 'PutPackageMetadata', 'AssociateWithDownstreamRepository'] as const;

/** Hoard's own API (service `hoard`): webhooks, on the domain's ARN; the audit trail's lookup, on the account. */
const HOARD_ACTIONS = [
  'CreateWebhook', 'ListWebhooks', 'DescribeWebhook', 'UpdateWebhook', 'DeleteWebhook',
  'ListWebhookDeliveries', 'RedeliverWebhook', 'LookupAuditEvents',
] as const;

/** Every action a policy may name: all codeartifact:* actions, Hoard's hoard:* ones and sts:GetServiceBearerToken. */
export const KNOWN_ACTIONS: readonly string[] = Object.freeze([
  ...[...API_OPERATIONS, ...EXTRA_ACTIONS].map((name) => `codeartifact:${name}`),
  ...HOARD_ACTIONS.map((name) => `hoard:${name}`),
  'sts:GetServiceBearerToken',
]);

const KNOWN_SERVICES = ['codeartifact', 'hoard', 'sts'];

export interface Statement {
  sid?: string;
  effect: 'Allow' | 'Deny';
  /** Normalized principals: '*' or an IAM ARN (a bare account id becomes arn:aws:iam::{id}:root). */
  principal?: string[];
  notPrincipal?: string[];
  /** Action patterns as written (matched case-insensitively). */
  action?: string[];
  notAction?: string[];
  /** Resource patterns; in a resource policy an absent Resource is stored as ['*']. */
  resource?: string[];
  notResource?: string[];
  /** Operator → key → values; booleans and numbers in the document become strings. */
  condition?: ConditionBlock;
}

export interface PolicyDocument {
  version: string;
  id?: string;
  statements: Statement[];
  /** The document exactly as submitted. */
  text: string;
}

/** A policy document that is not acceptable; the message says what to change. */
export class PolicyValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyValidationError';
  }
}

const TOP_LEVEL_KEYS = ['Version', 'Id', 'Statement'];
const STATEMENT_KEYS = ['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'];
const VERSIONS = ['2012-10-17', '2008-10-17'];

const ACCOUNT_ID = /^\d{12}$/;
const ROOT_ARN = /^arn:aws:iam::\d{12}:root$/;
const USER_ARN = /^arn:aws:iam::\d{12}:user\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const ACTION_SHAPE = /^([A-Za-z0-9-]+):([A-Za-z0-9*?]+)$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const quote = (v: unknown) => JSON.stringify(v);

/**
 * Parses and validates a policy document. `kind` 'resource' is a domain or repository policy
 * (Principal required, Resource optional); 'identity' is a user's policy (no Principal,
 * Resource required). Throws PolicyValidationError with a message a person can act on.
 */
export function parsePolicy(text: string, kind: 'resource' | 'identity'): PolicyDocument {
  const fail = (message: string): never => {
    throw new PolicyValidationError(message);
  };
  if (typeof text !== 'string') fail('Policy document must be a string of JSON');
  if (text.length > MAX_POLICY_LENGTH) {
    fail(`Policy document is ${text.length} characters long; the maximum is ${MAX_POLICY_LENGTH}`);
  }
  if (text.trim() === '') fail('Policy document is empty; expected a JSON object with Version and Statement');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    fail(`Policy document is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(doc)) {
    fail(`Policy document must be a JSON object, not ${Array.isArray(doc) ? 'an array' : doc === null ? 'null' : typeof doc}`);
  }
  const root = doc as Record<string, unknown>;
  for (const key of Object.keys(root)) {
    if (!TOP_LEVEL_KEYS.includes(key)) fail(`Policy document has unknown key ${quote(key)}; allowed keys are Version, Id, Statement`);
  }
  if (root.Version === undefined) fail('Policy document is missing "Version"; use "2012-10-17"');
  if (typeof root.Version !== 'string' || !VERSIONS.includes(root.Version)) {
    fail(`Policy document has unsupported Version ${quote(root.Version)}; use "2012-10-17" (or "2008-10-17")`);
  }
  if (root.Id !== undefined && typeof root.Id !== 'string') fail('Policy document "Id" must be a string');
  if (root.Statement === undefined) fail('Policy document is missing "Statement"');
  const rawStatements = Array.isArray(root.Statement) ? root.Statement : [root.Statement];
  if (rawStatements.length === 0) fail('Policy document "Statement" must not be an empty array');

  const seenSids = new Set<string>();
  const statements = rawStatements.map((raw, i) => {
    const st = parseStatement(raw, kind, (m) => fail(`Policy statement ${i + 1}: ${m}`));
    if (st.sid) {
      if (seenSids.has(st.sid)) fail(`Policy statement ${i + 1}: duplicate Sid ${quote(st.sid)}; each Sid must be unique`);
      seenSids.add(st.sid);
    }
    return st;
  });
  return { version: root.Version as string, ...(root.Id !== undefined ? { id: root.Id as string } : {}), statements, text };
}

function parseStatement(raw: unknown, kind: 'resource' | 'identity', fail: (m: string) => never): Statement {
  if (!isObject(raw)) return fail('must be a JSON object');
  for (const key of Object.keys(raw)) {
    if (!STATEMENT_KEYS.includes(key)) fail(`unknown key ${quote(key)}; allowed keys are ${STATEMENT_KEYS.join(', ')}`);
  }
  const st: Statement = { effect: 'Allow' };

  if (raw.Sid !== undefined) {
    if (typeof raw.Sid !== 'string' || !/^[A-Za-z0-9]*$/.test(raw.Sid)) {
      fail(`Sid ${quote(raw.Sid)} is invalid; a Sid may contain only letters and digits`);
    }
    st.sid = raw.Sid as string;
  }

  if (raw.Effect === undefined) fail('missing "Effect"; use "Allow" or "Deny"');
  if (raw.Effect !== 'Allow' && raw.Effect !== 'Deny') fail(`Effect ${quote(raw.Effect)} is invalid; use "Allow" or "Deny"`);
  st.effect = raw.Effect as 'Allow' | 'Deny';

  // Principal / NotPrincipal
  if (kind === 'identity') {
    if (raw.Principal !== undefined) fail('"Principal" is not allowed in an identity policy (the principal is the user the policy is attached to)');
    if (raw.NotPrincipal !== undefined) fail('"NotPrincipal" is not allowed in an identity policy');
  } else {
    if (raw.Principal !== undefined && raw.NotPrincipal !== undefined) fail('has both "Principal" and "NotPrincipal"; use exactly one');
    if (raw.Principal === undefined && raw.NotPrincipal === undefined) {
      fail('missing "Principal"; a resource policy must say whom it applies to, e.g. "Principal": {"AWS": "arn:aws:iam::111122223333:root"}');
    }
    if (raw.Principal !== undefined) st.principal = parsePrincipal(raw.Principal, 'Principal', fail);
    else st.notPrincipal = parsePrincipal(raw.NotPrincipal, 'NotPrincipal', fail);
  }

  // Action / NotAction
  if (raw.Action !== undefined && raw.NotAction !== undefined) fail('has both "Action" and "NotAction"; use exactly one');
  if (raw.Action === undefined && raw.NotAction === undefined) fail('missing "Action" (or "NotAction")');
  const actionKey = raw.Action !== undefined ? 'Action' : 'NotAction';
  const actions = stringList(raw[actionKey], actionKey, fail);
  for (const a of actions) validateAction(a, fail);
  if (actionKey === 'Action') st.action = actions;
  else st.notAction = actions;

  // Resource / NotResource
  if (raw.Resource !== undefined && raw.NotResource !== undefined) fail('has both "Resource" and "NotResource"; use at most one');
  if (raw.Resource === undefined && raw.NotResource === undefined) {
    if (kind === 'identity') fail('missing "Resource" (or "NotResource"); an identity policy must name the resources it applies to, e.g. "Resource": "*"');
    st.resource = ['*'];
  } else {
    const resourceKey = raw.Resource !== undefined ? 'Resource' : 'NotResource';
    const resources = stringList(raw[resourceKey], resourceKey, fail);
    for (const r of resources) validateResource(r, resourceKey, fail);
    if (resourceKey === 'Resource') st.resource = resources;
    else st.notResource = resources;
  }

  if (raw.Condition !== undefined) st.condition = parseCondition(raw.Condition, fail);
  return st;
}

function stringList(value: unknown, key: string, fail: (m: string) => never): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return [...value] as string[];
  return fail(`"${key}" must be a string or a non-empty array of strings`);
}

function parsePrincipal(value: unknown, key: string, fail: (m: string) => never): string[] {
  if (value === '*') return ['*'];
  if (!isObject(value)) {
    return fail(`"${key}" must be "*" or an object such as {"AWS": "arn:aws:iam::111122223333:root"}, got ${quote(value)}`);
  }
  const keys = Object.keys(value);
  for (const k of keys) {
    if (k !== 'AWS') {
      fail(`"${key}" type ${quote(k)} is not supported; only "AWS" principals (an account id, arn:aws:iam::<account>:root, arn:aws:iam::<account>:user/<name>, or "*") are supported`);
    }
  }
  if (keys.length === 0) fail(`"${key}" must not be empty; use {"AWS": ...}`);
  const entries = stringList(value.AWS, `${key}.AWS`, fail);
  return entries.map((e) => {
    if (e === '*') return '*';
    if (ACCOUNT_ID.test(e)) return `arn:aws:iam::${e}:root`;
    if (ROOT_ARN.test(e) || USER_ARN.test(e)) return e;
    return fail(`invalid principal ${quote(e)} in "${key}"; expected "*", a 12-digit account id, arn:aws:iam::<account>:root or arn:aws:iam::<account>:user/<name>`);
  });
}

function validateAction(action: string, fail: (m: string) => never): void {
  if (action === '*') return;
  const m = ACTION_SHAPE.exec(action);
  if (!m) return fail(`invalid action ${quote(action)}; expected "*" or "service:ActionName", e.g. "codeartifact:ReadFromRepository"`);
  const service = m[1].toLowerCase();
  if (!KNOWN_SERVICES.includes(service)) {
    fail(`unknown service ${quote(m[1])} in action ${quote(action)}; only "codeartifact", "hoard" and "sts" actions are supported`);
  }
  if (!KNOWN_ACTIONS.some((known) => globMatch(action, known, true))) fail(`unknown action ${quote(action)}`);
}

function validateResource(resource: string, key: string, fail: (m: string) => never): void {
  if (resource === '*') return;
  if (!resource.startsWith('arn:') || resource.split(':').length < 6) {
    fail(`invalid ${key} ${quote(resource)}; expected "*" or an ARN such as arn:aws:codeartifact:us-east-1:111122223333:repository/my-domain/my-repo`);
  }
}

function conditionValue(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) return String(v);
  return null;
}

function parseCondition(value: unknown, fail: (m: string) => never): ConditionBlock {
  if (!isObject(value)) return fail('"Condition" must be an object such as {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}');
  // Keys are chosen by the policy's author: null-prototype maps, so "__proto__" is a key like any other.
  const block: ConditionBlock = Object.create(null);
  for (const [opName, keys] of Object.entries(value)) {
    const op = parseOperator(opName);
    if (!op) fail(`unknown condition operator ${quote(opName)}; supported operators are ${CONDITION_OPERATORS.join(', ')}, with an optional IfExists suffix and ForAnyValue:/ForAllValues: prefix`);
    if (op!.base === 'Null' && (op!.ifExists || op!.set)) fail(`condition operator ${quote(opName)} is invalid; Null takes no IfExists suffix and no ForAnyValue:/ForAllValues: prefix`);
    if (!isObject(keys)) fail(`condition operator ${quote(opName)} must map condition keys to values, e.g. {"aws:PrincipalAccount": "111122223333"}`);
    const parsedKeys: Record<string, string[]> = Object.create(null);
    for (const [key, raw] of Object.entries(keys as Record<string, unknown>)) {
      if (key === '') fail(`condition operator ${quote(opName)} has an empty condition key`);
      const list = Array.isArray(raw) ? raw : [raw];
      const values = list.map(conditionValue);
      if (list.length === 0 || values.some((v) => v === null)) {
        fail(`condition ${opName} ${quote(key)} must be a string, number, boolean, or a non-empty array of them`);
      }
      if ((op!.base === 'Bool' || op!.base === 'Null') && values.some((v) => v!.toLowerCase() !== 'true' && v!.toLowerCase() !== 'false')) {
        fail(`condition ${opName} ${quote(key)} must be "true" or "false"`);
      }
      parsedKeys[key] = values as string[];
    }
    block[opName] = parsedKeys;
  }
  return block;
}
