// Creating an API key: a name, a role and an optional expiry. The new key is shown once, here,
// with a copy button: the server keeps only its hash and cannot show it again.
import { useState, type FormEvent } from 'react';
import { ErrorNote, useAction } from '../../ui';
import { memberRoles, settingsApi, type Identity, type MemberRole, type NewApiKey } from './api';

const roleHelp: Record<MemberRole, string> = {
  owner: 'everything, including creating owner keys',
  admin: 'everything: keys, budgets and roles too',
  member: 'projects, tasks and workspaces, not keys or budgets',
  viewer: 'nothing but read',
};

/** The key's expiry as an instant: the end of the chosen local day; an error when it is past. */
export function expiryOf(date: string, now = Date.now()): string | undefined | Error {
  if (!date) return undefined;
  const end = new Date(`${date}T23:59:59`);
  if (Number.isNaN(end.getTime())) return new Error('The expiry date is not a date.');
  if (end.getTime() <= now) return new Error('The expiry date must be in the future.');
  return end.toISOString();
}

export function KeyForm(props: {
  identity: Identity | undefined;
  onCreated: (key: NewApiKey) => void;
}) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<MemberRole>('member');
  const [expires, setExpires] = useState('');
  // Only an owner may create an owner key; the server refuses it to anyone else.
  const roles = memberRoles.filter(
    (option) => option !== 'owner' || props.identity?.role === 'owner',
  );

  const create = useAction(async (expiresAt: string | undefined) => {
    const created = await settingsApi.createKey({ name: name.trim(), role, expiresAt });
    setName('');
    setExpires('');
    props.onCreated(created);
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) {
      return create.setError('Give the key a name, e.g. the machine or the person using it.');
    }
    if (name.trim().length > 100) {
      return create.setError('The name can be at most 100 characters.');
    }
    const expiresAt = expiryOf(expires);
    if (expiresAt instanceof Error) return create.setError(expiresAt.message);
    void create.run(expiresAt);
  };

  return (
    <form className="settings-form" onSubmit={submit} aria-label="Create an API key" noValidate>
      <div className="settings-fields">
        <label className="settings-wide">
          Name
          <input
            name="keyName"
            value={name}
            onChange={(event) => setName(event.target.value)}
            placeholder="e.g. ci-runner"
            autoComplete="off"
            maxLength={100}
          />
        </label>
        <label>
          Role
          <select
            name="keyRole"
            value={role}
            onChange={(event) => setRole(event.target.value as MemberRole)}
          >
            {roles.map((option) => (
              <option key={option} value={option}>
                {option}
              </option>
            ))}
          </select>
          <small className="muted">May do {roleHelp[role]}.</small>
        </label>
        <label>
          <span>
            Expires <small className="muted">(optional)</small>
          </span>
          <input
            name="keyExpires"
            type="date"
            value={expires}
            onChange={(event) => setExpires(event.target.value)}
          />
        </label>
      </div>
      <div className="settings-actions">
        <button type="submit" className="primary" disabled={create.isBusy}>
          {create.isBusy ? 'Creating…' : 'Create key'}
        </button>
      </div>
      {create.error && <ErrorNote error={create.error} />}
    </form>
  );
}

/** The key just created, shown this once. */
export function NewKey({ created, onDone }: { created: NewApiKey; onDone: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = () => {
    // Without a secure context there is no clipboard: the call throws, and is caught here too.
    Promise.resolve()
      .then(() => navigator.clipboard.writeText(created.key))
      .then(
        () => setCopied('yes'),
        () => setCopied('failed'),
      );
  };
  return (
    <div className="settings-new-key" role="region" aria-label="New API key" data-testid="new-key">
      <p>
        <strong>Key “{created.name}” created.</strong> Copy it now: it is shown only this once, and
        anyone who has it acts with the role <strong>{created.role}</strong>.
      </p>
      <div className="settings-key-row">
        <input
          readOnly
          value={created.key}
          aria-label="The new key"
          name="newKey"
          onFocus={(event) => event.target.select()}
        />
        <button type="button" className="primary" onClick={copy}>
          {copied === 'yes' ? 'Copied' : 'Copy'}
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
      {copied === 'failed' && (
        <p className="error" role="alert">
          The browser would not copy it: select the key and copy it by hand.
        </p>
      )}
    </div>
  );
}
