import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, session, type Health, type Project } from './api';

export function App() {
  const [health, setHealth] = useState<Health | 'down' | null>(null);
  const [token, setToken] = useState(session.get());

  useEffect(() => {
    api.health().then(setHealth, () => setHealth('down'));
  }, []);

  // Stable, so that the projects list does not load again on every render of the shell.
  const forget = useCallback(() => {
    session.clear();
    setToken(null);
  }, []);
  // Ends the session on the server too; the browser forgets the token whatever the answer.
  const signOut = () => {
    api.signOut().then(forget, forget);
  };

  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Cadre</span>
        {health && health !== 'down' && <span className="muted">v{health.version}</span>}
        <span
          className={`health ${health === 'down' ? 'bad' : health ? 'good' : ''}`}
          data-testid="health"
        >
          {health === null ? 'checking…' : health === 'down' ? 'server unreachable' : 'healthy'}
        </span>
        {token && (
          <button className="link" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      <main>
        {token ? (
          <Projects onUnauthorized={forget} />
        ) : (
          <SignIn
            onSignedIn={(value) => {
              session.set(value);
              setToken(value);
            }}
          />
        )}
      </main>
    </div>
  );
}

function SignIn({ onSignedIn }: { onSignedIn: (token: string) => void }) {
  const [mode, setMode] = useState<'key' | 'password'>('key');
  const [key, setKey] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      if (mode === 'key') {
        session.set(key.trim());
        await api.projects();
        onSignedIn(key.trim());
      } else {
        onSignedIn((await api.signIn(email, password)).token);
      }
    } catch (failure) {
      session.clear();
      setError(failure instanceof ApiError ? failure.message : 'The server cannot be reached.');
    } finally {
      setBusy(false);
    }
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
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={isBusy}>
        {isBusy ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}

function Projects({ onUnauthorized }: { onUnauthorized: () => void }) {
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [isCreating, setCreating] = useState(false);

  const load = useCallback(() => {
    setError(null);
    api.projects().then(setProjects, (failure: unknown) => {
      if (failure instanceof ApiError && failure.status === 401) onUnauthorized();
      else setError(failure instanceof Error ? failure.message : String(failure));
    });
  }, [onUnauthorized]);

  useEffect(load, [load]);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setCreating(true);
    try {
      await api.createProject(name.trim());
      setName('');
      load();
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 401) onUnauthorized();
      else setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setCreating(false);
    }
  };

  return (
    <section className="card">
      <h1>Projects</h1>
      <form className="row" onSubmit={create}>
        <input
          name="project-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="New project name"
        />
        <button type="submit" className="primary" disabled={!name.trim() || isCreating}>
          {isCreating ? 'Creating…' : 'Create project'}
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {projects === null && !error && <p className="muted">Loading projects…</p>}
      {projects?.length === 0 && (
        <p className="empty">
          No projects yet. Create one above, or from a terminal:{' '}
          <code>cadre project create my-app</code>
        </p>
      )}
      {projects && projects.length > 0 && (
        <table data-testid="projects">
          <thead>
            <tr>
              <th>Name</th>
              <th>Description</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {projects.map((project) => (
              <tr key={project.id}>
                <td>
                  {project.name}{' '}
                  {project.isConfidential && <span className="badge">confidential</span>}
                </td>
                <td className="muted">{project.description || '—'}</td>
                <td className="muted">{new Date(project.createdAt).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
