// Where the symlinks of a tree lead, resolved as a checkout of that tree would resolve them,
// through the tree's other symlinks. Pure: it reads no file system, so nothing on the server
// can change its answer. A link leaves the tree when it is absolute, climbs above the root, or
// leads into a `.git` folder.

/** A symlink that leads outside the tree, and why. */
export interface EscapingSymlink {
  path: string;
  target: string;
  reason: 'absolute' | 'outside' | 'git-folder';
}

const maxHops = 40; // as Linux's own limit on following symlinks

/** The symlinks of `links` (path → target, every symlink of one tree) that lead outside it. */
export function findEscapingSymlinks(links: ReadonlyMap<string, string>): EscapingSymlink[] {
  const escaping: EscapingSymlink[] = [];
  for (const [path, target] of links) {
    const reason = escapeOf(path, links);
    if (reason) escaping.push({ path, target, reason });
  }
  return escaping.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function escapeOf(
  linkPath: string,
  links: ReadonlyMap<string, string>,
): EscapingSymlink['reason'] | null {
  const target = links.get(linkPath) ?? '';
  if (target.startsWith('/')) return 'absolute';
  const resolved = linkPath.split('/').slice(0, -1); // the link's folder, a real folder of the tree
  let pending = target.split('/');
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (resolved.length === 0) return 'outside';
      resolved.pop();
      continue;
    }
    resolved.push(part);
    if (part.toLowerCase() === '.git') return 'git-folder';
    const next = links.get(resolved.join('/'));
    if (next === undefined) continue;
    hops += 1;
    if (hops > maxHops) return null; // a loop: a checkout cannot follow it anywhere
    resolved.pop();
    if (next.startsWith('/')) return 'absolute';
    pending = [...next.split('/'), ...pending];
  }
  return null;
}
