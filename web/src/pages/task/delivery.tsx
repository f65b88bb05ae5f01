// Where a finished task's result went: Cadre's own repository (with a clone command to copy),
// a pushed branch, or a pull request on the project's git host.
import { useState } from 'react';
import type { Task } from './api';

type TaskDelivery = NonNullable<Task['delivery']>;

export function Delivery({ delivery }: { delivery: TaskDelivery }) {
  const commit = <code title={delivery.commit}>{delivery.commit.slice(0, 12)}</code>;
  return (
    <section className="card task-delivery" aria-labelledby="delivery-title">
      <h2 id="delivery-title">Result</h2>
      {delivery.mode === 'local' && (
        <>
          <p>
            Merged into <code>{delivery.branch}</code> at {commit} in Cadre&apos;s repository of the
            project. Clone it with an API key (projects:read) as the password:
          </p>
          <CopyField
            label="Clone command"
            value={`git clone --branch ${delivery.branch} ${delivery.cloneUrl}`}
          />
        </>
      )}
      {delivery.mode === 'push' && (
        <p>
          Pushed to <code>{delivery.branch}</code> of <code>{delivery.remoteUrl}</code> at {commit}.
        </p>
      )}
      {delivery.mode === 'pull-request' && (
        <p>
          Pull request{' '}
          <a href={delivery.url} target="_blank" rel="noreferrer noopener">
            #{delivery.number}
          </a>{' '}
          ({delivery.state}) from <code>{delivery.branch}</code> at {commit}.
        </p>
      )}
    </section>
  );
}

/** A read-only value with a button that copies it. */
function CopyField({ label, value }: { label: string; value: string }) {
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
      <div className="task-copy-row">
        <input
          readOnly
          value={value}
          aria-label={label}
          onFocus={(event) => event.target.select()}
        />
        <button type="button" onClick={copy}>
          {copied === 'yes' ? 'Copied' : 'Copy'}
        </button>
      </div>
      {copied === 'failed' && (
        <p className="error" role="alert">
          The browser would not copy it: select the command and copy it by hand.
        </p>
      )}
    </>
  );
}
