// Terminals in the real sandbox: several at once, resize, exit, ordered output, scrollback,
// ownership, the per-workspace cap, and that closing one leaves no process behind.
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTerminalManager,
  type TerminalEvent,
  type TerminalManager,
} from '../../src/sandbox/index.js';
import { createSandboxFixture, waitFor, type SandboxFixture } from './helpers.js';

let fixture: SandboxFixture;
let terminals: TerminalManager;
beforeAll(async () => {
  fixture = await createSandboxFixture();
  terminals = createTerminalManager({ sandbox: fixture.sandbox });
});
afterAll(async () => {
  terminals.closeAll();
  await fixture.close();
});

/** Opens a quiet bash and records everything it prints. */
function openShell(owner = 'org/project/task', size = { cols: 80, rows: 24 }) {
  const terminal = terminals.open({
    owner,
    workspace: fixture.worktree,
    argv: ['/bin/bash', '--norc', '--noprofile', '-i'],
    env: { PS1: '$ ' },
    ...size,
  });
  const events: TerminalEvent[] = [];
  void (async () => {
    for await (const event of terminal.events()) events.push(event);
  })();
  const text = () => events.map((event) => (event.type === 'output' ? event.data : '')).join('');
  return { terminal, events, text };
}

const run = async (shell: ReturnType<typeof openShell>, command: string, expected: RegExp) => {
  shell.terminal.write(`${command}\r`);
  await waitFor(() => expected.test(shell.text()), 10_000);
};

describe('terminals', () => {
  it('runs two sessions at once, each with its own id and its own output', async () => {
    const first = openShell();
    const second = openShell();
    expect(first.terminal.id).not.toBe(second.terminal.id);
    first.terminal.write('echo first-$((40+2))\r');
    second.terminal.write('echo second-$((50+5))\r');
    await waitFor(() => /first-42/.test(first.text()) && /second-55/.test(second.text()), 10_000);
    expect(first.text()).not.toContain('second-55');
    expect(second.text()).not.toContain('first-42');
    const listed = terminals.list('org/project/task').map((info) => info.id);
    expect(listed).toEqual(expect.arrayContaining([first.terminal.id, second.terminal.id]));
    first.terminal.close();
    second.terminal.close();
  });

  it('runs in the sandbox, in the workspace', async () => {
    const shell = openShell();
    await run(shell, 'echo "at:$(pwd):$(id -u)"', /at:\/workspace:1000/);
    shell.terminal.close();
  });

  it('resizes: the program in the terminal sees the new size', async () => {
    const shell = openShell('org/project/task', { cols: 80, rows: 24 });
    await run(shell, 'stty size', /24 80/);
    shell.terminal.resize(132, 43);
    expect(shell.terminal.info()).toMatchObject({ cols: 132, rows: 43 });
    await run(shell, 'stty size', /43 132/);
    expect(() => shell.terminal.resize(0, 10)).toThrow(/cols, rows/);
    shell.terminal.close();
  });

  it('reports the exit of the shell with its code', async () => {
    const shell = openShell();
    shell.terminal.write('exit 7\r');
    await waitFor(() => shell.events.some((event) => event.type === 'exit'), 10_000);
    expect(shell.events.at(-1)).toEqual({ type: 'exit', exitCode: 7, signal: null });
    expect(shell.terminal.info()).toMatchObject({ isRunning: false, exitCode: 7 });
  });

  it('streams output in order, numbered, and replays it to a viewer who joins late', async () => {
    const shell = openShell();
    await run(shell, 'for i in $(seq 1 500); do echo line-$i; done; echo finished', /\nfinished/);
    const numbers = [...shell.text().matchAll(/^line-(\d+)\r?$/gm)].map((match) =>
      Number(match[1]),
    );
    expect(numbers).toEqual(Array.from({ length: 500 }, (_, index) => index + 1));
    const seqs = shell.events.flatMap((event) => (event.type === 'output' ? [event.seq] : []));
    expect(seqs).toEqual(seqs.map((_, index) => index + 1));

    const late: string[] = [];
    const stop = new AbortController();
    void (async () => {
      for await (const event of shell.terminal.events(stop.signal)) {
        if (event.type === 'output') late.push(event.data);
      }
    })();
    await waitFor(() => late.join('').includes('line-500'));
    stop.abort();
    shell.terminal.close();
  });

  it('keeps terminals apart by owner: another workspace cannot reach one by id', () => {
    const shell = openShell('org/project/task-a');
    expect(() => terminals.get(shell.terminal.id, 'org/project/task-b')).toThrow(/No terminal/);
    expect(terminals.get(shell.terminal.id, 'org/project/task-a')).toBe(shell.terminal);
    shell.terminal.close();
  });

  it('limits how many terminals one workspace runs at once, and forgets exited ones', async () => {
    const few = createTerminalManager({ sandbox: fixture.sandbox, maxRunningPerOwner: 2 });
    const open = () =>
      few.open({ owner: 'org/project/busy', workspace: fixture.worktree, argv: ['/bin/cat'] });
    const first = open();
    open();
    expect(open).toThrow(/already has 2 terminals running/);
    first.close();
    await waitFor(() => !first.info().isRunning, 10_000);
    const third = open();
    expect(few.list('org/project/busy').map((info) => info.id)).not.toContain(first.id);
    expect(few.list('org/project/busy').map((info) => info.id)).toContain(third.id);
    few.closeAll();
  });

  it('kills the whole process tree of a closed terminal', async () => {
    const shell = openShell();
    await run(shell, '(sleep 4747.47 &) ; echo bg-started', /bg-started/);
    shell.terminal.close();
    await waitFor(() => !shell.terminal.info().isRunning, 10_000);
    const alive = readdirSync('/proc').filter((entry) => {
      try {
        return (
          /^\d+$/.test(entry) && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('4747.47')
        );
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  });
});
