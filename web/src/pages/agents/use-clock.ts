// Time that moves on by itself, and reloads that do not pile up: what keeps a live list
// ("12 s ago", an agent changing ten times a second) current without flooding the server.
import { useCallback, useEffect, useRef, useState } from 'react';

/** The current time, refreshed every `everyMs`, so that "ago" labels keep counting. */
export function useNow(everyMs = 5_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/**
 * `run` at most once per `intervalMs`: the first call runs at once, later ones within the
 * interval are folded into one run at its end, so the last change is never missed.
 */
export function useThrottled(run: () => void, intervalMs = 1_000): () => void {
  const latest = useRef(run);
  latest.current = run;
  const lastRunAt = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  return useCallback(() => {
    if (timer.current) return;
    const wait = lastRunAt.current + intervalMs - Date.now();
    const fire = () => {
      timer.current = null;
      lastRunAt.current = Date.now();
      latest.current();
    };
    if (wait <= 0) fire();
    else timer.current = setTimeout(fire, wait);
  }, [intervalMs]);
}
