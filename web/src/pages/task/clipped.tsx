// Long text shown in monospace, cut after a few lines with a button to show the rest.
import { useState } from 'react';

/** Text of any value: strings as they are, anything else as indented JSON. */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value, null, 2) ?? String(value);
}

export function Clipped(props: {
  text: string;
  maxLines?: number;
  maxChars?: number;
  className?: string;
}) {
  const { text, maxLines = 16, maxChars = 2000, className = '' } = props;
  const [isOpen, setOpen] = useState(false);
  const lines = text.split('\n');
  const isLong = lines.length > maxLines || text.length > maxChars;
  const shown =
    isOpen || !isLong ? text : lines.slice(0, maxLines).join('\n').slice(0, maxChars) + '…';
  return (
    <div className={`clipped ${className}`}>
      <pre>{shown}</pre>
      {isLong && (
        <button className="link clipped-toggle" onClick={() => setOpen(!isOpen)}>
          {isOpen
            ? 'Show less'
            : `Show more (${lines.length > maxLines ? `${lines.length} lines` : `${text.length.toLocaleString()} characters`})`}
        </button>
      )}
    </div>
  );
}
