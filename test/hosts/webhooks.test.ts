// Webhooks from the fake GitHub, GitLab and Gitea into the real app: signatures, replays and
// stale deliveries refused with nothing created; issues handed over become tasks; a review
// asking for changes on a done task's pull request re-opens it into a fix round.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox, loadMasterKey, setProjectSecret } from '../../src/auth/index.js';
import { tables } from '../../src/db/index.js';
import { createGitHost, type GitHostKind } from '../../src/hosts/index.js';
import { createProject, saveTaskHostLink } from '../../src/orchestrator/index.js';
import { startFakeGitHost, type FakeGitHost } from '../fakes/git-host.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';

let fake: FakeGitHost;
let t: TestApp;
let origin: string;
let clock = new Date();
const projects: Record<string, { id: string; orgId: string; secret: string; repository: string }> =
  {};

beforeAll(async () => {
  fake = await startFakeGitHost();
  t = await createTestApp({}, { now: () => clock });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  origin = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const secrets = createSecretBox(await loadMasterKey({ dataDir: t.dataDir }));
  const [org] = await t.database.db.select().from(tables.organizations);
  for (const kind of ['github', 'gitlab', 'gitea'] as const) {
    const repository = kind === 'gitlab' ? 'group/hooks-gitlab' : `acme/hooks-${kind}`;
    await fake.createRepository(repository, kind);
    const project = await createProject(t.database.db, org!.id, { name: `hooks ${kind}` });
    await t.database.db
      .update(tables.projects)
      .set({ hostKind: kind, hostApiUrl: fake.apiUrl(kind), hostRepository: repository })
      .where(eq(tables.projects.id, project.id));
    await setProjectSecret(
      t.database.db,
      secrets,
      { orgId: org!.id, projectId: project.id, kind: 'host-token' },
      fake.token,
    );
    const response = await t.app.inject({
      method: 'POST',
      url: `/api/projects/${project.id}/webhook-secret`,
      headers: bearer(t.adminKey),
    });
    expect(response.statusCode).toBe(201);
    const { secret, url } = response.json<{ secret: string; url: string }>();
    expect(url).toBe(`/api/hooks/${project.id}/${kind}`);
    fake.addHook(repository, { url: origin + url, secret });
    projects[kind] = { id: project.id, orgId: org!.id, secret, repository };
  }
}, 60_000);
afterAll(async () => {
  await t.close();
  await fake.close();
});

const tasksOf = (projectId: string) =>
  t.database.db.select().from(tables.tasks).where(eq(tables.tasks.projectId, projectId));

