// The one HTTP path of every git host client: plain fetch with a timeout, and errors with
// stable codes that carry the host's own message but never the token.
import type { z } from 'zod';
import { CadreError } from '../errors/index.js';

export interface HostRequestOptions {
  apiUrl: string;
  /** Names the host in messages: "GitHub", "GitLab", "Gitea". */
  hostName: string;
  headers: Record<string, string>;
  token: string;
  timeoutMs: number;
}

/** Sends one request and checks the answer against `schema` (only the fields Cadre reads). */
export type HostRequest = <S extends z.ZodType>(
  method: string,
  path: string,
  schema: S,
  body?: unknown,
) => Promise<z.infer<S>>;

/** A request function bound to one host, its credentials and its timeout. */
export function createHostRequest(options: HostRequestOptions): HostRequest {
  const root = options.apiUrl.replace(/\/+$/, '');
  return async (method, path, schema, body) => {
    const what = `${options.hostName} ${method} ${path.split('?')[0]}`;
    let response: Response;
    try {
      response = await fetch(root + path, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      const reason =
        error instanceof Error && error.name === 'TimeoutError'
          ? `no answer within ${options.timeoutMs} ms`
          : 'the host cannot be reached';
      throw new CadreError(
        'HOST_UNAVAILABLE',
        `${what}: ${reason}. Check the project's host API URL and that the host is up, then retry.`,
      );
    }
    const text = await response.text();
    if (response.ok) {
      const parsed = schema.safeParse(parseJson(text));
      if (parsed.success) return parsed.data;
      throw new CadreError(
        'HOST_REQUEST_FAILED',
        `${what} answered ${response.status} with a body Cadre does not understand (${parsed.error.issues[0]?.path.join('.') ?? 'body'}: ${parsed.error.issues[0]?.message ?? 'invalid'}). Check that the project's host kind and API URL are right.`,
      );
    }
    const hostMessage = scrub(messageOf(text), options.token);
    const said = hostMessage ? ` (the host said: ${hostMessage})` : '';
    const status = response.status;
    if (status === 401 || status === 403) {
      throw new CadreError(
        'HOST_AUTH_FAILED',
        `${what} was refused with ${status}${said}. Give the project a host token that may read and write this repository's pull requests and issues.`,
        { details: { status } },
      );
    }
    if (status === 404) {
      throw new CadreError(
        'HOST_NOT_FOUND',
        `${what} answered 404${said}. Check the project's host repository and API URL; a token without access also sees 404.`,
        { details: { status } },
      );
    }
    throw new CadreError(
      status >= 500 ? 'HOST_UNAVAILABLE' : 'HOST_REQUEST_FAILED',
      `${what} failed with ${status}${said}.${status >= 500 ? ' Retry later.' : ''}`,
      { details: { status } },
    );
  };
}

function parseJson(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : null;
  } catch {
    return undefined;
  }
}

/** The host's own error message: GitHub and Gitea send `message`, GitLab `message` or `error`. */
function messageOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown; errors?: unknown };
    const message = parsed.message ?? parsed.error;
    const base = typeof message === 'string' ? message : JSON.stringify(message ?? '');
    const errors = Array.isArray(parsed.errors) ? ` ${JSON.stringify(parsed.errors)}` : '';
    return (base + errors).slice(0, 500);
  } catch {
    return text.slice(0, 200);
  }
}

/** Removes the token from text a host sent back (a host may echo a header in its error). */
function scrub(text: string, token: string): string {
  return token ? text.split(token).join('[token]') : text;
}
