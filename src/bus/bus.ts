// The message bus: events to every subscriber whose pattern matches, requests to exactly one
// responder with a reply, and broadcasts to every process. It only delivers: what must not be
// lost (task events) is written to Postgres first.

/** A handle to undo a subscription. */
export interface Subscription {
  unsubscribe(): Promise<void>;
}

export interface BusMessage {
  topic: string;
  payload: unknown;
}

export interface RequestOptions {
  timeoutMs?: number;
}

export interface Bus {
  /** Sends an event to every subscriber whose pattern matches `topic`. */
  publish(topic: string, payload: unknown): Promise<void>;
  /** Receives the events whose topic matches `pattern` (`*` one word, `#` any number). */
  subscribe(
    pattern: string,
    handler: (message: BusMessage) => void | Promise<void>,
  ): Promise<Subscription>;
  /** Asks one responder of `topic` and waits for its answer. */
  request(topic: string, payload: unknown, options?: RequestOptions): Promise<unknown>;
  /** Answers requests on `topic`; several responders share the work, each request goes to one. */
  respond(topic: string, handler: (payload: unknown) => Promise<unknown>): Promise<Subscription>;
  /** Sends `payload` on `channel` to every process's listeners. */
  broadcast(channel: string, payload: unknown): Promise<void>;
  /** Receives the broadcasts on `channel`. */
  listen(
    channel: string,
    handler: (payload: unknown) => void | Promise<void>,
  ): Promise<Subscription>;
  /** Whether the bus can deliver now, for /readyz; cheap, never waits on the network. */
  health(): BusHealth;
  close(): Promise<void>;
}

export interface BusHealth {
  kind: 'in-process' | 'postgres' | 'rabbitmq';
  isConnected: boolean;
  /** Why it is not connected, in words. */
  reason?: string;
}

/** AMQP topic matching: words split on dots, `*` matches one word, `#` zero or more. */
export function topicMatches(pattern: string, topic: string): boolean {
  return matchWords(pattern.split('.'), topic.split('.'));
}

function matchWords(pattern: string[], words: string[]): boolean {
  if (pattern.length === 0) return words.length === 0;
  const [head, ...rest] = pattern;
  if (head === '#') {
    for (let skip = 0; skip <= words.length; skip++) {
      if (matchWords(rest, words.slice(skip))) return true;
    }
    return false;
  }
  if (words.length === 0) return false;
  return (head === '*' || head === words[0]) && matchWords(rest, words.slice(1));
}

/**
 * Subscriptions by pattern. A topic finds the subscribers of its exact name in a map; only
 * patterns with wildcards are matched one by one. A live server holds one exact subscription
 * per client, so this keeps an event's cost from growing with every client connected.
 */
export function createSubscriptions<H>() {
  interface Entry {
    pattern: string;
    handler: H;
  }
  const exact = new Map<string, Set<Entry>>();
  const wildcards = new Set<Entry>();
  return {
    /** Adds a subscriber; returns how to remove it. */
    add(pattern: string, handler: H): () => void {
      const entry = { pattern, handler };
      if (pattern.split('.').some((word) => word === '*' || word === '#')) {
        wildcards.add(entry);
        return () => void wildcards.delete(entry);
      }
      const named = exact.get(pattern) ?? new Set<Entry>();
      exact.set(pattern, named);
      named.add(entry);
      return () => {
        named.delete(entry);
        if (named.size === 0 && exact.get(pattern) === named) exact.delete(pattern);
      };
    },
    /** The handlers of every pattern that matches `topic`. */
    matching(topic: string): H[] {
      const found = [...(exact.get(topic) ?? [])].map((entry) => entry.handler);
      for (const entry of wildcards) {
        if (topicMatches(entry.pattern, topic)) found.push(entry.handler);
      }
      return found;
    },
    clear() {
      exact.clear();
      wildcards.clear();
    },
  };
}
