// The one HTTP status for each HoardError kind, shared by every protocol face (npm, PyPI, Maven,
// generic). Each face still writes the body in its clients' own error shape; only the number and
// the retry hint live here, so a kind added to errors.ts is mapped once.
import type { Context } from 'koa';
import { HoardError, RETRY_AFTER_S } from '../../errors.js';

const STATUS: Record<HoardError['kind'], number> = {
  ValidationException: 400,
  Unauthenticated: 401,
  ServiceQuotaExceededException: 402,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  ConflictException: 409,
  PayloadTooLarge: 413,
  ThrottlingException: 503, // a transient storage race: npm, pip and Maven all retry a 503
  ServiceUnavailable: 503,
  BadGateway: 502, // an upstream registry failed or sent bytes that do not match their checksum
  GatewayTimeout: 504,
};

export function statusOf(e: HoardError): number {
  return STATUS[e.kind] ?? 500;
}

/** Sets the status and, for answers a client should retry, Retry-After. */
export function setErrorStatus(ctx: Context, status: number): void {
  ctx.status = status;
  if (status === 503 || status === 429 || status === 502 || status === 504) ctx.set('Retry-After', String(RETRY_AFTER_S));
}
