// The worktree's files as an ARIA tree: folders open and close, a click or Enter opens a file.
// Rows are flat (aria-level gives the depth), so that each row is one target to click.
import { useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { FileEntry } from './api';
import { buildFileTree, visibleRows, type TreeRow } from './file-tree';
import { ChevronIcon, FileIcon, FolderIcon } from './icons';

/** The listing as a tree whose folders start closed; `onOpen` gets a file's path. */
export function FileTreeView(props: {
  entries: readonly FileEntry[];
  /** The file shown in the editor. */
  selectedPath: string | null;
  onOpen: (path: string) => void;
}) {
  const { entries, selectedPath, onOpen } = props;
  const tree = useMemo(() => buildFileTree(entries), [entries]);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [focusedPath, setFocusedPath] = useState<string | null>(null);
  const container = useRef<HTMLDivElement>(null);
  const rows = visibleRows(tree, expanded);
  const tabStop =
    rows.find((row) => row.node.path === focusedPath)?.node.path ??
    rows.find((row) => row.node.path === selectedPath)?.node.path ??
    rows[0]?.node.path;

  const toggle = (path: string, isOpen: boolean) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (isOpen) next.add(path);
      else next.delete(path);
      return next;
    });
  const activate = ({ node }: TreeRow) => {
    if (node.type === 'directory') toggle(node.path, !expanded.has(node.path));
    else onOpen(node.path);
  };
  const focusRow = (row: TreeRow | undefined) => {
    if (!row) return;
    setFocusedPath(row.node.path);
    container.current
      ?.querySelector<HTMLElement>(`[data-path="${CSS.escape(row.node.path)}"]`)
      ?.focus();
  };

  const onKeyDown = (event: KeyboardEvent, index: number) => {
    const row = rows[index]!;
    const isFolder = row.node.type === 'directory';
    const isOpen = expanded.has(row.node.path);
    const parent = () =>
      rows
        .slice(0, index)
        .reverse()
        .find((other) => other.level < row.level);
    const handlers: Record<string, () => void> = {
      ArrowDown: () => focusRow(rows[index + 1]),
      ArrowUp: () => focusRow(rows[index - 1]),
      Home: () => focusRow(rows[0]),
      End: () => focusRow(rows.at(-1)),
      ArrowRight: () =>
        isFolder && !isOpen ? toggle(row.node.path, true) : isFolder && focusRow(rows[index + 1]),
      ArrowLeft: () => (isFolder && isOpen ? toggle(row.node.path, false) : focusRow(parent())),
      Enter: () => activate(row),
      ' ': () => activate(row),
    };
    const handler = handlers[event.key];
    if (!handler) return;
    event.preventDefault();
    handler();
  };

  return (
    <div className="ide-tree" role="tree" aria-label="Files" ref={container}>
      {rows.map((row, index) => {
        const { node } = row;
        const isFolder = node.type === 'directory';
        const isOpen = expanded.has(node.path);
        return (
          <div
            key={node.path}
            role="treeitem"
            aria-label={node.name}
            aria-level={row.level}
            aria-posinset={row.position}
            aria-setsize={row.siblings}
            aria-expanded={isFolder ? isOpen : undefined}
            aria-selected={node.path === selectedPath}
            data-path={node.path}
            title={node.path}
            tabIndex={node.path === tabStop ? 0 : -1}
            className={`ide-tree-row${node.type === 'symlink' ? ' is-symlink' : ''}`}
            style={{ paddingLeft: 8 + (row.level - 1) * 14 }}
            onClick={() => {
              setFocusedPath(node.path);
              activate(row);
            }}
            onKeyDown={(event) => onKeyDown(event, index)}
          >
            {isFolder ? <ChevronIcon isOpen={isOpen} /> : <span className="ide-tree-spacer" />}
            {isFolder ? <FolderIcon /> : <FileIcon name={node.name} />}
            <span className="ide-tree-name">{node.name}</span>
          </div>
        );
      })}
    </div>
  );
}
