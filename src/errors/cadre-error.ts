// The one error type Cadre throws on purpose. Every failure a user can see carries a stable
// code, an HTTP status and a message that names what was wrong and what to do next.
import { errorCodes, type ErrorCode } from './codes.js';

export interface CadreErrorOptions {
  details?: unknown;
  cause?: unknown;
  status?: number;
}

/** An error with a stable code from the registry in codes.ts. */
export class CadreError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: CadreErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'CadreError';
    this.code = code;
    this.status = options.status ?? errorCodes[code].status;
    this.details = options.details;
  }
}

/** The caller sent something invalid; `field` names the offending input. */
export function validationError(field: string, message: string, details?: unknown): CadreError {
  return new CadreError('VALIDATION_FAILED', `${field}: ${message}`, {
    details: details ?? [{ field, message }],
  });
}

/** The object does not exist in the caller's organization (or at all: we never say which). */
export function notFound(kind: string, id: string): CadreError {
  return new CadreError('NOT_FOUND', `No ${kind} with id ${id} in your organization.`, {
    details: { kind, id },
  });
}
