// Who else has the task open: initials, with the names for screen readers and on hover.
import type { Viewer } from '../../live';

const palette = ['#3b5bdb', '#0c8599', '#2f9e44', '#e8590c', '#ae3ec9', '#c2255c', '#5f3dc4'];

const initialsOf = (name: string) =>
  name
    .replace(/^API key "(.*)"$/, '$1')
    .split(/[\s._@-]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => word[0]!.toUpperCase())
    .join('') || '?';

const colourOf = (name: string) =>
  palette[[...name].reduce((sum, char) => sum + char.charCodeAt(0), 0) % palette.length]!;

/** Who else is looking at the task: everyone but the caller. */
export function Presence({ viewers }: { viewers: Viewer[] }) {
  const others = viewers.filter((viewer) => !viewer.isYou);
  const names = others.map((viewer) => viewer.name).join(', ');
  return (
    <div className="task-presence" data-testid="presence" aria-live="polite">
      {others.length === 0 ? (
        <span className="muted">No one else is looking</span>
      ) : (
        <>
          <span className="muted">Also looking:</span>
          <span className="presence-avatars">
            {others.slice(0, 5).map((viewer) => (
              <span
                key={viewer.userId ?? viewer.name}
                className="presence-avatar"
                style={{ background: colourOf(viewer.name) }}
                title={viewer.name}
                aria-hidden
              >
                {initialsOf(viewer.name)}
              </span>
            ))}
            {others.length > 5 && (
              <span className="presence-avatar presence-avatar-more">+{others.length - 5}</span>
            )}
          </span>
          <span className="presence-names" title={names}>
            {names}
          </span>
        </>
      )}
    </div>
  );
}
