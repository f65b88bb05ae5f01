// Workspaces with real git: repositories (empty, local path, git URL), a worktree per task,
// diffs, merges and conflicts, inspection, and path confinement through the file API.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CadreError } from '../../src/errors/index.js';
import { createWorkspaces, type Workspaces } from '../../src/workspace/index.js';
import { startGitHttpServer } from '../helpers/git-http-server.js';
import { git } from '../helpers/git.js';

let dataDir: string;
let workspaces: Workspaces;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cadre-ws-'));
  workspaces = createWorkspaces({
    dataDir,
    now: () => new Date('2026-01-02T03:04:05Z'),
    // Sources are made in the temporary folder and served on loopback (test/workspace/import.test.ts
    // shows what is refused without these settings).
    imports: { roots: [tmpdir()], allowHosts: ['127.0.0.1'] },
  });
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

async function caught(promise: Promise<unknown>): Promise<CadreError> {
  const error = await promise.then(
    () => null,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(CadreError);
  return error as CadreError;
}

describe('workspaces', () => {
  it('creates an empty repository with a main branch under the data folder', async () => {
    const info = await workspaces.createRepository('p-empty', { type: 'empty' });
    expect(info).toMatchObject({ baseBranch: 'main', branches: ['main'] });
    expect(
      git(join(dataDir, 'workspaces', 'p-empty', 'repo.git'), 'log', '--format=%s', 'main'),
    ).toBe('Start the project repository');
    const again = await caught(workspaces.createRepository('p-empty', { type: 'empty' }));
    expect(again.code).toBe('WORKSPACE_EXISTS');
  });

  it('imports a repository from a local path, keeping its history and default branch', async () => {
    const source = await mkdtemp(join(tmpdir(), 'cadre-src-'));
    git(source, 'init', '-q', '-b', 'trunk');
    await writeFile(join(source, 'README.md'), '# imported\n');
    git(source, 'add', '.');
    git(source, 'commit', '-q', '-m', 'first');
    const info = await workspaces.createRepository('p-import', { type: 'path', path: source });
    expect(info.baseBranch).toBe('trunk');
    const task = { projectId: 'p-import', taskId: 't1' };
    await workspaces.createTaskWorktree(task);
    expect(await workspaces.readFile(task, 'README.md')).toBe('# imported\n');
    await rm(source, { recursive: true, force: true });
  });

  it('imports a repository from a git URL the server can reach', async () => {
    const served = await mkdtemp(join(tmpdir(), 'cadre-served-'));
    git(served, 'init', '-q', '-b', 'main', 'app');
    await writeFile(join(served, 'app', 'index.js'), 'console.log(1);\n');
    git(join(served, 'app'), 'add', '.');
    git(join(served, 'app'), 'commit', '-q', '-m', 'served');
    git(served, 'clone', '-q', '--bare', 'app', 'app.git');
    const server = await startGitHttpServer(served);
    try {
      const url = `${server.origin}/app.git`;
      const info = await workspaces.createRepository('p-url', { type: 'url', url });
      expect(info.baseBranch).toBe('main');
      const task = { projectId: 'p-url', taskId: 't1' };
      await workspaces.createTaskWorktree(task);
      expect(await workspaces.readFile(task, 'index.js')).toBe('console.log(1);\n');
    } finally {
      await server.close();
      await rm(served, { recursive: true, force: true });
    }
  });

  it('refuses an import source that cannot be cloned, and leaves no repository behind', async () => {
    const missing = await caught(
      workspaces.createRepository('p-bad', {
        type: 'path',
        path: join(tmpdir(), 'cadre-nonexistent-repo'),
      }),
    );
    expect(missing.code).toBe('WORKSPACE_IMPORT_FAILED');
    const badUrl = await caught(
      workspaces.createRepository('p-bad', { type: 'url', url: 'ext::sh -c touch% /tmp/pwned' }),
    );
    expect(badUrl.code).toBe('VALIDATION_FAILED');
    const unreachable = await caught(
      workspaces.createRepository('p-bad', { type: 'url', url: 'http://127.0.0.1:9/nothing.git' }),
    );
    expect(unreachable.code).toBe('WORKSPACE_IMPORT_FAILED');
    expect((await caught(workspaces.getRepository('p-bad'))).code).toBe('WORKSPACE_NOT_FOUND');
  });

  it("gives each task its own branch and worktree; one task does not see the other's files", async () => {
    await workspaces.createRepository('p-two', { type: 'empty' });
    const a = await workspaces.createTaskWorktree({ projectId: 'p-two', taskId: 'a' });
    const b = await workspaces.createTaskWorktree({ projectId: 'p-two', taskId: 'b' });
    expect(a.path).not.toBe(b.path);
    expect([a.branch, b.branch]).toEqual(['cadre/task-a', 'cadre/task-b']);
    await workspaces.writeFile({ projectId: 'p-two', taskId: 'a' }, 'src/only-a.txt', 'A');
    expect(
      (await workspaces.listFiles({ projectId: 'p-two', taskId: 'a' })).map((entry) => entry.path),
    ).toEqual(['src', 'src/only-a.txt']);
    expect(await workspaces.listFiles({ projectId: 'p-two', taskId: 'b' })).toEqual([]);
    const missing = await caught(
      workspaces.readFile({ projectId: 'p-two', taskId: 'b' }, 'src/only-a.txt'),
    );
    expect(missing.code).toBe('NOT_FOUND');
  });

  it('diffs a task against its base, including files not yet committed', async () => {
    await workspaces.createRepository('p-diff', { type: 'empty' });
    const task = { projectId: 'p-diff', taskId: 't' };
    await workspaces.createTaskWorktree(task);
    await workspaces.writeFile(task, 'a.txt', 'one\n');
    await workspaces.commit(task, 'add a');
    await workspaces.writeFile(task, 'a.txt', 'two\n');
    await workspaces.writeFile(task, 'new.txt', 'fresh\n');
    const diff = await workspaces.diff(task);
    expect(diff.files).toEqual([
      { path: 'a.txt', status: 'added' },
      { path: 'new.txt', status: 'added' },
    ]);
    expect(diff.patch).toContain('+two');
    expect(diff.patch).toContain('+fresh');
    expect(diff.patch).not.toContain('+one');
  });

  it('merges a task into its base, and the base holds its work', async () => {
    await workspaces.createRepository('p-merge', { type: 'empty' });
    const task = { projectId: 'p-merge', taskId: 't' };
    await workspaces.createTaskWorktree(task);
    await workspaces.writeFile(task, 'feature.txt', 'done\n');
    const merged = await workspaces.merge(task);
    expect(merged).toMatchObject({ baseBranch: 'main', isFastForward: true });
    const gitDir = join(dataDir, 'workspaces', 'p-merge', 'repo.git');
    expect(git(gitDir, 'show', 'main:feature.txt')).toBe('done');
  });

  it('reports a merge conflict with its paths and leaves the base branch unchanged', async () => {
    await workspaces.createRepository('p-conflict', { type: 'empty' });
    const first = { projectId: 'p-conflict', taskId: 'first' };
    const second = { projectId: 'p-conflict', taskId: 'second' };
    await workspaces.createTaskWorktree(first);
    await workspaces.createTaskWorktree(second);
    await workspaces.writeFile(first, 'shared.txt', 'from first\n');
    await workspaces.writeFile(second, 'shared.txt', 'from second\n');
    await workspaces.writeFile(second, 'other.txt', 'fine\n');
    await workspaces.merge(first);
    const gitDir = join(dataDir, 'workspaces', 'p-conflict', 'repo.git');
    const before = git(gitDir, 'rev-parse', 'main');
    const conflict = await caught(workspaces.merge(second));
    expect(conflict.code).toBe('MERGE_CONFLICT');
    expect(conflict.status).toBe(409);
    expect(conflict.details).toMatchObject({ paths: ['shared.txt'], baseBranch: 'main' });
    expect(git(gitDir, 'rev-parse', 'main')).toBe(before);
    expect(git(gitDir, 'show', 'main:shared.txt')).toBe('from first');
  });

  it('merges diverged tasks that touch different files with a merge commit', async () => {
    await workspaces.createRepository('p-3way', { type: 'empty' });
    const one = { projectId: 'p-3way', taskId: 'one' };
    const two = { projectId: 'p-3way', taskId: 'two' };
    await workspaces.createTaskWorktree(one);
    await workspaces.createTaskWorktree(two);
    await workspaces.writeFile(one, 'one.txt', '1\n');
    await workspaces.writeFile(two, 'two.txt', '2\n');
    await workspaces.merge(one);
    const result = await workspaces.merge(two);
    expect(result.isFastForward).toBe(false);
    const gitDir = join(dataDir, 'workspaces', 'p-3way', 'repo.git');
    expect(git(gitDir, 'ls-tree', '--name-only', 'main').split('\n')).toEqual([
      'one.txt',
      'two.txt',
    ]);
    expect(git(gitDir, 'log', '-1', '--format=%P', 'main').split(' ')).toHaveLength(2);
  });

  it("merges a step's worktree into its task's branch and brings the task's checkout along", async () => {
    await workspaces.createRepository('p-steps', { type: 'empty' });
    const task = { projectId: 'p-steps', taskId: 'task1' };
    const taskWorktree = await workspaces.createTaskWorktree(task);
    await workspaces.writeFile(task, 'notes.md', 'a human note\n'); // uncommitted, untouched by the step
    const step = { projectId: 'p-steps', taskId: 'step1' };
    await workspaces.createTaskWorktree(step, taskWorktree.branch);
    await workspaces.writeFile(step, 'src/route.ts', 'export const route = 1;\n');
    const merged = await workspaces.merge(step);
    expect(merged).toMatchObject({ baseBranch: taskWorktree.branch, isFastForward: true });
    expect(await workspaces.readFile(task, 'src/route.ts')).toBe('export const route = 1;\n');
    expect(await workspaces.readFile(task, 'notes.md')).toBe('a human note\n');
    expect(git(taskWorktree.path, 'status', '--porcelain')).toBe('?? notes.md');
  });

  it('shows status, a diff since a revision and matching lines, refusing option-like input', async () => {
    await workspaces.createRepository('p-inspect', { type: 'empty' });
    const task = { projectId: 'p-inspect', taskId: 't1' };
    await workspaces.createTaskWorktree(task);
    await workspaces.writeFile(task, 'src/a.ts', 'export const answer = 42;\n');
    await workspaces.commit(task, 'Add a');
    await workspaces.writeFile(task, 'src/a.ts', 'export const answer = 43;\n');
    expect(await workspaces.status(task)).toContain(' M src/a.ts');
    expect(await workspaces.diffSince(task)).toContain('+export const answer = 43;');
    expect(await workspaces.diffSince(task, 'HEAD~1')).toContain('+export const answer = 43;');
    expect(await workspaces.search(task, 'answer = [0-9]+')).toBe(
      'src/a.ts:1:export const answer = 43;\n',
    );
    expect(await workspaces.search(task, 'nothing-like-this')).toBe('');
    expect((await caught(workspaces.diffSince(task, '--output=/tmp/x'))).code).toBe(
      'VALIDATION_FAILED',
    );
    expect((await caught(workspaces.search(task, 'x', '../../etc'))).code).toBe(
      'PATH_OUTSIDE_WORKSPACE',
    );
  });

  it('shows new files in the diff since HEAD without staging them, and refuses a bad pattern', async () => {
    await workspaces.createRepository('p-inspect-new', { type: 'empty' });
    const task = { projectId: 'p-inspect-new', taskId: 't1' };
    const { path } = await workspaces.createTaskWorktree(task);
    await workspaces.writeFile(task, 'brand-new.txt', 'fresh\n');
    expect(await workspaces.diffSince(task)).toContain('+fresh');
    expect(git(path, 'status', '--porcelain')).toBe('?? brand-new.txt');
    expect((await caught(workspaces.diffSince(task, 'no-such-branch'))).code).toBe(
      'VALIDATION_FAILED',
    );
    expect((await caught(workspaces.search(task, 'unclosed('))).code).toBe('VALIDATION_FAILED');
  });

  it('refuses .., absolute paths, .git and symlinks that leave the workspace, changing nothing', async () => {
    await workspaces.createRepository('p-confine', { type: 'empty' });
    const task = { projectId: 'p-confine', taskId: 't' };
    const { path } = await workspaces.createTaskWorktree(task);
    const outside = await mkdtemp(join(tmpdir(), 'cadre-outside-'));
    await writeFile(join(outside, 'secret.txt'), 'host secret');
    await symlink(outside, join(path, 'escape-dir'));
    await symlink(join(outside, 'secret.txt'), join(path, 'escape-file'));
    const attempts: [string, () => Promise<unknown>][] = [
      ['../x', () => workspaces.writeFile(task, '../x', 'no')],
      ['a/../../x', () => workspaces.writeFile(task, 'a/../../x', 'no')],
      ['/etc/passwd', () => workspaces.readFile(task, '/etc/passwd')],
      [`${outside}/secret.txt`, () => workspaces.writeFile(task, `${outside}/secret.txt`, 'no')],
      ['.git/config', () => workspaces.writeFile(task, '.git/config', 'no')],
      ['escape-dir/secret.txt read', () => workspaces.readFile(task, 'escape-dir/secret.txt')],
      [
        'escape-dir/secret.txt write',
        () => workspaces.writeFile(task, 'escape-dir/secret.txt', 'no'),
      ],
      ['escape-dir/new.txt', () => workspaces.writeFile(task, 'escape-dir/new.txt', 'no')],
      ['escape-file read', () => workspaces.readFile(task, 'escape-file')],
      ['escape-file write', () => workspaces.writeFile(task, 'escape-file', 'no')],
      ['escape-dir listing', () => workspaces.listFiles(task, 'escape-dir')],
    ];
    for (const [name, attempt] of attempts) {
      const error = await caught(attempt());
      expect(error.code, name).toBe('PATH_OUTSIDE_WORKSPACE');
    }
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('host secret');
    expect(execFileSync('ls', [outside], { encoding: 'utf8' }).trim()).toBe('secret.txt');
    await rm(outside, { recursive: true, force: true });
  });

  it('follows a symlink that stays inside the workspace', async () => {
    await workspaces.createRepository('p-inner', { type: 'empty' });
    const task = { projectId: 'p-inner', taskId: 't' };
    const { path } = await workspaces.createTaskWorktree(task);
    await workspaces.writeFile(task, 'real/file.txt', 'inside');
    await symlink('real', join(path, 'alias'));
    expect(await workspaces.readFile(task, 'alias/file.txt')).toBe('inside');
  });
});
