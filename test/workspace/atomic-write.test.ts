// File writes are atomic: a writer killed at any moment, or a write cut off after its
// temporary file was made but before the rename, leaves the old content or the new one, and
// what such a write left behind is never committed.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partialSuffix, readWorkspaceFile, writeWorkspaceFile } from '../../src/workspace/files.js';
import { createWorkspaces } from '../../src/workspace/index.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cadre-atomic-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('writing a workspace file', () => {
  it('leaves the old content when a write stopped before its rename', async () => {
    await writeWorkspaceFile(root, 'src/math.js', 'exports.add = (a, b) => a + b;\n');
    // What a kill between writing the temporary file and renaming it leaves behind.
    const partial = join(root, 'src', `.math.js.0123456789ab${partialSuffix}`);
    await writeFile(partial, 'exports.add = (a');

    expect(await readWorkspaceFile(root, 'src/math.js')).toBe('exports.add = (a, b) => a + b;\n');

    // The next write of the file replaces it whole and clears what the cut-off one left.
    await writeWorkspaceFile(root, 'src/math.js', 'exports.add = (a, b) => b + a;\n');
    expect(await readFile(join(root, 'src/math.js'), 'utf8')).toBe(
      'exports.add = (a, b) => b + a;\n',
    );
    expect(await readdir(join(root, 'src'))).toEqual(['math.js']);
  });

  it('never leaves a truncated file when the writing process is killed', async () => {
    const module = resolve('src/workspace/files.ts');
    const size = 2 * 1024 * 1024;
    await writeWorkspaceFile(root, 'big.txt', 'a'.repeat(size));
    for (let round = 0; round < 5; round++) {
      // A process that rewrites the file over and over, alternating two full contents.
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          `import { writeWorkspaceFile } from ${JSON.stringify(module)};
           process.stdout.write('ready\\n');
           for (let i = 0; ; i++) await writeWorkspaceFile(${JSON.stringify(root)}, 'big.txt', (i % 2 ? 'a' : 'b').repeat(${size}));`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      await new Promise<void>((ready) => child.stdout.once('data', () => ready()));
      await new Promise((wait) => setTimeout(wait, 50 + Math.floor(Math.random() * 150)));
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGKILL');
      await exited;

      const content = await readFile(join(root, 'big.txt'), 'utf8');
      expect(content.length).toBe(size);
      expect(content === 'a'.repeat(size) || content === 'b'.repeat(size)).toBe(true);
    }
  }, 60_000);

  it('refuses a folder as its target and changes nothing', async () => {
    await writeWorkspaceFile(root, 'folder/inside.txt', 'kept');
    await expect(writeWorkspaceFile(root, 'folder', 'x')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(await readFile(join(root, 'folder/inside.txt'), 'utf8')).toBe('kept');
    expect((await readdir(root)).filter((name) => name.startsWith('.folder.'))).toEqual([]);
  });

  it('never commits what an interrupted write left behind', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cadre-atomic-ws-'));
    try {
      const workspaces = createWorkspaces({ dataDir });
      await workspaces.createRepository('p-partial', { type: 'empty' });
      const task = { projectId: 'p-partial', taskId: 't1' };
      const worktree = await workspaces.createTaskWorktree(task);
      await workspaces.writeFile(task, 'src/app.js', 'ok\n');
      await writeFile(join(worktree.path, 'src', `.app.js.0123456789ab${partialSuffix}`), 'o');

      const commit = await workspaces.commit(task, 'Add app.js');
      const committed = execFileSync(
        'git',
        ['--git-dir', worktree.gitDir, 'show', '--name-only', '--format=', commit!],
        { encoding: 'utf8' },
      );
      expect(committed.trim().split('\n')).toEqual(['src/app.js']);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
