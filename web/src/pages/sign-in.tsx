// Sign-in with an API key or with an email and password.
import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../api';
import { useAction } from '../ui';

const unreachable = 'The server cannot be reached.';

/** The credential goes to the server once; from then on the browser's cookie holds it. */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [mode, setMode] = useState<'key' | 'password'>('key');
  const [key, setKey] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useAction(
    async () => {
      if (mode === 'password') await api.signIn(email, password);
      else await api.signInWithKey(key.trim());
      onSignedIn();
    },
    { describe: (failure) => (failure instanceof ApiError ? failure.message : unreachable) },
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void signIn.run();
  };

  return (
    <form className="card narrow" onSubmit={submit}>
      <h1>Sign in</h1>
      <div className="tabs">
        <button
          type="button"
          className={mode === 'key' ? 'active' : ''}
          onClick={() => setMode('key')}
        >
          API key
        </button>
        <button
          type="button"
          className={mode === 'password' ? 'active' : ''}
          onClick={() => setMode('password')}
        >
          Email and password
        </button>
      </div>
      {mode === 'key' ? (
        <label>
          API key
          <input
            name="key"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            placeholder="cadre_…"
            autoFocus
          />
          <small className="muted">
            The admin key was printed by <code>cadre up</code> at first start and saved in the data
            folder (<code>~/.cadre/admin-api-key</code>).
          </small>
        </label>
      ) : (
        <>
          <small className="muted">
            The first admin is <code>admin@localhost</code>. It has no password until one is set:
            sign in with the admin key, then <code>PUT /api/auth/password</code>.
          </small>
          <label>
            Email
            <input
              name="email"
              type="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              autoFocus
            />
          </label>
          <label>
            Password
            <input
              name="password"
              type="password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
        </>
      )}
      {signIn.error && (
        <p className="error" role="alert">
          {signIn.error}
        </p>
      )}
      <button type="submit" className="primary" disabled={signIn.isBusy}>
        {signIn.isBusy ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
