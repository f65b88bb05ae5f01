// The task's events, newest first, in the sentences the CLI and the dashboard use; an agent's
// turns and tool calls only when asked for.
import { useState } from 'react';
import { describeEvent } from '../../../../src/orchestrator/event-text';
import { Empty } from '../../ui';
import { Ago } from './ticking';
import type { LiveEvent } from './use-task-live';

const shownAtFirst = 60;
const agentDetail = new Set(['agent-turn', 'tool-call-start', 'tool-call-end']);
const bad = new Set([
  'step-dead',
  'gate-failed',
  'plan-rejected',
  'merge-conflict',
  'approval-rejected',
  'task-failed',
  'task-cancelled',
]);
const good = new Set([
  'step-done',
  'gates-passed',
  'plan-accepted',
  'task-merged',
  'task-done',
  'approval-approved',
]);

/** The colour of an event's dot: how it went, or who it waits for. */
function toneOf({ type, data }: LiveEvent): string {
  if (bad.has(type) || (type === 'tool-call-end' && data.isError)) return 'bad';
  if (good.has(type)) return 'good';
  if (type === 'approval-requested' || type === 'task-waiting') return 'human';
  if (agentDetail.has(type)) return 'agent';
  if (type.startsWith('step-') || type === 'gates-queued') return 'step';
  return 'task';
}

/** The shared sentence, capitalized unless it starts with a step's key. */
function sentenceOf(event: LiveEvent): string {
  const sentence = describeEvent(event).trim();
  if (typeof event.data.key === 'string' && sentence.startsWith(event.data.key)) return sentence;
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

export function Activity(props: {
  events: LiveEvent[];
  /** The time of each event by sequence number, from the task's log. */
  times: Map<number, string>;
}) {
  const { events, times } = props;
  const [hasAgentDetail, setAgentDetail] = useState(false);
  const [isWhole, setWhole] = useState(false);
  const listed = events.filter((event) => hasAgentDetail || !agentDetail.has(event.type)).reverse();
  const shown = isWhole ? listed : listed.slice(0, shownAtFirst);

  return (
    <section
      className="card task-side-card"
      aria-labelledby="activity-title"
      data-testid="activity"
    >
      <div className="heading-row">
        <h2 id="activity-title">Activity</h2>
        <label className="check task-toggle">
          <input
            type="checkbox"
            checked={hasAgentDetail}
            onChange={(event) => setAgentDetail(event.target.checked)}
          />
          Agent turns
        </label>
      </div>
      {shown.length === 0 ? (
        <Empty>Nothing has happened yet.</Empty>
      ) : (
        <ol className="task-activity">
          {shown.map((event) => {
            const time = times.get(event.seq) ?? new Date(event.receivedAt).toISOString();
            return (
              <li key={event.seq} data-tone={toneOf(event)}>
                <span className="task-activity-dot" aria-hidden />
                <span className="task-activity-text">{sentenceOf(event)}</span>
                <Ago iso={time} />
              </li>
            );
          })}
        </ol>
      )}
      {shown.length < listed.length && (
        <button className="link" onClick={() => setWhole(true)}>
          Show all {listed.length} events
        </button>
      )}
    </section>
  );
}
