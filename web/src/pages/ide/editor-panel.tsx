// The editor half of the IDE: a tab per open file (a dot marks unsaved changes), the active
// file's path, its save state and the Save button, then the editor itself.
import { Empty, ErrorNote, Loading } from '../../ui';
import { CodeEditor } from './code-editor';
import { CloseIcon } from './icons';
import type { OpenFile, OpenFiles } from './open-files';

/** The open files as tabs over the editor, with the active one's save state and Save. */
export function EditorPanel({ openFiles }: { openFiles: OpenFiles }) {
  const { files, activePath, setActivePath, close, save, edited, modelOf } = openFiles;
  const active = files.find((file) => file.path === activePath) ?? null;
  const model = active?.state === 'ready' ? modelOf(active.path) : null;

  return (
    <section className="ide-editor" aria-label="Editor">
      <div className="ide-tabbar">
        <div className="ide-tabs" role="tablist" aria-label="Open files">
          {files.map((file) => (
            <div
              key={file.path}
              className={`ide-tab${file.path === activePath ? ' is-active' : ''}`}
              title={file.path}
            >
              <button
                role="tab"
                aria-selected={file.path === activePath}
                onClick={() => setActivePath(file.path)}
              >
                {baseName(file.path)}
                {file.isDirty && (
                  <span className="ide-dirty" aria-label="unsaved changes" title="Unsaved changes">
                    ●
                  </span>
                )}
              </button>
              <button
                className="ide-icon-button"
                aria-label={`Close ${baseName(file.path)}`}
                title="Close"
                onClick={() => close(file.path)}
              >
                <CloseIcon />
              </button>
            </div>
          ))}
        </div>
        {active && (
          <div className="ide-toolbar">
            <span className="ide-path" title={active.path}>
              {active.path}
            </span>
            <SaveStatus file={active} />
            <button
              className="ide-save"
              disabled={!active.isDirty || active.save.state === 'saving'}
              onClick={() => void save(active.path)}
              title="Save (Ctrl+S)"
            >
              Save
            </button>
          </div>
        )}
      </div>
      <div className="ide-editor-body">
        {!active && (
          <Empty>Pick a file in the tree to open it. Ctrl+S (Cmd+S on a Mac) saves it.</Empty>
        )}
        {active?.state === 'loading' && <Loading what={active.path} />}
        {active?.state === 'failed' && <ErrorNote error={active.error ?? 'Could not open.'} />}
        {active?.state === 'binary' && (
          <Empty>
            <code>{active.path}</code> is a binary file; the editor shows text files only.
          </Empty>
        )}
        {model && active && (
          <CodeEditor
            model={model}
            onChange={() => edited(active.path)}
            onSave={() => void save(active.path)}
          />
        )}
      </div>
    </section>
  );
}

/** "Saved" stays until the next edit; a failure says why, as an alert. */
function SaveStatus({ file }: { file: OpenFile }) {
  const { save } = file;
  if (save.state === 'failed')
    return (
      <span className="ide-save-status is-failed" role="alert" data-testid="save-status">
        Not saved: {save.error}
      </span>
    );
  const text =
    save.state === 'saving'
      ? 'Saving…'
      : file.isDirty
        ? 'Unsaved changes'
        : save.state === 'saved'
          ? 'Saved'
          : '';
  return (
    <span
      className={`ide-save-status${text === 'Saved' ? ' is-saved' : ''}`}
      role="status"
      data-testid="save-status"
    >
      {text}
    </span>
  );
}

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);
