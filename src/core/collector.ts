// The blob collector: removes content no asset refers to any more (after DisposePackageVersions,
// DeletePackageVersions, DeletePackage, DeleteRepository, or an upload that failed after leasing).
// Each batch runs in one transaction: claim rows FOR UPDATE SKIP LOCKED (so several servers can
// collect at once), delete each object while holding its row lock, then delete the row. A blob
// whose lease (blob.last_put_at, renewed by every storeBlob and addAsset) is younger than the grace
// period is never claimed, so content a publish is about to reference is never removed; a writer
// renewing a lease on a claimed row waits for the claim and then re-uploads or fails cleanly.
import type { Db } from '../store/db.js';
import type { BlobStore } from '../blobs/blob-store.js';
import { collectorStore } from '../store/collector.js';
import { blobScope } from './packages.js';
import { runEvery, type PeriodicHandle } from './periodic.js';

export interface CollectResult {
  blobs: number;
  bytes: number;
}

const BATCH = 100;

/** Runs batches until nothing is collectable; returns what was removed. */
export async function collectBlobs(db: Db, blobs: BlobStore, graceMs: number, maxBatches = 1000): Promise<CollectResult> {
  const total: CollectResult = { blobs: 0, bytes: 0 };
  for (let i = 0; i < maxBatches; i++) {
    const n = await db.transaction(async (tx) => {
      const claimed = await collectorStore.claimUnreferenced(tx, graceMs, BATCH);
      for (const b of claimed) {
        await blobs.delete(blobScope(b.domain_id), b.sha256.trim());
        await collectorStore.deleteBlobRow(tx, b.domain_id, b.sha256);
        total.blobs++;
        total.bytes += b.size;
      }
      return claimed.length;
    });
    if (n < BATCH) break;
  }
  return total;
}

export type CollectorHandle = PeriodicHandle;

/**
 * Runs collectBlobs every intervalMs (0 = never). Runs never overlap; a failing run is logged and
 * the next one tries again. stop() waits for a run in progress.
 */
export function startCollector(
  db: Db,
  blobs: BlobStore,
  opts: { intervalMs: number; graceMs: number; log: { info(o: object, m: string): void; error(o: object, m: string): void } },
): CollectorHandle {
  return runEvery(
    opts.intervalMs,
    async () => {
      const r = await collectBlobs(db, blobs, opts.graceMs);
      if (r.blobs) opts.log.info({ blobs: r.blobs, bytes: r.bytes }, 'unreferenced blobs collected');
    },
    { onError: (e) => opts.log.error({ err: { message: e.message, stack: e.stack } }, 'blob collection failed') },
  );
}
