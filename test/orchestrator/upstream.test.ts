// A project with an upstream on a real git server that demands a token: a task starts from
// the newest upstream, its merge is made (and tested) against the upstream as it is at merge
// time, and an upstream change that conflicts with the task sends it back to the developer
// naming the file, with the conflict brought onto the task's branch to resolve.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import {
  createTask,
  decideApproval,
  listApprovals,
  storeProjectCredential,
} from '../../src/orchestrator/index.js';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.js';
import {
  call,
  createOrchestra,
  finish,
  oneTaskScript,
  type Orchestra,
} from '../helpers/orchestra.js';
import { waitFor } from '../helpers/wait.js';

const token = 'ghp_upstreamTaskToken42';
const script = oneTaskScript();
let orchestra: Orchestra;
let server: GitHttpServer;
let scratch: string;
let author: string;

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'upstream',
      GIT_AUTHOR_EMAIL: 'u@u',
      GIT_COMMITTER_NAME: 'upstream',
      GIT_COMMITTER_EMAIL: 'u@u',
    },
  }).trim();

/** Commits a file upstream, as someone else working on the repository does. */
async function pushUpstream(repository: string, file: string, content: string) {
  const clone = join(author, repository);
  git(clone, 'pull', '-q', '--ff-only', 'origin', 'main');
  await mkdir(join(clone, file, '..'), { recursive: true });
  await writeFile(join(clone, file), content);
  git(clone, 'add', '.');
  git(clone, 'commit', '-q', '-m', `upstream: ${file}`);
  git(clone, 'push', '-q', 'origin', 'HEAD:main');
  return git(clone, 'rev-parse', 'HEAD');
}

/** A served repository holding the seeded Node project, and a project cloned from it. */
async function upstreamProject(name: string) {
  const clone = join(author, name);
  await mkdir(clone, { recursive: true });
  git(clone, 'init', '-q', '-b', 'main');
  await writeFile(
    join(clone, 'package.json'),
    JSON.stringify({ name, scripts: { test: 'node test.js' } }),
  );
  await writeFile(
    join(clone, 'test.js'),
    "const { existsSync } = require('node:fs');\nif (!existsSync('./src/math.js')) process.exit(0);\nconst { add } = require('./src/math.js');\nif (add(2, 3) !== 5) { console.error('add is wrong'); process.exit(1); }\nconsole.log('1 passed');\n",
  );
  git(clone, 'add', '.');
  git(clone, 'commit', '-q', '-m', 'Start');
  git(join(scratch, 'served'), 'clone', '-q', '--bare', clone, `${name}.git`);
  git(clone, 'remote', 'add', 'origin', join(scratch, 'served', `${name}.git`));
  git(clone, 'fetch', '-q', 'origin');
  git(clone, 'branch', '-q', '--set-upstream-to=origin/main', 'main');
  const owner = await orchestra.seedUpstreamProject(name, `${server.origin}/${name}.git`, token);
  await orchestra.database.db
    .update(tables.projects)
    .set({ approveBeforeMerge: true })
    .where(eq(tables.projects.id, owner.projectId));
  const repo = join(orchestra.dataDir, 'workspaces', owner.projectId, 'repo.git');
  const cadreGit = (...args: string[]) =>
    execFileSync('git', ['--git-dir', repo, ...args], { encoding: 'utf8' }).trim();
  return { ...owner, cadreGit };
}

/** Waits for the task's next merge approval; the merge step runs once it is approved. */
async function mergeApproval(orgId: string, taskId: string) {
  const db = orchestra.database.db;
  const approval = await waitFor(
    'a merge approval',
    async () =>
      (await listApprovals(db, orgId, { status: 'pending' })).find(
        (row) => row.taskId === taskId && row.kind === 'merge',
      ),
    60_000,
  );
  return () =>
    decideApproval(db, () => undefined, orgId, approval.id, { isApproved: true, decidedBy: 'ops' });
}

const eventsOf = (taskId: string) =>
  orchestra.database.db
    .select()
    .from(tables.events)
    .where(eq(tables.events.taskId, taskId))
    .orderBy(asc(tables.events.seq));

