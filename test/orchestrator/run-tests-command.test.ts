// The `run_tests` tool runs the command Cadre's own test run before a merge would run: the
// project's setting first, else what the step's worktree holds, detected the same way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tools } from '../../src/agents/index.js';
import { createStepHost } from '../../src/orchestrator/index.js';
import { createOrchestra, type Orchestra } from '../helpers/orchestra.js';

let orchestra: Orchestra;
let owner: { orgId: string; projectId: string };
beforeAll(async () => {
  orchestra = await createOrchestra({ scripts: {}, runsWorker: false });
  owner = await orchestra.seedProject('run-tests');
}, 60_000);
afterAll(async () => {
  await orchestra?.close();
});

/** A step's tool host on a fresh worktree of the seeded project, holding `files`. */
async function hostWith(files: Record<string, string>, testCommand: string | null = null) {
  const worktree = {
    projectId: owner.projectId,
    taskId: `t${Math.random().toString(36).slice(2, 10)}`,
  };
  await orchestra.workspaces.createTaskWorktree(worktree);
  for (const [path, content] of Object.entries(files))
    await orchestra.workspaces.writeFile(worktree, path, content);
  return createStepHost({
    db: orchestra.database.db,
    workspaces: orchestra.workspaces,
    gateway: {
      generate: () => {
        throw new Error('no model in this test');
      },
    },
    worktree,
    step: {
      id: 'step',
      orgId: owner.orgId,
      taskId: worktree.taskId,
      projectId: owner.projectId,
      role: 'tester',
    },
    hasNetwork: false,
    testCommand,
    approveNetworkCommands: false,
    roles: new Map(),
    signal: new AbortController().signal,
  });
}

describe('the test command of run_tests', () => {
  it("is the project's own setting when it has one", async () => {
    const host = await hostWith({}, 'node test.js --quick');
    expect(await host.testCommand()).toEqual(['sh', '-c', 'node test.js --quick']);
  });

  it("is the package.json test script, as the merge's test run detects it", async () => {
    expect(await (await hostWith({})).testCommand()).toEqual(['npm', 'test']);
  });

  it('is found in the files the old detection missed', async () => {
    const unreadable = { 'package.json': '{ not json' };
    expect(
      await (await hostWith({ ...unreadable, makefile: 'test:\n\ttrue\n' })).testCommand(),
    ).toEqual(['make', 'test']);
    expect(
      await (
        await hostWith({ ...unreadable, 'tests/test_add.py': 'def test_x(): pass\n' })
      ).testCommand(),
    ).toEqual(['python3', '-m', 'pytest']);
    expect(
      await (await hostWith({ ...unreadable, 'go.mod': 'module example.com/x\n' })).testCommand(),
    ).toEqual(['go', 'test', './...']);
  });

  it('is none, said with what to do, when nothing names one', async () => {
    const host = await hostWith({ 'package.json': '{"scripts": {}}' });
    expect(await host.testCommand()).toBeNull();
    const answer = await tools.run_tests.run(host, {}, { toolCallId: 'call-1' });
    expect(answer).toContain('No test command found');
    expect(answer).toContain('go.mod');
  });
});
