// The task's changes against the commit its branch left from: the files, then each file's
// patch with added and removed lines coloured.
import { useState } from 'react';
import { ApiError } from '../../api';
import { Empty, ErrorNote, Loading, useResource } from '../../ui';
import { taskApi, type Diff } from './api';
import { splitPatch, type FilePatch } from './patch';
import { useReloadOn } from './use-throttled';

const linesShownAtFirst = 400;

export function DiffView(props: {
  projectId: string;
  taskId: string;
  version: number;
  /** False when no step has started, so no worktree can exist; undefined when unknown. */
  hasWorktree: boolean | undefined;
}) {
  const { hasWorktree, ...rest } = props;
  return (
    <div className="task-diff" data-testid="diff">
      {hasWorktree === false ? <NoWorktree /> : <DiffLoader {...rest} />}
    </div>
  );
}

const NoWorktree = () => (
  <Empty>This task has no worktree yet. Its changes show here once an agent starts working.</Empty>
);

function DiffLoader(props: { projectId: string; taskId: string; version: number }) {
  const { projectId, taskId, version } = props;
  const diff = useResource(() => taskApi.diff(projectId, taskId), `${projectId}/${taskId}`);
  useReloadOn(version, diff.reload, 1000);

  if (diff.error && diff.data === undefined) {
    if (diff.error instanceof ApiError && diff.error.code === 'WORKSPACE_NOT_FOUND')
      return <NoWorktree />;
    return <ErrorNote error={diff.error} onRetry={diff.reload} />;
  }
  if (diff.data === undefined) return <Loading what="the diff" />;
  return <DiffBody diff={diff.data} />;
}

function DiffBody({ diff }: { diff: Diff }) {
  const patches = splitPatch(diff.patch);
  const statusOf = new Map(diff.files.map((file) => [file.path, file.status]));
  if (diff.files.length === 0 && patches.length === 0) {
    return (
      <Empty>
        No changes yet: <code>{diff.branch}</code> is the same as <code>{diff.baseBranch}</code>.
      </Empty>
    );
  }
  const additions = patches.reduce((sum, patch) => sum + patch.additions, 0);
  const deletions = patches.reduce((sum, patch) => sum + patch.deletions, 0);
  const files =
    diff.files.length > 0
      ? diff.files
      : patches.map((patch) => ({ path: patch.path, status: 'changed' as const }));
  return (
    <>
      <div className="diff-summary">
        <span>
          <code>{diff.branch}</code> → <code>{diff.baseBranch}</code>
        </span>
        <span className="muted">
          {files.length} file{files.length === 1 ? '' : 's'} changed
        </span>
        <span className="diff-count-add">+{additions}</span>
        <span className="diff-count-remove">−{deletions}</span>
      </div>
      <ul className="diff-files" aria-label="Files changed">
        {files.map((file) => {
          const patch = patches.find((candidate) => candidate.path === file.path);
          return (
            <li key={file.path}>
              <span className={`file-status file-status-${file.status}`} title={file.status}>
                {file.status[0]!.toUpperCase()}
              </span>
              <a
                href={`#${anchorOf(file.path)}`}
                onClick={(event) => {
                  event.preventDefault();
                  document
                    .getElementById(anchorOf(file.path))
                    ?.scrollIntoView({ behavior: 'smooth', block: 'start' });
                }}
              >
                {file.path}
              </a>
              {patch && (
                <span className="diff-file-counts">
                  <span className="diff-count-add">+{patch.additions}</span>{' '}
                  <span className="diff-count-remove">−{patch.deletions}</span>
                </span>
              )}
            </li>
          );
        })}
      </ul>
      {patches.map((patch) => (
        <FilePatchView key={patch.path} patch={patch} status={statusOf.get(patch.path)} />
      ))}
    </>
  );
}

const anchorOf = (path: string) => `diff-${path.replace(/[^a-zA-Z0-9_-]/g, '-')}`;

function FilePatchView({ patch, status }: { patch: FilePatch; status?: string }) {
  const [isWhole, setWhole] = useState(false);
  const lines = isWhole ? patch.lines : patch.lines.slice(0, linesShownAtFirst);
  return (
    <section className="file-patch" id={anchorOf(patch.path)} aria-label={patch.path}>
      <header>
        <code>{patch.path}</code>
        {status && <span className="muted">{status}</span>}
        <span className="diff-file-counts">
          <span className="diff-count-add">+{patch.additions}</span>{' '}
          <span className="diff-count-remove">−{patch.deletions}</span>
        </span>
      </header>
      {patch.isBinary ? (
        <p className="muted file-patch-note">Binary file: no text to show.</p>
      ) : (
        <div className="patch-scroll">
          <table className="patch">
            <tbody>
              {lines.map((line, index) => (
                <tr key={index} className={`patch-${line.kind}`}>
                  <td className="patch-number">{line.oldNumber}</td>
                  <td className="patch-number">{line.newNumber}</td>
                  <td className="patch-sign">
                    {line.kind === 'add' ? '+' : line.kind === 'remove' ? '−' : ''}
                  </td>
                  <td className="patch-text">{line.text}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {lines.length < patch.lines.length && (
        <button className="link file-patch-more" onClick={() => setWhole(true)}>
          Show all {patch.lines.length} lines
        </button>
      )}
    </section>
  );
}
