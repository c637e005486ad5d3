// The seam for fetching npm packages from beyond the domain (an external connection such as
// public:npmjs), filled in by the upstream-fetching work. The read path (documents.ts) resolves a
// name as a walk over the repository's chain: the repository itself, then its upstream
// repositories in CodeArtifact's order (merged from their precomputed documents). An external
// connection would be the last link: asked for a packument when the chain does not end in a
// document, its versions integrity-checked and retained (origin EXTERNAL) through
// PackageService.inPackage(..., 'upstream', ...), after which the refresher rebuilds the documents
// and the ordinary read path serves them.
import type { RepositoryWithDomain } from '../../store/domains.js';
import type { NpmName } from './names.js';

export interface NpmUpstream {
  /** The upstream packument (full), or null when the external registry does not have the package. */
  packument(repo: RepositoryWithDomain, name: NpmName, opts: { etag?: string }): Promise<{ doc: Record<string, unknown>; etag?: string } | 'not-modified' | null>;
  /** Streams a tarball from the external registry after checking it against `integrity`. */
  tarball(repo: RepositoryWithDomain, name: NpmName, version: string, integrity: string): Promise<NodeJS.ReadableStream>;
}

/** Until external connections are wired in, the chain ends at the last upstream repository. */
export const noUpstream: NpmUpstream | null = null;
