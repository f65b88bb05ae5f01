// Where a finished task's result went: Cadre's own repository (with a clone command to copy),
// a pushed branch, or a pull request on the project's git host.
import { CopyField } from '../../copy-field';
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
