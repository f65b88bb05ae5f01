// The organization's projects: create one (empty, or from a repository), rename, describe or
// delete it, then follow its tasks or open its IDE.
import { api } from '../api';
import { Empty, Loaded, useResource } from '../ui';
import { NewProject } from './projects/new-project';
import { ProjectRow } from './projects/project-row';
import './projects/projects.css';

export function ProjectsPage() {
  const projects = useResource(api.projects, 'projects');

  return (
    <section className="card">
      <h1>Projects</h1>
      <NewProject onCreated={projects.reload} />
      <Loaded resource={projects} what="projects">
        {(items) =>
          items.length === 0 ? (
            <Empty>
              No projects yet. Create one above, or from a terminal:{' '}
              <code>cadre project create my-app --repo https://github.com/owner/app.git</code>
            </Empty>
          ) : (
            <div className="table-scroll">
              <table data-testid="projects" className="row-cards">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Description</th>
                    <th>Remote</th>
                    <th>Delivery</th>
                    <th>Clone URL</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {items.map((project) => (
                    <ProjectRow key={project.id} project={project} onChanged={projects.reload} />
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
