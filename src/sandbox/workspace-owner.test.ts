import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimWorkspace, type OwnershipCache } from './workspace-owner.js';

// As root the files go to the sandbox's default host user; as anyone else (who may only give
// files to themselves) to that user, which still walks every path the root run walks.
const isRoot = process.getuid?.() === 0;
const user = isRoot
  ? { uid: 99999, gid: 99999 }
  : { uid: process.getuid!(), gid: process.getgid!() };
let base: string;
let root: string;
let outside: string;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'cadre-owner-'));
  root = join(base, 'worktree');
  outside = join(base, 'outside');
  mkdirSync(join(root, 'src', 'deep'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(root, '.git'), 'gitdir: /somewhere/repo.git/worktrees/task\n');
  writeFileSync(join(root, 'README.md'), 'hello');
  writeFileSync(join(root, 'src', 'deep', 'index.ts'), 'export {};');
  writeFileSync(join(outside, 'secret.txt'), 'secret');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const owner = (path: string) => {
  const stat = lstatSync(path);
  return { uid: stat.uid, gid: stat.gid };
};
const cadre = { uid: process.getuid!(), gid: process.getgid!() };

describe('claimWorkspace', () => {
  it("hands every file and folder to the user, keeps the worktree folder and .git Cadre's", () => {
    claimWorkspace({ root, user, cache: new Map() });
    for (const path of ['README.md', 'src', 'src/deep', 'src/deep/index.ts']) {
      expect([path, owner(join(root, path))]).toEqual([path, user]);
    }
    expect(owner(root)).toEqual({ uid: cadre.uid, gid: user.gid });
    expect(statSync(root).mode & 0o070).toBe(0o070);
    expect(owner(join(root, '.git'))).toEqual(cadre);
  });

  it('never follows a symlink out of the worktree, to a folder or to a file', () => {
    symlinkSync(outside, join(root, 'src', 'to-outside'));
    symlinkSync(join(outside, 'secret.txt'), join(root, 'secret-link'));
    claimWorkspace({ root, user, cache: new Map() });
    expect(owner(outside)).toEqual(cadre);
    expect(owner(join(outside, 'secret.txt'))).toEqual(cadre);
    expect(owner(join(root, 'src', 'deep', 'index.ts'))).toEqual(user);
  });

  it('finds a file Cadre adds later, in a folder it remembers', () => {
    const cache: OwnershipCache = new Map();
    // Ten seconds on: every folder counts as settled and is remembered.
    const later = () => Date.now() + 10_000;
    claimWorkspace({ root, user, cache, now: later });
    const remembered = cache.get('/src/deep')!.ctimeNs;
    // Within one tick of the file system's clock the folder's ctime may not move (that is
    // why fresh folders are not remembered); add the file until it has moved.
    const added = join(root, 'src', 'deep', 'added.ts');
    const deadline = Date.now() + 2_000;
    do {
      rmSync(added, { force: true });
      writeFileSync(added, 'export {};');
    } while (
      statSync(join(root, 'src', 'deep'), { bigint: true }).ctimeNs === remembered &&
      Date.now() < deadline
    );
    claimWorkspace({ root, user, cache, now: later });
    expect(owner(join(root, 'src', 'deep', 'added.ts'))).toEqual(user);
  });

  it('does not follow a remembered folder that was replaced by a symlink', () => {
    const cache: OwnershipCache = new Map();
    const later = () => Date.now() + 10_000;
    claimWorkspace({ root, user, cache, now: later });
    rmSync(join(root, 'src', 'deep'), { recursive: true });
    symlinkSync(outside, join(root, 'src', 'deep'));
    claimWorkspace({ root, user, cache, now: later });
    expect(owner(join(outside, 'secret.txt'))).toEqual(cadre);
    expect(owner(outside)).toEqual(cadre);
  });

  it('stops after its folder budget, so a sandbox that made a huge tree cannot stall Cadre', () => {
    claimWorkspace({ root, user, cache: new Map(), maxFolders: 2 });
    expect(owner(join(root, 'README.md'))).toEqual(user);
    expect(owner(join(root, 'src'))).toEqual(user);
    expect(owner(join(root, 'src', 'deep', 'index.ts'))).toEqual(cadre);
  });

  it('does not remember a folder that changed a moment ago', () => {
    const cache: OwnershipCache = new Map();
    claimWorkspace({ root, user, cache });
    expect(cache.has('/src/deep')).toBe(false);
  });
});
