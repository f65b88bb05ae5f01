// The IDE over one task's worktree: the file tree on the left, the editor on the right and
// the terminals below it. A task without a worktree gets one on request.
import { useEffect, useRef, type CSSProperties, type KeyboardEvent } from 'react';
import { ApiError } from '../../api';
import { Empty, Loaded, messageOf, useAction, useResource } from '../../ui';
import { Link } from '../../router';
import { ideApi, type Task, type TaskRef } from './api';
import { EditorPanel } from './editor-panel';
import { FileTreeView } from './file-tree-view';
import { RefreshIcon } from './icons';
import { useOpenFiles } from './open-files';
import { Splitter, useStoredSize } from './splitter';
import { TerminalPanel } from './terminal-panel';

/** The files, editor and terminals of a task, or the offer to open its worktree. */
export function TaskWorkspace(props: {
  taskRef: TaskRef;
  task: Task;
  /** Counts the task's events that may change its files: a step done, a new status. */
  changes: number;
}) {
  const { taskRef, task, changes } = props;
  // Asks first whether the worktree exists: a 404 would show in the browser's console.
  const files = useResource(
    async () => ((await ideApi.worktree(taskRef)).exists ? ideApi.files(taskRef) : null),
    taskRef.taskId,
  );

  // Agents make the worktree when they start and change files as they go: look again then.
  const { reload } = files;
  const seenChanges = useRef(changes);
  useEffect(() => {
    if (changes === seenChanges.current) return;
    seenChanges.current = changes;
    reload();
  }, [changes, reload]);

  return (
    <Loaded resource={files} what="the worktree's files">
      {(entries) =>
        entries === null ? (
          <NoWorktree taskRef={taskRef} task={task} onCreated={files.reload} />
        ) : (
          <Workspace
            taskRef={taskRef}
            entries={entries}
            onRefresh={files.reload}
            isRefreshing={files.isLoading}
          />
        )
      }
    </Loaded>
  );
}

function Workspace(props: {
  taskRef: TaskRef;
  entries: Parameters<typeof FileTreeView>[0]['entries'];
  onRefresh: () => void;
  isRefreshing: boolean;
}) {
  const { taskRef, entries, onRefresh, isRefreshing } = props;
  const openFiles = useOpenFiles(taskRef);
  const [treeWidth, setTreeWidth] = useStoredSize('cadre.ide.tree-width', 240);
  const [terminalHeight, setTerminalHeight] = useStoredSize('cadre.ide.terminal-height', 260);
  const sizes = {
    '--tree-width': `${treeWidth}px`,
    '--terminal-height': `${terminalHeight}px`,
  } as CSSProperties;

  // Ctrl+S saves from anywhere in the IDE but a terminal, where it means something to the shell.
  const saveShortcut = (event: KeyboardEvent) => {
    const isSave = (event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's';
    if (!isSave || event.defaultPrevented) return;
    if ((event.target as Element).closest('.ide-terminals')) return;
    event.preventDefault();
    if (openFiles.activePath) void openFiles.save(openFiles.activePath);
  };

  return (
    <div className="ide-body" style={sizes} onKeyDown={saveShortcut}>
      <aside className="ide-files" aria-label="Files">
        <div className="ide-pane-head">
          <span>Files</span>
          <button
            className="ide-icon-button"
            aria-label="Refresh files"
            title="Refresh files"
            onClick={onRefresh}
            disabled={isRefreshing}
          >
            <RefreshIcon />
          </button>
        </div>
        {entries.length === 0 ? (
          <p className="ide-hint">The worktree is empty.</p>
        ) : (
          <FileTreeView
            entries={entries}
            selectedPath={openFiles.activePath}
            onOpen={(path) => void openFiles.open(path)}
          />
        )}
      </aside>
      <Splitter
        orientation="vertical"
        label="Resize the file tree"
        size={treeWidth}
        min={160}
        max={600}
        onResize={setTreeWidth}
      />
      <div className="ide-main">
        <EditorPanel openFiles={openFiles} />
        <Splitter
          orientation="horizontal"
          label="Resize the terminals"
          size={terminalHeight}
          min={120}
          max={800}
          isInverted
          onResize={setTerminalHeight}
        />
        <TerminalPanel taskRef={taskRef} />
      </div>
    </div>
  );
}

function NoWorktree(props: { taskRef: TaskRef; task: Task; onCreated: () => void }) {
  const { taskRef, task, onCreated } = props;
  // Stays busy once made: the workspace replaces this notice.
  const create = useAction(
    async () => {
      await ideApi.createWorktree(taskRef);
      onCreated();
    },
    {
      staysBusy: true,
      describe: (failure) =>
        failure instanceof ApiError && failure.code === 'WORKSPACE_EXISTS'
          ? "The task's branch is still there but its worktree folder was removed, and the " +
            'server cannot check the branch out again. Its changes are on the task page.'
          : messageOf(failure),
    },
  );
  return (
    <div className="ide-notice">
      <Empty>
        <h2>This task has no worktree</h2>
        <p>
          {task.finishedAt
            ? 'It never had one, or it was removed when the task ended.'
            : 'Its agents make one when they start working on it.'}{' '}
          Open one now to browse and edit its files and run commands in a terminal; it starts from
          the project&apos;s base branch.
        </p>
        <button className="primary" onClick={() => void create.run()} disabled={create.isBusy}>
          {create.isBusy ? 'Opening…' : 'Open a worktree'}
        </button>
        {create.error && (
          <p className="error" role="alert">
            {create.error} <Link to={`/tasks/${task.id}`}>Open the task</Link>
          </p>
        )}
      </Empty>
    </div>
  );
}
