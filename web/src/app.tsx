// The command center's shell: sign-in, the navigation, the live connection and the pages.
import { useCallback, useEffect, useState } from 'react';
import { api, session, unauthorizedEvent, type Health } from './api';
import { LiveProvider, useLiveStatus } from './live-context';
import { AgentsPage } from './pages/agents';
import { DashboardPage } from './pages/dashboard';
import { IdePage } from './pages/ide';
import { ProjectsPage } from './pages/projects';
import { SettingsPage } from './pages/settings';
import { SignIn } from './pages/sign-in';
import { TaskPage } from './pages/task';
import { TasksPage } from './pages/tasks';
import { Link, match, useLocation } from './router';
import { Empty } from './ui';

const sections = [
  { to: '/', label: 'Dashboard' },
  { to: '/tasks', label: 'Tasks' },
  { to: '/agents', label: 'Agents' },
  { to: '/projects', label: 'Projects' },
  { to: '/settings', label: 'Settings' },
];

export function App() {
  const [health, setHealth] = useState<Health | 'down' | null>(null);
  // Which sign-in this is (0: none, null: still asking the server): a new one, a new live client.
  const [signedIn, setSignedIn] = useState<number | null>(null);

  useEffect(() => {
    api.health().then(setHealth, () => setHealth('down'));
    session.restore().then(
      (current) => setSignedIn(current ? 1 : 0),
      () => setSignedIn(0),
    );
  }, []);

  const forget = useCallback(() => {
    session.forget();
    setSignedIn(0);
  }, []);
  useEffect(() => {
    window.addEventListener(unauthorizedEvent, forget);
    return () => window.removeEventListener(unauthorizedEvent, forget);
  }, [forget]);
  // The server ends the session and clears the cookie; the page forgets it whatever the answer.
  const signOut = () => {
    api.signOut().then(forget, forget);
  };

  const healthBadge = (
    <span
      className={`health ${health === 'down' ? 'bad' : health ? 'good' : ''}`}
      data-testid="health"
    >
      {health === null ? 'checking…' : health === 'down' ? 'server unreachable' : 'healthy'}
    </span>
  );

  if (signedIn === null) return <div className="shell" aria-busy="true" />;
  if (signedIn === 0) {
    return (
      <div className="shell">
        <header className="topbar">
          <span className="brand">Cadre</span>
          {health && health !== 'down' && <span className="muted">v{health.version}</span>}
          {healthBadge}
        </header>
        <main>
          <SignIn onSignedIn={() => setSignedIn(Date.now())} />
        </main>
      </div>
    );
  }

  return (
    <LiveProvider key={signedIn}>
      <div className="shell">
        <header className="topbar">
          <span className="brand">Cadre</span>
          <Navigation />
          {healthBadge}
          <LiveBadge />
          <button className="link" onClick={signOut}>
            Sign out
          </button>
        </header>
        <main>
          <Page />
        </main>
      </div>
    </LiveProvider>
  );
}

function Navigation() {
  const { path } = useLocation();
  const isCurrent = (to: string) => (to === '/' ? path === '/' : path.startsWith(to));
  return (
    <nav className="sections">
      {sections.map((section) => (
        <Link key={section.to} to={section.to} className={isCurrent(section.to) ? 'current' : ''}>
          {section.label}
        </Link>
      ))}
    </nav>
  );
}

function LiveBadge() {
  const status = useLiveStatus();
  const label = {
    connecting: 'connecting…',
    open: 'live',
    reconnecting: 'reconnecting…',
    closed: 'offline',
  }[status];
  return (
    <span className={`live-status live-${status}`} data-testid="live-status" title="Live updates">
      {label}
    </span>
  );
}

function Page() {
  const { path, query } = useLocation();
  let params: Record<string, string> | null;
  if (path === '/') return <DashboardPage />;
  if (path === '/tasks') return <TasksPage projectId={query.get('project')} />;
  if ((params = match('/tasks/:id', path))) return <TaskPage key={params.id} taskId={params.id!} />;
  if (path === '/agents') return <AgentsPage />;
  if (path === '/projects') return <ProjectsPage />;
  if ((params = match('/projects/:id/ide', path)))
    return <IdePage key={params.id} projectId={params.id!} taskId={query.get('task')} />;
  if (path === '/settings') return <SettingsPage />;
  return (
    <Empty>
      There is no page at <code>{path}</code>. <Link to="/">Go to the dashboard</Link>.
    </Empty>
  );
}