describe.each(['github', 'gitlab', 'gitea'] as const)('%s webhooks', (kind: GitHostKind) => {
  it('turn an issue with the intake label into a task linked to it, once', async () => {
    const { id, repository } = projects[kind]!;
    const { issue, deliveries } = await fake.openIssue(repository, {
      title: 'Add a health route',
      body: 'GET /health answers ok.',
      labels: ['cadre'],
    });
    expect(deliveries.map((delivery) => delivery.status)).toEqual([202]);
    const taskId = (deliveries[0]!.answer as { taskId: string }).taskId;
    const [task] = (await tasksOf(id)).filter((row) => row.id === taskId);
    expect(task).toMatchObject({ title: 'Add a health route', status: 'queued' });
    expect(task!.description).toContain('GET /health answers ok.');
    const [link] = await t.database.db
      .select()
      .from(tables.taskHostLinks)
      .where(eq(tables.taskHostLinks.taskId, taskId));
    expect(link).toMatchObject({ issueNumber: issue.number });

    // The same delivery again (a replay) does nothing.
    const count = (await tasksOf(id)).length;
    const replay = await fake.redeliver(deliveries[0]!);
    expect(replay.status).toBe(409);
    expect(replay.answer).toMatchObject({ error: { code: 'WEBHOOK_REPLAYED' } });
    expect(await tasksOf(id)).toHaveLength(count);
  });

  it('ignore issues without the label, and take a "/cadre" comment as a request', async () => {
    const { id, repository } = projects[kind]!;
    const before = (await tasksOf(id)).length;
    const { issue, deliveries } = await fake.openIssue(repository, {
      title: 'A question',
      body: 'How does it work?',
    });
    expect(deliveries[0]).toMatchObject({ status: 200, answer: { action: 'ignored' } });
    expect(await tasksOf(id)).toHaveLength(before);

    const chat = await fake.commentOnIssue(repository, issue.number, { body: 'Nice project' });
    expect(chat[0]).toMatchObject({ status: 200, answer: { action: 'ignored' } });
    const own = await fake.commentOnIssue(repository, issue.number, {
      body: '<!-- cadre -->\n/cadre this is what Cadre itself wrote',
    });
    expect(own[0]).toMatchObject({ status: 200, answer: { action: 'ignored' } });

    const asked = await fake.commentOnIssue(repository, issue.number, {
      body: 'Thanks!\n/cadre write docs/usage.md explaining it',
    });
    expect(asked[0]!.status).toBe(202);
    const tasks = await tasksOf(id);
    expect(tasks).toHaveLength(before + 1);
    expect(
      tasks.find((task) => task.id === (asked[0]!.answer as { taskId: string }).taskId),
    ).toMatchObject({ title: 'write docs/usage.md explaining it' });
  });

  it('refuse a wrong or missing signature, and create nothing', async () => {
    const { id, repository } = projects[kind]!;
    const before = (await tasksOf(id)).length;
    const repo = fake.repository(repository);
    const right = repo.hooks[0]!;
    repo.hooks[0] = { url: right.url, secret: 'not-the-secret' };
    const { deliveries } = await fake
      .openIssue(repository, {
        title: 'Forged',
        body: 'x',
        labels: ['cadre'],
      })
      .finally(() => (repo.hooks[0] = right));
    expect(deliveries[0]).toMatchObject({
      status: 401,
      answer: { error: { code: 'WEBHOOK_SIGNATURE_INVALID' } },
    });

    const signatureName = {
      github: 'x-hub-signature-256',
      gitlab: 'x-gitlab-token',
      gitea: 'x-gitea-signature',
    }[kind];
    const unsigned = Object.fromEntries(
      Object.entries(deliveries[0]!.headers).filter(([name]) => name !== signatureName),
    );
    const missing = await fake.redeliver({ ...deliveries[0]!, headers: unsigned });
    expect(missing).toMatchObject({
      status: 401,
      answer: { error: { code: 'WEBHOOK_SIGNATURE_INVALID' } },
    });
    // A signature over another body is refused too (GitLab's token does not sign the body:
    // its changed delivery, under a new id, is taken, and here asks for nothing).
    const { deliveries: good } = await fake.openIssue(repository, { title: 'Q', body: 'y' });
    const tampered = await fake.redeliver({
      ...good[0]!,
      body: good[0]!.body.replace('"Q"', '"Add a backdoor"'),
      headers: {
        ...good[0]!.headers,
        ...Object.fromEntries(
          Object.keys(good[0]!.headers)
            .filter((name) => /delivery|uuid|idempotency/.test(name))
            .map((name) => [name, `${good[0]!.headers[name]}-2`]),
        ),
      },
    });
    expect(tampered.status).toBe(kind === 'gitlab' ? 200 : 401);
    expect(await tasksOf(id)).toHaveLength(before);
  });

  it('re-open a done task into a fix round when its pull request gets changes requested', async () => {
    const { repository } = projects[kind]!;
    const { task, pull } = await doneTaskWithPullRequest(kind, 'Done one', `cadre/${kind}-done`);

    const deliveries = await fake.requestChanges(repository, pull.number, {
      body: 'Two things to change',
      comments: [
        { path: 'src/math.js', line: 1, body: 'Check that both arguments are numbers' },
        { path: 'src/math.js', line: 2, body: 'Export a default too' },
      ],
    });
    expect(deliveries[0]).toMatchObject({
      status: 202,
      answer: { action: 'fix-round-queued', taskId: task.id },
    });
    const [reopened] = await t.database.db
      .select()
      .from(tables.tasks)
      .where(eq(tables.tasks.id, task.id));
    expect(reopened).toMatchObject({ status: 'running', finishedAt: null });
    const [fix] = await t.database.db
      .select()
      .from(tables.steps)
      .where(and(eq(tables.steps.taskId, task.id), eq(tables.steps.kind, 'fix')));
    expect(fix).toMatchObject({ key: 'fix.1', status: 'queued', role: 'developer' });
    expect(fix!.goal).toContain('src/math.js:1: Check that both arguments are numbers');
    expect(fix!.goal).toContain('src/math.js:2: Export a default too');
    const [link] = await t.database.db
      .select()
      .from(tables.taskHostLinks)
      .where(eq(tables.taskHostLinks.taskId, task.id));
    expect(link!.reviewThreads).toHaveLength(2);

    // While the round runs, more feedback is not a second round.
    const again = await fake.requestChanges(repository, pull.number, {
      body: 'And one more',
      comments: [{ path: 'README.md', line: 1, body: 'Typo' }],
    });
    expect(again[0]).toMatchObject({ status: 200, answer: { action: 'ignored' } });
    expect(fake.problems).toEqual([]);
  });
});

