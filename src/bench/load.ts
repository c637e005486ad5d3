// Load measurement for `npm run bench`: runs autocannon against one URL several times and reports
// medians, so a figure is never one lucky run.
import os from 'node:os';
import autocannon from 'autocannon';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export async function measureOnce(
  url: string,
  opts: { connections: number; durationSec?: number; headers?: Record<string, string>; method?: 'GET' | 'HEAD' },
): Promise<LoadResult> {
  const r = await autocannon({
    url,
    connections: opts.connections,
    pipelining: 1,
    duration: opts.durationSec ?? 5,
    headers: opts.headers,
    method: opts.method ?? 'GET',
  });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Median of `runs` runs (after one warm-up run that is thrown away). */
export async function measure(
  url: string,
  opts: { connections: number; durationSec?: number; headers?: Record<string, string>; runs?: number; method?: 'GET' | 'HEAD' },
): Promise<LoadResult & { runs: number }> {
  await measureOnce(url, { ...opts, durationSec: 1 });
  const runs: LoadResult[] = [];
  for (let i = 0; i < (opts.runs ?? 3); i++) runs.push(await measureOnce(url, opts));
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    runs: runs.length,
  };
}

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`;
}

export function row(label: string, r: LoadResult & { runs?: number }, baseline?: LoadResult): string {
  const ratio = baseline ? `  ${(r.rps / baseline.rps).toFixed(2)}x baseline rps` : '';
  return `${label.padEnd(44)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${String(r.p50).padStart(4)} ms  p99 ${String(r.p99).padStart(4)} ms  errors ${r.errors}  non-2xx ${r.non2xx}${ratio}`;
}
