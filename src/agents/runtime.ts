// The agent loop: ask the model through the gateway, run the tools it calls, repeat until it
// calls finish. Every model turn and every tool result is checkpointed before the next step
// of the loop, so a resumed agent continues where it stopped and never repeats a side effect;
// one whose finish was checkpointed returns it at once, without another model call.
import { z } from 'zod';
import { CadreError } from '../errors/index.js';
import type { CallContext, Gateway, ToolCall, ToolDefinition } from '../llm/index.js';
import type { RoleDefinition } from './roles.js';
import { StepSuspended, type ToolHost } from './tool-host.js';
import { tools } from './tools.js';
import {
  recordedFinish,
  repeats,
  toMessages,
  unansweredCalls,
  type TranscriptEntry,
} from './transcript.js';

/** Where a step's transcript is kept; append must be durable before it resolves. */
export interface Checkpoints {
  load(): Promise<TranscriptEntry[]>;
  append(entry: TranscriptEntry): Promise<void>;
}

export type AgentEvent =
  | {
      type: 'agent-turn';
      turn: number;
      model: string;
      text: string;
      toolCalls: string[];
      costUsd: number;
    }
  | { type: 'tool-call-start'; toolCallId: string; toolName: string; input: unknown }
  | {
      type: 'tool-call-end';
      toolCallId: string;
      toolName: string;
      isError: boolean;
      output: unknown;
    };

export interface RunAgentOptions {
  gateway: Pick<Gateway, 'generate'>;
  role: RoleDefinition;
  /** The task and the step's goal, in words for the model. */
  prompt: string;
  context: CallContext;
  host: ToolHost;
  checkpoints: Checkpoints;
  signal?: AbortSignal;
  onEvent?: (event: AgentEvent) => unknown;
  wallTimeMs?: number;
  /** What this agent may spend on models, in USD: its role's share of the task's budget. */
  budgetUsd?: number | null;
  now?: () => number;
}

export interface AgentOutcome {
  summary: string;
  result: unknown;
  turns: number;
}

const repeatWarning = 3;
const repeatLimit = 5;

/** Runs (or resumes) one agent until it finishes; throws when a guard stops it. */
export async function runAgent(options: RunAgentOptions): Promise<AgentOutcome> {
  const {
    gateway,
    role,
    prompt,
    context,
    checkpoints,
    signal,
    onEvent = () => undefined,
  } = options;
  const { wallTimeMs = 30 * 60_000, now = Date.now } = options;
  const started = now();
  const transcript = await checkpoints.load();
  const definitions = toolDefinitions(role);
  let turn = transcript.filter((entry) => entry.kind === 'model').length;

  for (;;) {
    const pending = unansweredCalls(transcript);
    if (pending.length > 0) {
      const finished = await runToolCalls(options, transcript, pending);
      if (finished) return { ...finished, turns: turn };
      continue;
    }
    // Resumed after its finish was checkpointed (the step's commit never happened): done.
    const finished = recordedFinish(transcript);
    if (finished) return { ...finished, turns: turn };
    if (turn >= role.maxTurns) {
      throw new CadreError(
        'AGENT_TURN_LIMIT',
        `The ${role.name} used its ${role.maxTurns} turns without calling finish.`,
        {
          details: { role: role.name, maxTurns: role.maxTurns },
        },
      );
    }
    if (now() - started > wallTimeMs) {
      throw new CadreError(
        'AGENT_TIME_LIMIT',
        `The ${role.name} ran past its ${Math.round(wallTimeMs / 1000)} s limit.`,
      );
    }
    checkBudget(role, transcript, options.budgetUsd);
    signal?.throwIfAborted();
    const result = await gateway.generate({
      system: role.systemPrompt,
      messages: toMessages(prompt, transcript),
      tools: definitions,
      toolChoice: 'auto',
      policy: role.modelPolicy,
      context,
      signal,
    });
    turn += 1;
    const entry: TranscriptEntry = {
      kind: 'model',
      turn,
      text: result.text,
      toolCalls: result.toolCalls,
      model: result.model,
      costUsd: result.costUsd,
    };
    await checkpoints.append(entry);
    transcript.push(entry);
    await onEvent({
      type: 'agent-turn',
      turn,
      model: result.model,
      text: result.text,
      toolCalls: result.toolCalls.map((call) => call.toolName),
      costUsd: result.costUsd,
    });
    if (repeats(transcript) >= repeatLimit) {
      throw new CadreError(
        'AGENT_LOOP_DETECTED',
        `The ${role.name} repeated the same action ${repeatLimit} times in a row.`,
      );
    }
  }
}

