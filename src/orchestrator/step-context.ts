// What the parts of one step's run (prepare, run the agent, finish) share: the rows, the
// signal, and the two ways to change state, both of which publish events only after commit.
import type { Bus } from '../bus/index.js';
import type { Db } from '../db/index.js';
import type { tables } from '../db/index.js';
import { createOutbox, recordEvents } from './outbox.js';
import type { ProjectRow } from './projects.js';
import type { TaskRow } from './tasks.js';
import type { EventSink } from './transitions.js';
import type { ClaimedStep } from './work-queue.js';
import type { StepOutcome } from './worker.js';

export type StepRow = typeof tables.steps.$inferSelect;

export interface StepContext {
  db: Db;
  claimed: ClaimedStep;
  step: StepRow;
  task: TaskRow;
  project: ProjectRow;
  /** Aborts when the worker loses the lease or stops, or the task is cancelled. */
  signal: AbortSignal;
  /** Runs `work` in a transaction of its own; its events are published once it committed. */
  record(work: (tx: Db, sink: EventSink) => Promise<void>): Promise<void>;
  /**
   * The step's outcome: `transition` runs in the transaction that commits the step, and the
   * events it appends are published after that commit (never when it rolls back).
   */
  outcome(
    result: unknown,
    agentStatus: 'idle' | 'waiting',
    transition: (tx: Db, sink: EventSink) => Promise<void>,
  ): StepOutcome;
}

export interface StepContextOptions {
  db: Db;
  bus: Bus;
  claimed: ClaimedStep;
  rows: { step: StepRow; task: TaskRow; project: ProjectRow };
  signal: AbortSignal;
}

/** The context of one claimed step. */
export function createStepContext({
  db,
  bus,
  claimed,
  rows,
  signal,
}: StepContextOptions): StepContext {
  return {
    db,
    claimed,
    ...rows,
    signal,
    record: (work) => recordEvents(db, bus, work),
    outcome(result, agentStatus, transition) {
      const outbox = createOutbox(bus);
      return {
        result,
        agentStatus,
        transition: (tx) => transition(tx, outbox.sink),
        afterCommit: outbox.publish,
      };
    },
  };
}
