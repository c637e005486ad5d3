// What every layer shares about a dependency (the database, the blob store) being down: the test for
// a connection-level failure, turning one into a ServiceUnavailable that names the dependency (each
// face answers it 503 with Retry-After) while the details go to the log, and the bounded wait at
// start-up while a dependency is still starting.
import { isHoardError, unavailable, type HoardError } from './errors.js';

export interface OutageLog {
  warn(o: object, m: string): void;
}

/** Socket-level error codes: the peer refused, reset, timed out or cannot be reached. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

export function errorCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

export const isNetworkError = (e: unknown): boolean => NETWORK_CODES.has(errorCode(e) ?? '');

export const isUnavailable = (e: unknown): e is HoardError => isHoardError(e) && e.kind === 'ServiceUnavailable';

/** How often one dependency's failure details are logged while it stays down. */
const LOG_EVERY_MS = 10_000;

/**
 * Turns connection-level failures of one dependency into `unavailable(...)`: `test` says which
 * errors are connection-level; anything else passes through untouched. The raw error (which can
 * name hosts and ports) goes to the log, at most once per 10 s, never to the client.
 */
export class OutageReporter {
  private lastLog = 0;
  constructor(
    private readonly message: string,
    private readonly test: (e: unknown) => boolean,
    private readonly what: string,
    public log?: OutageLog,
  ) {}

  is(e: unknown): boolean {
    return isUnavailable(e) || this.test(e);
  }

  /** The error to throw for e: a ServiceUnavailable when e is connection-level, else e itself. */
  wrap(e: unknown): unknown {
    if (isHoardError(e) || !this.test(e)) return e;
    this.note(e);
    const err = unavailable(this.message);
    Object.defineProperty(err, 'cause', { value: e, enumerable: false });
    return err;
  }

  note(e: unknown): void {
    const now = Date.now();
    if (now - this.lastLog < LOG_EVERY_MS) return;
    this.lastLog = now;
    this.log?.warn({ dependency: this.what, code: errorCode(e), err: { message: (e as Error)?.message } }, `${this.what} unavailable`);
  }
}

/** Start-up gave up waiting for a dependency; `hoard serve` prints its message and exits 1. */
export class StartupWaitError extends Error {}

/**
 * Calls fn until it succeeds, retrying while it fails with ServiceUnavailable, for up to timeoutMs
 * (one log line per attempt, backing off from 250 ms to 5 s); any other error, or the last
 * unavailable one once the time is up, is thrown.
 */
export async function waitUntilAvailable<T>(
  what: string,
  fn: () => Promise<T>,
  opts: { timeoutMs: number; log?: { info(o: object, m: string): void } },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isUnavailable(e)) throw e;
      const cause = (e as { cause?: unknown }).cause;
      if (Date.now() + delay > deadline) {
        const reason = (cause as Error | undefined)?.message ?? e.message;
        throw new StartupWaitError(`The ${what} did not accept connections within ${opts.timeoutMs} ms (HOARD_STARTUP_WAIT_MS): ${reason}`, { cause: e });
      }
      opts.log?.info(
        { dependency: what, attempt, retryInMs: delay, code: errorCode(cause), reason: (cause as Error | undefined)?.message },
        `waiting for the ${what} to accept connections`,
      );
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5_000);
    }
  }
}
