// One project's repository in a fresh data folder, with the workspace service as the workers
// build it (task branches in Postgres, the project lock across processes), for tests of the
// workspace operations themselves.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { createProjectLock, createTaskBranchStore } from '../../src/orchestrator/index.js';
import { createWorkspaces, type Workspaces } from '../../src/workspace/index.js';
import { createTestDatabase } from './database.js';

export interface ProjectRepository {
  readonly dataDir: string;
  readonly database: Database;
  readonly workspaces: Workspaces;
  /** The project's bare repository. */
  gitDir(): string;
  /** Runs git on the project's bare repository and returns its output, trimmed. */
  git(...args: string[]): string;
}

/** Makes the project's (empty) repository before the file's tests and removes it after them. */
export function useProjectRepository(projectId: string): ProjectRepository {
  let dataDir = '';
  let database: Database | undefined;
  let workspaces: Workspaces | undefined;
  const gitDir = () => join(dataDir, 'workspaces', projectId, 'repo.git');

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), `cadre-${projectId}-`));
    database = await createTestDatabase();
    workspaces = createWorkspaces({
      dataDir,
      taskBranches: createTaskBranchStore(database.db),
      projectLock: createProjectLock(database.pool),
    });
    await workspaces.createRepository(projectId, { type: 'empty' });
  });
  afterAll(async () => {
    await database?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  return {
    get dataDir() {
      return dataDir;
    },
    get database() {
      return database!;
    },
    get workspaces() {
      return workspaces!;
    },
    gitDir,
    git: (...args) =>
      execFileSync('git', ['--git-dir', gitDir(), ...args], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
      }).trim(),
  };
}
