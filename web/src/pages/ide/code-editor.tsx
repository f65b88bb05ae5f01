// One Monaco editor that shows the model of the active file, keeping each file's cursor and
// scroll position when another is shown, and saving with Ctrl+S (Cmd+S on a Mac).
import { useEffect, useRef } from 'react';
import { monaco, themeName } from './monaco';

/** Monaco showing `model`; calls `onChange` on every edit and `onSave` on Ctrl+S. */
export function CodeEditor(props: {
  model: monaco.editor.ITextModel;
  onChange: () => void;
  onSave: () => void;
}) {
  const container = useRef<HTMLDivElement>(null);
  const editor = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const viewStates = useRef(
    new WeakMap<monaco.editor.ITextModel, monaco.editor.ICodeEditorViewState>(),
  );
  // The latest callbacks, so that the editor made once always calls the current ones.
  const handlers = useRef(props);
  handlers.current = props;

  useEffect(() => {
    const created = monaco.editor.create(container.current!, {
      theme: themeName,
      automaticLayout: true,
      fontSize: 13,
      fontFamily: "ui-monospace, 'SF Mono', Menlo, Consolas, 'Liberation Mono', monospace",
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      tabSize: 2,
      padding: { top: 8 },
      renderLineHighlight: 'all',
      fixedOverflowWidgets: true,
    });
    created.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () =>
      handlers.current.onSave(),
    );
    const changes = created.onDidChangeModelContent(() => handlers.current.onChange());
    editor.current = created;
    return () => {
      changes.dispose();
      created.dispose();
      editor.current = null;
    };
  }, []);

  const { model } = props;
  useEffect(() => {
    const shown = editor.current;
    if (!shown || shown.getModel() === model) return;
    const previous = shown.getModel();
    const state = shown.saveViewState();
    if (previous && state) viewStates.current.set(previous, state);
    shown.setModel(model);
    const saved = viewStates.current.get(model);
    if (saved) shown.restoreViewState(saved);
    shown.focus();
  }, [model]);

  return <div className="ide-monaco" ref={container} data-testid="editor" />;
}
