// A read-only value (a clone URL, a command) with a button that copies it.
import { useState } from 'react';

export function CopyField({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = () => {
    // Without a secure context there is no clipboard: the call throws, and is caught here too.
    Promise.resolve()
      .then(() => navigator.clipboard.writeText(value))
      .then(
        () => setCopied('yes'),
        () => setCopied('failed'),
      );
  };
  return (
    <>
      <div className="copy-field">
        <input
          readOnly
          value={value}
          aria-label={label}
          onFocus={(event) => event.target.select()}
        />
        <button type="button" onClick={copy} aria-label={`Copy: ${label}`}>
          {copied === 'yes' ? 'Copied' : 'Copy'}
        </button>
      </div>
      {copied === 'failed' && (
        <p className="error" role="alert">
          The browser would not copy it: select the text and copy it by hand.
        </p>
      )}
    </>
  );
}