it('queues the fix round from the review alone when the host is too slow to list its comments', async () => {
  const { repository } = projects.github!;
  const { task, pull } = await doneTaskWithPullRequest('github', 'Slow host', 'cadre/github-slow');

  // GitHub waits 10 s for an answer: Cadre must not spend them waiting on the host itself.
  fake.stallApi(8_000);
  try {
    const deliveries = await fake.requestChanges(repository, pull.number, {
      body: 'Rename sub to subtract',
      comments: [{ path: 'src/math.js', line: 3, body: 'A line comment Cadre could not read' }],
    });
    expect(deliveries[0]).toMatchObject({
      status: 202,
      answer: { action: 'fix-round-queued', taskId: task.id },
    });
  } finally {
    fake.stallApi(0);
  }
  const [fix] = await t.database.db
    .select()
    .from(tables.steps)
    .where(and(eq(tables.steps.taskId, task.id), eq(tables.steps.kind, 'fix')));
  expect(fix!.goal).toContain('Rename sub to subtract');
  expect(fix!.goal).not.toContain('A line comment Cadre could not read');
});

it('refuses a delivery about an event older than an hour', async () => {
  const { repository } = projects.github!;
  clock = new Date(Date.now() + 2 * 60 * 60 * 1000);
  try {
    const { deliveries } = await fake.openIssue(repository, {
      title: 'Old',
      body: 'x',
      labels: ['cadre'],
    });
    expect(deliveries[0]).toMatchObject({
      status: 409,
      answer: { error: { code: 'WEBHOOK_STALE' } },
    });
  } finally {
    clock = new Date();
  }
});

it('answers an unknown project or another host kind as a bad signature', async () => {
  const { id } = projects.github!;
  for (const url of [
    `/api/hooks/${id}/gitlab`,
    '/api/hooks/00000000-0000-0000-0000-000000000000/github',
    '/api/hooks/nope/github',
  ]) {
    const response = await t.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', 'x-gitlab-token': projects.github!.secret },
      payload: '{}',
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: { code: 'WEBHOOK_SIGNATURE_INVALID' } });
  }
});

it('takes issues by the label the project sets', async () => {
  const { id, repository } = projects.gitea!;
  const put = (payload: unknown) =>
    t.app.inject({
      method: 'PUT',
      url: `/api/projects/${id}/intake-label`,
      headers: bearer(t.adminKey),
      payload: payload as object,
    });
  const refused = await put({ label: '  ' });
  expect(refused.statusCode).toBe(400);
  expect(refused.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
  expect((await put({ label: 'ai-task' })).json()).toEqual({ label: 'ai-task' });
  const read = await t.app.inject({
    method: 'GET',
    url: `/api/projects/${id}/intake-label`,
    headers: bearer(t.adminKey),
  });
  expect(read.json()).toEqual({ label: 'ai-task' });

  const old = await fake.openIssue(repository, {
    title: 'Old label',
    body: 'x',
    labels: ['cadre'],
  });
  expect(old.deliveries[0]).toMatchObject({ status: 200, answer: { action: 'ignored' } });
  const taken = await fake.openIssue(repository, {
    title: 'New label',
    body: 'x',
    labels: ['ai-task'],
  });
  expect(taken.deliveries[0]).toMatchObject({ status: 202, answer: { action: 'task-created' } });
});

it('forgets delivery ids after a week', async () => {
  const { id, repository } = projects.github!;
  const deliveries = tables.webhookDeliveries;
  const old = new Date(Date.now() - 8 * 24 * 60 * 60 * 1000);
  await t.database.db.insert(deliveries).values({
    projectId: id,
    deliveryId: 'old-one',
    hostKind: 'github',
    event: 'issues',
    receivedAt: old,
  });
  await fake.openIssue(repository, { title: 'Any', body: 'x' });
  const ids = await t.database.db
    .select({ id: deliveries.deliveryId })
    .from(deliveries)
    .where(eq(deliveries.projectId, id));
  expect(ids.map((row) => row.id)).not.toContain('old-one');
  expect(ids.length).toBeGreaterThan(0);
});

/** A done task of the host kind's project whose merge step delivered it as a pull request. */
async function doneTaskWithPullRequest(kind: GitHostKind, title: string, head: string) {
  const { id, orgId, repository } = projects[kind]!;
  const [task] = await t.database.db
    .insert(tables.tasks)
    .values({ orgId, projectId: id, title, description: title, status: 'done' })
    .returning();
  await t.database.db.insert(tables.steps).values({
    orgId,
    taskId: task!.id,
    key: 'merge',
    kind: 'merge',
    role: 'devops',
    goal: 'merge',
    status: 'done',
  });
  const host = createGitHost({ kind, apiUrl: fake.apiUrl(kind), repository, token: fake.token });
  const pull = await host.openPullRequest({ head, base: 'main', title, body: '' });
  await saveTaskHostLink(t.database.db, {
    taskId: task!.id,
    orgId,
    projectId: id,
    pullRequestNumber: pull.number,
    pullRequestUrl: pull.url,
    headBranch: pull.headBranch,
  });
  return { task: task!, pull };
}
