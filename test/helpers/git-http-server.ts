// A git smart-HTTP server on 127.0.0.1 for import tests: Node's http server in front of the
// real `git http-backend` (CGI). It records every request, so a test can assert none came.
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

/** Serves the repositories under `projectRoot` (e.g. `<root>/app.git` as `/app.git`). */
export function startGitHttpServer(projectRoot: string): Promise<GitHttpServer> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    serveThroughBackend(projectRoot, request, response);
  });
  return listen(server, requests);
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
 * Answers one request through `git http-backend` over the repositories under `root`.
 * `remoteUser` (set once the caller has authenticated the request) enables push, as a web
 * server in front of git does; `pathInfo` is the repository path when the URL has a prefix.
 */
export function serveThroughBackend(
  root: string,
  request: IncomingMessage,
  response: ServerResponse,
  { remoteUser, pathInfo }: { remoteUser?: string; pathInfo?: string } = {},
) {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const backend = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      REQUEST_METHOD: request.method ?? 'GET',
      PATH_INFO: pathInfo ?? decodeURIComponent(url.pathname),
      ...(remoteUser ? { REMOTE_USER: remoteUser } : {}),
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
