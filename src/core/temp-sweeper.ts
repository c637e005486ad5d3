// The temp sweeper: removes what interrupted uploads left in the blob store (temp files on disk;
// temp objects and unfinished multipart uploads on S3) once it is older than a grace period, so an
// upload still running on this or another replica is never touched. Runs once at start, then on an
// interval; runs never overlap, a failing run is logged and the next one tries again, and stop()
// waits for a run in progress (as the blob collector does).
import type { BlobStore } from '../blobs/blob-store.js';

export interface TempSweeperHandle {
  stop(): Promise<void>;
}

export function startTempSweeper(
  blobs: BlobStore,
  opts: {
    intervalMs: number;
    graceMs: number;
    log: { info(o: object, m: string): void; warn(o: object, m: string): void };
  },
): TempSweeperHandle {
  if (opts.intervalMs <= 0) return { stop: async () => {} };
  let running: Promise<void> | null = null;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = blobs
      .sweepTemp(opts.graceMs)
      .then((removed) => {
        if (removed) opts.log.info({ removed, store: blobs.kind }, 'temporaries of interrupted uploads removed');
      })
      .catch((e: Error) => opts.log.warn({ err: { message: e.message } }, 'temp sweep failed; the next one tries again'))
      .finally(() => {
        running = null;
      });
  };
  tick();
  const timer = setInterval(tick, opts.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
