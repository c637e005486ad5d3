// Queries of the blob collector. A blob row is collectable when its lease (last_put_at) is older
// than the grace period and no asset of a repository in its domain references its content.
import type { Queryable } from './db.js';

export interface BlobKey {
  domain_id: number;
  sha256: string;
  size: number;
}

export const collectorStore = {
  /**
   * Claims up to `limit` collectable blobs, row-locked until the caller's transaction ends. SKIP
   * LOCKED lets several servers collect at once without waiting on (or double-deleting) each
   * other's rows; a writer renewing a claimed lease waits for the claim to end.
   */
  async claimUnreferenced(q: Queryable, graceMs: number, limit: number): Promise<BlobKey[]> {
    const r = await q.query<BlobKey>(
      `SELECT b.domain_id, b.sha256, b.size FROM blob b
        WHERE b.last_put_at < now() - make_interval(secs => $1::float8 / 1000)
          AND NOT EXISTS (
            SELECT 1 FROM asset a
              JOIN package_version v ON v.id = a.version_id
              JOIN package p ON p.id = v.package_id
              JOIN repository r ON r.id = p.repository_id
             WHERE a.sha256 = b.sha256 AND r.domain_id = b.domain_id)
        ORDER BY b.last_put_at
        LIMIT $2
        FOR UPDATE OF b SKIP LOCKED`,
      [graceMs, limit],
    );
    return r.rows;
  },

  async deleteBlobRow(q: Queryable, domainId: number, sha256: string): Promise<void> {
    await q.query('DELETE FROM blob WHERE domain_id = $1 AND sha256 = $2', [domainId, sha256]);
  },

  /** Blob rows of a domain (tests and diagnostics). */
  async countBlobs(q: Queryable, domainId: number): Promise<number> {
    const r = await q.query<{ n: number }>('SELECT count(*)::int8 AS n FROM blob WHERE domain_id = $1', [domainId]);
    return r.rows[0].n;
  },
};
