// Times that stay true while the page is open: "3 min ago", and how long a task has run.
import { useNow } from '../../hooks';
import { formatAgo, formatDuration } from '../../ui';

/** "12 s ago", with the full date on hover. */
export function Ago({ iso }: { iso: string }) {
  const now = useNow(10_000);
  return (
    <time dateTime={iso} title={new Date(iso).toLocaleString()}>
      {formatAgo(iso, Math.max(now, Date.now()))}
    </time>
  );
}

/** How long from `from` to `to`, or to now while `to` is null. */
export function Elapsed({ from, to }: { from: string; to: string | null }) {
  const now = useNow(to === null ? 1000 : null);
  const end = to === null ? Math.max(now, Date.now()) : Date.parse(to);
  return <>{formatDuration(Math.max(0, end - Date.parse(from)))}</>;
}
