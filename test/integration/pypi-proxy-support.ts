// Shared by the PyPI external-connection tests: a domain whose `py-store` repository holds
// public:pypi and whose `app` repository has py-store upstream, the fixture index those tests start,
// and what they check afterwards (versions a repository holds, blobs the domain stores).
import {
  AssociateExternalConnectionCommand,
  CreateDomainCommand,
  CreateRepositoryCommand,
  GetAuthorizationTokenCommand,
  ListPackageVersionsCommand,
} from '@aws-sdk/client-codeartifact';
import type { TestHoard } from '../support/hoard.js';

export const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';
export const PIP_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01';
export const UV_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01';

/** Domain `domain` with py-store (public:pypi) and app (upstream py-store); a token and the endpoints. */
export async function setupProxyDomain(h: TestHoard, domain: string) {
  const sdk = h.sdk();
  await sdk.send(new CreateDomainCommand({ domain }));
  await sdk.send(new CreateRepositoryCommand({ domain, repository: 'py-store' }));
  await sdk.send(new CreateRepositoryCommand({ domain, repository: 'app', upstreams: [{ repositoryName: 'py-store' }] }));
  await sdk.send(new AssociateExternalConnectionCommand({ domain, repository: 'py-store', externalConnection: 'public:pypi' }));
  const token = (await sdk.send(new GetAuthorizationTokenCommand({ domain }))).authorizationToken!;
  const endpoint = (repo: string) => `${h.url}/pypi/d/${domain}-${h.accountId}/${repo}/`;
  return { token, endpoint };
}

/** Versions of a PyPI package in a repository, with their origin ([] when the package is not there). */
export async function pypiVersionsIn(h: TestHoard, domain: string, repository: string, pkg: string) {
  const r = await h
    .sdk()
    .send(new ListPackageVersionsCommand({ domain, repository, format: 'pypi', package: pkg }))
    .catch((e: Error) => {
      if (e.name === 'ResourceNotFoundException') return { versions: [] };
      throw e;
    });
  return (r.versions ?? []).map((v) => ({ version: v.version, origin: v.origin?.originType, entry: v.origin?.domainEntryPoint }));
}

/** How many blobs the domain's store holds. */
export async function blobCount(h: TestHoard, domain: string): Promise<number> {
  const svc = h.server.services;
  const d = await svc.domains.findDomain(h.accountId, domain);
  let n = 0;
  for await (const _ of svc.blobs.list(`d${d!.id}`)) n++;
  return n;
}
