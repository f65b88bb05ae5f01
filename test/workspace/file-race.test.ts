// The file API cannot be raced out of a worktree: while a sandboxed process swaps folders of
// the worktree with symlinks to a host folder and to the data folder, writes, reads and
// listings through the workspace functions change nothing outside and show nothing from it.
import { lstat, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/index.js';
import { CadreError } from '../../src/errors/index.js';
import { createSandbox } from '../../src/sandbox/index.js';
import { listFiles, readWorkspaceFile, writeWorkspaceFile } from '../../src/workspace/files.js';
import { createWorkspaces, type Workspaces } from '../../src/workspace/index.js';

let dataDir: string;
let victim: string;
let workspaces: Workspaces;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cadre-race-data-'));
  victim = await mkdtemp(join(tmpdir(), 'cadre-race-victim-'));
  await writeFile(join(victim, 'target.txt'), 'victim');
  await writeFile(join(dataDir, 'data-dir-marker'), 'data secret');
  workspaces = createWorkspaces({
    dataDir,
    sandbox: createSandbox(Config.parse({}).sandbox),
  });
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
  await rm(victim, { recursive: true, force: true });
});

/**
 * Makes folders d and e, a symlink dl to the victim folder and el to the data folder, then
 * swaps d with dl and e with el (renameat2 RENAME_EXCHANGE) as fast as it can for `seconds`.
 */
const swapLoop = (seconds: number) => `
import ctypes, os, time
os.makedirs('d', exist_ok=True)
os.makedirs('e', exist_ok=True)
open('d/target.txt', 'w').write('inside')
open('e/inside.txt', 'w').write('inside')
os.symlink(${JSON.stringify(victim)}, 'dl')
os.symlink(${JSON.stringify(dataDir)}, 'el')
libc = ctypes.CDLL(None, use_errno=True)
exchange, here, swaps = 2, -100, 0
end = time.time() + ${seconds}
while time.time() < end:
    for a, b in ((b'd', b'dl'), (b'e', b'el')):
        if libc.renameat2(here, a, here, b, exchange) != 0:
            raise OSError(ctypes.get_errno(), 'renameat2')
        swaps += 1
print('swaps', swaps)
`;

describe('the file API while the sandbox swaps folders for symlinks', () => {
  it('never touches the victim folder or lists the data folder', async () => {
    await workspaces.createRepository('p-race', { type: 'empty' });
    const task = { projectId: 'p-race', taskId: 't1' };
    const { path: root } = await workspaces.createTaskWorktree(task);
    const run = await workspaces.runInTask({
      ...task,
      argv: ['python3', '-c', swapLoop(4)],
      limits: { timeoutMs: 60_000 },
    });
    let output = '';
    const reading = (async () => {
      for await (const event of run.events) if ('data' in event) output += event.data;
    })();
    let isRunning = true;
    const finished = run.result.finally(() => {
      isRunning = false;
    });
    // Wait until the loop has made its folders and links.
    while (isRunning && !(await lstat(join(root, 'el')).catch(() => null))) {
      await new Promise((wait) => setTimeout(wait, 20));
    }

    const unexpected: unknown[] = [];
    const listed = new Set<string>();
    const read = new Set<string>();
    const listingErrors: string[] = [];
    let succeeded = 0;
    const attempt = async <T>(
      operation: () => Promise<T>,
      messages: string[] = [],
    ): Promise<T | undefined> => {
      try {
        const value = await operation();
        succeeded++;
        return value;
      } catch (error) {
        messages.push(String(error));
        if (!(error instanceof CadreError)) unexpected.push(error);
        return undefined;
      }
    };
    for (let i = 0; isRunning; i++) {
      await attempt(() => writeWorkspaceFile(root, 'd/target.txt', 'written'));
      await attempt(() => writeWorkspaceFile(root, `d/newdir${i}/f.txt`, 'new'));
      for (const path of ['d/target.txt', 'e/data-dir-marker']) {
        const content = await attempt(() => readWorkspaceFile(root, path));
        if (content !== undefined) read.add(content);
      }
      for (const path of ['e', '']) {
        const entries = await attempt(() => listFiles(root, path), listingErrors);
        for (const entry of entries ?? []) listed.add(entry.path);
      }
    }
    const result = await finished;
    await reading;
    expect(result.exitCode, output).toBe(0);
    expect(Number(/swaps (\d+)/.exec(output)?.[1])).toBeGreaterThan(1000);

    // Outside the worktree nothing changed: the file is still there, nothing was added.
    expect.soft(await readdir(victim)).toEqual(['target.txt']);
    expect.soft(await readFile(join(victim, 'target.txt'), 'utf8')).toBe('victim');
    // Nothing of the data folder was listed or read.
    const leaked = [...listed].filter(
      (path) => path.endsWith('data-dir-marker') || path.startsWith('e/workspaces'),
    );
    expect.soft(leaked).toEqual([]);
    expect.soft(listingErrors.filter((message) => message.includes('data-dir-marker'))).toEqual([]);
    expect
      .soft([...read].filter((content) => content !== 'inside' && content !== 'written'))
      .toEqual([]);
    // Every refusal was a clear error, and the API still worked between the swaps.
    expect.soft(unexpected).toEqual([]);
    expect.soft(succeeded).toBeGreaterThan(0);
  }, 120_000);
});