/** Stops an agent that has spent its share of the task's budget, before the next call. */
function checkBudget(
  role: RoleDefinition,
  transcript: readonly TranscriptEntry[],
  budgetUsd?: number | null,
) {
  if (budgetUsd === undefined || budgetUsd === null) return;
  const spent = transcript.reduce(
    (sum, entry) => sum + (entry.kind === 'model' ? entry.costUsd : 0),
    0,
  );
  if (spent >= budgetUsd) {
    throw new CadreError(
      'LLM_BUDGET_EXCEEDED',
      `The ${role.name} spent $${spent.toFixed(4)} of its $${budgetUsd.toFixed(4)} share (${role.budgetShare * 100} %) of the task's budget; raise the task's budget or the role's share.`,
      { details: { scope: 'step', role: role.name, spentUsd: spent, limitUsd: budgetUsd } },
    );
  }
}

/** Runs the calls of the last model turn that have no result yet; returns the finish, if any. */
async function runToolCalls(
  options: RunAgentOptions,
  transcript: TranscriptEntry[],
  calls: ToolCall[],
) {
  const { checkpoints, signal, onEvent = () => undefined } = options;
  // Calls that began and may have taken effect; a call parked before it could act is not one.
  const started = new Set<string>();
  for (const entry of transcript) {
    if (entry.kind === 'tool-start') started.add(entry.toolCallId);
    if (entry.kind === 'tool-suspended') started.delete(entry.toolCallId);
  }
  let finish: { summary: string; result: unknown } | null = null;
  for (const call of calls) {
    signal?.throwIfAborted();
    const ran = await runOneTool(options, call, started.has(call.toolCallId));
    const { isError } = ran;
    let { output } = ran;
    if (call.toolName === 'finish' && !isError)
      finish = output as { summary: string; result: unknown };
    // The finish's output is the agent's result, kept as is for a resumed step to return.
    if (call.toolName !== 'finish' && repeats(transcript) >= repeatWarning && !isError) {
      output = {
        output,
        warning:
          'You have repeated this exact action several times. Change your approach or finish.',
      };
    }
    const result: TranscriptEntry = {
      kind: 'tool-result',
      toolCallId: call.toolCallId,
      toolName: call.toolName,
      output: output ?? null,
      isError,
    };
    await checkpoints.append(result);
    transcript.push(result);
    await onEvent({
      type: 'tool-call-end',
      toolCallId: call.toolCallId,
      toolName: call.toolName,
      isError,
      output,
    });
  }
  return finish;
}

/** One tool call: checked, started (checkpointed first when it has side effects) and run. */
async function runOneTool(
  options: RunAgentOptions,
  call: ToolCall,
  hasStarted: boolean,
): Promise<{ output: unknown; isError: boolean }> {
  const { role, host, checkpoints, signal, onEvent = () => undefined } = options;
  const spec = role.tools.includes(call.toolName as never)
    ? tools[call.toolName as keyof typeof tools]
    : undefined;
  if (!spec)
    return {
      output: `Unknown tool "${call.toolName}". You can use: ${role.tools.join(', ')}.`,
      isError: true,
    };
  if (hasStarted && spec.hasSideEffects) {
    // It began before a crash and may have taken effect: never run it a second time.
    return {
      output:
        'This call was interrupted and may or may not have taken effect. Check the state before repeating it.',
      isError: true,
    };
  }
  const parsed = spec.input.safeParse(call.input);
  if (!parsed.success)
    return { output: `Invalid input: ${z.prettifyError(parsed.error)}`, isError: true };
  const marker = { toolCallId: call.toolCallId, toolName: call.toolName };
  if (spec.hasSideEffects) await checkpoints.append({ kind: 'tool-start', ...marker });
  await onEvent({ type: 'tool-call-start', ...marker, input: parsed.data });
  try {
    return {
      output: await spec.run(host, parsed.data, { toolCallId: call.toolCallId }),
      isError: false,
    };
  } catch (error) {
    if (error instanceof StepSuspended) {
      // Parked before it acted (it waits for a human): when the step resumes, it runs again.
      if (spec.hasSideEffects) await checkpoints.append({ kind: 'tool-suspended', ...marker });
      throw error;
    }
    // A cancelled step or a spent budget ends the agent; any other failure is the model's.
    if (signal?.aborted || (error instanceof CadreError && error.code === 'LLM_BUDGET_EXCEEDED'))
      throw error;
    return { output: error instanceof Error ? error.message : String(error), isError: true };
  }
}

function toolDefinitions(role: RoleDefinition): Record<string, ToolDefinition> {
  return Object.fromEntries(
    role.tools.map((name) => [
      name,
      {
        description: tools[name].description,
        inputSchema: z.toJSONSchema(tools[name].input, {
          io: 'input',
        }) as ToolDefinition['inputSchema'],
      },
    ]),
  );
}
