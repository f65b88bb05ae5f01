// One project in the list: its remote and delivery mode, and renaming, describing and
// deleting it in place. Deleting asks first: it removes the repository, tasks and memories.
import { useState } from 'react';
import { api, type Project } from '../../api';
import { CopyField } from '../../copy-field';
import { Link } from '../../router';
import { ErrorNote, useAction } from '../../ui';

export function ProjectRow({ project, onChanged }: { project: Project; onChanged: () => void }) {
  const [isEditing, setEditing] = useState(false);
  const [isConfirming, setConfirming] = useState(false);
  const [name, setName] = useState(project.name);
  const [description, setDescription] = useState(project.description);
  const save = useAction(async () => {
    await api.updateProject(project.id, { name: name.trim(), description: description.trim() });
    setEditing(false);
    onChanged();
  });
  const remove = useAction(
    async () => {
      await api.deleteProject(project.id);
      onChanged();
    },
    { staysBusy: true },
  );
  const error = save.error ?? remove.error;

  return (
    <tr>
      <td data-label="Name">
        {isEditing ? (
          <input
            aria-label={`New name of ${project.name}`}
            value={name}
            onChange={(event) => setName(event.target.value)}
          />
        ) : (
          <>
            {project.name} {project.isConfidential && <span className="badge">confidential</span>}
          </>
        )}
      </td>
      <td data-label="Description" className="muted">
        {isEditing ? (
          <input
            aria-label={`Description of ${project.name}`}
            value={description}
            onChange={(event) => setDescription(event.target.value)}
          />
        ) : (
          project.description || '—'
        )}
      </td>
      <td data-label="Remote" className="muted remote">
        {project.remoteUrl ? (
          <>
            <code>{project.remoteUrl}</code> <span className="badge">{project.remoteBranch}</span>
          </>
        ) : (
          '—'
        )}
      </td>
      <td data-label="Delivery" className="muted">
        {project.deliveryMode}
        {project.deliveryMode === 'pull-request' && project.hostRepository && (
          <>
            {' '}
            on <code>{project.hostRepository}</code> ({project.hostKind})
          </>
        )}
      </td>
      <td data-label="Clone URL">
        <CopyField label={`Clone URL of ${project.name}`} value={project.cloneUrl} />
      </td>
      <td className="actions">
        {isEditing ? (
          <>
            <button
              type="button"
              className="primary"
              disabled={!name.trim() || save.isBusy}
              onClick={() => void save.run()}
            >
              Save
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </>
        ) : isConfirming ? (
          <>
            <button
              type="button"
              className="danger"
              disabled={remove.isBusy}
              onClick={() => void remove.run()}
            >
              {remove.isBusy ? 'Deleting…' : `Delete ${project.name} and its tasks`}
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </>
        ) : (
          <>
            <Link to={`/tasks?project=${project.id}`}>Tasks</Link>
            <Link to={`/projects/${project.id}/ide`}>IDE</Link>
            <button type="button" className="link" onClick={() => setEditing(true)}>
              Edit
            </button>
            <button type="button" className="link" onClick={() => setConfirming(true)}>
              Delete
            </button>
          </>
        )}
        {error && <ErrorNote error={error} />}
      </td>
    </tr>
  );
}
