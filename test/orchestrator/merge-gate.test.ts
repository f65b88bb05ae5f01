// The orchestrator's own merges pass the same gate as the merge route: a step that leaves a
// symlink to a host file or a nested repository in its worktree fails the task, and neither
// the task's branch nor main ever holds it.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTask } from '../../src/orchestrator/index.js';
import {
  call,
  createOrchestra,
  finish,
  oneTaskScript,
  type Orchestra,
} from '../helpers/orchestra.js';

const { planner } = oneTaskScript();
const planted = (script: string) => [
  { toolCalls: [call('run_command', { argv: ['/bin/sh', '-c', script] })] },
  { toolCalls: [call('git_commit', { message: 'Planted' })] },
  finish('Done.'),
];

let orchestra: Orchestra;
beforeAll(async () => {
  orchestra = await createOrchestra({
    scripts: {
      planner: [...planner, ...planner],
      developer: [
        ...planted('ln -s /etc/passwd passwd && echo work > work.txt'),
        ...planted(
          'mkdir sub && cd sub && git init -q && echo x > f && git add f && git -c user.name=x -c user.email=x@x commit -qm x',
        ),
      ],
    },
  });
}, 60_000);
afterAll(() => orchestra?.close());

describe("the orchestrator's merges", () => {
  it.each([
    ['a symlink to /etc/passwd', 'the symlink "passwd" (→ /etc/passwd) leads outside'],
    ['a nested repository', 'holds a git repository of its own at sub/.git'],
  ])('fail the task when a step leaves %s, and main never holds it', async (name, reason) => {
    const owner = await orchestra.seedProject(`gate-${name.split(' ').at(-1)}`);
    const repo = join(orchestra.dataDir, 'workspaces', owner.projectId, 'repo.git');
    const git = (...args: string[]) =>
      execFileSync('git', [`--git-dir=${repo}`, ...args], { encoding: 'utf8' }).trim();
    const mainBefore = git('rev-parse', 'main');
    const task = await createTask(orchestra.database.db, {
      orgId: owner.orgId,
      input: { projectId: owner.projectId, description: 'Add add()' },
    });
    const row = await orchestra.finished(task.id);
    expect(row).toMatchObject({ status: 'failed' });
    expect(row.error).toContain(reason);
    expect(git('rev-parse', 'main')).toBe(mainBefore);
    const taskFiles = git('ls-tree', '-r', '--name-only', `cadre/task-${task.id}`).split('\n');
    expect(taskFiles).toEqual(['package.json', 'test.js']);
  });
});
