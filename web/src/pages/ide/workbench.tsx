// The IDE of a project: the task picker (the chosen task is in the URL, the newest by default)
// and the chosen task's workspace. Loaded on demand: Monaco and xterm.js stay out of the app's
// first bundle.
import { useEffect, useMemo, useState } from 'react';
import { api } from '../../api';
import { useLive } from '../../live-context';
import { Link, navigate } from '../../router';
import { Empty, ErrorNote, Loaded, Loading, StatusBadge, useResource } from '../../ui';
import type { Task } from './api';
import { TaskWorkspace } from './task-workspace';

const idePath = (projectId: string, taskId: string) =>
  `/projects/${encodeURIComponent(projectId)}/ide?task=${encodeURIComponent(taskId)}`;

/** The project's IDE: its task picker and the chosen task's workspace. */
export function Workbench({ projectId, taskId }: { projectId: string; taskId: string | null }) {
  // The project's most recent tasks, newest first.
  const tasks = useResource(
    () => api.tasks({ projectId, limit: 100 }).then((page) => page.items),
    projectId,
  );
  const projects = useResource(api.projects, 'projects');
  const project = projects.data?.find((item) => item.id === projectId);
  const chosenId = taskId ?? tasks.data?.[0]?.id;
  const [changes, setChanges] = useState(0);
  // New tasks and status changes show in the picker as they happen; the chosen task's files
  // are listed again when a step of it is done.
  useLive({ scope: 'project', projectId }, (message) => {
    if (message.type !== 'event') return;
    const isTaskChange = message.eventType.startsWith('task-');
    if (isTaskChange) tasks.reload();
    if (message.taskId === chosenId && (isTaskChange || message.eventType === 'step-done'))
      setChanges((count) => count + 1);
  });

  if (projects.data && !project)
    return (
      <Empty>
        There is no project <code>{projectId}</code>. <Link to="/projects">Pick a project</Link>.
      </Empty>
    );
  return (
    <Loaded resource={tasks} what="tasks">
      {(items) =>
        items.length === 0 ? (
          <>
            <header className="ide-bar">
              <h1>{project?.name ?? 'IDE'}</h1>
            </header>
            <div className="ide-notice">
              <Empty>
                <h2>This project has no tasks yet</h2>
                <p>
                  The IDE opens a task&apos;s worktree: the branch its agents work on. Create a task
                  on the Tasks page, then come back here to see and edit its files.
                </p>
                <Link to={`/tasks?project=${projectId}`} className="ide-button-link">
                  Create a task
                </Link>
              </Empty>
            </div>
          </>
        ) : (
          <ChosenTask
            projectId={projectId}
            projectName={project?.name}
            tasks={items}
            taskId={taskId ?? items[0]!.id}
            isDefault={taskId === null}
            changes={changes}
          />
        )
      }
    </Loaded>
  );
}

function ChosenTask(props: {
  projectId: string;
  projectName: string | undefined;
  tasks: Task[];
  taskId: string;
  isDefault: boolean;
  changes: number;
}) {
  const { projectId, tasks, taskId, isDefault } = props;
  const listed = tasks.find((task) => task.id === taskId);
  // A task older than the listed ones is asked for by its id.
  const other = useResource(
    () => (listed ? Promise.resolve(null) : api.task(taskId)),
    listed ? '' : taskId,
  );
  const task = listed ?? (other.data?.projectId === projectId ? other.data : undefined);
  const taskRef = useMemo(() => ({ projectId, taskId }), [projectId, taskId]);

  // The newest task by default, written into the address so that a reload keeps it even after
  // newer tasks are made. Replaced, not pushed: Back still leaves the IDE.
  useEffect(() => {
    if (isDefault) navigate(idePath(projectId, taskId), { replace: true });
  }, [isDefault, projectId, taskId]);

  const options = task && !listed ? [task, ...tasks] : tasks;
  return (
    <>
      <header className="ide-bar">
        <h1>{props.projectName ?? 'IDE'}</h1>
        <label className="ide-task-picker">
          <span>Task</span>
          <select
            value={task ? taskId : ''}
            onChange={(event) => navigate(idePath(projectId, event.target.value))}
          >
            {!task && <option value="">Choose a task</option>}
            {options.map((option) => (
              <option key={option.id} value={option.id}>
                {option.title} — {option.status}
              </option>
            ))}
          </select>
        </label>
        {task && <StatusBadge status={task.status} />}
        {task && (
          <Link to={`/tasks/${task.id}`} className="ide-bar-link">
            Task details
          </Link>
        )}
      </header>
      {task ? (
        <TaskWorkspace key={taskId} taskRef={taskRef} task={task} changes={props.changes} />
      ) : other.data === undefined && !other.error ? (
        <Loading what="the task" />
      ) : (
        <ErrorNote error={`This project has no task ${taskId}. Choose one of its tasks above.`} />
      )}
    </>
  );
}
