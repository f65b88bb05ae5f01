// Setting a budget: a scope (the organization, a project or a task), a period and a limit in
// USD, tokens or both. Checked here first so that the server's refusals are the rare ones.
import { useState, type FormEvent } from 'react';
import { ErrorNote, useAction } from '../../ui';
import {
  settingsApi,
  type BudgetPeriod,
  type BudgetScope,
  type BudgetSet,
  type Project,
} from './api';
import { Success } from './parts';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Draft {
  scope: BudgetScope;
  projectId: string;
  taskId: string;
  period: BudgetPeriod;
  limitUsd: string;
  limitTokens: string;
}

/** The budget to send, or what is wrong with the draft. */
export function validateBudget(draft: Draft): BudgetSet | string {
  const budget: BudgetSet = { scope: draft.scope, period: draft.period };
  if (draft.scope === 'project') {
    if (!draft.projectId) return 'Choose the project.';
    budget.scopeId = draft.projectId;
  }
  if (draft.scope === 'task') {
    if (!uuid.test(draft.taskId.trim())) return 'Give the task id, as shown in its address.';
    budget.scopeId = draft.taskId.trim();
  }
  if (draft.limitUsd.trim()) {
    const usd = Number(draft.limitUsd);
    if (!Number.isFinite(usd) || usd <= 0) return 'The USD limit must be a positive number.';
    if (usd > 10_000_000) return 'The USD limit can be at most $10,000,000.';
    budget.limitUsd = usd;
  }
  if (draft.limitTokens.trim()) {
    const tokens = Number(draft.limitTokens);
    if (!Number.isInteger(tokens) || tokens <= 0) {
      return 'The token limit must be a positive whole number.';
    }
    budget.limitTokens = tokens;
  }
  if (budget.limitUsd === undefined && budget.limitTokens === undefined) {
    return 'Give a limit in USD, in tokens, or both.';
  }
  return budget;
}

const emptyDraft: Draft = {
  scope: 'organization',
  projectId: '',
  taskId: '',
  period: 'month',
  limitUsd: '',
  limitTokens: '',
};

export function BudgetForm(props: { projects: Project[]; onSaved: () => void }) {
  const [draft, setDraft] = useState(emptyDraft);
  const [saved, setSaved] = useState<string | null>(null);
  const change = (part: Partial<Draft>) => {
    setDraft((current) => ({ ...current, ...part }));
    setSaved(null);
  };

  const save = useAction(async (budget: BudgetSet) => {
    await settingsApi.setBudget(budget);
    setDraft(emptyDraft);
    setSaved('Budget saved. It applies to the next model call.');
    props.onSaved();
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(null);
    const budget = validateBudget(draft);
    if (typeof budget === 'string') return save.setError(budget);
    void save.run(budget);
  };

  return (
    <form className="settings-form" onSubmit={submit} aria-label="Set a budget" noValidate>
      <div className="settings-fields">
        <label>
          Scope
          <select
            name="scope"
            value={draft.scope}
            onChange={(event) => change({ scope: event.target.value as BudgetScope })}
          >
            <option value="organization">Whole organization</option>
            <option value="project">A project</option>
            <option value="task">A task</option>
          </select>
        </label>
        {draft.scope === 'project' && (
          <label>
            Project
            <select
              name="projectId"
              value={draft.projectId}
              onChange={(event) => change({ projectId: event.target.value })}
            >
              <option value="">Choose…</option>
              {props.projects.map((project) => (
                <option key={project.id} value={project.id}>
                  {project.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {draft.scope === 'task' && (
          <label>
            Task id
            <input
              name="taskId"
              value={draft.taskId}
              onChange={(event) => change({ taskId: event.target.value })}
              placeholder="e.g. 3f2a…"
              autoComplete="off"
            />
          </label>
        )}
        <label>
          Period
          <select
            name="period"
            value={draft.period}
            onChange={(event) => change({ period: event.target.value as BudgetPeriod })}
          >
            <option value="day">Each day (UTC)</option>
            <option value="month">Each month (UTC)</option>
            <option value="total">In total</option>
          </select>
        </label>
        <label>
          Limit, USD
          <input
            name="limitUsd"
            inputMode="decimal"
            value={draft.limitUsd}
            onChange={(event) => change({ limitUsd: event.target.value })}
            placeholder="e.g. 50"
          />
        </label>
        <label>
          <span>
            Limit, tokens <small className="muted">(optional)</small>
          </span>
          <input
            name="limitTokens"
            inputMode="numeric"
            value={draft.limitTokens}
            onChange={(event) => change({ limitTokens: event.target.value })}
            placeholder="e.g. 2000000"
          />
        </label>
      </div>
      <div className="settings-actions">
        <button type="submit" className="primary" disabled={save.isBusy}>
          {save.isBusy ? 'Saving…' : 'Set budget'}
        </button>
        <span className="muted settings-hint">
          A budget for the same scope and period replaces the one there.
        </span>
      </div>
      {save.error && <ErrorNote error={save.error} />}
      {saved && <Success>{saved}</Success>}
    </form>
  );
}
