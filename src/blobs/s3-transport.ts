// How the S3 store reaches S3: the minio client it builds from an endpoint URL, the HTTP transport
// it hands that client (node's http/https with a connect timeout and an idle timeout on every
// request, so a frozen or unreachable S3 fails a call within bounds instead of hanging it), and
// the test that tells an S3 outage from any other S3 error.
import http from 'node:http';
import https from 'node:https';
import { Client } from 'minio';
import { errorCode, isNetworkError } from '../outage.js';

export interface S3Timeouts {
  /** Longest wait for a TCP (and TLS) connection to the endpoint. */
  connectTimeoutMs: number;
  /** Longest silence on a connection while a request is sent or its answer read. */
  idleTimeoutMs: number;
}

export const DEFAULT_S3_TIMEOUTS: S3Timeouts = { connectTimeoutMs: 5_000, idleTimeoutMs: 30_000 };

export type Transport = { request: typeof http.request };

function timeoutError(message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code: 'ETIMEDOUT' });
}

export function timedTransport(useSSL: boolean, t: S3Timeouts): Transport {
  const base = useSSL ? https : http;
  const request = ((options: http.RequestOptions, cb?: (res: http.IncomingMessage) => void) => {
    const req = base.request(options, cb);
    let connectTimer: NodeJS.Timeout | undefined;
    req.once('socket', (socket) => {
      // A kept-alive socket is already connected; only a new one gets the connect deadline.
      if (!(socket as { connecting?: boolean }).connecting) return;
      connectTimer = setTimeout(
        () => req.destroy(timeoutError(`S3 endpoint did not accept a connection within ${t.connectTimeoutMs} ms`)),
        t.connectTimeoutMs,
      );
      socket.once(useSSL ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    });
    req.once('close', () => clearTimeout(connectTimer));
    // Node keeps this deadline for the whole exchange (request body and answer) and drops it when
    // the socket goes back to the pool.
    req.setTimeout(t.idleTimeoutMs, () =>
      req.destroy(timeoutError(`S3 endpoint sent nothing for ${t.idleTimeoutMs} ms`)),
    );
    return req;
  }) as typeof http.request;
  return { request };
}

/** S3 error codes that mean "the service cannot answer now", not "this request is wrong". */
const S3_UNAVAILABLE = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'XMinioServerNotInitialized']);

/** True for an S3 failure a client should retry: the endpoint unreachable, silent, or saying it is overloaded. */
export function isS3Outage(e: unknown): boolean {
  if (isNetworkError(e)) return true;
  const code = errorCode(e);
  if (code && S3_UNAVAILABLE.has(code)) return true;
  // minio's own retry of a 5xx ends in a plain Error saying so.
  const msg = (e as Error | null)?.message;
  return typeof msg === 'string' && msg.includes('Retryable HTTP status');
}

/** Builds a minio Client from an endpoint URL such as http://127.0.0.1:9000. */
export function minioClient(cfg: { endpoint: string; accessKey: string; secretKey: string; region: string; timeouts?: Partial<S3Timeouts> }): Client {
  let url: URL;
  try {
    url = new URL(cfg.endpoint);
  } catch {
    throw new Error(`Invalid S3 endpoint '${cfg.endpoint}': expected a URL such as http://127.0.0.1:9000`);
  }
  const useSSL = url.protocol === 'https:';
  if (!useSSL && url.protocol !== 'http:') {
    throw new Error(`Invalid S3 endpoint '${cfg.endpoint}': protocol must be http or https`);
  }
  return new Client({
    endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: cfg.accessKey,
    secretKey: cfg.secretKey,
    region: cfg.region,
    pathStyle: true,
    transport: timedTransport(useSSL, { ...DEFAULT_S3_TIMEOUTS, ...cfg.timeouts }),
  });
}
