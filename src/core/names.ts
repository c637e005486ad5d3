// Name rules and ARNs exactly as CodeArtifact has them (reference §2.4, §1.5).
import { validation } from '../errors.js';

export const PACKAGE_FORMATS = ['npm', 'pypi', 'maven', 'nuget', 'generic', 'ruby', 'swift', 'cargo'] as const;
export type PackageFormat = (typeof PACKAGE_FORMATS)[number];

interface Rule {
  min: number;
  max: number;
  pattern: RegExp;
}

export const RULES = {
  domain: { min: 2, max: 50, pattern: /^[a-z][a-z0-9-]{0,48}[a-z0-9]$/ },
  accountId: { min: 12, max: 12, pattern: /^[0-9]{12}$/ },
  repository: { min: 2, max: 100, pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$/ },
  repositoryPrefix: { min: 2, max: 100, pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$/ },
  externalConnection: { min: 2, max: 100, pattern: /^[A-Za-z0-9][A-Za-z0-9._:-]{1,99}$/ },
  packageName: { min: 1, max: 255, pattern: /^[^#/\s]+$/ },
  description: { min: 0, max: 1000, pattern: /^\P{C}*$/u },
  policyDocument: { min: 1, max: 7168, pattern: /^[\P{C}\s]+$/u },
  policyRevision: { min: 1, max: 100, pattern: /^\S+$/ },
  resourceArn: { min: 1, max: 1011, pattern: /^\S+$/ },
  encryptionKey: { min: 1, max: 1011, pattern: /^\S+$/ },
  tagKey: { min: 1, max: 128, pattern: /^\P{C}+$/u },
  tagValue: { min: 0, max: 256, pattern: /^\P{C}*$/u },
  nextToken: { min: 1, max: 2000, pattern: /^\S+$/ },
  userName: { min: 1, max: 64, pattern: /^[A-Za-z0-9+=,.@_-]+$/ },
} satisfies Record<string, Rule>;

export type RuleName = keyof typeof RULES;

/** Validates a value against a named rule; the message names the field as the API calls it. */
export function check(rule: RuleName, field: string, value: string): string {
  const r: Rule = RULES[rule];
  if (value.length < r.min || value.length > r.max)
    throw validation(
      `1 validation error detected: Value '${clip(value)}' at '${field}' failed to satisfy constraint: Member must have length between ${r.min} and ${r.max}`,
    );
  if (!r.pattern.test(value))
    throw validation(
      `1 validation error detected: Value '${clip(value)}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${r.pattern.source.replace(/^\^|\$$/g, '')}`,
    );
  return value;
}

export function checkFormat(field: string, value: string): PackageFormat {
  if (!(PACKAGE_FORMATS as readonly string[]).includes(value))
    throw validation(
      `1 validation error detected: Value '${clip(value)}' at '${field}' failed to satisfy constraint: Member must satisfy enum value set: [${PACKAGE_FORMATS.join(', ')}]`,
    );
  return value as PackageFormat;
}

const clip = (s: string) => (s.length > 100 ? `${s.slice(0, 100)}...` : s);

export const arn = {
  domain: (region: string, owner: string, domain: string) => `arn:aws:codeartifact:${region}:${owner}:domain/${domain}`,
  repository: (region: string, owner: string, domain: string, repo: string) =>
    `arn:aws:codeartifact:${region}:${owner}:repository/${domain}/${repo}`,
  package: (region: string, owner: string, domain: string, repo: string, format: string, ns: string, name: string) =>
    `arn:aws:codeartifact:${region}:${owner}:package/${domain}/${repo}/${format}/${ns}/${name}`,
  root: (account: string) => `arn:aws:iam::${account}:root`,
  user: (account: string, userName: string) => `arn:aws:iam::${account}:user/${userName}`,
};

/** A repository's endpoint for a format, as GetRepositoryEndpoint returns it (ends in '/'). */
export function repositoryEndpoint(publicUrl: string, format: string, domain: string, owner: string, repository: string): string {
  return `${publicUrl}/${format}/d/${domain}-${owner}/${encodeURIComponent(repository)}/`;
}

export type ParsedArn =
  | { type: 'domain'; region: string; owner: string; domain: string }
  | { type: 'repository'; region: string; owner: string; domain: string; repository: string }
  | { type: 'package-group'; region: string; owner: string; domain: string; encodedPattern: string };

/** Parses the ARNs of taggable resources (domains, repositories, package groups: pattern still encoded). */
export function parseResourceArn(s: string): ParsedArn | null {
  const g = /^arn:aws:codeartifact:([a-z0-9-]+):([0-9]{12}):package-group\/([^/]+)(\/\S+)$/.exec(s);
  if (g) return { type: 'package-group', region: g[1], owner: g[2], domain: g[3], encodedPattern: g[4] };
  const m = /^arn:aws:codeartifact:([a-z0-9-]+):([0-9]{12}):(domain|repository)\/([^/]+)(?:\/([^/]+))?$/.exec(s);
  if (!m) return null;
  const [, region, owner, type, domain, repository] = m;
  if (type === 'domain' && repository === undefined) return { type, region, owner, domain };
  if (type === 'repository' && repository !== undefined) return { type, region, owner, domain, repository };
  return null;
}
