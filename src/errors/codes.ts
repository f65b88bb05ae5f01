// The registry of every error code Cadre answers with. Codes are stable: clients match on
// them, so a code is never renamed or reused. docs/errors.md lists them for users.

export const errorCodes = {
  // The caller's mistakes.
  VALIDATION_FAILED: { status: 400, summary: 'The request does not match the expected shape.' },
  UNAUTHENTICATED: { status: 401, summary: 'No valid API key or session was given.' },
  FORBIDDEN: { status: 403, summary: "The caller's role does not allow this action." },
  NOT_FOUND: { status: 404, summary: 'No such object in your organization.' },
  ROUTE_NOT_FOUND: { status: 404, summary: 'No such route.' },
  METHOD_NOT_ALLOWED: { status: 405, summary: 'The route does not accept this method.' },
  CONFLICT: { status: 409, summary: 'The object changed or already exists.' },
  INVALID_STATE: { status: 409, summary: 'The object is not in a state that allows this.' },
  PAYLOAD_TOO_LARGE: { status: 413, summary: 'The request body is larger than the limit.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: 'The request body has an unsupported type.' },
  RATE_LIMITED: { status: 429, summary: 'Too many requests; retry after the given delay.' },

  // Configuration and start-up.
  CONFIG_INVALID: { status: 500, summary: 'A setting has an invalid value.' },
  CONFIG_FILE_UNREADABLE: { status: 500, summary: 'The configuration file cannot be read.' },
  DATABASE_UNAVAILABLE: { status: 503, summary: 'The database cannot be reached.' },
  EMBEDDED_POSTGRES_FAILED: { status: 500, summary: 'The embedded Postgres server failed.' },

  // Ours.
  INTERNAL: { status: 500, summary: 'An unexpected error; the request id finds it in the log.' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof errorCodes;
