// The Retry action of a failed or cancelled task: a small dialog that runs it again from the
// failed step (the default), from a chosen step, or from the start, with its description
// editable first. The server decides what runs again; the dialog only says where to start.
import { useRef, useState } from 'react';
import { ErrorNote, useAction } from '../../ui';
import { taskApi, type Step, type Task } from './api';

type From = 'failed' | 'step' | 'start';

export function RetryAction(props: { task: Task; steps: Step[]; onRetried: () => void }) {
  const { task, steps, onRetried } = props;
  const dialog = useRef<HTMLDialogElement>(null);
  const failed =
    steps.find((step) => step.status === 'dead' || step.status === 'failed') ??
    steps.find((step) => step.status !== 'done');
  const [from, setFrom] = useState<From>('failed');
  const [stepKey, setStepKey] = useState('');
  const [description, setDescription] = useState(task.description);
  const retry = useAction(async () => {
    const edited = description.trim();
    await taskApi.retry(task.id, {
      ...(from === 'start' ? { fromStart: true } : {}),
      ...(from === 'step' ? { fromStep: stepKey || steps[0]?.key } : {}),
      ...(edited !== task.description.trim() ? { description: edited } : {}),
    });
    dialog.current?.close();
    onRetried();
  });
  const open = () => {
    setDescription(task.description);
    setStepKey(failed?.key ?? steps[0]?.key ?? '');
    dialog.current?.showModal();
  };

  return (
    <>
      <button className="primary" onClick={open} title="Run this task again">
        Retry
      </button>
      <dialog ref={dialog} className="retry-dialog" aria-labelledby="retry-title">
        <form
          method="dialog"
          onSubmit={(event) => {
            event.preventDefault();
            void retry.run();
          }}
        >
          <h2 id="retry-title">Retry this task</h2>
          <fieldset>
            <legend>Start from</legend>
            <label className="check">
              <input
                type="radio"
                name="from"
                checked={from === 'failed'}
                onChange={() => setFrom('failed')}
              />
              <span>
                {failed ? (
                  <>
                    the step that did not finish, <code>{failed.key}</code>: the steps before it are
                    kept
                  </>
                ) : (
                  'where it stopped'
                )}
              </span>
            </label>
            <label className="check">
              <input
                type="radio"
                name="from"
                checked={from === 'step'}
                onChange={() => setFrom('step')}
                disabled={steps.length === 0}
              />
              <span>a step I choose, with the steps that depend on it</span>
            </label>
            {from === 'step' && (
              <select
                aria-label="Step to start from"
                value={stepKey}
                onChange={(event) => setStepKey(event.target.value)}
              >
                {steps.map((step) => (
                  <option key={step.id} value={step.key}>
                    {step.key} ({step.role}, {step.status})
                  </option>
                ))}
              </select>
            )}
            <label className="check">
              <input
                type="radio"
                name="from"
                checked={from === 'start'}
                onChange={() => setFrom('start')}
              />
              <span>the start: plan again, on a fresh branch</span>
            </label>
          </fieldset>
          <label className="retry-description">
            Description
            <textarea
              value={description}
              rows={5}
              onChange={(event) => setDescription(event.target.value)}
            />
          </label>
          <p className="muted">
            Earlier attempts stay in the task&apos;s history: their steps, transcripts and costs.
          </p>
          {retry.error && <ErrorNote error={retry.error} />}
          <div className="retry-buttons">
            <button type="button" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button
              type="submit"
              className="primary"
              disabled={retry.isBusy || description.trim() === ''}
            >
              {retry.isBusy ? 'Retrying…' : 'Retry'}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
