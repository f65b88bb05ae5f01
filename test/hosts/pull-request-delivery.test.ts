// A task of a project that delivers by pull request, through the real parts and the fake
// GitHub, GitLab and Gitea: Cadre's tests pass on the merge candidate, the tested merge is pushed to
// cadre/<id>-<slug> and a pull request opened, Cadre's base stays put, the issue hears of it.
// A review asking for changes (a signed webhook into the real app) runs a fix round whose
// result is verified, pushed to the same branch, and answered in the review's threads.
import { execFileSync } from 'node:child_process';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/index.js';
import { setProjectSecret } from '../../src/auth/index.js';
import { Config } from '../../src/config/index.js';
import { tables } from '../../src/db/index.js';
import { createLogger, createMetrics } from '../../src/observability/index.js';
import {
  createTask,
  deliverPullRequest,
  getDelivery,
  getTaskHostLink,
  saveTaskHostLink,
  storeProjectCredential,
} from '../../src/orchestrator/index.js';
import { projectLayout, pushBranch } from '../../src/workspace/index.js';
import { startFakeGitHost, type FakeGitHost } from '../fakes/git-host.js';
import {
  createOrchestra,
  oneTaskScript,
  reviewedTaskScript,
  type Orchestra,
} from '../helpers/orchestra.js';
import { waitFor } from '../helpers/wait.js';
import type { ScriptedTurn } from '../../src/testing/index.js';

const kinds = ['github', 'gitlab', 'gitea'] as const;
type Kind = (typeof kinds)[number];

// A reviewed task per host kind, then two tasks of projects in push mode.
const scripts: Record<string, ScriptedTurn[]> = {};
for (const script of [...kinds.map(reviewedTaskScript), oneTaskScript(), oneTaskScript()]) {
  for (const [role, turns] of Object.entries(script)) (scripts[role] ??= []).push(...turns);
}

let orchestra: Orchestra;
let fake: FakeGitHost;
let app: FastifyInstance;
let appOrigin: string;

