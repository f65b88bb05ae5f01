// The few icons the IDE draws, as inline SVG: nothing to fetch, and hidden from screen readers
// (every control that shows one also has a name).
import type { ReactNode } from 'react';

function Icon({ children, className = '' }: { children: ReactNode; className?: string }) {
  return (
    <svg
      className={`ide-icon ${className}`}
      viewBox="0 0 16 16"
      width="16"
      height="16"
      aria-hidden="true"
      focusable="false"
    >
      {children}
    </svg>
  );
}

const stroke = {
  fill: 'none',
  stroke: 'currentColor',
  strokeWidth: 1.4,
  strokeLinecap: 'round',
  strokeLinejoin: 'round',
} as const;

/** Points right, or down when `isOpen`. */
export const ChevronIcon = ({ isOpen }: { isOpen: boolean }) => (
  <Icon className={`ide-chevron${isOpen ? ' is-open' : ''}`}>
    <path d="M6 4l4 4-4 4" {...stroke} />
  </Icon>
);

export const FolderIcon = () => (
  <Icon className="ide-folder-icon">
    <path d="M1.5 3.5h4.2l1.5 1.6h7.3v7.9H1.5z" fill="currentColor" opacity="0.85" />
  </Icon>
);

/** Tints a file's icon by its kind, the way editors help the eye find a file. */
const tints: Record<string, string> = {
  js: '#e8c547',
  mjs: '#e8c547',
  cjs: '#e8c547',
  jsx: '#61dafb',
  ts: '#4d8fe0',
  tsx: '#61dafb',
  json: '#d6a35c',
  md: '#8fa4c2',
  css: '#b07ee8',
  html: '#e4734f',
  py: '#5fa8d3',
  go: '#56c8d8',
  rs: '#d98c5f',
  sh: '#7bc86c',
  yml: '#c77d9c',
  yaml: '#c77d9c',
};

/** A page, tinted by the file's extension. */
export const FileIcon = ({ name }: { name: string }) => {
  const extension = name.includes('.') ? name.split('.').pop()!.toLowerCase() : '';
  return (
    <Icon className="ide-file-icon">
      <path
        d="M3.5 1.5h6l3 3v10h-9z M9.5 1.5v3h3"
        {...stroke}
        style={{ color: tints[extension] ?? '#9aa3b5' }}
      />
    </Icon>
  );
};

export const PlusIcon = () => (
  <Icon>
    <path d="M8 3v10M3 8h10" {...stroke} />
  </Icon>
);

export const CloseIcon = () => (
  <Icon>
    <path d="M4.5 4.5l7 7M11.5 4.5l-7 7" {...stroke} />
  </Icon>
);

export const RefreshIcon = () => (
  <Icon>
    <path d="M13 8a5 5 0 1 1-1.6-3.7M13 2.5v3h-3" {...stroke} />
  </Icon>
);

export const TerminalIcon = () => (
  <Icon>
    <path d="M3 5l3 3-3 3M8 11.5h5" {...stroke} />
  </Icon>
);
