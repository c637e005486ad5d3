// The shapes and limits of domains and repositories, as CodeArtifact's API has them (reference §2.7, §7.1).
import { validation } from '../errors.js';
import { check, type PackageFormat } from './names.js';

export const MAX_UPSTREAMS = 10;
export const MAX_SEARCHED_REPOSITORIES = 25;
export const MAX_REPOSITORIES_PER_DOMAIN = 1000;
export const MAX_TAGS = 200;

/** What an upstream list must be before any repository in it is looked up or authorized. */
export function checkUpstreamList(names: string[], repoName: string): void {
  if (names.length > MAX_UPSTREAMS)
    throw validation(`A repository can have at most ${MAX_UPSTREAMS} upstream repositories; got ${names.length}.`);
  if (new Set(names).size !== names.length) throw validation('The upstream repository list contains a duplicate.');
  for (const n of names) {
    check('repository', 'upstreams.member.repositoryName', n);
    if (n === repoName) throw validation(`Repository ${repoName} cannot be its own upstream.`);
  }
}

/** External connections Hoard knows, with the format each serves (reference §1.4). */
export const EXTERNAL_CONNECTIONS: Record<string, PackageFormat> = {
  'public:npmjs': 'npm',
  'public:pypi': 'pypi',
  'public:maven-central': 'maven',
  'public:maven-googleandroid': 'maven',
  'public:maven-gradleplugins': 'maven',
  'public:maven-commonsware': 'maven',
  'public:maven-clojars': 'maven',
  'public:nuget-org': 'nuget',
  'public:ruby-gems-org': 'ruby',
  'public:crates-io': 'cargo',
};

export interface Tag {
  key: string;
  value: string;
}

export interface DomainDescription {
  name: string;
  owner: string;
  arn: string;
  status: 'Active';
  createdTime: Date;
  encryptionKey?: string;
  repositoryCount: number;
  assetSizeBytes: number;
  s3BucketArn?: string;
}

export type DomainSummary = Omit<DomainDescription, 'repositoryCount' | 'assetSizeBytes' | 's3BucketArn'>;

export interface RepositorySummary {
  name: string;
  administratorAccount: string;
  domainName: string;
  domainOwner: string;
  arn: string;
  description?: string;
  createdTime: Date;
}

export interface RepositoryDescription extends RepositorySummary {
  upstreams: { repositoryName: string }[];
  externalConnections: { externalConnectionName: string; packageFormat: string; status: 'Available' }[];
}

export interface ResourcePolicy {
  resourceArn: string;
  revision: string;
  document: string;
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}
