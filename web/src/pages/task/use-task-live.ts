// A task's live subscription: its events in order (the whole log is replayed on subscribing)
// and who else is looking. Messages are taken in batches so that a replay renders once.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Viewer } from '../../live';
import { useLive } from '../../live-context';
import { TaskStatus } from './api';

export interface LiveEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
  /** When this page received it: the time of events the log had no time for yet. */
  receivedAt: number;
}

export interface TaskLive {
  events: LiveEvent[];
  viewers: Viewer[];
  /** The status the last task-<status> event set, if any arrived. */
  status: TaskStatus | null;
  error: string | null;
  /**
   * What the server said of the task: nothing yet, that it is `missing` (NOT_FOUND), or
   * anything else (`answered`). Asking over the socket first spares a missing task's page a
   * failed HTTP request, which browsers log as an error.
   */
  answer: 'none' | 'missing' | 'answered';
  /** Whether the log's replay is over: `events` holds everything that happened so far. */
  isCaughtUp: boolean;
}

const batchMs = 40;

/** Follows the task's live events and presence while mounted. */
export function useTaskLive(taskId: string): TaskLive {
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const [viewers, setViewers] = useState<Viewer[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [answer, setAnswer] = useState<TaskLive['answer']>('none');
  const [isCaughtUp, setCaughtUp] = useState(false);
  const pending = useRef<LiveEvent[]>([]);
  const flush = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const flushNow = () => {
    clearTimeout(flush.current);
    flush.current = undefined;
    const batch = pending.current.splice(0);
    if (batch.length === 0) return;
    // A subscription made again (a remount) replays from the start: keep each event once.
    setEvents((previous) => {
      let lastSeq = previous.at(-1)?.seq ?? 0;
      const fresh: LiveEvent[] = [];
      for (const event of batch) {
        if (event.seq <= lastSeq) continue;
        fresh.push(event);
        lastSeq = event.seq;
      }
      return fresh.length === 0 ? previous : [...previous, ...fresh];
    });
  };

  useEffect(
    () => () => {
      clearTimeout(flush.current);
      flush.current = undefined;
    },
    [],
  );

  useLive({ scope: 'task', taskId }, (message) => {
    const isMissing = message.type === 'error' && message.code === 'NOT_FOUND';
    setAnswer((previous) =>
      previous === 'none' ? (isMissing ? 'missing' : 'answered') : previous,
    );
    if (message.type === 'presence') setViewers(message.viewers);
    if (message.type === 'error') setError(message.message);
    if (message.type === 'subscribed') {
      // The server answers so once it has replayed the log.
      flushNow();
      setCaughtUp(true);
    }
    if (message.type !== 'event') return;
    pending.current.push({
      seq: message.seq,
      type: message.eventType,
      data: message.data,
      receivedAt: Date.now(),
    });
    flush.current ??= setTimeout(flushNow, batchMs);
  });

  const status = useMemo(() => {
    for (let index = events.length - 1; index >= 0; index--) {
      const parsed = TaskStatus.safeParse(events[index]!.type.replace(/^task-/, ''));
      if (events[index]!.type.startsWith('task-') && parsed.success) return parsed.data;
    }
    return null;
  }, [events]);

  return { events, viewers, status, error, answer, isCaughtUp };
}
