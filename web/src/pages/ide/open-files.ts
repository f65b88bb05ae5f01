// The files open in the editor: one Monaco model per file, whether it differs from what was last
// read or saved (by Monaco's version ids, so undoing back to the saved text is clean again), and
// the state of its last save. The models are disposed with the task's IDE.
import { useCallback, useEffect, useRef, useState } from 'react';
import { messageOf } from '../../ui';
import { ideApi, type TaskRef } from './api';
import { monaco } from './monaco';

export type SaveState =
  { state: 'idle' } | { state: 'saving' } | { state: 'saved' } | { state: 'failed'; error: string };

export interface OpenFile {
  path: string;
  state: 'loading' | 'ready' | 'binary' | 'failed';
  error: string | null;
  isDirty: boolean;
  save: SaveState;
}

interface Held {
  model: monaco.editor.ITextModel;
  /** The model's alternative version id when its text matched the file on disk. */
  savedVersion: number;
}

/** Text with NUL characters is not text a person edits: saving it back would corrupt it. */
const isBinary = (content: string) => content.includes('\u0000');

/** The open files of one task, and how to open, edit, save and close them. */
export function useOpenFiles(ref: TaskRef) {
  const [files, setFiles] = useState<OpenFile[]>([]);
  const [activePath, setActivePath] = useState<string | null>(null);
  const models = useRef(new Map<string, Held>());
  const current = useRef(files);
  current.current = files;

  const update = useCallback((path: string, change: Partial<OpenFile>) => {
    setFiles((list) => list.map((file) => (file.path === path ? { ...file, ...change } : file)));
  }, []);

  useEffect(() => {
    const held = models.current;
    return () => {
      for (const { model } of held.values()) model.dispose();
      held.clear();
    };
  }, []);

  const open = useCallback(
    async (path: string) => {
      setActivePath(path);
      const existing = current.current.find((file) => file.path === path);
      if (existing && existing.state !== 'failed') return;
      const loading: OpenFile = {
        path,
        state: 'loading',
        error: null,
        isDirty: false,
        save: { state: 'idle' },
      };
      setFiles((list) =>
        existing ? list.map((file) => (file.path === path ? loading : file)) : [...list, loading],
      );
      try {
        const content = await ideApi.readFile(ref, path);
        if (isBinary(content)) return update(path, { state: 'binary' });
        // Named after the task and the path: the language follows the file's extension.
        const uri = monaco.Uri.from({ scheme: 'cadre', authority: ref.taskId, path: `/${path}` });
        const model =
          monaco.editor.getModel(uri) ?? monaco.editor.createModel(content, undefined, uri);
        models.current.set(path, { model, savedVersion: model.getAlternativeVersionId() });
        update(path, { state: 'ready' });
      } catch (failure) {
        update(path, { state: 'failed', error: messageOf(failure) });
      }
    },
    [ref, update],
  );

  /** Called on every edit: whether the text still matches the file on disk. */
  const edited = useCallback(
    (path: string) => {
      const held = models.current.get(path);
      if (!held) return;
      const isDirty = held.model.getAlternativeVersionId() !== held.savedVersion;
      const file = current.current.find((item) => item.path === path);
      if (file && file.isDirty !== isDirty) update(path, { isDirty });
    },
    [update],
  );

  const save = useCallback(
    async (path: string) => {
      const held = models.current.get(path);
      if (!held) return;
      const version = held.model.getAlternativeVersionId();
      update(path, { save: { state: 'saving' } });
      try {
        await ideApi.writeFile(ref, path, held.model.getValue());
        held.savedVersion = version;
        update(path, {
          save: { state: 'saved' },
          // Typing while the save was on its way keeps the file dirty.
          isDirty: held.model.getAlternativeVersionId() !== version,
        });
      } catch (failure) {
        update(path, { save: { state: 'failed', error: messageOf(failure) } });
      }
    },
    [ref, update],
  );

  const close = useCallback((path: string) => {
    const file = current.current.find((item) => item.path === path);
    if (file?.isDirty && !confirm(`Close ${path} without saving your changes?`)) return;
    models.current.get(path)?.model.dispose();
    models.current.delete(path);
    const index = current.current.findIndex((item) => item.path === path);
    const remaining = current.current.filter((item) => item.path !== path);
    // The tab to the right takes the closed one's place, or else the one to its left.
    const next = (remaining[index] ?? remaining[index - 1])?.path ?? null;
    setFiles(remaining);
    setActivePath((active) => (active === path ? next : active));
  }, []);

  const hasUnsaved = files.some((file) => file.isDirty);
  useEffect(() => {
    if (!hasUnsaved) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [hasUnsaved]);

  const modelOf = useCallback((path: string) => models.current.get(path)?.model ?? null, []);

  return { files, activePath, setActivePath, open, edited, save, close, modelOf };
}

export type OpenFiles = ReturnType<typeof useOpenFiles>;
