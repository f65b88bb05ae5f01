// Where a tree's symlinks lead, resolved through each other as a checkout would resolve them.
import { describe, expect, it } from 'vitest';
import { findEscapingSymlinks } from './symlink-targets.js';

const escaping = (links: Record<string, string>) =>
  findEscapingSymlinks(new Map(Object.entries(links))).map(({ path, reason }) => [path, reason]);

describe('findEscapingSymlinks', () => {
  it('finds absolute links, links that climb above the root, and links into .git', () => {
    expect(
      escaping({
        'admin-key': '/var/lib/cadre/admin-api-key',
        passwd: '/etc/passwd',
        'docs/up': '../../x',
        'a/b/c': '../../../etc',
        hook: '.git/hooks/pre-commit',
        deep: 'src/../.GIT/config',
      }),
    ).toEqual([
      ['a/b/c', 'outside'],
      ['admin-key', 'absolute'],
      ['deep', 'git-folder'],
      ['docs/up', 'outside'],
      ['hook', 'git-folder'],
      ['passwd', 'absolute'],
    ]);
  });

  it('lets links that stay inside pass, dangling or not, and loops too', () => {
    expect(
      escaping({
        'docs/readme': '../README.md',
        'a/b/c': '../../d/./e',
        here: '.',
        missing: 'no/such/file',
        'loop-a': 'loop-b',
        'loop-b': 'loop-a',
      }),
    ).toEqual([]);
  });

  it('resolves a link through the links it passes, as a checkout would', () => {
    // Each alone stays inside; together, here/.. is the folder above the root.
    expect(escaping({ here: '.', climb: 'here/..' })).toEqual([['climb', 'outside']]);
    expect(escaping({ climb: 'here/..' })).toEqual([]);
    expect(escaping({ 'a/link': '../b', b: '/tmp', 'a/via': 'link/x' })).toEqual([
      ['a/link', 'absolute'],
      ['a/via', 'absolute'],
      ['b', 'absolute'],
    ]);
    expect(escaping({ 'x/y/z': '../../w', w: '..' })).toEqual([
      ['w', 'outside'],
      ['x/y/z', 'outside'],
    ]);
    // A loop that keeps climbing is cut off, as the kernel cuts it off (ELOOP).
    expect(escaping({ 'x/y/z': '../../w', w: 'x/y/z/../../..' })).toEqual([]);
  });
});
