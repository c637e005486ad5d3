// Helpers for the package/version control-plane tests: SDK failures, digests, what the blob store
// holds, the collector, and a bulk insert of many versions (pagination tests).
import { createHash } from 'node:crypto';
import { collectBlobs } from '../../src/core/collector.js';
import { revisionOf } from '../../src/core/packages.js';
import type { TestHoard } from './hoard.js';

/** Runs a call that must fail; returns the SDK error for assertions. */
export async function failure(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function domainId(h: TestHoard, domain: string): Promise<number> {
  const d = await h.server.services.domains.findDomain(h.accountId, domain);
  if (!d) throw new Error(`no domain ${domain}`);
  return d.id;
}

/** The objects in the blob store for one domain, sorted. */
export async function blobObjects(h: TestHoard, domain: string): Promise<string[]> {
  const out: string[] = [];
  for await (const k of h.server.services.blobs.list(`d${await domainId(h, domain)}`)) out.push(k);
  return out.sort();
}

/** The blob rows (leases) of one domain. */
export async function blobRows(h: TestHoard, domain: string): Promise<number> {
  const r = await h.server.services.db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM blob WHERE domain_id = $1', [
    await domainId(h, domain),
  ]);
  return r.rows[0].n;
}

/** Runs the collector now with the given grace period. */
export function collect(h: TestHoard, graceMs = 0) {
  return collectBlobs(h.server.services.db, h.server.services.blobs, graceMs);
}

/** Event rows (outbox) for one package version, oldest first. */
export async function events(h: TestHoard, pkg: string, version?: string) {
  const r = await h.server.services.db.query<{ payload: { detail: Record<string, unknown> } }>(
    `SELECT payload FROM event WHERE payload->'detail'->>'packageName' = $1
       AND ($2::text IS NULL OR payload->'detail'->>'packageVersion' = $2) ORDER BY id`,
    [pkg, version ?? null],
  );
  return r.rows.map((x) => x.payload.detail);
}

/**
 * Inserts `count` Published versions of a generic package without assets in one statement
 * (setup for pagination tests; the pages themselves are read through the SDK). Published times
 * are one second apart, oldest first.
 */
export async function bulkVersions(h: TestHoard, domain: string, repository: string, c: { namespace: string; name: string }, count: number) {
  const { svc } = { svc: h.server.services };
  const d = await svc.domains.findDomain(h.accountId, domain);
  const repo = await svc.domains.repository(d!, repository);
  await svc.packages.inPackage(repo, { format: 'generic', ...c }, 'publish', async () => {});
  const pkg = (await svc.packages.findPackage(repo, { format: 'generic', ...c }))!;
  const revision = revisionOf([], {});
  await svc.db.query(
    `INSERT INTO package_version (package_id, version, status, revision, origin_type, entry_repository, published_at, metadata)
     SELECT $1, 'v' || lpad(i::text, 6, '0'), 'Published', $2, 'INTERNAL', $3,
            timestamptz '2024-01-01 00:00:00+00' + make_interval(secs => i), '{}'::jsonb
       FROM generate_series(1, $4::int) AS i`,
    [pkg.id, revision, repository, count],
  );
  return pkg;
}
