// Reloads that follow something that changes (the count of a task's events, a step's status)
// without piling up: at most one per interval, and the last change is never missed.
import { useEffect, useRef } from 'react';
import { useThrottled } from '../../hooks';

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
