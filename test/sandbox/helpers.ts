// Shared set-up for the sandbox tests: a real bubblewrap sandbox and a task worktree to run in.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config } from '../../src/config/index.js';
import {
  collectRun,
  createSandbox,
  type Sandbox,
  type SandboxLimits,
} from '../../src/sandbox/index.js';
import { createWorkspaces, type Workspaces } from '../../src/workspace/index.js';

export interface SandboxFixture {
  sandbox: Sandbox;
  workspaces: Workspaces;
  dataDir: string;
  task: { projectId: string; taskId: string };
  worktree: string;
  /** Runs a shell script as an agent command in the task's worktree. */
  sh(script: string, limits?: Partial<SandboxLimits>): ReturnType<typeof collectRun>;
  close(): Promise<void>;
}

/** A bubblewrap sandbox and a fresh project with one task worktree. */
export async function createSandboxFixture(): Promise<SandboxFixture> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cadre-sandbox-test-'));
  const sandbox = createSandbox(Config.parse({}).sandbox);
  const workspaces = createWorkspaces({ dataDir, sandbox });
  const task = { projectId: 'probe', taskId: 'task' };
  await workspaces.createRepository(task.projectId, { type: 'empty' });
  const { path } = await workspaces.createTaskWorktree(task);
  return {
    sandbox,
    workspaces,
    dataDir,
    task,
    worktree: path,
    sh: async (script, limits) =>
      collectRun(
        await workspaces.runInTask({
          ...task,
          argv: ['/bin/bash', '-c', script],
          limits: { timeoutMs: 10_000, ...limits },
        }),
      ),
    close: () => rm(dataDir, { recursive: true, force: true }),
  };
}

/** Polls `condition` until it holds or `timeoutMs` passes. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
