// The organization's projects: create one, clone its repository, follow its tasks or open its IDE.
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { CopyField } from '../copy-field';
import { Link } from '../router';
import { Empty, ErrorNote, Loaded, useAction, useResource } from '../ui';

export function ProjectsPage() {
  const projects = useResource(api.projects, 'projects');
  const [name, setName] = useState('');
  const create = useAction(async () => {
    await api.createProject(name.trim());
    setName('');
    projects.reload();
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void create.run();
  };

  return (
    <section className="card">
      <h1>Projects</h1>
      <form className="row" onSubmit={submit}>
        <input
          name="project-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="New project name"
          aria-label="New project name"
        />
        <button type="submit" className="primary" disabled={!name.trim() || create.isBusy}>
          {create.isBusy ? 'Creating…' : 'Create project'}
        </button>
      </form>
      {create.error && <ErrorNote error={create.error} />}
      <Loaded resource={projects} what="projects">
        {(items) =>
          items.length === 0 ? (
            <Empty>
              No projects yet. Create one above, or from a terminal:{' '}
              <code>cadre project create my-app</code>
            </Empty>
          ) : (
            <div className="table-scroll">
              <table data-testid="projects">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Description</th>
                    <th>Clone URL</th>
                    <th>Created</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {items.map((project) => (
                    <tr key={project.id}>
                      <td>
                        {project.name}{' '}
                        {project.isConfidential && <span className="badge">confidential</span>}
                      </td>
                      <td className="muted">{project.description || '—'}</td>
                      <td>
                        <CopyField
                          label={`Clone URL of ${project.name}`}
                          value={project.cloneUrl}
                        />
                      </td>
                      <td className="muted">{new Date(project.createdAt).toLocaleString()}</td>
                      <td className="actions">
                        <Link to={`/tasks?project=${project.id}`}>Tasks</Link>
                        <Link to={`/projects/${project.id}/ide`}>IDE</Link>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p className="muted">
                Each project&apos;s repository holds its merged work:{' '}
                <code>git clone &lt;clone URL&gt;</code>, with an API key (Settings) as the
                password.
              </p>
            </div>
          )
        }
      </Loaded>
    </section>
  );
}
