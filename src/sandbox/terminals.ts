// Interactive terminal sessions: PTYs in the sandbox, several per workspace, each with an id,
// a size, a bounded scrollback and any number of viewers. A session never outlives close().
import { randomUUID } from 'node:crypto';
import { CadreError } from '../errors/index.js';
import { createAsyncQueue } from './async-queue.js';
import type { PtyExit, PtyOptions, PtyProcess, Sandbox } from './types.js';

/** What a terminal's viewers receive: output in order (numbered), then its exit. */
export type TerminalEvent =
  | { type: 'output'; seq: number; data: string }
  | { type: 'exit'; exitCode: number; signal: number | null };

/** A terminal as listed. */
export interface TerminalInfo {
  id: string;
  /** What the terminal belongs to (e.g. "<orgId>/<projectId>/<taskId>"). */
  owner: string;
  cols: number;
  rows: number;
  createdAt: Date;
  exitCode: number | null;
  isRunning: boolean;
}

/** One live terminal. */
export interface Terminal {
  readonly id: string;
  info(): TerminalInfo;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  /** The scrollback, then everything new until the terminal exits or `signal` aborts. */
  events(signal?: AbortSignal): AsyncIterable<TerminalEvent>;
  close(): void;
}

/** What a terminal was opened with, handed back when it exits (for accounting). */
export interface TerminalOpenOptions extends PtyOptions {
  owner: string;
  /** Anything the caller wants back in onExit (e.g. the organization and task ids). */
  labels?: Readonly<Record<string, string>>;
}

/** The terminals of this process. */
export interface TerminalManager {
  open(options: TerminalOpenOptions): Terminal;
  get(id: string, owner: string): Terminal;
  list(owner: string): TerminalInfo[];
  closeAll(): void;
}

export interface TerminalManagerOptions {
  sandbox: Sandbox;
  /** Characters of output kept for viewers who join late. */
  scrollbackChars?: number;
  /** Terminals one owner may have running at once. */
  maxRunningPerOwner?: number;
  /** Called when a terminal's process ends, with what it used. */
  onExit?: (
    terminal: TerminalInfo & { argv: readonly string[]; labels: Readonly<Record<string, string>> },
    exit: PtyExit,
  ) => void;
  randomId?: () => string;
  now?: () => Date;
}

/** Creates an empty set of terminals over `sandbox`. */
export function createTerminalManager(options: TerminalManagerOptions): TerminalManager {
  const {
    sandbox,
    scrollbackChars = 256 * 1024,
    maxRunningPerOwner = 8,
    randomId = randomUUID,
    now = () => new Date(),
  } = options;
  const terminals = new Map<string, { owner: string; terminal: Terminal }>();
  return {
    open: ({ owner, labels = {}, ...ptyOptions }) => {
      // Exited terminals of this owner are forgotten when it opens a new one.
      const mine = [...terminals.entries()].filter(([, item]) => item.owner === owner);
      for (const [id, item] of mine) if (!item.terminal.info().isRunning) terminals.delete(id);
      const running = mine.filter(([, item]) => item.terminal.info().isRunning).length;
      if (running >= maxRunningPerOwner) {
        throw new CadreError(
          'CONFLICT',
          `This workspace already has ${running} terminals running; close one before opening another.`,
          { details: { limit: maxRunningPerOwner } },
        );
      }
      const id = randomId();
      const process = sandbox.openPty(ptyOptions);
      const terminal = createTerminal({
        id,
        owner,
        process,
        scrollbackChars,
        createdAt: now(),
        cols: ptyOptions.cols ?? 80,
        rows: ptyOptions.rows ?? 24,
      });
      const argv = ptyOptions.argv ?? ['/bin/bash', '-i'];
      process.onExit((exit) => options.onExit?.({ ...terminal.info(), argv, labels }, exit));
      terminals.set(id, { owner, terminal });
      return terminal;
    },
    get: (id, owner) => {
      const found = terminals.get(id);
      if (!found || found.owner !== owner) {
        throw new CadreError('NOT_FOUND', `No terminal with id ${id} in this workspace.`, {
          details: { kind: 'terminal', id },
        });
      }
      return found.terminal;
    },
    list: (owner) =>
      [...terminals.values()]
        .filter((item) => item.owner === owner)
        .map((item) => item.terminal.info()),
    closeAll: () => {
      for (const { terminal } of terminals.values()) terminal.close();
      terminals.clear();
    },
  };
}

interface CreateTerminalOptions {
  id: string;
  owner: string;
  process: PtyProcess;
  scrollbackChars: number;
  createdAt: Date;
  cols: number;
  rows: number;
}

function createTerminal(options: CreateTerminalOptions): Terminal {
  const { id, owner, process, createdAt } = options;
  const scrollback: TerminalEvent[] = [];
  let scrollbackSize = 0;
  let seq = 0;
  let size = { cols: options.cols, rows: options.rows };
  let exit: Extract<TerminalEvent, { type: 'exit' }> | null = null;
  const viewers = new Set<(event: TerminalEvent) => void>();
  const publish = (event: TerminalEvent) => {
    for (const viewer of viewers) viewer(event);
  };
  process.onData((data) => {
    const event: TerminalEvent = { type: 'output', seq: (seq += 1), data };
    scrollback.push(event);
    scrollbackSize += data.length;
    while (scrollbackSize > options.scrollbackChars && scrollback.length > 1) {
      const dropped = scrollback.shift() as { data: string };
      scrollbackSize -= dropped.data.length;
    }
    publish(event);
  });
  process.onExit(({ exitCode, signal }) => {
    exit = { type: 'exit', exitCode, signal };
    publish(exit);
  });
  return {
    id,
    info: () => ({
      id,
      owner,
      ...size,
      createdAt,
      exitCode: exit?.exitCode ?? null,
      isRunning: exit === null,
    }),
    write: (data) => {
      if (exit === null) process.write(data);
    },
    resize: (cols, rows) => {
      if (
        !Number.isInteger(cols) ||
        !Number.isInteger(rows) ||
        cols < 1 ||
        rows < 1 ||
        cols > 1000 ||
        rows > 1000
      ) {
        throw new CadreError(
          'VALIDATION_FAILED',
          `cols, rows: expected whole numbers from 1 to 1000, got ${cols}x${rows}.`,
        );
      }
      size = { cols, rows };
      if (exit === null) process.resize(cols, rows);
    },
    events: (signal) => {
      const queue = createAsyncQueue<TerminalEvent>();
      for (const event of scrollback) queue.push(event);
      if (exit) {
        queue.push(exit);
        queue.end();
        return queue;
      }
      const viewer = (event: TerminalEvent) => {
        queue.push(event);
        if (event.type === 'exit') stop();
      };
      const stop = () => {
        viewers.delete(viewer);
        queue.end();
      };
      viewers.add(viewer);
      signal?.addEventListener('abort', stop, { once: true });
      return queue;
    },
    close: () => process.kill(),
  };
}
