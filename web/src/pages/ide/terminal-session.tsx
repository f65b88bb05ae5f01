// One xterm.js terminal: opened on the server with the size it fits to, then streamed over the
// app's one live WebSocket (output in, keystrokes and size changes out) until it is closed.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef } from 'react';
import { useLiveClient } from '../../live-context';
import { messageOf } from '../../ui';
import { ideApi, type TaskRef } from './api';

export interface TerminalTab {
  /** Stable for the tab's life; the terminal's id is only known once the server opened it. */
  key: string;
  title: string;
  terminalId: string | null;
  exitCode: number | null;
  error: string | null;
}

/** The xterm.js view of one tab: opens its terminal if new, then streams it. */
export function TerminalSession(props: {
  taskRef: TaskRef;
  tab: TerminalTab;
  isActive: boolean;
  onChange: (key: string, change: Partial<TerminalTab>) => void;
}) {
  const { taskRef, tab, isActive, onChange } = props;
  const client = useLiveClient();
  const container = useRef<HTMLDivElement>(null);
  const terminal = useRef<{ term: Terminal; fit: () => void } | null>(null);
  const isOpening = useRef(false);
  const changed = useRef(onChange);
  changed.current = onChange;

  useEffect(() => {
    const term = new Terminal({
      fontFamily: "ui-monospace, 'SF Mono', Menlo, Consolas, 'Liberation Mono', monospace",
      fontSize: 13,
      cursorBlink: true,
      scrollback: 5000,
      theme: {
        background: '#10141d',
        foreground: '#d5d9e3',
        cursor: '#8fb0ff',
        selectionBackground: '#2c3a5a',
      },
    });
    const addon = new FitAddon();
    term.loadAddon(addon);
    term.open(container.current!);
    // A hidden tab measures as nothing: fit only what is shown.
    const fit = () => {
      if (container.current?.offsetParent) addon.fit();
    };
    fit();
    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(fit);
    });
    observer.observe(container.current!);
    terminal.current = { term, fit };
    return () => {
      cancelAnimationFrame(frame);
      observer.disconnect();
      term.dispose();
      terminal.current = null;
    };
  }, []);

  // A new tab opens its terminal on the server, once, with the size it was fitted to.
  useEffect(() => {
    if (tab.terminalId || isOpening.current || !terminal.current) return;
    isOpening.current = true;
    const { cols, rows } = terminal.current.term;
    ideApi.openTerminal(taskRef, { cols, rows }).then(
      (info) => changed.current(tab.key, { terminalId: info.id }),
      (failure: unknown) => {
        const error = messageOf(failure);
        terminal.current?.term.write(`\x1b[31mCould not open a terminal: ${error}\x1b[0m\r\n`);
        changed.current(tab.key, { error });
      },
    );
  }, [taskRef, tab.key, tab.terminalId]);

  useEffect(() => {
    const shown = terminal.current;
    if (!client || !tab.terminalId || !shown) return;
    const { term } = shown;
    const subscription = client.subscribe(
      { scope: 'terminal', ...taskRef, terminalId: tab.terminalId },
      (message) => {
        if (message.type === 'terminal-output') term.write(message.data);
        else if (message.type === 'terminal-exit') {
          term.write(`\r\n\x1b[2m[exited ${message.exitCode}]\x1b[0m\r\n`);
          term.options.disableStdin = true;
          changed.current(tab.key, { exitCode: message.exitCode });
        } else if (message.type === 'error') {
          term.write(`\r\n\x1b[31m[${message.message}]\x1b[0m\r\n`);
          changed.current(tab.key, { error: message.message });
        }
      },
    );
    const input = term.onData((data) => subscription.send({ type: 'terminal-input', data }));
    const resize = term.onResize(({ cols, rows }) =>
      subscription.send({ type: 'terminal-resize', cols, rows }),
    );
    // The terminal may have been opened in a window of another size (before a reload).
    subscription.send({ type: 'terminal-resize', cols: term.cols, rows: term.rows });
    return () => {
      input.dispose();
      resize.dispose();
      subscription.unsubscribe();
    };
  }, [client, taskRef, tab.key, tab.terminalId]);

  useEffect(() => {
    if (!isActive) return;
    terminal.current?.fit();
    terminal.current?.term.focus();
  }, [isActive]);

  return (
    <div
      className="ide-xterm"
      ref={container}
      hidden={!isActive}
      role="tabpanel"
      aria-label={tab.title}
      // The shown terminal only, so that a test finds exactly one.
      data-testid={isActive ? 'terminal' : undefined}
    />
  );
}
