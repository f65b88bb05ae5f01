// Answers to connections that never made a whole request (Node's 'clientError'): a request
// whose headers or body arrive too slowly gets 408 REQUEST_TIMEOUT in the API's error shape,
// and the connection is closed. It never waits for the client.
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { errorCodes, type ErrorCode } from '../errors/index.js';
import type { ErrorBody } from './schemas.js';

type ConnectionError = Error & { code?: string };

const answers: Record<string, { status: number; code: ErrorCode; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'REQUEST_TIMEOUT',
    message: 'The request did not arrive in time: send its headers and body without pausing.',
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'VALIDATION_FAILED',
    message: 'The request headers are larger than the server accepts.',
  },
};
const malformed = {
  status: 400,
  code: 'VALIDATION_FAILED' as const,
  message: 'The request is not valid HTTP.',
};

/** Fastify's clientErrorHandler: one JSON answer, then the connection ends. */
export function handleClientError(this: FastifyInstance, error: ConnectionError, socket: Socket) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const answer = answers[error.code ?? ''] ?? malformed;
  this.log.debug({ code: error.code }, 'client error');
  if (socket.writable) {
    const body: ErrorBody = { error: { code: answer.code, message: answer.message } };
    const text = JSON.stringify(body);
    const reason = answer.status === 408 ? 'Request Timeout' : errorCodes[answer.code].summary;
    socket.write(
      `HTTP/1.1 ${answer.status} ${reason.replace(/[^\x20-\x7e]/g, '')}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
        `Connection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy(error);
}
