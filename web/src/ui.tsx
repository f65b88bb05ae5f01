// What every page shares: loading data with its loading and error states, sending a form with
// its busy and error states, the empty state that says what to do next, status badges and the
// formatting of money, time and durations.
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';

export interface Resource<T> {
  data: T | undefined;
  error: Error | null;
  isLoading: boolean;
  /** Loads again, keeping what is shown until the answer arrives. */
  reload: () => void;
}

/** Loads `load()` when `key` changes; an answer that arrives after a newer load is dropped. */
export function useResource<T>(load: () => Promise<T>, key: string): Resource<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<Error | null>(null);
  const [isLoading, setLoading] = useState(true);
  const latest = useRef(0);
  const loader = useRef(load);
  loader.current = load;

  const reload = useCallback(() => {
    const call = ++latest.current;
    setLoading(true);
    loader.current().then(
      (value) => {
        if (call !== latest.current) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (failure: unknown) => {
        if (call !== latest.current) return;
        setError(failure instanceof Error ? failure : new Error(String(failure)));
        setLoading(false);
      },
    );
  }, []);

  useEffect(() => {
    setData(undefined);
    reload();
  }, [key, reload]);

  return { data, error, isLoading, reload };
}

export interface Action<A extends unknown[]> {
  /** Runs the action; never rejects: a failure becomes `error`. */
  run: (...args: A) => Promise<void>;
  /** The arguments of the run under way, or null: which row's button is busy. */
  running: A | null;
  isBusy: boolean;
  /** The failure's message for people, or a message set by the caller (a form's own check). */
  error: string | null;
  setError: (error: string | null) => void;
}

export interface ActionOptions {
  /** The message for a failure; the error's own message by default. */
  describe?: (failure: unknown) => string;
  /** Stays busy after a success, for a caller that goes away then (it navigates, or the
   * reload it asks for removes it), so that its button does not come back meanwhile. */
  staysBusy?: boolean;
}

/** Runs `action` for a form or a button: busy while it runs, its failure shown as `error`. */
export function useAction<A extends unknown[]>(
  action: (...args: A) => Promise<unknown>,
  { describe = messageOf, staysBusy = false }: ActionOptions = {},
): Action<A> {
  const [running, setRunning] = useState<A | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async (...args: A) => {
    setError(null);
    setRunning(args);
    try {
      await action(...args);
      if (!staysBusy) setRunning(null);
    } catch (failure) {
      setError(describe(failure));
      setRunning(null);
    }
  };
  return { run, running, isBusy: running !== null, error, setError };
}

/** Shows a resource: loading, its error with a retry, or its data. */
export function Loaded<T>(props: {
  resource: Resource<T>;
  what: string;
  children: (data: T) => ReactNode;
}) {
  const { data, error, reload } = props.resource;
  if (error && data === undefined) return <ErrorNote error={error} onRetry={reload} />;
  if (data === undefined) return <Loading what={props.what} />;
  return <>{props.children(data)}</>;
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted loading" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorNote({ error, onRetry }: { error: Error | string; onRetry?: () => void }) {
  return (
    <p className="error" role="alert">
      {typeof error === 'string' ? error : error.message}{' '}
      {onRetry && (
        <button className="link" onClick={onRetry}>
          Try again
        </button>
      )}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`status status-${status}`}>{status}</span>;
}

export const formatUsd = (value: number) =>
  value === 0 ? '$0' : value < 0.01 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`;

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function formatAgo(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

/** The error's message for people, from an ApiError or anything else thrown. */
export const messageOf = (failure: unknown) =>
  failure instanceof Error ? failure.message : String(failure);
