// A function that runs `action` at most once per interval: at once when it has been quiet,
// else once at the end of the interval, so that the last call is never lost.
import { useCallback, useEffect, useRef } from 'react';

/** Throttles `action` (which may change on every render) to one run per `intervalMs`. */
export function useThrottled(action: () => void, intervalMs: number): () => void {
  const latest = useRef(action);
  latest.current = action;
  const state = useRef<{ lastRun: number; timer: ReturnType<typeof setTimeout> | undefined }>({
    lastRun: 0,
    timer: undefined,
  });

  useEffect(() => {
    const current = state.current;
    return () => {
      clearTimeout(current.timer);
      current.timer = undefined;
    };
  }, []);

  return useCallback(() => {
    const current = state.current;
    if (current.timer !== undefined) return; // the run at the interval's end is already due
    const run = () => {
      current.timer = undefined;
      current.lastRun = Date.now();
      latest.current();
    };
    const wait = current.lastRun + intervalMs - Date.now();
    if (wait <= 0) run();
    else current.timer = setTimeout(run, wait);
  }, [intervalMs]);
}

/** Runs `action`, throttled, whenever `version` changes after the first render. */
export function useReloadOn(version: number | string, action: () => void, intervalMs: number) {
  const throttled = useThrottled(action, intervalMs);
  const first = useRef(version);
  useEffect(() => {
    if (version === first.current) return;
    first.current = version;
    throttled();
  }, [version, throttled]);
}