beforeAll(async () => {
  [orchestra, fake] = await Promise.all([createOrchestra({ scripts }), startFakeGitHost()]);
  app = await buildApp({
    config: Config.parse({ dataDir: orchestra.dataDir }),
    database: orchestra.database,
    logger: createLogger({ level: 'silent' }),
    metrics: createMetrics(),
    version: '0.0.0-test',
    bus: orchestra.bus,
    secrets: orchestra.secrets,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  appOrigin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}, 60_000);
afterAll(async () => {
  await app?.close();
  await orchestra?.close();
  await fake?.close();
});

const git = (gitDir: string, ...args: string[]) =>
  execFileSync('git', ['--git-dir', gitDir, ...args], {
    env: { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
  })
    .toString()
    .trim();

describe.each(kinds)('delivery as a pull request on %s', (kind: Kind) => {
  it('opens a pull request with the tested work, then updates it after review feedback', async () => {
    const { database, secrets } = orchestra;
    const { db } = database;
    const repository = kind === 'gitlab' ? 'group/math-gitlab' : `acme/math-${kind}`;
    const { owner, project } = await projectOnHost(`math-${kind}`, repository, kind, {
      deliveryMode: 'pull-request',
      hostKind: kind,
      hostApiUrl: fake.apiUrl(kind),
      hostRepository: repository,
    });
    const where = { orgId: owner.orgId, projectId: owner.projectId };
    await setProjectSecret(db, secrets, { ...where, kind: 'host-token' }, fake.token);
    // The host's repository starts as Cadre's: the project's history, pushed once.
    const layout = projectLayout(orchestra.dataDir, owner.projectId);
    const remote = {
      url: fake.gitUrl(repository),
      credential: { kind: 'token' as const, token: fake.token },
    };
    await pushBranch(
      layout,
      remote,
      { source: 'refs/heads/main', branch: 'main', force: true },
      { allowHosts: ['127.0.0.1'] },
    );
    const baseBefore = git(layout.gitDir, 'rev-parse', 'refs/heads/main');

    const { issue } = await fake.openIssue(repository, {
      title: 'Add add()',
      body: 'We need add(a, b).',
    });
    const task = await createTask(db, {
      orgId: owner.orgId,
      input: {
        projectId: owner.projectId,
        title: 'Add add()',
        description: 'Add add(a, b) to src/math.js',
      },
    });
    await saveTaskHostLink(db, {
      ...where,
      taskId: task.id,
      issueNumber: issue.number,
      issueUrl: 'x',
    });

    const done = await orchestra.finished(task.id);
    expect(done.status).toBe('done');
    const delivery = await getDelivery(db, owner.orgId, task.id);
    const branch = `cadre/${task.id.slice(0, 8)}-add-add`;
    // The issue took number 1: GitHub numbers issues and pull requests in one sequence.
    expect(delivery).toMatchObject({ mode: 'pull-request', number: 2, branch, state: 'open' });
    const [pull] = fake.pulls(repository);
    expect(pull).toMatchObject({
      number: 2,
      head: branch,
      base: 'main',
      title: 'Add add()',
      state: 'open',
    });
    expect(pull!.body).toContain('Add add(a, b) to src/math.js');
    expect(pull!.body).toMatch(
      /## Tests Cadre ran\n\n`npm test` on [0-9a-f]{12}: exit code 0, passed\./,
    );
    expect(pull!.body).toContain(`(http://cadre.test/tasks/${task.id})`);
    expect(pull!.body).toContain('Added add().');
    // The host's branch holds the tested commit, with the file; Cadre's own base did not move.
    const pushed = fake.branchHead(repository, branch);
    expect(pushed).toBe(delivery!.commit);
    expect(git(fake.repository(repository).gitDir, 'show', `${pushed}:src/math.js`)).toContain(
      'a + b',
    );
    expect(git(layout.gitDir, 'rev-parse', 'refs/heads/main')).toBe(baseBefore);
    // The issue heard of the plan and of the pull request (after the commits, so wait).
    const issueComments = () => fake.repository(repository).issues[issue.number - 1]!.comments;
    await waitFor('the issue comments', () => issueComments().length >= 2);
    expect(issueComments().map((comment) => comment.body.split('\n')[1])).toEqual([
      expect.stringMatching(/^Cadre has a plan for this issue: Add add\(\) \(1 step\)/),
      `Cadre opened a pull request for this issue: ${delivery!.mode === 'pull-request' ? delivery!.url : ''}`,
    ]);

    // Run again as after a crash between the push and the pull request: nothing is doubled.
    const services = {
      secrets,
      dataDir: orchestra.dataDir,
      publicUrl: 'http://cadre.test',
      remotePolicy: { allowHosts: ['127.0.0.1'] },
    };
    const again = await deliverPullRequest(db, services, {
      project: project!,
      task: done,
      commit: delivery!.commit,
      verification: null,
    });
    expect(again).toMatchObject({ number: 2, isCreated: false, commit: delivery!.commit });
    expect(fake.pulls(repository)).toHaveLength(1);
    expect(fake.branchHead(repository, branch)).toBe(delivery!.commit);

    // A human asks for changes; the signed webhook re-opens the task into a fix round.
    const secret = 'webhook-secret-for-the-test';
    await setProjectSecret(db, secrets, { ...where, kind: 'webhook-secret' }, secret);
    fake.addHook(repository, { url: `${appOrigin}/api/hooks/${owner.projectId}/${kind}`, secret });
    const [answer] = await fake.requestChanges(repository, 2, {
      body: 'Almost',
      comments: [{ path: 'src/math.js', line: 1, body: 'Reject arguments that are not numbers' }],
    });
    expect(answer).toMatchObject({
      status: 202,
      answer: { action: 'fix-round-queued', taskId: task.id },
    });

    const fixed = await waitFor(
      'the fix round to be delivered',
      async () => {
        const [row] = await db.select().from(tables.tasks).where(eq(tables.tasks.id, task.id));
        const now = await getDelivery(db, owner.orgId, task.id);
        return row?.status === 'done' && now?.commit !== delivery!.commit ? now : null;
      },
      60_000,
    );
    const head = fake.branchHead(repository, branch)!;
    expect(head).toBe(fixed.commit);
    // A fast-forward of what the pull request had: nothing of it was lost.
    expect(
      git(
        fake.repository(repository).gitDir,
        'merge-base',
        '--is-ancestor',
        delivery!.commit,
        head,
      ),
    ).toBe('');
    expect(git(fake.repository(repository).gitDir, 'show', `${head}:src/math.js`)).toContain(
      'numbers only',
    );
    expect(fake.pulls(repository)).toHaveLength(1);
    expect(fake.pulls(repository)[0]!.body).toContain('Inputs are checked.');
    // Gitea has no replies in review threads: Cadre answers in the conversation, quoting it.
    const replyOf = () =>
      (kind === 'gitea'
        ? fake.pulls(repository)[0]!.comments
        : fake.pulls(repository)[0]!.reviewComments
      ).find((comment) => comment.author === fake.botLogin);
    const reply = await waitFor('the reply in the review thread', replyOf);
    expect(reply.body).toContain(`Addressed in ${head.slice(0, 12)}`);
    await waitFor(
      'the answered thread to be cleared',
      async () => (await getTaskHostLink(db, task.id))!.reviewThreads.length === 0,
    );
    expect(git(layout.gitDir, 'rev-parse', 'refs/heads/main')).toBe(baseBefore);

    // Someone pushes to the pull request's branch: Cadre's next push is refused, never forced.
    const hostGitDir = fake.repository(repository).gitDir;
    const tree = git(hostGitDir, 'rev-parse', `${head}^{tree}`);
    const theirs = execFileSync(
      'git',
      ['--git-dir', hostGitDir, 'commit-tree', tree, '-p', head, '-m', 'A human edit'],
      {
        env: {
          PATH: process.env.PATH,
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_AUTHOR_NAME: 'h',
          GIT_AUTHOR_EMAIL: 'h@h',
          GIT_COMMITTER_NAME: 'h',
          GIT_COMMITTER_EMAIL: 'h@h',
        },
      },
    )
      .toString()
      .trim();
    git(hostGitDir, 'update-ref', `refs/heads/${branch}`, theirs);
    const refused = await deliverPullRequest(db, services, {
      project: project!,
      task: done,
      commit: baseBefore,
      verification: null,
    }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'REMOTE_PUSH_REJECTED' });
    expect(fake.branchHead(repository, branch)).toBe(theirs);
    expect(fake.problems).toEqual([]);
  }, 120_000);
});

describe('delivery as a push', () => {
  it('merges into the base, then pushes the base to the push branch', async () => {
    const { database } = orchestra;
    const { db } = database;
    const path = 'acme/pushed';
    const { owner } = await projectOnHost('pushed', path, 'github', {
      pushBranch: 'release',
      deliveryMode: 'push',
    });
    const layout = projectLayout(orchestra.dataDir, owner.projectId);
    const remote = {
      url: fake.gitUrl(path),
      credential: { kind: 'token' as const, token: fake.token },
    };
    // The host's repository starts as Cadre's, on the branch tasks start from and the one
    // they are pushed to.
    for (const branch of ['main', 'release']) {
      await pushBranch(
        layout,
        remote,
        { source: 'refs/heads/main', branch, force: true },
        { allowHosts: ['127.0.0.1'] },
      );
    }

    const task = await createTask(db, {
      orgId: owner.orgId,
      input: { projectId: owner.projectId, description: 'Add add(a, b) to src/math.js' },
    });
    const finished = await orchestra.finished(task.id);
    expect(finished, finished.error ?? '').toMatchObject({ status: 'done' });
    const base = git(layout.gitDir, 'rev-parse', 'refs/heads/main');
    expect(await getDelivery(db, owner.orgId, task.id)).toEqual({
      mode: 'push',
      remoteUrl: fake.gitUrl(path),
      branch: 'release',
      commit: base,
    });
    expect(fake.branchHead(path, 'release')).toBe(base);
    expect(fake.pulls(path)).toEqual([]);
  }, 120_000);

  it('syncs, merges and tests again when the upstream moved during the test run', async () => {
    const { database } = orchestra;
    const { db } = database;
    const path = 'acme/raced';
    const { owner } = await projectOnHost('raced', path, 'github', {
      deliveryMode: 'push',
      // A window in which someone else pushes to the upstream.
      testCommand: 'sleep 2; node test.js',
    });
    const layout = projectLayout(orchestra.dataDir, owner.projectId);
    const remote = {
      url: fake.gitUrl(path),
      credential: { kind: 'token' as const, token: fake.token },
    };
    await pushBranch(
      layout,
      remote,
      { source: 'refs/heads/main', branch: 'main', force: true },
      { allowHosts: ['127.0.0.1'] },
    );

    const task = await createTask(db, {
      orgId: owner.orgId,
      input: { projectId: owner.projectId, description: 'Add add(a, b) to src/math.js' },
    });
    const eventTypes = async () =>
      (
        await db
          .select({ type: tables.events.type })
          .from(tables.events)
          .where(eq(tables.events.taskId, task.id))
          .orderBy(tables.events.seq)
      ).map((event) => event.type);
    // Once the merge step synced and is testing its candidate, a commit lands upstream.
    // (Events: the sync before the first step, then the merge step's before its first try.)
    await waitFor(
      'the merge step to sync the base',
      async () => (await eventTypes()).filter((type) => type === 'upstream-synced').length >= 2,
      60_000,
    );
    const hostGitDir = fake.repository(path).gitDir;
    const upstreamHead = git(hostGitDir, 'rev-parse', 'refs/heads/main');
    const env = {
      PATH: process.env.PATH,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'h',
      GIT_AUTHOR_EMAIL: 'h@h',
      GIT_COMMITTER_NAME: 'h',
      GIT_COMMITTER_EMAIL: 'h@h',
    };
    const blob = execFileSync('git', ['--git-dir', hostGitDir, 'hash-object', '-w', '--stdin'], {
      env,
      input: 'pushed by someone else\n',
    })
      .toString()
      .trim();
    const listing = `${git(hostGitDir, 'ls-tree', upstreamHead)}\n100644 blob ${blob}\tUPSTREAM.md\n`;
    const tree = execFileSync('git', ['--git-dir', hostGitDir, 'mktree'], { env, input: listing })
      .toString()
      .trim();
    const theirs = execFileSync(
      'git',
      ['--git-dir', hostGitDir, 'commit-tree', tree, '-p', upstreamHead, '-m', 'Upstream change'],
      { env },
    )
      .toString()
      .trim();
    git(hostGitDir, 'update-ref', 'refs/heads/main', theirs, upstreamHead);

    const finished = await orchestra.finished(task.id);
    expect(finished, finished.error ?? '').toMatchObject({ status: 'done' });
    const pushed = fake.branchHead(path, 'main')!;
    // Nothing of the upstream's change was lost, and the task's work is on top of it.
    expect(git(hostGitDir, 'merge-base', '--is-ancestor', theirs, pushed)).toBe('');
    expect(git(hostGitDir, 'show', `${pushed}:UPSTREAM.md`)).toBe('pushed by someone else');
    expect(git(hostGitDir, 'show', `${pushed}:src/math.js`)).toContain('a + b');
    expect(git(layout.gitDir, 'rev-parse', 'refs/heads/main')).toBe(pushed);
    const types = await eventTypes();
    expect(types.filter((type) => type === 'verification-passed').length).toBe(1);
    expect(types.filter((type) => type === 'upstream-synced').length).toBeGreaterThanOrEqual(3);
  }, 120_000);
});

/**
 * A seeded project whose upstream is a new repository `path` on the fake host (branch main,
 * the host's token as its credential), with `settings` on top.
 */
async function projectOnHost(
  name: string,
  path: string,
  kind: Kind,
  settings: Partial<typeof tables.projects.$inferInsert>,
) {
  const { db } = orchestra.database;
  const owner = await orchestra.seedProject(name);
  await fake.createRepository(path, kind);
  const [project] = await db
    .update(tables.projects)
    .set({ remoteUrl: fake.gitUrl(path), remoteBranch: 'main', ...settings })
    .where(eq(tables.projects.id, owner.projectId))
    .returning();
  await storeProjectCredential(
    db,
    orchestra.secrets,
    { orgId: owner.orgId, id: owner.projectId },
    { kind: 'token', token: fake.token },
  );
  return { owner, project: project! };
}
