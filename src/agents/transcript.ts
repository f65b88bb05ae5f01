// A step's transcript: the entries the agent loop checkpoints, and what is read back from
// them (the conversation for the model, the calls still to answer, repeated actions).
import type { ModelMessage } from 'ai';
import type { ToolCall } from '../llm/index.js';

export type TranscriptEntry =
  | {
      kind: 'model';
      turn: number;
      text: string;
      toolCalls: ToolCall[];
      model: string;
      costUsd: number;
    }
  | { kind: 'tool-start'; toolCallId: string; toolName: string }
  | { kind: 'tool-suspended'; toolCallId: string; toolName: string }
  | {
      kind: 'tool-result';
      toolCallId: string;
      toolName: string;
      output: unknown;
      isError: boolean;
    };

/** The tool calls of the last model turn that have no recorded result. */
export function unansweredCalls(transcript: readonly TranscriptEntry[]): ToolCall[] {
  const last = transcript.findLastIndex((entry) => entry.kind === 'model');
  if (last < 0) return [];
  const model = transcript[last] as Extract<TranscriptEntry, { kind: 'model' }>;
  const answered = new Set(
    transcript
      .slice(last)
      .flatMap((entry) => (entry.kind === 'tool-result' ? [entry.toolCallId] : [])),
  );
  return model.toolCalls.filter((call) => !answered.has(call.toolCallId));
}

/**
 * The finish the last model turn's calls already answered, if any: a transcript that holds one
 * is a finished agent, and resuming it must return this, never ask the model again.
 */
export function recordedFinish(
  transcript: readonly TranscriptEntry[],
): { summary: string; result: unknown } | null {
  const last = transcript.findLastIndex((entry) => entry.kind === 'model');
  if (last < 0) return null;
  const finish = transcript
    .slice(last)
    .find((entry) => entry.kind === 'tool-result' && entry.toolName === 'finish' && !entry.isError);
  if (!finish || finish.kind !== 'tool-result') return null;
  return finish.output as { summary: string; result: unknown };
}

/** How many model turns in a row, ending with the last, made exactly the same tool calls. */
export function repeats(transcript: readonly TranscriptEntry[]): number {
  const signatures = transcript.flatMap((entry) =>
    entry.kind === 'model'
      ? [JSON.stringify(entry.toolCalls.map((call) => [call.toolName, call.input]))]
      : [],
  );
  const last = signatures.at(-1);
  if (!last || last === '[]') return 0;
  let count = 0;
  for (let index = signatures.length - 1; index >= 0 && signatures[index] === last; index--)
    count++;
  return count;
}

/** The conversation as the model sees it, rebuilt from the transcript. */
export function toMessages(prompt: string, transcript: readonly TranscriptEntry[]): ModelMessage[] {
  const messages: ModelMessage[] = [{ role: 'user', content: prompt }];
  for (const entry of transcript) {
    if (entry.kind === 'model') {
      messages.push({
        role: 'assistant',
        content: [
          ...(entry.text ? [{ type: 'text' as const, text: entry.text }] : []),
          ...entry.toolCalls.map((call) => ({
            type: 'tool-call' as const,
            toolCallId: call.toolCallId,
            toolName: call.toolName,
            input: call.input,
          })),
        ],
      });
      if (entry.toolCalls.length === 0)
        messages.push({
          role: 'user',
          content: 'Use a tool to make progress, or call finish with your summary.',
        });
    } else if (entry.kind === 'tool-result') {
      const output =
        typeof entry.output === 'string'
          ? { type: 'text' as const, value: entry.output }
          : { type: 'json' as const, value: (entry.output ?? null) as never };
      messages.push({
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: entry.toolCallId,
            toolName: entry.toolName,
            output: entry.isError
              ? {
                  type: 'error-text',
                  value: String(
                    typeof entry.output === 'string' ? entry.output : JSON.stringify(entry.output),
                  ),
                }
              : output,
          },
        ],
      });
    }
  }
  return messages;
}