const resolved = 'exports.add = (a, b) => a + b; // resolved\n';

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'cadre-upstream-'));
  author = join(scratch, 'author');
  await mkdir(join(scratch, 'served'), { recursive: true });
  server = await startGitHttpServer(join(scratch, 'served'), { auth: { password: token } });
  orchestra = await createOrchestra({
    scripts: {
      planner: [...script.planner, ...script.planner],
      developer: [
        ...script.developer,
        ...script.developer,
        // The fix round after the conflict: resolve the markers.
        { toolCalls: [call('write_file', { path: 'src/math.js', content: resolved })] },
        { toolCalls: [call('git_commit', { message: 'Resolve the conflict with upstream' })] },
        finish('Resolved.'),
      ],
      reviewer: [...script.reviewer, ...script.reviewer, ...script.reviewer],
      tester: [...script.tester, ...script.tester, ...script.tester],
    },
  });
}, 60_000);
afterAll(async () => {
  await orchestra?.close();
  await server?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('a project with an upstream', () => {
  it('starts from the newest upstream, and merges against the upstream as it is at merge time', async () => {
    const owner = await upstreamProject('moving');
    const early = await pushUpstream('moving', 'EARLY.md', 'before the task\n');
    const task = await createTask(orchestra.database.db, {
      orgId: owner.orgId,
      input: { projectId: owner.projectId, description: 'Add add()' },
    });
    const approve = await mergeApproval(owner.orgId, task.id);
    // The gates passed on the old upstream; it moves before the merge: the merge step fetches.
    const late = await pushUpstream('moving', 'LATE.md', 'while the task ran\n');
    await approve();
    const row = await orchestra.finished(task.id);
    expect(row).toMatchObject({ status: 'done' });
    const { cadreGit } = owner;
    const files = cadreGit('ls-tree', '-r', '--name-only', 'main').split('\n');
    expect(files).toEqual(['EARLY.md', 'LATE.md', 'package.json', 'src/math.js', 'test.js']);
    // The task branched from the upstream with EARLY.md, and main holds both upstream commits.
    expect(cadreGit('merge-base', '--is-ancestor', early, `cadre/task-${task.id}`)).toBe('');
    expect(cadreGit('merge-base', '--is-ancestor', late, 'main')).toBe('');
    const synced = (await eventsOf(task.id)).filter((event) => event.type === 'upstream-synced');
    expect(synced.length).toBeGreaterThanOrEqual(2);
    expect(synced.at(-1)!.data).toMatchObject({ upstream: late, baseBranch: 'main' });
    // The test run verified the merge with LATE.md in it, not the tree tested before.
    const passed = (await eventsOf(task.id)).filter(
      (event) => event.type === 'verification-passed',
    );
    const tested = (passed.at(-1)!.data as { commit: string }).commit;
    expect(cadreGit('cat-file', '-e', `${tested}:LATE.md`)).toBe('');
  });

  it('sends a task that conflicts with a new upstream change back to the developer, naming the file', async () => {
    const owner = await upstreamProject('conflicting');
    const task = await createTask(orchestra.database.db, {
      orgId: owner.orgId,
      input: { projectId: owner.projectId, description: 'Add add()' },
    });
    const approve = await mergeApproval(owner.orgId, task.id);
    await pushUpstream(
      'conflicting',
      'src/math.js',
      'exports.add = (a, b) => b + a; // upstream\n',
    );
    await approve();
    const fix = await waitFor(
      'the fix round',
      async () => {
        const steps = await orchestra.database.db
          .select()
          .from(tables.steps)
          .where(eq(tables.steps.taskId, task.id));
        return steps.find((step) => step.key === 'fix.1');
      },
      60_000,
    );
    expect(fix).toMatchObject({ role: 'developer', kind: 'fix' });
    expect(fix.goal).toContain('src/math.js');
    expect(fix.goal).toContain('conflict');
    const conflicted = (await eventsOf(task.id)).find((event) => event.type === 'merge-conflicted');
    expect(conflicted?.data).toMatchObject({ paths: ['src/math.js'] });

    await (
      await mergeApproval(owner.orgId, task.id)
    )();
    const row = await orchestra.finished(task.id);
    expect(row).toMatchObject({ status: 'done' });
    expect(owner.cadreGit('show', 'main:src/math.js')).toBe(resolved.trim());
  });

  it('fails the task with a clear error when the upstream refuses the credential', async () => {
    const owner = await upstreamProject('revoked');
    await storeProjectCredential(
      orchestra.database.db,
      orchestra.secrets,
      { orgId: owner.orgId, id: owner.projectId },
      { kind: 'token', token: 'revoked-token' },
    );
    const task = await createTask(orchestra.database.db, {
      orgId: owner.orgId,
      input: { projectId: owner.projectId, description: 'Add add()' },
    });
    const row = await orchestra.finished(task.id);
    expect(row).toMatchObject({ status: 'failed' });
    expect(row.error).toContain('refused the credential');
    expect(row.error).not.toContain('revoked-token');
  });
});
