// CodeArtifact's wire conventions: epoch-second timestamps, AWS error shapes, bounded bodies.
import type { Context } from 'koa';
import { HoardError, RETRY_AFTER_S, validation } from '../errors.js';

/** Dates become epoch seconds (the JS SDK parses timestamps as numbers); undefined members vanish. */
export function toWire(v: unknown): unknown {
  if (v instanceof Date) return v.getTime() / 1000;
  if (Array.isArray(v)) return v.map(toWire);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toWire(x);
    return out;
  }
  return v;
}

const STATUS: Record<string, number> = {
  ValidationException: 400,
  IncompleteSignatureException: 400,
  ServiceQuotaExceededException: 402,
  AccessDeniedException: 403,
  InvalidSignatureException: 403,
  UnrecognizedClientException: 403,
  MissingAuthenticationTokenException: 403,
  ResourceNotFoundException: 404,
  ConflictException: 409,
  PayloadTooLarge: 413,
  ThrottlingException: 429,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
  BadGateway: 502,
  GatewayTimeout: 504,
};

export interface AwsError {
  type: string;
  status: number;
  message: string;
  extra?: Record<string, unknown>;
}

export function awsErrorFrom(e: unknown): AwsError {
  if (e instanceof HoardError) {
    const { resourceType, resourceId, reason } = e.details;
    // Authentication failures on the control plane are AWS's UnrecognizedClient (403).
    const type =
      e.kind === 'Unauthenticated'
        ? 'UnrecognizedClientException'
        : e.kind === 'PayloadTooLarge'
          ? 'ValidationException'
          : e.kind === 'ServiceUnavailable'
            ? 'ServiceUnavailableException'
            : e.kind;
    const status = e.kind === 'PayloadTooLarge' ? 413 : STATUS[type] ?? 400;
    return {
      type,
      status,
      message: e.message,
      extra: {
        ...(resourceType ? { resourceType } : {}),
        ...(resourceId ? { resourceId } : {}),
        ...(reason ? { reason } : {}),
      },
    };
  }
  const sig = e as { type?: unknown; status?: unknown; message?: unknown };
  if (e instanceof Error && typeof sig.type === 'string' && typeof sig.status === 'number')
    return { type: sig.type, status: sig.status, message: e.message };
  return { type: 'InternalServerException', status: 500, message: 'An internal error occurred; the request id is in the x-amzn-RequestId header.' };
}

export function sendAwsError(ctx: Context, err: AwsError): void {
  ctx.status = err.status;
  if (err.status === 503 || err.status === 429) ctx.set('Retry-After', String(RETRY_AFTER_S));
  ctx.set('x-amzn-ErrorType', err.type);
  ctx.type = 'application/json';
  ctx.body = JSON.stringify({ __type: err.type, message: err.message, ...(err.extra ?? {}) });
}

/** An empty body, `{}` and JSON objects are all valid on every CodeArtifact POST/PUT. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw validation(`The request body is not valid JSON: ${(e as Error).message}`, 'CANNOT_PARSE');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw validation('The request body must be a JSON object.', 'CANNOT_PARSE');
  return v as Record<string, unknown>;
}
