// How the file API meets symlinks and odd entries as it walks a path: links that stay inside
// are followed as the kernel would, links that climb out, into .git or round in a loop are
// refused and change nothing, and a FIFO or a file in the middle of a path gets a clear answer.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CadreError } from '../../src/errors/index.js';
import { maxFolderDepth } from '../../src/workspace/confined-fs.js';
import { listFiles, readWorkspaceFile, writeWorkspaceFile } from '../../src/workspace/files.js';

let base: string;
let root: string;
let outside: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'cadre-confined-'));
  root = join(base, 'worktree');
  outside = join(base, 'outside');
  await mkdir(join(root, '.git'), { recursive: true });
  await writeFile(join(root, '.git', 'config'), '[core]\n');
  await mkdir(outside);
  await writeFile(join(outside, 'secret.txt'), 'host secret');
});
afterEach(() => rm(base, { recursive: true, force: true }));

/** The file descriptors this process holds open. */
async function openDescriptors(): Promise<string[]> {
  return (await readdir('/proc/self/fd')).sort();
}

async function codeOf(attempt: Promise<unknown>): Promise<string> {
  const error = await attempt.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CadreError);
  return (error as CadreError).code;
}

describe('walking a workspace path', () => {
  it('follows relative and absolute links that stay inside, writing their target', async () => {
    await writeWorkspaceFile(root, 'real/file.txt', 'inside');
    await mkdir(join(root, 'other'));
    await symlink('../real', join(root, 'other', 'up-and-back'));
    await symlink(join(root, 'real', 'file.txt'), join(root, 'absolute-file'));
    await symlink('real/file.txt', join(root, 'relative-file'));

    expect(await readWorkspaceFile(root, 'other/up-and-back/file.txt')).toBe('inside');
    expect(await readWorkspaceFile(root, 'absolute-file')).toBe('inside');
    await writeWorkspaceFile(root, 'relative-file', 'changed');
    expect(await readFile(join(root, 'real/file.txt'), 'utf8')).toBe('changed');
    await writeWorkspaceFile(root, 'other/up-and-back/new.txt', 'new');
    expect(await readFile(join(root, 'real/new.txt'), 'utf8')).toBe('new');
    // The links themselves are still links; the listing shows them and does not enter them.
    expect(await listFiles(root)).toEqual([
      { path: 'absolute-file', type: 'symlink', size: 0 },
      { path: 'other', type: 'directory', size: 0 },
      { path: 'other/up-and-back', type: 'symlink', size: 0 },
      { path: 'real', type: 'directory', size: 0 },
      { path: 'real/file.txt', type: 'file', size: 7 },
      { path: 'real/new.txt', type: 'file', size: 3 },
      { path: 'relative-file', type: 'symlink', size: 0 },
    ]);
    expect(await listFiles(root, 'other/up-and-back')).toEqual([
      { path: 'other/up-and-back/file.txt', type: 'file', size: 7 },
      { path: 'other/up-and-back/new.txt', type: 'file', size: 3 },
    ]);
  });

  it('refuses links that climb out, lead into .git or loop, and changes nothing', async () => {
    await mkdir(join(root, 'a'));
    await symlink('../../outside', join(root, 'a', 'climb'));
    await symlink('..', join(root, 'a', 'parent'));
    await symlink('.git', join(root, 'git-alias'));
    await symlink('loop-b', join(root, 'loop-a'));
    await symlink('loop-a', join(root, 'loop-b'));
    const attempts: [string, () => Promise<unknown>][] = [
      ['climb read', () => readWorkspaceFile(root, 'a/climb/secret.txt')],
      ['climb write', () => writeWorkspaceFile(root, 'a/climb/secret.txt', 'no')],
      ['climb new folder', () => writeWorkspaceFile(root, 'a/climb/new/f.txt', 'no')],
      ['climb listing', () => listFiles(root, 'a/climb')],
      ['parent of parent', () => readWorkspaceFile(root, 'a/parent/a/parent/a/climb/secret.txt')],
      ['git read', () => readWorkspaceFile(root, 'git-alias/config')],
      ['git write', () => writeWorkspaceFile(root, 'git-alias/config', 'no')],
      ['git listing', () => listFiles(root, 'git-alias')],
      ['loop read', () => readWorkspaceFile(root, 'loop-a')],
      ['loop write', () => writeWorkspaceFile(root, 'loop-a/x', 'no')],
    ];
    const openBefore = await openDescriptors();
    for (const [name, attempt] of attempts) {
      expect(await codeOf(attempt()), name).toBe('PATH_OUTSIDE_WORKSPACE');
    }
    // Every folder the refused walks held open was closed again.
    expect(await openDescriptors()).toEqual(openBefore);
    expect(await readdir(outside)).toEqual(['secret.txt']);
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('host secret');
    expect(await readFile(join(root, '.git', 'config'), 'utf8')).toBe('[core]\n');
    expect((await readdir(root)).sort()).toEqual(['.git', 'a', 'git-alias', 'loop-a', 'loop-b']);
  });

  it('answers a file in the middle of a path and a FIFO clearly, without waiting', async () => {
    await writeWorkspaceFile(root, 'notes.txt', 'plain');
    execFileSync('mkfifo', [join(root, 'pipe')]);
    expect(await codeOf(writeWorkspaceFile(root, 'notes.txt/inner.txt', 'no'))).toBe(
      'VALIDATION_FAILED',
    );
    expect(await codeOf(readWorkspaceFile(root, 'notes.txt/inner.txt'))).toBe('NOT_FOUND');
    expect(await codeOf(listFiles(root, 'notes.txt'))).toBe('NOT_FOUND');
    // Opening a FIFO for reading would block until a writer came; the read must not wait.
    expect(await codeOf(readWorkspaceFile(root, 'pipe'))).toBe('NOT_FOUND');
    expect(await readFile(join(root, 'notes.txt'), 'utf8')).toBe('plain');
  });

  it('refuses a path through more folders than it holds open at once', async () => {
    const deep = Array.from({ length: maxFolderDepth + 1 }, () => 'd').join('/');
    expect(await codeOf(writeWorkspaceFile(root, `${deep}/f.txt`, 'no'))).toBe('VALIDATION_FAILED');
    expect(await readdir(root)).toEqual(['.git']);
    const allowed = Array.from({ length: 20 }, () => 'd').join('/');
    await writeWorkspaceFile(root, `${allowed}/f.txt`, 'fine');
    expect(await readWorkspaceFile(root, `${allowed}/f.txt`)).toBe('fine');
  });
});
