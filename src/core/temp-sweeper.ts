// The temp sweeper: removes what interrupted uploads left in the blob store (temp files on disk;
// temp objects and unfinished multipart uploads on S3) once it is older than a grace period, so an
// upload still running on this or another replica is never touched. Runs once at start, then on an
// interval; runs never overlap, a failing run is logged and the next one tries again, and stop()
// waits for a run in progress (as the blob collector does).
import type { BlobStore } from '../blobs/blob-store.js';
import { runEvery, type PeriodicHandle } from './periodic.js';

export type TempSweeperHandle = PeriodicHandle;

export function startTempSweeper(
  blobs: BlobStore,
  opts: {
    intervalMs: number;
    graceMs: number;
    log: { info(o: object, m: string): void; warn(o: object, m: string): void };
  },
): TempSweeperHandle {
  return runEvery(
    opts.intervalMs,
    async () => {
      const removed = await blobs.sweepTemp(opts.graceMs);
      if (removed) opts.log.info({ removed, store: blobs.kind }, 'temporaries of interrupted uploads removed');
    },
    { runNow: true, onError: (e) => opts.log.warn({ err: { message: e.message } }, 'temp sweep failed; the next one tries again') },
  );
}
