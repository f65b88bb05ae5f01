// Time that moves on by itself, and reloads that do not pile up: what keeps a live page
// ("12 s ago", an agent changing ten times a second) current without flooding the server.
import { useCallback, useEffect, useRef, useState } from 'react';

/** The time now, again every `intervalMs`; frozen when `intervalMs` is null. */
export function useNow(intervalMs: number | null): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (intervalMs === null) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/**
 * `action` (which may change on every render) at most once per `intervalMs`: at once when it
 * has been quiet, else once at the interval's end, so that the last call is never lost.
 */
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
