// The bodies and SSE frames of three model APIs, built from one scripted reply: OpenAI chat
// completions, OpenAI Responses, Anthropic Messages and Google Gemini, as their servers send them.
import type { FakeReply } from './model-server.js';

export type Protocol = 'chat' | 'responses' | 'anthropic' | 'google';

export interface SseEvent {
  frame: string;
  /** Whether it carries a piece of text (a stall stops before one). */
  isPiece: boolean;
}

const pieces = (reply: FakeReply) =>
  Array.isArray(reply.text) ? reply.text : reply.text ? [reply.text] : [];
const usageOf = (reply: FakeReply) => reply.usage ?? { input: 10, output: 5, cached: 0 };
const data = (value: unknown, isPiece = false): SseEvent => ({
  frame: `data: ${JSON.stringify(value)}\n\n`,
  isPiece,
});
const named = (event: string, value: unknown, isPiece = false): SseEvent => ({
  frame: `event: ${event}\ndata: ${JSON.stringify(value)}\n\n`,
  isPiece,
});

/** OpenAI chat completions: a chat.completion body, or chat.completion.chunk frames. */
export function chatReply(reply: FakeReply) {
  const usage = usageOf(reply);
  const usageBody = {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    prompt_tokens_details: { cached_tokens: usage.cached ?? 0 },
  };
  const finish = reply.toolCalls?.length ? 'tool_calls' : 'stop';
  const toolCalls = reply.toolCalls?.map((call) => ({
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
  }));
  const base = { id: 'chatcmpl-fake', created: 1_700_000_000, model: 'fake-model' };
  const json = {
    ...base,
    object: 'chat.completion',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: pieces(reply).join('') || null,
          tool_calls: toolCalls,
        },
        finish_reason: finish,
      },
    ],
    usage: usageBody,
  };
  const chunk = (delta: unknown, finishReason: string | null = null) => ({
    ...base,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  const events: SseEvent[] = [data(chunk({ role: 'assistant', content: '' }))];
  for (const piece of pieces(reply)) events.push(data(chunk({ content: piece }), true));
  reply.toolCalls?.forEach((call, index) => {
    events.push(
      data(
        chunk({
          tool_calls: [
            { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } },
          ],
        }),
      ),
    );
    events.push(data(chunk({ tool_calls: [{ index, function: { arguments: call.arguments } }] })));
  });
  events.push(data(chunk({}, finish)));
  events.push(data({ ...base, object: 'chat.completion.chunk', choices: [], usage: usageBody }));
  events.push({ frame: 'data: [DONE]\n\n', isPiece: false });
  return { json, events };
}

/** OpenAI Responses: a response body, or response.* events. */
export function responsesReply(reply: FakeReply) {
  const usage = usageOf(reply);
  const text = pieces(reply).join('');
  const message = {
    type: 'message',
    id: 'msg_fake',
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
  };
  const calls = (reply.toolCalls ?? []).map((call) => ({
    type: 'function_call',
    id: `fc_${call.id}`,
    call_id: call.id,
    name: call.name,
    arguments: call.arguments,
    status: 'completed',
  }));
  const response = {
    id: 'resp_fake',
    object: 'response',
    created_at: 1_700_000_000,
    status: 'completed',
    model: 'fake-model',
    error: null,
    incomplete_details: null,
    output: [...(text ? [message] : []), ...calls],
    usage: {
      input_tokens: usage.input,
      input_tokens_details: { cached_tokens: usage.cached ?? 0 },
      output_tokens: usage.output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.input + usage.output,
    },
  };
  let sequence = 0;
  const event = (type: string, fields: Record<string, unknown>, isPiece = false) =>
    named(type, { type, sequence_number: sequence++, ...fields }, isPiece);
  const events: SseEvent[] = [
    event('response.created', {
      response: { ...response, status: 'in_progress', output: [], usage: null },
    }),
  ];
  if (text) {
    events.push(
      event('response.output_item.added', {
        output_index: 0,
        item: { ...message, status: 'in_progress', content: [] },
      }),
    );
    for (const piece of pieces(reply)) {
      events.push(
        event(
          'response.output_text.delta',
          { item_id: 'msg_fake', output_index: 0, content_index: 0, delta: piece, logprobs: [] },
          true,
        ),
      );
    }
    events.push(event('response.output_item.done', { output_index: 0, item: message }));
  }
  calls.forEach((call, index) => {
    const outputIndex = (text ? 1 : 0) + index;
    events.push(
      event('response.output_item.added', {
        output_index: outputIndex,
        item: { ...call, arguments: '', status: 'in_progress' },
      }),
    );
    events.push(
      event('response.function_call_arguments.delta', {
        item_id: call.id,
        output_index: outputIndex,
        delta: call.arguments,
      }),
    );
    events.push(event('response.output_item.done', { output_index: outputIndex, item: call }));
  });
  events.push(event('response.completed', { response }));
  return { json: response, events };
}

