// A small HTTP client for the resource commands: it finds the server and the key, and turns
// every failure into a message and an exit code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { adminKeyFileName } from '../auth/index.js';
import type { Config } from '../config/index.js';
import { CliError, exitCodes } from './exit-codes.js';

export interface ClientOptions {
  url?: string;
  key?: string;
}

export interface ApiClient {
  url: string;
  request<T extends z.ZodType>(
    schema: T,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<z.infer<T>>;
  /** A GET whose answer is a file (a patch, a bundle): the response, its body not yet read. */
  download(path: string): Promise<Response>;
}

/** A client for the server named by --url (or CADRE_URL), else the configured local one. */
export function createApiClient(
  config: Config,
  options: ClientOptions,
  env = process.env,
): ApiClient {
  const host = config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host;
  const url = (options.url ?? env.CADRE_URL ?? `http://${host}:${config.server.port}`).replace(
    /\/$/,
    '',
  );
  const key = options.key ?? env.CADRE_API_KEY ?? readKeyFile(config.dataDir);

  /** Sends one request; a failure (no key, no server, an error answer) is a CliError. */
  const send = async (method: string, path: string, body?: unknown): Promise<Response> => {
    if (!key) {
      throw new CliError(
        `No API key: pass --key, set CADRE_API_KEY, or run this on the machine where \`cadre up\` wrote ${join(config.dataDir, adminKeyFileName)}.`,
        exitCodes.unauthorized,
      );
    }
    let response: Response;
    try {
      response = await fetch(url + path, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const reason =
        (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new CliError(
        `Cannot reach Cadre at ${url} (${reason}). Is \`cadre up\` running? Set --url or CADRE_URL otherwise.`,
        exitCodes.unreachable,
      );
    }
    if (!response.ok) {
      const text = await response.text();
      throw responseError(response.status, parsedOrUndefined(text));
    }
    return response;
  };

  return {
    url,
    async request(schema, method, path, body) {
      const text = await (await send(method, path, body)).text();
      const payload: unknown = text ? JSON.parse(text) : undefined;
      return schema.parse(payload);
    },
    download: (path) => send('GET', path),
  };
}

function parsedOrUndefined(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function readKeyFile(dataDir: string): string | undefined {
  try {
    return readFileSync(join(dataDir, adminKeyFileName), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function responseError(status: number, payload: unknown): CliError {
  const error = (payload as { error?: { code?: string; message?: string } } | undefined)?.error;
  const message = error ? `${error.message} (${error.code})` : `The server answered ${status}.`;
  if (status === 401)
    return new CliError(`${message} Check --key or CADRE_API_KEY.`, exitCodes.unauthorized);
  if (status === 403) return new CliError(message, exitCodes.unauthorized);
  return new CliError(message, exitCodes.failed);
}
