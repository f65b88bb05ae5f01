// /git/<org-slug>/<project>.git: Cadre's own repository of a project over git smart HTTP, for
// `git clone` and `git fetch` with an API key as the password. Read-only: only upload-pack is
// served, through `git http-backend` pinned to that one repository; a push is refused before
// anything runs. Outside /api, so this file authenticates each request itself.
import type { Readable } from 'node:stream';
import { eq } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isAllowed, type Principal } from '../../auth/index.js';
import { tables } from '../../db/index.js';
import { CadreError, errorCodes } from '../../errors/index.js';
import { getProject, listProjects, type ProjectRow } from '../../orchestrator/index.js';
import type { GitProcess, UploadPackRequest } from '../../workspace/index.js';
import type { AppDeps } from '../app.js';
import { principalOfToken } from '../auth-hook.js';
import { toCadreError } from '../errors.js';
import { killOnClientGone, sendGitOutput } from '../git-output.js';
import type { WorkspaceServices } from './workspace-services.js';

const Params = z.object({ org: z.string().max(200), repository: z.string().max(200) });
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** What git sends in its Git-Protocol header: "version=2", maybe with more key=value parts. */
const gitProtocolPattern = /^[A-Za-z0-9=:._-]{1,200}$/;
const uploadPackRequestType = 'application/x-git-upload-pack-request';
/** The most header bytes git http-backend writes before its body. */
const maxCgiHeadBytes = 16 * 1024;

const pushRefused = () =>
  new CadreError(
    'GIT_PUSH_REFUSED',
    "Cadre's repositories are read-only over HTTP: clone or fetch them, and give your changes to Cadre as a task.",
  );

export const gitHttpRoutes: FastifyPluginAsyncZod<
  AppDeps & { services: WorkspaceServices }
> = async (app, { database: { db }, services, config }) => {
  // git's request bodies pass through unread: git http-backend reads (and inflates) them.
  app.addContentTypeParser(
    [uploadPackRequestType, 'application/x-git-receive-pack-request'],
    (_request, payload, done) => done(null, payload),
  );
  app.setErrorHandler((error, request, reply) => sendGitError(error as Error, request, reply));

  /** The caller's project named by the URL, or the error that says why not. */
  const projectOf = async (request: FastifyRequest, params: z.infer<typeof Params>) => {
    const principal = await authenticateBasic(request);
    const notFound = new CadreError(
      'NOT_FOUND',
      `No repository ${printable(params.org)}/${printable(params.repository)} in your organization: check the clone URL on the project's page.`,
    );
    const [org] = await db
      .select({ id: tables.organizations.id })
      .from(tables.organizations)
      .where(eq(tables.organizations.slug, params.org));
    // Another organization's repository is as absent as one that does not exist.
    if (!org || org.id !== principal.orgId) throw notFound;
    const reference = params.repository.replace(/\.git$/, '');
    const project = await findProject(principal, reference);
    if (!project) throw notFound;
    return project;
  };

  const findProject = async (principal: Principal, reference: string) => {
    if (uuidPattern.test(reference)) {
      return getProject(db, principal.orgId, reference).catch((error: unknown) => {
        if (error instanceof CadreError && error.code === 'NOT_FOUND') return null;
        throw error;
      });
    }
    const named = (await listProjects(db, principal.orgId)).filter(
      (project: ProjectRow) => project.name === reference,
    );
    if (named.length > 1) {
      throw new CadreError(
        'CONFLICT',
        `Several projects are named "${reference}": clone by the project's id instead (its clone URL shows it).`,
      );
    }
    return named[0] ?? null;
  };

  /** Runs one upload-pack request through git http-backend and streams its answer. */
  const serve = async (
    request: FastifyRequest,
    reply: FastifyReply,
    project: ProjectRow,
    cgi: Omit<UploadPackRequest, 'gitProtocol' | 'remoteAddress' | 'timeoutMs'>,
    body: Readable | null,
  ) => {
    const protocol = request.headers['git-protocol'];
    const git = await services.workspaces.serveUploadPack(project.id, {
      ...cgi,
      gitProtocol:
        typeof protocol === 'string' && gitProtocolPattern.test(protocol) ? protocol : undefined,
      remoteAddress: request.ip,
      timeoutMs: config.server.gitTimeoutMs,
    });
    // A client that goes away ends git (and the pack-objects it started) at once.
    killOnClientGone(reply, git);
    if (body) {
      // pipe, not pipeline: git dying must not destroy the request, which still gets its answer.
      body.on('error', () => git.kill());
      git.stdin.on('error', () => body.unpipe(git.stdin));
      body.pipe(git.stdin);
    } else {
      git.stdin.end();
    }
    const head = await readCgiHead(git);
    reply.status(head.status);
    for (const [name, value] of head.headers) reply.header(name, value);
    return sendGitOutput(request, reply, git, head.rest);
  };

  const routeOptions = { schema: { hide: true, params: Params } };

  app.get('/git/:org/:repository/info/refs', routeOptions, async (request, reply) => {
    const { service } = request.query as { service?: unknown };
    if (service === 'git-receive-pack') throw pushRefused();
    const project = await projectOf(request, request.params);
    if (service !== 'git-upload-pack') {
      throw new CadreError(
        'GIT_SERVICE_UNSUPPORTED',
        "Cadre serves git's smart HTTP protocol only: use git 1.6.6 or newer, which asks for ?service=git-upload-pack.",
      );
    }
    return serve(request, reply, project, { method: 'GET', service: 'advertisement' }, null);
  });

  app.post('/git/:org/:repository/git-upload-pack', routeOptions, async (request, reply) => {
    const project = await projectOf(request, request.params);
    const contentType = request.headers['content-type'];
    if (contentType !== uploadPackRequestType) {
      throw new CadreError(
        'UNSUPPORTED_MEDIA_TYPE',
        `content-type: git-upload-pack takes ${uploadPackRequestType}, as git sends it.`,
      );
    }
    const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (!['identity', 'gzip', 'x-gzip'].includes(encoding)) {
      throw new CadreError(
        'UNSUPPORTED_MEDIA_TYPE',
        `content-encoding: "${encoding}" is not accepted; send the request plain or gzip-compressed.`,
      );
    }
    const cgi = {
      method: 'POST' as const,
      service: 'upload-pack' as const,
      contentType,
      isGzip: encoding !== 'identity',
    };
    return serve(request, reply, project, cgi, request.body as Readable);
  });

  app.post('/git/:org/:repository/git-receive-pack', routeOptions, async (request) => {
    // The pack is drained unread, so that the refusal is not held up behind it.
    (request.body as Readable | undefined)?.resume();
    throw pushRefused();
  });
};

