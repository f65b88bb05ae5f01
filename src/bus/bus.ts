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
  close(): Promise<void>;
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
