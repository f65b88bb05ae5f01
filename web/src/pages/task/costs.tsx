// The task's model spend by model: calls, tokens and dollars, against its budget if it has one.
import { ApiError } from '../../api';
import { Empty, ErrorNote, formatUsd, Loading, useResource } from '../../ui';
import { taskApi } from './api';
import { useReloadOn } from './use-throttled';

const tokens = (count: number) =>
  count < 10_000 ? count.toLocaleString() : `${(count / 1000).toFixed(count < 100_000 ? 1 : 0)}k`;

export function Costs(props: { taskId: string; budgetUsd: number | null; version: number }) {
  const { taskId, budgetUsd, version } = props;
  const spend = useResource(() => taskApi.spend(taskId), taskId);
  useReloadOn(version, spend.reload, 1000);

  let body;
  if (spend.error && spend.data === undefined) {
    body =
      spend.error instanceof ApiError && spend.error.status === 403 ? (
        <p className="muted">Your role may not see spend.</p>
      ) : (
        <ErrorNote error={spend.error} onRetry={spend.reload} />
      );
  } else if (spend.data === undefined) {
    body = <Loading what="spend" />;
  } else if (spend.data.items.length === 0) {
    body = <Empty>No model calls yet.</Empty>;
  } else {
    const { items, totalUsd } = spend.data;
    body = (
      <>
        <p className="costs-total">
          <strong>{formatUsd(totalUsd)}</strong>
          <span className="muted">
            {budgetUsd === null ? ' in total' : ` of the ${formatUsd(budgetUsd)} budget`}
          </span>
        </p>
        {budgetUsd !== null && (
          <div className="task-meter" aria-hidden>
            <div style={{ width: `${Math.min(100, (totalUsd / budgetUsd) * 100)}%` }} />
          </div>
        )}
        <ul className="costs-list" aria-label="Spend by model">
          {items.map((row) => (
            <li key={row.key ?? 'unknown'}>
              <span className="costs-model" title={row.key ?? 'unknown'}>
                {row.key ?? 'unknown model'}
              </span>
              <span
                className="costs-numbers"
                title={`${row.inputTokens.toLocaleString()} tokens in (${row.cachedTokens.toLocaleString()} cached), ${row.outputTokens.toLocaleString()} out`}
              >
                {row.calls} call{row.calls === 1 ? '' : 's'} · {tokens(row.inputTokens)} in ·{' '}
                {tokens(row.outputTokens)} out
              </span>
              <span className="costs-usd">{formatUsd(row.costUsd)}</span>
            </li>
          ))}
        </ul>
      </>
    );
  }

  return (
    <section className="card task-side-card" aria-labelledby="costs-title" data-testid="costs">
      <h2 id="costs-title">Costs</h2>
      {body}
    </section>
  );
}
