// A step's transcript turn by turn: what the model said, and each tool it called with the
// input it gave and the output it got back.
import { formatUsd } from '../../ui';
import type { TranscriptEntry } from './api';
import { asText, Clipped } from './clipped';

type ModelEntry = Extract<TranscriptEntry, { kind: 'model' }>;
type ResultEntry = Extract<TranscriptEntry, { kind: 'tool-result' }>;

interface ToolCallState {
  toolCallId: string;
  toolName: string;
  input: unknown;
  state: 'asked' | 'running' | 'suspended' | 'done';
  result?: ResultEntry;
}

interface Turn {
  model: ModelEntry;
  calls: ToolCallState[];
}

/** The entries grouped by model turn, each tool call with what became of it. */
function turnsOf(items: readonly TranscriptEntry[]): Turn[] {
  const turns: Turn[] = [];
  const calls = new Map<string, ToolCallState>();
  for (const entry of [...items].sort((a, b) => a.seq - b.seq)) {
    if (entry.kind === 'model') {
      const turn: Turn = {
        model: entry,
        calls: entry.toolCalls.map((call) => ({ ...call, state: 'asked' })),
      };
      for (const call of turn.calls) calls.set(call.toolCallId, call);
      turns.push(turn);
      continue;
    }
    const call = calls.get(entry.toolCallId);
    if (!call) continue;
    if (entry.kind === 'tool-start') call.state = 'running';
    if (entry.kind === 'tool-suspended') call.state = 'suspended';
    if (entry.kind === 'tool-result') Object.assign(call, { state: 'done', result: entry });
  }
  return turns;
}

export function TranscriptView({ items }: { items: readonly TranscriptEntry[] }) {
  const turns = turnsOf(items);
  return (
    <ol className="step-transcript" data-testid="transcript">
      {turns.map(({ model, calls }) => (
        <li key={model.seq} className="transcript-turn">
          <div className="turn-head">
            <span className="turn-number">Turn {model.turn}</span>
            <span className="muted">{model.model}</span>
            {model.costUsd > 0 && <span className="muted">{formatUsd(model.costUsd)}</span>}
            <time className="muted turn-time" dateTime={model.createdAt}>
              {new Date(model.createdAt).toLocaleTimeString()}
            </time>
          </div>
          {model.text && <p className="turn-text">{model.text}</p>}
          {calls.map((call) => (
            <ToolCallView key={call.toolCallId} call={call} />
          ))}
        </li>
      ))}
    </ol>
  );
}

const stateLabel = {
  asked: 'pending',
  running: 'running',
  suspended: 'waiting for approval',
  done: 'ok',
};

function ToolCallView({ call }: { call: ToolCallState }) {
  const isError = call.result?.isError ?? false;
  const input = asText(call.input);
  const preview = previewOf(call.input);
  return (
    // An error is what one came to see: it starts open.
    <details className={`tool-call${isError ? ' is-error' : ''}`} open={isError || undefined}>
      <summary>
        <span className="tool-name">{call.toolName}</span>
        <span className="tool-preview">{preview}</span>
        <span className={`tool-state tool-state-${isError ? 'error' : call.state}`}>
          {isError ? 'error' : stateLabel[call.state]}
        </span>
      </summary>
      <div className="tool-body">
        <div className="tool-section">
          <h4>Input</h4>
          {input ? <Clipped text={input} /> : <p className="muted">No input.</p>}
        </div>
        {call.result && (
          <div className="tool-section">
            <h4>{isError ? 'Error' : 'Output'}</h4>
            <Clipped
              text={asText(call.result.output) || '(empty)'}
              className={isError ? 'is-error' : ''}
            />
          </div>
        )}
      </div>
    </details>
  );
}

/** One line saying what the call was about: its path, command or first field. */
function previewOf(input: unknown): string {
  if (input === null || typeof input !== 'object') return asText(input).split('\n')[0] ?? '';
  const fields = input as Record<string, unknown>;
  const first = ['path', 'command', 'summary', 'message', 'query']
    .map((name) => fields[name])
    .find((value) => typeof value === 'string');
  const text = typeof first === 'string' ? first : JSON.stringify(input);
  return text.split('\n')[0]!.slice(0, 120);
}
