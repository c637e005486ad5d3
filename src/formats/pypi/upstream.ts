// The seam for external connections (`public:pypi`): where the read chain will fetch a project page
// and its files from the URL the operator configured (HOARD_EXTERNAL_PYPI_URL) once the
// upstream-fetching work lands. Today the chain ends at the domain's own repositories, and this
// module only fixes the contract that work has to meet.
import type { FileEntry } from './simple.js';

/** A project page as an external index serves it, already checked and rewritten to our paths. */
export interface ExternalProject {
  /** normalized name */
  project: string;
  /** files with their upstream URLs kept aside; sha256 is mandatory (PEP 503 fragment or JSON hashes) */
  files: (Omit<FileEntry, 'packageId'> & { upstreamUrl: string; upstreamMetadataUrl: string | null })[];
  /** validators for revalidating the cached copy (If-None-Match / If-Modified-Since) */
  etag: string | null;
  lastModified: string | null;
}

export interface PypiUpstream {
  /**
   * The project page from the external index (JSON preferred, HTML accepted), or null on 404.
   * Must keep `requires-python`, `yanked`, `size`, `upload-time` and advertise `.metadata` only
   * where the upstream does (reference protocols.md B.8).
   */
  project(name: string, cached: { etag: string | null; lastModified: string | null } | null): Promise<ExternalProject | 'not-modified' | null>;
  /**
   * Streams one file, verifying its sha256 before anything is stored or served; the caller then
   * retains the version in the requesting repository and in the one owning the connection.
   */
  file(entry: ExternalProject['files'][number]): Promise<NodeJS.ReadableStream>;
}

/** No external connection is fetched yet: every project is unknown upstream. */
export const noUpstream: PypiUpstream = {
  async project() {
    return null;
  },
  async file(entry) {
    throw new Error(`external fetching is not implemented (${entry.filename})`);
  },
};
