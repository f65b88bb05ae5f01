// A git process's output as an HTTP response body, streamed: the process is killed when the
// client goes away, and a git failure midway breaks the response rather than ending it as if
// it were whole.
import { PassThrough } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CadreError } from '../errors/index.js';
import type { GitProcess } from '../workspace/index.js';

/**
 * Sends git's stdout (after `start`, bytes already read from it) as the body of `reply`, which
 * the caller gave its status and headers; git's stdin is the caller's to write and end.
 */
export function sendGitOutput(
  request: FastifyRequest,
  reply: FastifyReply,
  git: GitProcess,
  start?: Buffer,
) {
  const isClientGone = killOnClientGone(reply, git);
  const body = new PassThrough();
  if (start?.length) body.write(start);
  git.stdout.pipe(body, { end: false });
  void git.exited.then((exit) => {
    if (exit.exitCode === 0) {
      body.end();
      return;
    }
    if (!isClientGone())
      request.log.warn(
        { exitCode: exit.exitCode, isTimedOut: exit.isTimedOut, stderr: exit.stderr },
        'git output ended by a failure',
      );
    // Before the first byte went out this is the answer; after, the response breaks off.
    body.destroy(
      exit.isTimedOut
        ? new CadreError(
            'GIT_TIMED_OUT',
            `git ran longer than ${git.timeoutMs} ms and was stopped; retry, or raise CADRE_GIT_TIMEOUT_MS for large repositories.`,
          )
        : new CadreError('GIT_FAILED', `git failed while its output was sent: ${exit.stderr}`),
    );
  });
  return reply.send(body);
}

/** Kills git when the client goes away before its response was sent in full; says whether it did. */
export function killOnClientGone(reply: FastifyReply, git: GitProcess): () => boolean {
  let isGone = false;
  reply.raw.on('close', () => {
    if (reply.raw.writableFinished) return;
    isGone = true;
    git.kill();
  });
  return () => isGone;
}
