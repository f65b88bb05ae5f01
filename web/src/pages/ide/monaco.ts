// Monaco, bundled: the editor core, its features, every language's highlighting and JSON's
// language service, with their web workers built by Vite. Never loaded from a CDN. TypeScript's
// language service is left out: its worker alone is over 10 MB; .ts files are still highlighted.
import * as monaco from 'monaco-editor/editor';
import 'monaco-editor/features/register.all';
import 'monaco-editor/languages/definitions/register.all';
import 'monaco-editor/languages/features/json/register';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import JsonWorker from 'monaco-editor/languages/features/json/json.worker?worker';

declare global {
  interface Window {
    MonacoEnvironment?: { getWorker(workerId: string, label: string): Worker };
  }
}

window.MonacoEnvironment = {
  getWorker: (_workerId, label) => (label === 'json' ? new JsonWorker() : new EditorWorker()),
};

/** The IDE's colours, matched to the terminal and the file tree. */
export const themeName = 'cadre-dark';

monaco.editor.defineTheme(themeName, {
  base: 'vs-dark',
  inherit: true,
  rules: [],
  colors: {
    'editor.background': '#161b26',
    'editor.lineHighlightBackground': '#1e2535',
    'editorGutter.background': '#161b26',
    'editorLineNumber.foreground': '#4b5468',
    'editorLineNumber.activeForeground': '#aab1c2',
  },
});

export { monaco };
