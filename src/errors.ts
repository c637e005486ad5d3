// Error kinds every layer raises (store/, blobs/, core/, auth/ alike). Each face (the CodeArtifact API, npm, PyPI, Maven) maps them to its
// own wire shape, so the core never decides status codes or bodies.

export type ResourceType = 'domain' | 'repository' | 'package' | 'package-version' | 'asset';

export type ValidationReason =
  | 'CANNOT_PARSE'
  | 'ENCRYPTION_KEY_ERROR'
  | 'FIELD_VALIDATION_FAILED'
  | 'UNKNOWN_OPERATION'
  | 'OTHER';

export class HoardError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details: { resourceType?: ResourceType; resourceId?: string; reason?: ValidationReason } = {},
  ) {
    super(message);
    this.name = kind;
  }
}

export type ErrorKind =
  | 'ValidationException'
  | 'ResourceNotFoundException'
  | 'ConflictException'
  | 'AccessDeniedException'
  | 'ServiceQuotaExceededException'
  | 'ThrottlingException'
  | 'PayloadTooLarge'
  | 'Unauthenticated'
  | 'ServiceUnavailable'
  | 'BadGateway'
  | 'GatewayTimeout';

export const validation = (message: string, reason: ValidationReason = 'FIELD_VALIDATION_FAILED') =>
  new HoardError('ValidationException', message, { reason });

export const notFound = (message: string, resourceType?: ResourceType, resourceId?: string) =>
  new HoardError('ResourceNotFoundException', message, { resourceType, resourceId });

export const conflict = (message: string, resourceType?: ResourceType, resourceId?: string) =>
  new HoardError('ConflictException', message, { resourceType, resourceId });

export const accessDenied = (message: string) => new HoardError('AccessDeniedException', message);

export const quotaExceeded = (message: string, resourceType?: ResourceType, resourceId?: string) =>
  new HoardError('ServiceQuotaExceededException', message, { resourceType, resourceId });

export const tooLarge = (message: string) => new HoardError('PayloadTooLarge', message);

/** No credentials, or credentials that cannot be verified (bad signature, expired token). */
export const unauthenticated = (message: string) => new HoardError('Unauthenticated', message);

/** A dependency (the database, the blob store, an upstream) cannot be reached: clients retry a 503. */
export const unavailable = (message: string) => new HoardError('ServiceUnavailable', message);

/** An upstream (external connection) failed or answered something unusable: 502. */
export const badGateway = (message: string) => new HoardError('BadGateway', message);

/** Seconds a client should wait before retrying a ServiceUnavailable or Throttling answer. */
export const RETRY_AFTER_S = 5;

export const isHoardError = (e: unknown): e is HoardError => e instanceof HoardError;
