// Budgets: the caps on model spend for the organization, a project or a task, each with what
// it has used in its current period, and the form to set one.
import { useState } from 'react';
import { api } from '../../api';
import { Link } from '../../router';
import { Empty, ErrorNote, formatUsd, Loaded, useAction, useResource } from '../../ui';
import { settingsApi, type Budget, type Identity, type Project } from './api';
import { BudgetForm } from './budget-form';
import { spentByBudget, type Spent } from './budget-spend';
import { ConfirmButton, RoleNote, Success } from './parts';

const periodLabels = { total: 'in total', day: 'per day (UTC)', month: 'per month (UTC)' };

export function BudgetsSection({ identity }: { identity: Identity | undefined }) {
  const budgets = useResource(settingsApi.budgets, 'budgets');
  const projects = useResource(api.projects, 'projects');
  const spent = useResource(
    () => spentByBudget(budgets.data ?? []),
    JSON.stringify(budgets.data?.map((budget) => budget.id) ?? null),
  );
  const [deleted, setDeleted] = useState<string | null>(null);
  const remove = useAction(async (budget: Budget) => {
    setDeleted(null);
    await settingsApi.deleteBudget(budget.id);
    setDeleted('Budget deleted.');
    budgets.reload();
  });

  return (
    <div className="stack">
      <section className="card">
        <h2>Budgets</h2>
        <p className="muted settings-text">
          Before each model call, Cadre adds what the scope has spent to the most the call may cost;
          a call that would pass a budget is refused, and nothing is sent.
        </p>
        <RoleNote identity={identity} what="budgets" />
        {remove.error && <ErrorNote error={remove.error} />}
        {deleted && <Success>{deleted}</Success>}
        <Loaded resource={budgets} what="budgets">
          {(items) =>
            items.length === 0 ? (
              <Empty>
                No budgets yet: model spend is not capped. Set one below, for example $50 a month
                for the whole organization.
              </Empty>
            ) : (
              <div className="table-scroll">
                <table className="settings-table row-cards" data-testid="budgets">
                  <thead>
                    <tr>
                      <th>Scope</th>
                      <th>Period</th>
                      <th>Limit</th>
                      <th>Used</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((budget) => (
                      <tr key={budget.id}>
                        <td data-label="Scope">
                          <ScopeName budget={budget} projects={projects.data} />
                        </td>
                        <td data-label="Period">{periodLabels[budget.period]}</td>
                        <td data-label="Limit">{formatLimit(budget)}</td>
                        <td data-label="Used">
                          <Usage
                            budget={budget}
                            spent={spent.data?.get(budget.id)}
                            hasFailed={spent.error !== null}
                          />
                        </td>
                        <td className="settings-row-actions">
                          <ConfirmButton
                            label="Delete"
                            question="Delete this budget?"
                            confirmLabel="Delete budget"
                            isBusy={remove.running?.[0].id === budget.id}
                            onConfirm={() => void remove.run(budget)}
                          />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Loaded>
      </section>
      <section className="card">
        <h2>Set a budget</h2>
        <BudgetForm projects={projects.data ?? []} onSaved={budgets.reload} />
      </section>
    </div>
  );
}

function ScopeName({ budget, projects }: { budget: Budget; projects: Project[] | undefined }) {
  if (budget.scope === 'organization') return <span>Whole organization</span>;
  if (budget.scope === 'task') {
    return (
      <span>
        Task <Link to={`/tasks/${budget.scopeId}`}>{budget.scopeId.slice(0, 8)}</Link>
      </span>
    );
  }
  const project = projects?.find((candidate) => candidate.id === budget.scopeId);
  return (
    <span>
      Project{' '}
      <Link to={`/tasks?project=${budget.scopeId}`}>
        {project?.name ?? budget.scopeId.slice(0, 8)}
      </Link>
    </span>
  );
}

const formatCount = (value: number) => value.toLocaleString('en-US');

function formatLimit(budget: Budget): string {
  const parts = [];
  if (budget.limitUsd !== null) parts.push(formatUsd(budget.limitUsd));
  if (budget.limitTokens !== null) parts.push(`${formatCount(budget.limitTokens)} tokens`);
  return parts.join(' and ');
}

/** What the budget has used, against its tightest limit, with a bar. */
function Usage(props: { budget: Budget; spent: Spent | undefined; hasFailed: boolean }) {
  const { budget, spent } = props;
  if (!spent) return <span className="muted">{props.hasFailed ? 'unknown' : '…'}</span>;
  const shares = [
    budget.limitUsd ? spent.usd / budget.limitUsd : 0,
    budget.limitTokens ? spent.tokens / budget.limitTokens : 0,
  ];
  const share = Math.max(...shares);
  const level = share >= 1 ? 'over' : share >= 0.8 ? 'near' : 'ok';
  const words = [
    budget.limitUsd !== null ? formatUsd(spent.usd) : null,
    budget.limitTokens !== null ? `${formatCount(spent.tokens)} tokens` : null,
  ].filter(Boolean);
  return (
    <div className="settings-usage">
      <span>
        {words.join(', ')} <span className="muted">({Math.round(share * 100)}%)</span>
      </span>
      <span
        className={`settings-bar settings-bar-${level}`}
        role="meter"
        aria-label="Share of the budget used"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.min(100, Math.round(share * 100))}
      >
        <span style={{ width: `${Math.min(100, share * 100)}%` }} />
      </span>
    </div>
  );
}
