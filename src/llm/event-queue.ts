// Turns pushed stream events into an AsyncIterable, ending with the producer's result or
// error. Unbounded: model output is slow next to any consumer. It never drops an event.

export interface EventQueue<T> extends AsyncIterable<T> {
  push(event: T): void;
  end(): void;
  fail(error: unknown): void;
}

/** A queue whose iterator calls `onReturn` when the consumer stops early. */
export function createEventQueue<T>(onReturn: () => void): EventQueue<T> {
  const events: T[] = [];
  let isDone = false;
  let failure: { error: unknown } | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  return {
    push: (event) => {
      events.push(event);
      notify();
    },
    end: () => {
      isDone = true;
      notify();
    },
    fail: (error) => {
      failure = { error };
      isDone = true;
      notify();
    },
    [Symbol.asyncIterator]: () => ({
      next: async (): Promise<IteratorResult<T>> => {
        while (events.length === 0 && !isDone) {
          await new Promise<void>((resolve) => (wake = resolve));
        }
        if (events.length > 0) return { value: events.shift()!, done: false };
        if (failure) throw failure.error;
        return { value: undefined, done: true };
      },
      return: async (): Promise<IteratorResult<T>> => {
        if (!isDone) onReturn();
        isDone = true;
        return { value: undefined, done: true };
      },
    }),
  };
}
