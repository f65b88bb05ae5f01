// Tasks: describe a new one in plain words, and follow the list of them, filtered by project
// and status, kept current by the live stream.
import { useState, type FormEvent } from 'react';
import { api, taskStatuses, type Project, type Task } from '../api';
import { useThrottled } from '../hooks';
import { useLive } from '../live-context';
import { Link, navigate } from '../router';
import {
  Empty,
  ErrorNote,
  formatAgo,
  Loaded,
  StatusBadge,
  useAction,
  useResource,
  type Resource,
} from '../ui';

export function TasksPage({ projectId }: { projectId: string | null }) {
  const projects = useResource(api.projects, 'projects');
  const [status, setStatus] = useState('');
  const tasks = useResource(() => api.tasks({ projectId, status }), `${projectId}|${status}`);
  const [more, setMore] = useState<Task[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);

  // Any task event may change the list; reload at most twice a second.
  const reload = useThrottled(tasks.reload, 500);
  useLive(
    { scope: 'organization' },
    (message) => {
      if (message.type === 'event') reload();
    },
    tasks.reload,
  );

  const filter = (next: { project?: string | null; status?: string }) => {
    setMore([]);
    setCursor(null);
    if (next.status !== undefined) setStatus(next.status);
    if (next.project !== undefined) {
      navigate(next.project ? `/tasks?project=${next.project}` : '/tasks');
    }
  };
  const loadMore = async (after: string) => {
    const page = await api.tasks({ projectId, status, cursor: after });
    setMore((items) => [...items, ...page.items]);
    setCursor(page.nextCursor ?? '');
  };

  return (
    <div className="stack">
      <NewTask projects={projects} projectId={projectId} />
      <section className="card">
        <div className="heading-row">
          <h1>Tasks</h1>
          <div className="filters">
            <select
              aria-label="Project"
              value={projectId ?? ''}
              onChange={(event) => filter({ project: event.target.value || null })}
            >
              <option value="">All projects</option>
              {projects.data?.map((project) => (
                <option key={project.id} value={project.id}>
                  {project.name}
                </option>
              ))}
            </select>
            <select
              aria-label="Status"
              value={status}
              onChange={(event) => filter({ status: event.target.value })}
            >
              <option value="">Any status</option>
              {taskStatuses.map((value) => (
                <option key={value}>{value}</option>
              ))}
            </select>
          </div>
        </div>
        <Loaded resource={tasks} what="tasks">
          {(page) => {
            const items = [...page.items, ...more];
            const next = cursor === null ? page.nextCursor : cursor || null;
            if (items.length === 0) {
              return (
                <Empty>
                  {status || projectId
                    ? 'No task matches these filters.'
                    : 'No tasks yet. Describe what you want built above, and the team plans it.'}
                </Empty>
              );
            }
            const names = new Map(projects.data?.map((project) => [project.id, project.name]));
            return (
              <>
                <TaskTable tasks={items} projectNames={names} />
                {next && (
                  <button onClick={() => void loadMore(next)} className="more">
                    Show more
                  </button>
                )}
              </>
            );
          }}
        </Loaded>
      </section>
    </div>
  );
}

export function TaskTable(props: { tasks: Task[]; projectNames: Map<string, string> }) {
  return (
    <div className="table-scroll">
      <table data-testid="tasks">
        <thead>
          <tr>
            <th>Task</th>
            <th>Project</th>
            <th>Status</th>
            <th>Progress</th>
            <th>Updated</th>
          </tr>
        </thead>
        <tbody>
          {props.tasks.map((task) => (
            <tr key={task.id}>
              <td>
                <Link to={`/tasks/${task.id}`}>{task.title}</Link>
              </td>
              <td className="muted">{props.projectNames.get(task.projectId) ?? '—'}</td>
              <td>
                <StatusBadge status={task.status} />
              </td>
              <td>
                <Progress done={task.progress.done} total={task.progress.total} />
              </td>
              <td className="muted">{formatAgo(task.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Progress({ done, total }: { done: number; total: number }) {
  if (total === 0) return <span className="muted">—</span>;
  return (
    <span className="progress" title={`${done} of ${total} steps done`}>
      <span className="bar">
        <span style={{ width: `${(100 * done) / total}%` }} />
      </span>
      {done}/{total}
    </span>
  );
}

function NewTask(props: { projects: Resource<Project[]>; projectId: string | null }) {
  const [projectId, setProjectId] = useState(props.projectId ?? '');
  const [description, setDescription] = useState('');
  const [budget, setBudget] = useState('');
  const projects = props.projects.data;
  const chosen = projectId || (projects?.length === 1 ? projects[0]!.id : '');

  // Stays busy once the task is made: the page goes to it.
  const start = useAction(
    async () => {
      const task = await api.createTask({
        projectId: chosen,
        description: description.trim(),
        ...(budget ? { budgetUsd: Number(budget) } : {}),
      });
      navigate(`/tasks/${task.id}`);
    },
    { staysBusy: true },
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void start.run();
  };

  if (props.projects.error) return <ErrorNote error={props.projects.error} />;
  if (projects?.length === 0) {
    return (
      <section className="card">
        <h1>New task</h1>
        <Empty>
          Tasks belong to a project. <Link to="/projects">Create a project</Link> first.
        </Empty>
      </section>
    );
  }
  return (
    <form className="card new-task" onSubmit={submit}>
      <h1>New task</h1>
      <label>
        What should the team do?
        <textarea
          name="description"
          value={description}
          onChange={(event) => setDescription(event.target.value)}
          placeholder="e.g. Add an add(a, b) function to src/math.js with a test"
          rows={3}
        />
      </label>
      <div className="row">
        <select
          aria-label="Project of the new task"
          value={chosen}
          onChange={(event) => setProjectId(event.target.value)}
        >
          <option value="" disabled>
            Choose a project
          </option>
          {projects?.map((project) => (
            <option key={project.id} value={project.id}>
              {project.name}
            </option>
          ))}
        </select>
        <input
          name="budget"
          type="number"
          min="0.01"
          step="0.01"
          value={budget}
          onChange={(event) => setBudget(event.target.value)}
          placeholder="Budget in USD (optional)"
          aria-label="Budget in USD"
        />
        <button
          type="submit"
          className="primary"
          disabled={!chosen || !description.trim() || start.isBusy}
        >
          {start.isBusy ? 'Starting…' : 'Start task'}
        </button>
      </div>
      {start.error && <ErrorNote error={start.error} />}
    </form>
  );
}
