// The terminals of a task: a tab each, "New terminal" opens one, closing a tab ends its
// terminal. Terminals still running on the server come back as tabs after a reload.
import { useCallback, useEffect, useRef, useState } from 'react';
import { ErrorNote, Loading, messageOf } from '../../ui';
import { ideApi, type TaskRef } from './api';
import { CloseIcon, PlusIcon, TerminalIcon } from './icons';
import { TerminalSession, type TerminalTab } from './terminal-session';

/** The task's terminals as tabs, with New terminal. */
export function TerminalPanel({ taskRef }: { taskRef: TaskRef }) {
  const [tabs, setTabs] = useState<TerminalTab[] | null>(null);
  const [activeKey, setActiveKey] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [count, setCount] = useState(0);

  const load = useCallback(() => {
    setError(null);
    ideApi.terminals(taskRef).then(
      (found) => {
        // Closed terminals stay listed until another opens; only running ones are worth a tab.
        const running = found
          .filter((info) => info.isRunning)
          .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
        const restored = running.map((info, index) => ({
          key: info.id,
          title: `Terminal ${index + 1}`,
          terminalId: info.id,
          exitCode: null,
          error: null,
        }));
        setTabs(restored);
        setCount(restored.length);
        setActiveKey(restored[0]?.key ?? null);
      },
      (failure: unknown) => setError(messageOf(failure)),
    );
  }, [taskRef]);
  useEffect(load, [load]);

  const current = useRef(tabs);
  current.current = tabs;
  const change = useCallback(
    (key: string, change: Partial<TerminalTab>) => {
      const isClosed = !current.current?.some((tab) => tab.key === key);
      // Opened after its tab was closed: end it rather than leave it running unseen.
      if (isClosed && change.terminalId)
        ideApi.closeTerminal(taskRef, change.terminalId).catch(() => undefined);
      setTabs(
        (list) => list?.map((tab) => (tab.key === key ? { ...tab, ...change } : tab)) ?? null,
      );
    },
    [taskRef],
  );

  const create = () => {
    const number = count + 1;
    const key = `new-${number}-${Date.now()}`;
    setCount(number);
    setTabs((list) => [
      ...(list ?? []),
      { key, title: `Terminal ${number}`, terminalId: null, exitCode: null, error: null },
    ]);
    setActiveKey(key);
  };

  const close = (closed: TerminalTab) => {
    if (closed.terminalId && closed.exitCode === null && !closed.error) {
      // The tab goes at once; a terminal that is already gone on the server is no failure.
      ideApi.closeTerminal(taskRef, closed.terminalId).catch(() => undefined);
    }
    const list = tabs ?? [];
    const index = list.findIndex((tab) => tab.key === closed.key);
    const remaining = list.filter((tab) => tab.key !== closed.key);
    setTabs(remaining);
    if (activeKey === closed.key)
      setActiveKey((remaining[index] ?? remaining[index - 1])?.key ?? null);
  };

  return (
    <section className="ide-terminals" aria-label="Terminals">
      <div className="ide-tabbar">
        <div className="ide-tabs" role="tablist" aria-label="Terminals">
          {tabs?.map((tab) => (
            <div key={tab.key} className={`ide-tab${tab.key === activeKey ? ' is-active' : ''}`}>
              <button
                role="tab"
                aria-selected={tab.key === activeKey}
                onClick={() => setActiveKey(tab.key)}
              >
                <TerminalIcon />
                {tab.title}
                {tab.exitCode !== null && <span className="ide-tab-note">exited</span>}
              </button>
              <button
                className="ide-icon-button"
                aria-label={`Close ${tab.title}`}
                title="Close and end this terminal"
                onClick={() => close(tab)}
              >
                <CloseIcon />
              </button>
            </div>
          ))}
        </div>
        <div className="ide-toolbar">
          <button className="ide-new-terminal" onClick={create} disabled={tabs === null}>
            <PlusIcon />
            New terminal
          </button>
        </div>
      </div>
      <div className="ide-terminal-body">
        {error && <ErrorNote error={`Could not list the terminals: ${error}`} onRetry={load} />}
        {!error && tabs === null && <Loading what="terminals" />}
        {tabs?.length === 0 && (
          <p className="ide-hint">
            No terminal open. <strong>New terminal</strong> opens a shell in this task's worktree.
          </p>
        )}
        {tabs?.map((tab) => (
          <TerminalSession
            key={tab.key}
            taskRef={taskRef}
            tab={tab}
            isActive={tab.key === activeKey}
            onChange={change}
          />
        ))}
      </div>
    </section>
  );
}
