// A git smart-HTTP server on 127.0.0.1 for import, fetch and push tests: Node's http server in
// front of the real `git http-backend` (CGI). It records every request, so a test can assert
// none came; it can demand HTTP Basic credentials, as git hosts do, and accept pushes.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHttpServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  port: number;
  /** The paths of every request received, in order. */
  requests: string[];
  close(): Promise<void>;
}

export interface GitHttpServerOptions {
  /**
   * The one user name and password (a token, as git hosts take it) every request must carry
   * as HTTP Basic credentials; without it anyone may read (and, with `allowPush`, write).
   * Without a `username`, any user name goes with the password.
   */
  auth?: { username?: string; password: string };
  /** Accept pushes (git's receive-pack, off by default in http-backend). */
  allowPush?: boolean;
}

/** Serves the repositories under `projectRoot` (e.g. `<root>/app.git` as `/app.git`). */
export function startGitHttpServer(
  projectRoot: string,
  options: GitHttpServerOptions = {},
): Promise<GitHttpServer> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    const user = options.auth ? authorizedUser(request, options.auth) : '';
    if (user === null) {
      response
        .writeHead(401, { 'www-authenticate': 'Basic realm="git"', 'content-type': 'text/plain' })
        .end('authentication required');
      return;
    }
    serveThroughBackend(projectRoot, request, response, {
      user,
      allowPush: options.allowPush ?? false,
    });
  });
  return listen(server, requests);
}

/** The user name of valid Basic credentials, or null. */
function authorizedUser(
  request: IncomingMessage,
  auth: NonNullable<GitHttpServerOptions['auth']>,
): string | null {
  const header = request.headers.authorization ?? '';
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const [user, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  const isUserRight = auth.username === undefined ? user !== '' : user === auth.username;
  return isUserRight && password === auth.password ? user : null;
}

/** An HTTP server on 127.0.0.1 that answers every request with a page that is not git's. */
export function startPlainHttpServer(): Promise<GitHttpServer> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'text/html' }).end('<h1>an admin console</h1>');
  });
  return listen(server, requests);
}

function listen(server: Server, requests: string[]): Promise<GitHttpServer> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        origin: `http://127.0.0.1:${port}`,
        port,
        requests,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/**
 * Answers one request through `git http-backend` over the repositories under `root`, as
 * `user` (already authenticated by the caller); `pathInfo` is the repository path when the
 * URL has a prefix before it.
 */
export function serveThroughBackend(
  root: string,
  request: IncomingMessage,
  response: ServerResponse,
  { user, allowPush, pathInfo }: { user: string; allowPush: boolean; pathInfo?: string },
) {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const backend = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      // http-backend serves receive-pack only when told to; REMOTE_USER alone would also do it.
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.receivepack',
      GIT_CONFIG_VALUE_0: String(allowPush),
      ...(user ? { REMOTE_USER: user } : {}),
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      REQUEST_METHOD: request.method ?? 'GET',
      PATH_INFO: pathInfo ?? decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: request.headers['content-type'] ?? '',
      REMOTE_ADDR: '127.0.0.1',
      GIT_PROTOCOL: String(request.headers['git-protocol'] ?? ''),
      HTTP_CONTENT_ENCODING: String(request.headers['content-encoding'] ?? ''),
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  request.pipe(backend.stdin);
  let buffered = Buffer.alloc(0);
  let headersSent = false;
  backend.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) {
      response.write(chunk);
      return;
    }
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0) return;
    let status = 200;
    for (const line of buffered.subarray(0, end).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
      else response.setHeader(name, value);
    }
    response.writeHead(status);
    headersSent = true;
    response.write(buffered.subarray(end + 4));
  });
  backend.on('close', () => {
    if (!headersSent) response.writeHead(502);
    response.end();
  });
}
