// One home for the background loops that every replica runs on a timer (blob collector, temp
// sweeper, audit pruner): a job every intervalMs (0 = never), never two runs at once, a failing run
// reported and tried again at the next tick, and stop() that waits for a run in progress.
export interface PeriodicHandle {
  stop(): Promise<void>;
}

export function runEvery(
  intervalMs: number,
  job: () => Promise<void>,
  opts: { onError: (e: Error) => void; runNow?: boolean },
): PeriodicHandle {
  if (intervalMs <= 0) return { stop: async () => {} };
  let running: Promise<void> | null = null;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = job()
      .catch((e: Error) => opts.onError(e))
      .finally(() => {
        running = null;
      });
  };
  if (opts.runNow) tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
