// The web IDE of a project's task: its files, an editor and terminals. The page itself is
// loaded on demand, so that Monaco and xterm.js weigh nothing until someone opens it.
import { Component, lazy, Suspense, type ReactNode } from 'react';
import { ErrorNote, Loading } from '../ui';
import './ide.css';

const Workbench = lazy(() =>
  import('./ide/workbench').then((module) => ({ default: module.Workbench })),
);

/** The IDE page at /projects/:id/ide?task=…; the task is the newest one without `task`. */
export function IdePage({ projectId, taskId }: { projectId: string; taskId: string | null }) {
  return (
    <div className="ide">
      <LoadFailure>
        <Suspense fallback={<Loading what="the IDE" />}>
          <Workbench projectId={projectId} taskId={taskId} />
        </Suspense>
      </LoadFailure>
    </div>
  );
}

/** Shows why the IDE failed (its code could not be fetched, say); trying again reloads. */
class LoadFailure extends Component<{ children: ReactNode }, { error: Error | null }> {
  state = { error: null as Error | null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  render() {
    if (!this.state.error) return this.props.children;
    return (
      <ErrorNote
        error={`The IDE failed: ${this.state.error.message}`}
        onRetry={() => location.reload()}
      />
    );
  }
}
