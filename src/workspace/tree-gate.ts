// The gate every new tree passes before a branch moves to it (a task's commit, a merge into a
// base): no gitlink the base did not have, and no new symlink that leads outside the worktree.
// It reads only git objects, never the worktree, so what it checks is exactly what is committed.
import { CadreError } from '../errors/index.js';
import { runGit } from './git.js';
import { findEscapingSymlinks, type EscapingSymlink } from './symlink-targets.js';

const maxReported = 20;

export interface TreeGateOptions {
  gitDir: string;
  /** The tree the branch holds now. */
  from: string;
  /** The tree it would hold. */
  to: string;
  /** What is refused, for the message ("commit the worktree", "merge task-x into main"). */
  action: string;
}

/** Refuses the move from `from` to `to` with WORKSPACE_NESTED_REPOSITORY or WORKSPACE_SYMLINK_OUTSIDE. */
export async function checkTreeChange(options: TreeGateOptions): Promise<void> {
  const { gitDir, from, to, action } = options;
  const changed = await changedEntries(gitDir, from, to);
  const gitlinks = changed
    .filter((entry) => entry.mode === '160000' && entry.status !== 'D')
    .map((entry) => entry.path);
  if (gitlinks.length > 0) {
    throw new CadreError(
      'WORKSPACE_NESTED_REPOSITORY',
      `Cannot ${action}: it would record a nested git repository (a submodule entry) at ${list(gitlinks)}. Cadre does not commit nested repositories or submodules; remove ${gitlinks.length === 1 ? 'it' : 'them'} and try again.`,
      { details: { paths: gitlinks } },
    );
  }
  if (!changed.some((entry) => entry.mode === '120000')) return;
  const [before, after] = await Promise.all([symlinksOf(gitDir, from), symlinksOf(gitDir, to)]);
  const known = new Map(findEscapingSymlinks(before).map((link) => [link.path, link.target]));
  const fresh = findEscapingSymlinks(after).filter((link) => known.get(link.path) !== link.target);
  if (fresh.length === 0) return;
  throw new CadreError(
    'WORKSPACE_SYMLINK_OUTSIDE',
    `Cannot ${action}: ${list(fresh.map(describe))} ${fresh.length === 1 ? 'leads' : 'lead'} outside the worktree. A checkout of this branch would follow ${fresh.length === 1 ? 'it' : 'them'} to files of that machine; make each a relative link to a path inside the repository, or remove it, and try again.`,
    {
      details: {
        symlinks: fresh.map(({ path, target, reason }) => ({ path, target, reason })),
      },
    },
  );
}

function describe(link: EscapingSymlink): string {
  const why = link.reason === 'git-folder' ? ", into git's own folder" : '';
  return `the symlink "${link.path}" (→ ${link.target}${why})`;
}

function list(items: string[]): string {
  const shown = items.slice(0, maxReported);
  const more = items.length > shown.length ? ` and ${items.length - shown.length} more` : '';
  return `${shown.join(', ')}${more}`;
}

interface ChangedEntry {
  mode: string;
  status: string;
  path: string;
}

/** Entries that differ between two trees, with their new mode. */
async function changedEntries(gitDir: string, from: string, to: string): Promise<ChangedEntry[]> {
  const raw = await runGit({
    gitDir,
    args: ['diff-tree', '-r', '-z', '--raw', '--no-renames', from, to],
  });
  const parts = raw.stdout.split('\0');
  const entries: ChangedEntry[] = [];
  for (let index = 0; index + 1 < parts.length; index += 2) {
    // ":<old mode> <new mode> <old id> <new id> <status>", then the path
    const fields = parts[index]!.slice(1).split(' ');
    entries.push({ mode: fields[1] ?? '', status: fields[4] ?? '', path: parts[index + 1]! });
  }
  return entries;
}

/** Every symlink of a tree: path → target. */
async function symlinksOf(gitDir: string, tree: string): Promise<Map<string, string>> {
  const listed = await runGit({ gitDir, args: ['ls-tree', '-r', '-z', '--full-tree', tree] });
  const links: { path: string; id: string }[] = [];
  for (const entry of listed.stdout.split('\0')) {
    if (!entry.startsWith('120000 ')) continue;
    const tab = entry.indexOf('\t');
    links.push({ path: entry.slice(tab + 1), id: entry.slice(0, tab).split(' ')[2]! });
  }
  const targets = new Map<string, string>();
  if (links.length === 0) return targets;
  // latin1 keeps one character per byte, so the sizes cat-file gives can be counted off.
  const batch = await runGit({
    gitDir,
    args: ['cat-file', '--batch'],
    input: links.map((link) => `${link.id}\n`).join(''),
    encoding: 'latin1',
  });
  let offset = 0;
  for (const link of links) {
    const headerEnd = batch.stdout.indexOf('\n', offset);
    const [, type, sizeText] = batch.stdout.slice(offset, headerEnd).split(' ');
    const size = Number(sizeText);
    if (type !== 'blob' || !Number.isInteger(size)) {
      throw new CadreError('GIT_FAILED', `git cat-file could not read the symlink "${link.path}".`);
    }
    const content = batch.stdout.slice(headerEnd + 1, headerEnd + 1 + size);
    targets.set(link.path, Buffer.from(content, 'latin1').toString('utf8'));
    offset = headerEnd + 1 + size + 1;
  }
  return targets;
}