/** Anthropic Messages: a message body, or message_* / content_block_* events. */
export function anthropicReply(reply: FakeReply) {
  const usage = usageOf(reply);
  const text = pieces(reply).join('');
  const stopReason = reply.toolCalls?.length ? 'tool_use' : 'end_turn';
  const usageBody = {
    input_tokens: usage.input - (usage.cached ?? 0),
    output_tokens: usage.output,
    cache_read_input_tokens: usage.cached ?? 0,
    cache_creation_input_tokens: 0,
  };
  const tools = (reply.toolCalls ?? []).map((call) => ({
    type: 'tool_use',
    id: call.id,
    name: call.name,
    input: JSON.parse(call.arguments) as unknown,
  }));
  const base = { id: 'msg_fake', type: 'message', role: 'assistant', model: 'fake-model' };
  const json = {
    ...base,
    content: [...(text ? [{ type: 'text', text }] : []), ...tools],
    stop_reason: stopReason,
    stop_sequence: null,
    usage: usageBody,
  };
  const events: SseEvent[] = [
    named('message_start', {
      type: 'message_start',
      message: {
        ...base,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usageBody, output_tokens: 1 },
      },
    }),
  ];
  let index = 0;
  if (text) {
    events.push(
      named('content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'text', text: '' },
      }),
    );
    for (const piece of pieces(reply)) {
      events.push(
        named(
          'content_block_delta',
          { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } },
          true,
        ),
      );
    }
    events.push(named('content_block_stop', { type: 'content_block_stop', index }));
    index += 1;
  }
  for (const call of reply.toolCalls ?? []) {
    events.push(
      named('content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} },
      }),
    );
    events.push(
      named('content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: call.arguments },
      }),
    );
    events.push(named('content_block_stop', { type: 'content_block_stop', index }));
    index += 1;
  }
  events.push(
    named('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: usage.output },
    }),
  );
  events.push(named('message_stop', { type: 'message_stop' }));
  return { json, events };
}

/** Google Gemini generateContent: a response body, or the same shape per SSE chunk. */
export function googleReply(reply: FakeReply) {
  const usage = usageOf(reply);
  const usageMetadata = {
    promptTokenCount: usage.input,
    candidatesTokenCount: usage.output,
    totalTokenCount: usage.input + usage.output,
    cachedContentTokenCount: usage.cached ?? 0,
  };
  const calls = (reply.toolCalls ?? []).map((call) => ({
    functionCall: { name: call.name, args: JSON.parse(call.arguments) as unknown },
  }));
  const candidate = (parts: unknown[], finishReason?: string) => ({
    content: { role: 'model', parts },
    ...(finishReason ? { finishReason } : {}),
    index: 0,
  });
  const text = pieces(reply).join('');
  const json = {
    candidates: [candidate([...(text ? [{ text }] : []), ...calls], 'STOP')],
    usageMetadata,
  };
  const events: SseEvent[] = pieces(reply).map((piece) =>
    data({ candidates: [candidate([{ text: piece }])] }, true),
  );
  events.push(data({ candidates: [candidate(calls, 'STOP')], usageMetadata }));
  return { json, events };
}
