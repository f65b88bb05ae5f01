// Who is looking at a task. Each API process knows its own viewers and shares them over the
// bus, so that every process can tell its clients the whole list: a process announces its list
// when it changes, answers another process's announcement with its own, and repeats it every
// `refreshMs`; a process that falls silent (it crashed) is forgotten after three periods.
import { randomUUID } from 'node:crypto';
import type { Bus, Subscription } from '../bus/index.js';

export interface Viewer {
  userId: string | null;
  name: string;
}

interface Announcement {
  node: string;
  viewers: Viewer[];
  /** An answer or a refresh: it asks for no answer, so that announcements never echo. */
  isReply: boolean;
}

interface Watched {
  topic: string;
  local: Map<string, { viewer: Viewer; onChange: (viewers: Viewer[]) => void }>;
  others: Map<string, { viewers: Viewer[]; seenAt: number }>;
  subscription: Promise<Subscription>;
}

export interface Presence {
  /** Adds a viewer of the task; `onChange` gets the whole list now and on every change. */
  join(
    orgId: string,
    taskId: string,
    viewer: Viewer,
    onChange: (viewers: Viewer[]) => void,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export function createPresence(bus: Bus, refreshMs: number): Presence {
  const node = randomUUID();
  const watched = new Map<string, Watched>();

  const viewersOf = (entry: Watched) => {
    const everyone = [
      ...[...entry.local.values()].map((local) => local.viewer),
      ...[...entry.others.values()].flatMap((other) => other.viewers),
    ];
    const unique = new Map(everyone.map((viewer) => [viewer.userId ?? viewer.name, viewer]));
    return [...unique.values()].sort((a, b) => a.name.localeCompare(b.name));
  };
  const notify = (entry: Watched) => {
    const viewers = viewersOf(entry);
    for (const local of entry.local.values()) local.onChange(viewers);
  };
  const announce = (entry: Watched, isReply: boolean) => {
    const viewers = [...entry.local.values()].map((local) => local.viewer);
    return bus.publish(entry.topic, { node, viewers, isReply } satisfies Announcement);
  };
  const heard = (entry: Watched, { node: from, viewers, isReply }: Announcement) => {
    if (from === node) return;
    if (viewers.length === 0) entry.others.delete(from);
    else entry.others.set(from, { viewers, seenAt: Date.now() });
    if (!isReply && entry.local.size > 0) void announce(entry, true).catch(() => undefined);
    notify(entry);
  };

  const refresh = setInterval(() => {
    for (const entry of watched.values()) {
      const silentSince = Date.now() - 3 * refreshMs;
      let isChanged = false;
      for (const [from, other] of entry.others) {
        if (other.seenAt < silentSince) isChanged = entry.others.delete(from);
      }
      if (isChanged) notify(entry);
      void announce(entry, true).catch(() => undefined);
    }
  }, refreshMs);
  refresh.unref();

  return {
    async join(orgId, taskId, viewer, onChange) {
      const topic = `org.${orgId}.presence.${taskId}`;
      let entry = watched.get(topic);
      if (!entry) {
        const created: Watched = {
          topic,
          local: new Map(),
          others: new Map(),
          subscription: bus.subscribe(topic, ({ payload }) =>
            heard(created, payload as Announcement),
          ),
        };
        watched.set(topic, (entry = created));
      }
      await entry.subscription;
      const connection = randomUUID();
      entry.local.set(connection, { viewer, onChange });
      notify(entry);
      await announce(entry, false);

      const joined = entry;
      return async () => {
        if (!joined.local.delete(connection)) return;
        notify(joined);
        await announce(joined, false).catch(() => undefined);
        if (joined.local.size === 0 && watched.get(topic) === joined) {
          watched.delete(topic);
          await (await joined.subscription).unsubscribe();
        }
      };
    },
    async close() {
      clearInterval(refresh);
      const entries = [...watched.values()];
      watched.clear();
      await Promise.all(entries.map(async (entry) => (await entry.subscription).unsubscribe()));
    },
  };
}
