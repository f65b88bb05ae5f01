// Account: who the browser is signed in as, and changing that user's password. A key that
// belongs to no user has no password to change.
import { useState, type FormEvent } from 'react';
import { ErrorNote, Loaded, useAction, type Resource } from '../../ui';
import { settingsApi, type Identity } from './api';
import { Success } from './parts';

export function AccountSection({ identity }: { identity: Resource<Identity> }) {
  return (
    <div className="stack">
      <section className="card">
        <h2>Signed in as</h2>
        <Loaded resource={identity} what="your account">
          {(me) => (
            <dl className="facts settings-facts" data-testid="me">
              <dt>Name</dt>
              <dd>{me.user?.name ?? <span className="muted">an API key without a user</span>}</dd>
              <dt>Email</dt>
              <dd>{me.user?.email ?? '—'}</dd>
              <dt>Role</dt>
              <dd>{me.role}</dd>
              <dt>Signed in with</dt>
              <dd>{me.credential === 'session' ? 'email and password' : 'an API key'}</dd>
              <dt>Organization</dt>
              <dd>
                <code>{me.orgId}</code>
              </dd>
            </dl>
          )}
        </Loaded>
      </section>
      <section className="card">
        <h2>Password</h2>
        <Loaded resource={identity} what="your account">
          {(me) =>
            me.user ? (
              <PasswordForm
                hasPassword={me.user.hasPassword}
                email={me.user.email}
                onSaved={identity.reload}
              />
            ) : (
              <p className="settings-note">
                This API key belongs to no user, so there is no password to change. Sign in as a
                user (with email and password) to set one.
              </p>
            )
          }
        </Loaded>
      </section>
    </div>
  );
}

const minimumLength = 12;

function PasswordForm(props: { hasPassword: boolean; email: string; onSaved: () => void }) {
  const { hasPassword, email } = props;
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [repeated, setRepeated] = useState('');
  const [isSaved, setSaved] = useState(false);

  const save = useAction(async () => {
    await settingsApi.changePassword(password, hasPassword ? current : undefined);
    setCurrent('');
    setPassword('');
    setRepeated('');
    setSaved(true);
    props.onSaved();
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    if (hasPassword && !current) return save.setError('Enter your current password.');
    if (password.length < minimumLength) {
      return save.setError(`The password must be at least ${minimumLength} characters.`);
    }
    if (password !== repeated) return save.setError('The two passwords differ.');
    void save.run();
  };

  return (
    <form className="settings-form" onSubmit={submit} aria-label="Change password" noValidate>
      <p className="muted settings-text">
        {hasPassword
          ? `Change the password ${email} signs in with.`
          : `${email} has no password yet: set one to sign in with email and password.`}
      </p>
      {/* The user name helps password managers file the new password under the right account. */}
      <input type="text" name="username" value={email} autoComplete="username" readOnly hidden />
      <div className="settings-fields">
        {hasPassword && (
          <label>
            Current password
            <input
              type="password"
              name="currentPassword"
              autoComplete="current-password"
              value={current}
              onChange={(event) => setCurrent(event.target.value)}
            />
          </label>
        )}
        <label>
          New password
          <input
            type="password"
            name="newPassword"
            autoComplete="new-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
          <small className="muted">At least {minimumLength} characters.</small>
        </label>
        <label>
          Repeat it
          <input
            type="password"
            name="repeatPassword"
            autoComplete="new-password"
            value={repeated}
            onChange={(event) => setRepeated(event.target.value)}
          />
        </label>
      </div>
      <div className="settings-actions">
        <button type="submit" className="primary" disabled={save.isBusy}>
          {save.isBusy ? 'Saving…' : hasPassword ? 'Change password' : 'Set password'}
        </button>
      </div>
      {save.error && <ErrorNote error={save.error} />}
      {isSaved && (
        <Success>
          Password saved: sign in with it from now on. Your other sessions are signed out.
        </Success>
      )}
    </form>
  );
}