/** A value from the URL as one line of text, without control characters. */
function printable(value: string): string {
  return value.replace(/\p{Cc}/gu, '?');
}

/**
 * The principal of a git client: its Basic password (any user name) or a bearer token. None,
 * or one that is not valid, is 401 with the challenge that makes git ask or use its helper.
 */
async function authenticateBasic(request: FastifyRequest): Promise<Principal> {
  const token = credentialOf(request.headers.authorization);
  const principal = token ? await principalOfToken(request, token) : null;
  if (!principal) {
    throw new CadreError(
      'UNAUTHENTICATED',
      token
        ? 'The API key is not valid (unknown, revoked or expired): give a current one as the password.'
        : 'Give an API key as the password (any user name) to clone or fetch.',
    );
  }
  if (!isAllowed(principal.role, 'projects:read')) {
    throw new CadreError(
      'FORBIDDEN',
      `Your role (${principal.role}) does not allow projects:read.`,
      {
        details: { permission: 'projects:read', role: principal.role },
      },
    );
  }
  return principal;
}

function credentialOf(header: string | undefined): string | null {
  if (!header) return null;
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) return bearer[1]!;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!basic) return null;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon === -1 ? '' : decoded.slice(colon + 1);
  return password || null;
}

/**
 * The CGI answer's status and headers, and the body bytes that came with them; git's stdout is
 * left paused after them, for the caller to pipe on.
 */
async function readCgiHead(git: GitProcess) {
  const { stdout } = git;
  const head = await new Promise<{ text: string; rest: Buffer } | null>((resolve) => {
    let buffered = Buffer.alloc(0);
    const settle = (value: { text: string; rest: Buffer } | null) => {
      stdout.off('data', onData);
      stdout.off('end', onEnd);
      stdout.off('error', onEnd);
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = headEnd(buffered);
      if (end) {
        stdout.pause();
        const text = buffered.subarray(0, end.at).toString('latin1');
        settle({ text, rest: buffered.subarray(end.at + end.length) });
      } else if (buffered.length > maxCgiHeadBytes) {
        settle(null);
      }
    };
    const onEnd = () => settle(null);
    stdout.on('data', onData);
    stdout.on('end', onEnd);
    stdout.on('error', onEnd);
  });
  if (head) return { ...parseCgiHead(head.text), rest: head.rest };
  git.kill();
  const exit = await git.exited;
  throw new CadreError('GIT_FAILED', `git http-backend gave no answer: ${exit.stderr}`, {
    details: { exitCode: exit.exitCode, isTimedOut: exit.isTimedOut },
  });
}

function headEnd(buffer: Buffer): { at: number; length: number } | null {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { at: crlf, length: 4 };
  return lf === -1 ? null : { at: lf, length: 2 };
}

function parseCgiHead(text: string) {
  let status = 200;
  const headers: [string, string][] = [];
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'status') status = Number.parseInt(value, 10) || 500;
    else if (['content-type', 'cache-control', 'expires', 'pragma'].includes(name))
      headers.push([name, value]);
  }
  return { status, headers };
}

/** Errors as git shows them: text/plain lines, which git prints as "remote: …". */
function sendGitError(error: Error, request: FastifyRequest, reply: FastifyReply) {
  const failure = toCadreError(error);
  if (failure.status >= 500) request.log.error({ err: error }, 'git request failed');
  // Git's own words name server paths: they go to the log, not the client.
  const message =
    failure.status >= 500
      ? `${errorCodes[failure.code].summary} (request ${request.id})`
      : failure.message;
  if (failure.code === 'UNAUTHENTICATED') reply.header('www-authenticate', 'Basic realm="Cadre"');
  const details = failure.details as { retryAfterSeconds?: number } | undefined;
  if (typeof details?.retryAfterSeconds === 'number')
    reply.header('retry-after', String(details.retryAfterSeconds));
  return reply
    .status(failure.status)
    .type('text/plain; charset=utf-8')
    .send(`${failure.code}: ${message}\n`);
}
