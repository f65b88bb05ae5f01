// The one error handler: every failure leaves the API as { error: { code, message, details } }.
// Unknown errors become INTERNAL with the request id, and are logged once, here.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isConnectionError } from '../db/index.js';
import { CadreError, errorCodes, type ErrorCode } from '../errors/index.js';
import type { ErrorBody } from './schemas.js';

const codeByStatus: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

const internalCodes = new Set<ErrorCode>(['GIT_FAILED', 'SANDBOX_FAILED']);

/** Fastify's error handler for the whole app. */
export function handleError(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const failure = toCadreError(error);
  if (failure.status >= 500) {
    request.log.error({ err: error }, 'request failed');
  }
  // Git's and the sandbox's own words name server paths: they go to the log, not the caller.
  const isInternal = internalCodes.has(failure.code);
  const message = isInternal ? errorCodes[failure.code].summary : failure.message;
  const body: ErrorBody = { error: { code: failure.code, message } };
  if (failure.details !== undefined && !isInternal) body.error.details = failure.details;
  if (failure.status >= 500) body.error.requestId = request.id;
  const retryAfter = retryAfterSeconds(failure.details);
  if (retryAfter !== null) reply.header('retry-after', String(retryAfter));
  return reply.status(failure.status).send(body);
}

/** The wait an error names in its details, for the Retry-After header. */
function retryAfterSeconds(details: unknown): number | null {
  if (typeof details !== 'object' || details === null || !('retryAfterSeconds' in details)) {
    return null;
  }
  const seconds = details.retryAfterSeconds;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? Math.ceil(seconds) : null;
}

/** Answers for a route that does not exist. */
export function handleNotFound(request: FastifyRequest, reply: FastifyReply) {
  const body: ErrorBody = {
    error: {
      code: 'ROUTE_NOT_FOUND',
      message: `No route ${request.method} ${request.url.split('?')[0]}.`,
    },
  };
  return reply.status(404).send(body);
}

/** Any error as a CadreError: validation, Fastify's own, the database's, or INTERNAL. */
export function toCadreError(error: FastifyError | Error): CadreError {
  if (error instanceof CadreError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const details = error.validation.map((issue) => ({
      field: [error.validationContext, ...issue.instancePath.split('/').filter(Boolean)].join('.'),
      message: issue.message,
    }));
    const message = details.map((item) => `${item.field}: ${item.message}`).join('; ');
    return new CadreError('VALIDATION_FAILED', message, { details });
  }
  const status = (error as FastifyError).statusCode;
  if (status && status < 500) {
    const code = codeByStatus[status] ?? 'VALIDATION_FAILED';
    return new CadreError(code, error.message || errorCodes[code].summary, {
      status,
      cause: error,
    });
  }
  if (isConnectionError(error)) {
    return new CadreError(
      'DATABASE_UNAVAILABLE',
      'The database cannot be reached right now; retry in a few seconds.',
      { cause: error },
    );
  }
  return new CadreError(
    'INTERNAL',
    'Something went wrong on our side; the request id finds it in the server log.',
    {
      cause: error,
    },
  );
}
