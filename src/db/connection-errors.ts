// Tells a lost or refused database connection from every other failure, so that callers can
// answer "unavailable, retry" instead of "internal error". It never inspects query text.

const socketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// SQLSTATE: admin_shutdown, crash_shutdown, cannot_connect_now (starting or stopping).
const serverCodes = new Set(['57P01', '57P02', '57P03']);
const driverMessages = [
  'Connection terminated',
  'not queryable',
  'timeout exceeded when trying to connect',
];

/** True when `error` (or an error it wraps) says the database connection was lost or refused. */
export function isConnectionError(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const { code, message, cause } = current as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
    };
    if (
      typeof code === 'string' &&
      (socketCodes.has(code) || serverCodes.has(code) || code.startsWith('08'))
    )
      return true;
    if (typeof message === 'string' && driverMessages.some((text) => message.includes(text)))
      return true;
    current = cause;
  }
  return false;
}
