// A worktree's flat file listing as a tree, and the rows of that tree a person sees with some
// folders open. Pure functions: no React, no DOM.
import type { FileEntry } from './api';

export interface FileNode {
  name: string;
  path: string;
  type: FileEntry['type'];
  /** Sorted: folders first, then by name. Empty for a file. */
  children: FileNode[];
}

/** One visible row of the tree: a node, how deep it is, and where it sits among its siblings. */
export interface TreeRow {
  node: FileNode;
  level: number;
  position: number;
  siblings: number;
}

/** Builds the tree from a listing; a path whose folder is missing from it still gets one. */
export function buildFileTree(entries: readonly FileEntry[]): FileNode[] {
  const root: FileNode = { name: '', path: '', type: 'directory', children: [] };
  const folders = new Map<string, FileNode>([['', root]]);
  const folderOf = (path: string): FileNode => {
    const known = folders.get(path);
    if (known) return known;
    const slash = path.lastIndexOf('/');
    const folder: FileNode = {
      name: path.slice(slash + 1),
      path,
      type: 'directory',
      children: [],
    };
    folderOf(slash < 0 ? '' : path.slice(0, slash)).children.push(folder);
    folders.set(path, folder);
    return folder;
  };
  for (const entry of entries) {
    if (entry.type === 'directory') {
      folderOf(entry.path);
      continue;
    }
    const slash = entry.path.lastIndexOf('/');
    folderOf(slash < 0 ? '' : entry.path.slice(0, slash)).children.push({
      name: entry.path.slice(slash + 1),
      path: entry.path,
      type: entry.type,
      children: [],
    });
  }
  for (const folder of folders.values()) folder.children.sort(compareNodes);
  return root.children;
}

function compareNodes(a: FileNode, b: FileNode): number {
  const isFolderA = a.type === 'directory';
  const isFolderB = b.type === 'directory';
  if (isFolderA !== isFolderB) return isFolderA ? -1 : 1;
  return a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' });
}

/** The rows shown when the folders in `expanded` are open, top to bottom. */
export function visibleRows(nodes: readonly FileNode[], expanded: ReadonlySet<string>): TreeRow[] {
  const rows: TreeRow[] = [];
  const walk = (siblings: readonly FileNode[], level: number) => {
    siblings.forEach((node, index) => {
      rows.push({ node, level, position: index + 1, siblings: siblings.length });
      if (node.type === 'directory' && expanded.has(node.path)) walk(node.children, level + 1);
    });
  };
  walk(nodes, 1);
  return rows;
}
