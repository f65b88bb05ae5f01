// SIGKILL of a worker process in the middle of a step: another worker process resumes the
// step from its last checkpoint, and the side effect the dead worker started is not repeated.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables, type Database } from '../../src/db/index.js';
import { createTask } from '../../src/orchestrator/index.js';
import { call, createOrchestra, finish, type Orchestra } from '../helpers/orchestra.js';
import { waitFor } from '../helpers/wait.js';

const leaseMs = 3000;

/** The command lines of every process on this machine. */
function runningCommands(): string[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      } catch {
        return '';
      }
    });
}
const children: ChildProcess[] = [];

function startWorker(databaseUrl: string, dataDir: string, script: Record<string, unknown[]>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/scripted-worker.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      SCRIPT: JSON.stringify(script),
      LEASE_MS: String(leaseMs),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise<ChildProcess>((resolve, reject) => {
    child.stdout!.on(
      'data',
      (chunk: Buffer) => chunk.toString().includes('ready') && resolve(child),
    );
    child.once('exit', (code) =>
      reject(new Error(`worker exited with ${code} before it was ready`)),
    );
  });
}

// The test's own orchestra runs no steps: its model scripts are empty. It provides the
// database, the data folder and the seeded repository that the two worker processes share.
let orchestra: Orchestra;
let database: Database;
beforeAll(async () => {
  orchestra = await createOrchestra({ scripts: {}, runsWorker: false });
  database = orchestra.database;
}, 60_000);
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await orchestra?.close();
});

describe('a worker process killed mid-step', () => {
  it('has its step resumed by another process from the last checkpoint, without repeating the side effect', async () => {
    const owner = await orchestra.seedProject('crash');
    const command = ['sh', '-c', 'echo started >> side-effects.log && sleep 120'];
    const first = await startWorker(orchestra.databaseUrl, orchestra.dataDir, {
      planner: [
        finish('One step.', { steps: [{ key: 'build', role: 'developer', goal: 'Build' }] }),
      ],
      developer: [
        {
          toolCalls: [
            call('write_file', { path: 'notes.md', content: 'checkpointed before the crash\n' }),
          ],
        },
        { toolCalls: [call('run_command', { argv: command, timeoutSeconds: 300 })] },
      ],
    });
    const task = await createTask(database.db, {
      orgId: owner.orgId,
      input: { projectId: owner.projectId, description: 'Build' },
    });
    const [step] = await waitFor(
      'the developer step to run its command',
      async () => {
        const turns = await database.db
          .select()
          .from(tables.agentTurns)
          .orderBy(asc(tables.agentTurns.seq));
        return turns.some((turn) => turn.kind === 'tool-start')
          ? database.db.select().from(tables.steps).where(eq(tables.steps.key, 'step.build'))
          : null;
      },
      30_000,
    );
    const worktree = join(orchestra.dataDir, 'workspaces', owner.projectId, 'tasks', step!.id);
    await waitFor(
      'the command to have started',
      () => readFile(join(worktree, 'side-effects.log'), 'utf8').catch(() => ''),
      10_000,
    );

    first.kill('SIGKILL');
    const killedAt = Date.now();
    // Nothing of the dead worker's run survives it: no process still runs its command.
    await waitFor(
      "the dead worker's command to be gone",
      () => !runningCommands().some((line) => line.includes('side-effects.log')),
      10_000,
    );
    await startWorker(orchestra.databaseUrl, orchestra.dataDir, {
      developer: [finish('The build was interrupted; the notes are written.')],
      reviewer: [finish('Fine.', { approved: true, feedback: '' })],
      tester: [finish('Fine.', { passed: true, report: 'ok' })],
    });

    const resumed = await waitFor(
      'another worker to take the step over',
      async () => {
        const [row] = await database.db
          .select()
          .from(tables.steps)
          .where(eq(tables.steps.id, step!.id));
        return row!.attempts === 2 ? row : null;
      },
      20_000,
    );
    expect(Date.now() - killedAt).toBeLessThan(20_000);
    expect(resumed.leaseToken).toBeGreaterThan(step!.leaseToken);

    expect(await orchestra.finished(task.id)).toMatchObject({ status: 'done' });
    // The command ran once, in the dead worker; the new one was told it was interrupted.
    const log = await readFile(
      join(orchestra.dataDir, 'workspaces', owner.projectId, 'tasks', task.id, 'side-effects.log'),
      'utf8',
    );
    expect(log).toBe('started\n');
    const results = (
      await database.db
        .select()
        .from(tables.agentTurns)
        .where(eq(tables.agentTurns.stepId, step!.id))
        .orderBy(asc(tables.agentTurns.seq))
    ).map((turn) => turn.entry as { kind: string; toolName?: string; output?: unknown });
    expect(
      results.filter((entry) => entry.kind === 'tool-result' && entry.toolName === 'write_file'),
    ).toHaveLength(1);
    expect(
      JSON.stringify(
        results.find((entry) => entry.kind === 'tool-result' && entry.toolName === 'run_command'),
      ),
    ).toContain('interrupted');
  }, 120_000);
});
