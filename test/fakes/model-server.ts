// A local HTTP server speaking the OpenAI chat completions, OpenAI Responses, Anthropic
// Messages and Google Gemini protocols (JSON and SSE), replaying scripted behaviours and recording
// requests. Given a model list it also answers GET /v1/models in the OpenAI shape, and a call
// for a model not on it with OpenAI's 404 "model does not exist", as vLLM or Ollama would.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  anthropicReply,
  chatReply,
  googleReply,
  responsesReply,
  type Protocol,
} from './model-protocols.js';

export interface FakeReply {
  /** The text; an array streams as those pieces. */
  text?: string | string[];
  toolCalls?: Array<{ id: string; name: string; arguments: string }>;
  usage?: { input: number; output: number; cached?: number };
}

export type Behaviour =
  | { kind: 'reply'; reply: FakeReply }
  | { kind: 'status'; status: number; retryAfter?: string; body?: string }
  | { kind: 'reset' }
  /** Streams the first `afterPieces` text pieces, then goes silent with the socket open. */
  | { kind: 'stall'; reply: FakeReply; afterPieces: number }
  | { kind: 'malformed' };

export type ServedModel = { id: string } & Record<string, unknown>;

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export interface FakeModelServer {
  url: string;
  requests: RecordedRequest[];
  /** Queues behaviours, used one per request in order. */
  enqueue(...behaviours: Behaviour[]): void;
  /** The behaviour used when the queue is empty (benchmarks); without it the fake answers 500. */
  setFallback(behaviour: Behaviour | null): void;
  /**
   * The models GET /v1/models lists (fields beyond `id` as a server adds them, e.g. vLLM's
   * `max_model_len`); once set, a chat call for another model is refused with a 404. null: the
   * route answers 404, as a server without it does.
   */
  setModels(models: ServedModel[] | null): void;
  /**
   * Decides each request's behaviour from the request itself, before the queue: for tests
   * whose calls come from several processes in no fixed order. Null falls through to the queue.
   */
  setResponder(responder: ((request: RecordedRequest) => Behaviour | null) | null): void;
  /** Behaviours not yet used. */
  readonly remaining: number;
  /** Requests answered in full (a reply or a status), by the server's own count. */
  readonly answered: number;
  close(): Promise<void>;
}

const protocolOfPath: Record<string, Protocol> = {
  '/v1/chat/completions': 'chat',
  '/v1/responses': 'responses',
  '/v1/messages': 'anthropic',
};

/** Starts a fake on 127.0.0.1 at a free port. */
export async function createFakeModelServer(): Promise<FakeModelServer> {
  const queue: Behaviour[] = [];
  let fallback: Behaviour | null = null;
  let served: ServedModel[] | null = null;
  let responder: ((request: RecordedRequest) => Behaviour | null) | null = null;
  let answered = 0;
  const requests: RecordedRequest[] = [];
  const server = createServer((request, response) => {
    let raw = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (raw += chunk));
    request.on('end', () => {
      const body = JSON.parse(raw || '{}') as Record<string, unknown>;
      const recorded = { path: request.url ?? '', headers: request.headers, body };
      requests.push(recorded);
      // Flushed to the socket in full; a reset or a stall never counts.
      response.once('finish', () => (answered += 1));
      const path = request.url ?? '';
      if (request.method === 'GET' && path === '/v1/models') return listModels(served, response);
      if (served && protocolOfPath[path] && !served.some((model) => model.id === body.model)) {
        return modelNotFound(String(body.model), response);
      }
      const google = /^\/v1beta\/models\/[^/:]+:(generateContent|streamGenerateContent)/.exec(path);
      const protocol = google ? 'google' : protocolOfPath[path];
      const isStream = google ? google[1] === 'streamGenerateContent' : body.stream === true;
      const behaviour = responder?.(recorded) ?? queue.shift() ?? fallback;
      if (!protocol || !behaviour) {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({ error: { message: `fake: nothing scripted for ${request.url}` } }),
        );
        return;
      }
      serve(behaviour, protocol, isStream, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...behaviours) => void queue.push(...behaviours),
    setFallback: (behaviour) => void (fallback = behaviour),
    setModels: (models) => void (served = models),
    setResponder: (next) => void (responder = next),
    get remaining() {
      return queue.length;
    },
    get answered() {
      return answered;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function listModels(models: ServedModel[] | null, response: ServerResponse) {
  if (!models) {
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('404 page not found');
    return;
  }
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(
    JSON.stringify({
      object: 'list',
      data: models.map((model) => ({
        object: 'model',
        created: 1_700_000_000,
        owned_by: 'fake',
        ...model,
      })),
    }),
  );
}

/** OpenAI's answer for a model it does not serve. */
function modelNotFound(model: string, response: ServerResponse) {
  response.writeHead(404, { 'content-type': 'application/json' });
  response.end(
    JSON.stringify({
      error: {
        message: `The model \`${model}\` does not exist or you do not have access to it.`,
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      },
    }),
  );
}

function serve(
  behaviour: Behaviour,
  protocol: Protocol,
  isStream: boolean,
  response: ServerResponse,
) {
  switch (behaviour.kind) {
    case 'status': {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (behaviour.retryAfter) headers['retry-after'] = behaviour.retryAfter;
      response.writeHead(behaviour.status, headers);
      response.end(
        behaviour.body ??
          JSON.stringify({ error: { message: `fake status ${behaviour.status}`, type: 'fake' } }),
      );
      return;
    }
    case 'reset':
      response.socket?.destroy();
      return;
    case 'malformed':
      response.writeHead(200, {
        'content-type': isStream ? 'text/event-stream' : 'application/json',
      });
      response.end(
        isStream ? 'data: {"choices": [ {"delta": \n\n' : '{"id": "broken", "choices": [',
      );
      return;
    case 'reply':
    case 'stall': {
      const { json, events } = replyFor(protocol, behaviour.reply);
      if (!isStream) {
        if (behaviour.kind === 'stall') return; // never answers; the socket stays open
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(json));
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const limit = behaviour.kind === 'stall' ? behaviour.afterPieces : Infinity;
      let pieces = 0;
      for (const event of events) {
        if (event.isPiece && pieces >= limit) return; // stall: keep the socket open, send nothing
        if (event.isPiece) pieces += 1;
        response.write(event.frame);
      }
      response.end();
    }
  }
}

function replyFor(protocol: Protocol, reply: FakeReply) {
  if (protocol === 'chat') return chatReply(reply);
  if (protocol === 'responses') return responsesReply(reply);
  if (protocol === 'google') return googleReply(reply);
  return anthropicReply(reply);
}
