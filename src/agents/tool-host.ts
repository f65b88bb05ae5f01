// What an agent's tools act on: the step's worktree, its sandbox, memory, the other roles and
// the humans. The orchestrator implements it for each step; the agent runtime never reaches
// past it.

export interface CommandOutput {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  isTimedOut: boolean;
}

export interface MemoryItem {
  text: string;
  tags: string[];
  createdAt: string;
}

export interface ToolHost {
  listFiles(path: string): Promise<Array<{ path: string; type: string; size?: number }>>;
  readFile(path: string): Promise<string>;
  writeFile(path: string, content: string): Promise<void>;
  /**
   * Runs argv in the step's worktree, inside the sandbox. A project may require a human's
   * approval before a command with network access: then it throws StepSuspended until one
   * decides, and the same call (same id) runs, or is refused, once they have.
   */
  run(argv: string[], options: { timeoutMs: number; toolCallId: string }): Promise<CommandOutput>;
  /** The project's test command, or null when none can be found. */
  testCommand(): Promise<string[] | null>;
  /** Commits everything in the worktree; null when there was nothing to commit. */
  commit(message: string): Promise<string | null>;
  /** `git status` of the worktree. */
  gitStatus(): Promise<string>;
  /** The uncommitted changes, or the changes since a revision of the task's history. */
  gitDiff(since?: string): Promise<string>;
  /** Lines of the files (tracked and new) matching a regular expression, as `path:line:text`. */
  searchCode(pattern: string, path?: string): Promise<string>;
  remember(text: string, tags: string[]): Promise<void>;
  recall(query: string, limit: number): Promise<MemoryItem[]>;
  /** Asks another role a question and waits for its answer. */
  askRole(role: string, question: string): Promise<string>;
  /**
   * Asks a human. Until one answers, it throws StepSuspended and the step waits; when the
   * step resumes, the same call (same id) returns the answer.
   */
  askHuman(question: string, toolCallId: string): Promise<string>;
}

/** Thrown by a tool host to park the step until a human decides; not a failure. */
export class StepSuspended extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'StepSuspended';
  }
}
