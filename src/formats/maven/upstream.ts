// The seam for fetching from outside the domain (an external connection such as
// public:maven-central, URL from HOARD_EXTERNAL_<NAME>_URL). Not wired yet: the read chain ends
// at the domain's own repositories. What an implementation must do, so reads stay correct:
// - fetch `path` from the connection's base URL; only 404/410 are "not found" (negative-cache
//   those, keyed by exact path, with a TTL), never 401/403/5xx/timeouts;
// - verify every file against the upstream's .sha1 (or .md5) before storing or serving it;
// - store and retain it through core/retention.ts ingest() (origin EXTERNAL, in the
//   requesting repository and in the repository that owns the connection (reference §1.9);
// - merge the upstream's artifact-level maven-metadata.xml into the chain's (documents.ts) with
//   a TTL, and never ingest SNAPSHOTs (CodeArtifact does not).
export interface MavenUpstream {
  /** The file's bytes and hashes, or null when the upstream does not have it. */
  fetchFile(path: string): Promise<{ body: NodeJS.ReadableStream; sha1: string; size?: number } | null>;
  /** The upstream's artifact-level metadata versions for a package, or null when unknown there. */
  fetchVersions(groupId: string, artifactId: string): Promise<string[] | null>;
}

/** No external connection: nothing is found outside the domain. */
export const noUpstream: MavenUpstream = {
  fetchFile: async () => null,
  fetchVersions: async () => null,
};
