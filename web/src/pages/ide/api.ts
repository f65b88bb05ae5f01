// The IDE's calls to the workspace API of one task: its files, its worktree and its terminals.
// Only pure schemas are imported from the server's contract; never a route file.
import { z } from 'zod';
import { request } from '../../api';
import type { Task } from '../../../../src/api/schemas';
import {
  FileContent,
  FileEntry,
  TerminalInfo,
  Worktree,
  WorktreeState,
} from '../../../../src/api/routes/workspace-schemas';

export { type Task };
export type FileEntry = z.infer<typeof FileEntry>;
export type TerminalInfo = z.infer<typeof TerminalInfo>;

/** Names the task whose worktree the IDE works on. */
export interface TaskRef {
  projectId: string;
  taskId: string;
}

/** Terminal sizes in character cells, as xterm.js measures them. */
export interface TerminalSize {
  cols: number;
  rows: number;
}

const taskPath = ({ projectId, taskId }: TaskRef) =>
  `/api/projects/${encodeURIComponent(projectId)}/tasks/${encodeURIComponent(taskId)}`;

const json = (body: unknown) => JSON.stringify(body);

export const ideApi = {
  files: (ref: TaskRef) =>
    request(z.object({ items: z.array(FileEntry) }), `${taskPath(ref)}/files`).then(
      (page) => page.items,
    ),
  readFile: (ref: TaskRef, path: string) =>
    request(FileContent, `${taskPath(ref)}/file?path=${encodeURIComponent(path)}`).then(
      (file) => file.content,
    ),
  writeFile: (ref: TaskRef, path: string, content: string) =>
    request(z.undefined(), `${taskPath(ref)}/file`, {
      method: 'PUT',
      body: json({ path, content }),
    }),
  worktree: (ref: TaskRef) => request(WorktreeState, `${taskPath(ref)}/worktree`),
  createWorktree: (ref: TaskRef) =>
    request(Worktree, `${taskPath(ref)}/worktree`, { method: 'POST', body: json({}) }),
  terminals: (ref: TaskRef) =>
    request(z.object({ items: z.array(TerminalInfo) }), `${taskPath(ref)}/terminals`).then(
      (page) => page.items,
    ),
  openTerminal: (ref: TaskRef, size: TerminalSize) =>
    request(TerminalInfo, `${taskPath(ref)}/terminals`, { method: 'POST', body: json(size) }),
  closeTerminal: (ref: TaskRef, terminalId: string) =>
    request(z.undefined(), `${taskPath(ref)}/terminals/${encodeURIComponent(terminalId)}`, {
      method: 'DELETE',
    }),
};
