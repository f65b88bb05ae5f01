// Nested repositories are found whatever their folder is called: a name git would read as
// pathspec magic (":sub") or a glob ("*") must not pass as ignored.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CadreError } from '../../src/errors/index.js';
import { createWorkspaces, type Workspaces } from '../../src/workspace/index.js';

let dataDir: string;
let workspaces: Workspaces;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cadre-nested-'));
  workspaces = createWorkspaces({ dataDir });
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

it.each([
  [':sub', '/sub\n'],
  ['*', '/x\n'],
  ['[ab]', '/a\n'],
])(
  'refuses a repository in a folder named %s that .gitignore does not name',
  async (name, ignore) => {
    const projectId = `p-${Buffer.from(name).toString('hex')}`;
    await workspaces.createRepository(projectId, { type: 'empty' });
    const task = { projectId, taskId: 'plant' };
    const { path } = await workspaces.createTaskWorktree(task);
    await writeFile(join(path, '.gitignore'), ignore);
    await mkdir(join(path, name));
    execFileSync('git', ['init', '-q', join(path, name)], { env: { PATH: process.env.PATH } });
    const error = await workspaces.diff(task).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(CadreError);
    expect((error as CadreError).code).toBe('WORKSPACE_NESTED_REPOSITORY');
    expect((error as CadreError).details).toMatchObject({ paths: [`${name}/.git`] });
  },
);
