// The IDE's file tree from a worktree listing as GET …/files returns it (src/workspace/files.ts:
// depth first, every folder listed before its contents, sizes of files only).
import { describe, expect, it } from 'vitest';
import type { FileEntry } from './api';
import { buildFileTree, visibleRows, type FileNode } from './file-tree';

const listing: FileEntry[] = [
  { path: '.github', type: 'directory', size: 0 },
  { path: '.github/workflows', type: 'directory', size: 0 },
  { path: '.github/workflows/ci.yml', type: 'file', size: 412 },
  { path: '.gitignore', type: 'file', size: 23 },
  { path: 'latest', type: 'symlink', size: 0 },
  { path: 'package.json', type: 'file', size: 388 },
  { path: 'README.md', type: 'file', size: 1204 },
  { path: 'src', type: 'directory', size: 0 },
  { path: 'src/index.ts', type: 'file', size: 96 },
  { path: 'src/lib', type: 'directory', size: 0 },
  { path: 'src/lib/step10.ts', type: 'file', size: 40 },
  { path: 'src/lib/step2.ts', type: 'file', size: 40 },
  { path: 'src/main.ts', type: 'file', size: 210 },
];

/** The tree as indented lines, folders marked with a slash: easy to read when it differs. */
function outline(nodes: readonly FileNode[], depth = 0): string[] {
  return nodes.flatMap((node) => [
    `${'  '.repeat(depth)}${node.name}${node.type === 'directory' ? '/' : ''}`,
    ...outline(node.children, depth + 1),
  ]);
}

describe('buildFileTree', () => {
  it('nests the listing and sorts each folder: folders first, then names as people read them', () => {
    expect(outline(buildFileTree(listing))).toEqual([
      '.github/',
      '  workflows/',
      '    ci.yml',
      'src/',
      '  lib/',
      '    step2.ts',
      '    step10.ts',
      '  index.ts',
      '  main.ts',
      '.gitignore',
      'latest',
      'package.json',
      'README.md',
    ]);
  });

  it('keeps each node’s full path and type, and a symlink as a leaf', () => {
    const tree = buildFileTree(listing);
    const src = tree.find((node) => node.name === 'src');

    expect(src?.children.map(({ name, path, type }) => ({ name, path, type }))).toEqual([
      { name: 'lib', path: 'src/lib', type: 'directory' },
      { name: 'index.ts', path: 'src/index.ts', type: 'file' },
      { name: 'main.ts', path: 'src/main.ts', type: 'file' },
    ]);
    expect(tree.find((node) => node.name === 'latest')).toEqual({
      name: 'latest',
      path: 'latest',
      type: 'symlink',
      children: [],
    });
  });

  it('makes the folders a listing of one subfolder leaves out', () => {
    const tree = buildFileTree([
      { path: 'web/src/pages/ide.tsx', type: 'file', size: 900 },
      { path: 'web/src/main.tsx', type: 'file', size: 300 },
    ]);

    expect(tree).toEqual([
      {
        name: 'web',
        path: 'web',
        type: 'directory',
        children: [
          {
            name: 'src',
            path: 'web/src',
            type: 'directory',
            children: [
              {
                name: 'pages',
                path: 'web/src/pages',
                type: 'directory',
                children: [
                  { name: 'ide.tsx', path: 'web/src/pages/ide.tsx', type: 'file', children: [] },
                ],
              },
              { name: 'main.tsx', path: 'web/src/main.tsx', type: 'file', children: [] },
            ],
          },
        ],
      },
    ]);
  });

  it('shows an empty folder, and nothing for an empty worktree', () => {
    expect(outline(buildFileTree([{ path: 'empty', type: 'directory', size: 0 }]))).toEqual([
      'empty/',
    ]);
    expect(buildFileTree([])).toEqual([]);
  });
});

describe('visibleRows', () => {
  const tree = buildFileTree(listing);
  const rows = (expanded: string[]) =>
    visibleRows(tree, new Set(expanded)).map(
      ({ node, level, position, siblings }) => `${level} ${position}/${siblings} ${node.path}`,
    );

  it('shows only the top level while every folder is closed', () => {
    expect(rows([])).toEqual([
      '1 1/6 .github',
      '1 2/6 src',
      '1 3/6 .gitignore',
      '1 4/6 latest',
      '1 5/6 package.json',
      '1 6/6 README.md',
    ]);
  });

  it('shows an open folder’s contents under it, one level deeper', () => {
    expect(rows(['src', 'src/lib'])).toEqual([
      '1 1/6 .github',
      '1 2/6 src',
      '2 1/3 src/lib',
      '3 1/2 src/lib/step2.ts',
      '3 2/2 src/lib/step10.ts',
      '2 2/3 src/index.ts',
      '2 3/3 src/main.ts',
      '1 3/6 .gitignore',
      '1 4/6 latest',
      '1 5/6 package.json',
      '1 6/6 README.md',
    ]);
  });

  it('hides an open folder inside a closed one', () => {
    expect(rows(['.github/workflows', 'src/lib'])).toEqual(rows([]));
  });

  it('ignores a file’s path among the open ones', () => {
    expect(rows(['README.md', 'src/main.ts'])).toEqual(rows([]));
  });
});
