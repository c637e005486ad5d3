// What every npm route handler gets: the request, the opened endpoint, and access checks worded
// for npm users (each refusal says how to get a token).
import type { Context } from 'koa';
import type { Services } from '../../services.js';
import type { NpmData } from './data.js';
import { arn } from '../../core/names.js';
import type { Principal } from '../../core/identity.js';
import { authorize, type Endpoint } from '../shared/endpoint.js';
import type { PackumentReader } from './documents.js';
import type { NpmName } from './names.js';

export const ACTIONS = {
  read: 'codeartifact:ReadFromRepository',
  publish: 'codeartifact:PublishPackageVersion',
  delete: 'codeartifact:DeletePackageVersions',
} as const;

export class NpmRequest {
  constructor(
    readonly ctx: Context,
    readonly svc: Services,
    readonly ep: Endpoint,
    readonly data: NpmData,
    readonly reader: PackumentReader,
    readonly hint: string,
  ) {}

  authorizeRead(): Promise<void> {
    return authorize(this.svc, this.ep, ACTIONS.read, undefined, this.hint);
  }

  /** Publish and delete are checked against the package's ARN, as CodeArtifact does. */
  authorizePackage(action: (typeof ACTIONS)['publish' | 'delete'], n: NpmName): Promise<void> {
    const { domain, repo } = this.ep;
    const resource = arn.package(this.svc.config.region, domain.owner, domain.name, repo.name, 'npm', n.scope, n.bare);
    return authorize(this.svc, this.ep, action, resource, this.hint);
  }

  get principal(): Principal {
    return this.ep.caller.principal;
  }
}

/** The name npm shows for a principal (whoami, _npmUser, maintainers). */
export function npmUserName(p: Principal): string {
  if (p.kind === 'user' && p.userName) return p.userName;
  if (p.kind === 'root') return 'root';
  return 'anonymous';
}

/** `hoard login` hint included in every 401/403. */
export function loginHint(domain: string, repository: string): string {
  return `Run \`hoard login --tool npm --domain ${domain} --repository ${repository}\` (or \`aws codeartifact login --tool npm --domain ${domain} --repository ${repository}\`) to get a token.`;
}
