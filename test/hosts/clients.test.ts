// The GitHub, GitLab and Gitea clients against the fake host, which checks GitHub's request
// and answer bodies against GitHub's published OpenAPI description.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CadreError } from '../../src/errors/index.js';
import { createGitHost, type GitHostKind } from '../../src/hosts/index.js';
import { startFakeGitHost, type FakeGitHost } from '../fakes/git-host.js';

let fake: FakeGitHost;
beforeAll(async () => {
  fake = await startFakeGitHost();
  for (const kind of ['github', 'gitlab', 'gitea'] as const) {
    await fake.createRepository(
      kind === 'gitlab' ? `group/sub/${kind}-app` : `acme/${kind}-app`,
      kind,
    );
  }
});
afterAll(() => fake.close());

const repositoryOf = (kind: GitHostKind) =>
  kind === 'gitlab' ? `group/sub/${kind}-app` : `acme/${kind}-app`;
const client = (kind: GitHostKind, token = fake.token) =>
  createGitHost({ kind, apiUrl: fake.apiUrl(kind), repository: repositoryOf(kind), token });

describe.each(['github', 'gitlab', 'gitea'] as const)('the %s client', (kind) => {
  it('opens a pull request once, and updates it when asked to open it again', async () => {
    const host = client(kind);
    const input = { head: 'cadre/1-add', base: 'main', title: 'Add add()', body: 'First body' };
    const first = await host.openPullRequest(input);
    expect(first).toMatchObject({
      created: true,
      state: 'open',
      headBranch: 'cadre/1-add',
      baseBranch: 'main',
      body: 'First body',
    });
    expect(first.url).toContain(`/web/${repositoryOf(kind)}/`);

    const again = await host.openPullRequest({ ...input, body: 'Second body' });
    expect(again).toMatchObject({ created: false, number: first.number, body: 'Second body' });
    expect(fake.pulls(repositoryOf(kind))).toHaveLength(1);
    expect(await host.findOpenPullRequest('cadre/none')).toBeNull();

    const renamed = await host.updatePullRequest(first.number, { title: 'Add add(a, b)' });
    expect(renamed).toMatchObject({ title: 'Add add(a, b)', body: 'Second body' });

    fake.mergePull(repositoryOf(kind), first.number);
    expect((await host.getPullRequest(first.number)).state).toBe('merged');
    // A merged pull request is not open: a new one may be opened for the same branch.
    expect(await host.findOpenPullRequest('cadre/1-add')).toBeNull();
    expect(fake.problems).toEqual([]);
  });

  it('comments on an issue, lists a review and replies in its thread', async () => {
    const host = client(kind);
    const pull = await host.openPullRequest({
      head: 'cadre/2-fix',
      base: 'main',
      title: 'Fix',
      body: '',
    });
    const { issue } = await fake.openIssue(repositoryOf(kind), {
      title: 'Broken',
      body: 'It breaks',
    });
    const comment = await host.comment({ kind: 'issue', number: issue.number }, 'Working on it.');
    expect(fake.repository(repositoryOf(kind)).issues[issue.number - 1]!.comments).toEqual([
      { id: Number(comment.id), body: 'Working on it.', author: fake.botLogin },
    ]);

    await fake.requestChanges(repositoryOf(kind), pull.number, {
      body: 'Please change two things',
      comments: [
        { path: 'src/a.js', line: 3, body: 'Name this better' },
        { path: 'src/b.js', line: 7, body: 'Handle null' },
      ],
    });
    const stored = fake
      .pulls(repositoryOf(kind))
      .find((candidate) => candidate.number === pull.number)!;
    const reviewId = kind === 'github' ? String(stored.reviews[0]!.id) : null;
    const comments = await host.listReviewComments(pull.number, reviewId);
    expect(comments.map(({ body, path, line, author }) => ({ body, path, line, author }))).toEqual([
      { body: 'Name this better', path: 'src/a.js', line: 3, author: 'alice' },
      { body: 'Handle null', path: 'src/b.js', line: 7, author: 'alice' },
    ]);
    await host.replyInThread(pull.number, comments[0]!.threadId, 'Renamed it.');
    const replies =
      kind === 'gitea'
        ? stored.comments
        : stored.reviewComments.filter((c) => c.author === fake.botLogin);
    expect(replies.map((reply) => reply.body.split('\n').pop())).toEqual(['Renamed it.']);
    expect(fake.problems).toEqual([]);
  });

  it('fails with stable codes that carry what the host said, never the token', async () => {
    const wrongToken = 'wrong-token-123456';
    const refused = await client(kind, wrongToken)
      .getPullRequest(1)
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CadreError);
    expect((refused as CadreError).code).toBe('HOST_AUTH_FAILED');
    expect((refused as CadreError).message).toMatch(/401/);
    expect((refused as CadreError).message).not.toContain(wrongToken);

    const missing = await client(kind)
      .getPullRequest(999)
      .catch((error: unknown) => error);
    expect((missing as CadreError).code).toBe('HOST_NOT_FOUND');
    expect((missing as CadreError).message).toContain('the host said');

    const down = createGitHost({
      kind,
      apiUrl: 'http://127.0.0.1:1',
      repository: 'a/b',
      token: 't',
    });
    const unreachable = await down.getPullRequest(1).catch((error: unknown) => error);
    expect((unreachable as CadreError).code).toBe('HOST_UNAVAILABLE');
  });
});

it('sends GitHub the headers of its REST API v3', async () => {
  const before = fake.requests.length;
  await client('github').findOpenPullRequest('x');
  const request = fake.requests[before]!;
  expect(request.path).toBe('/github/repos/acme/github-app/pulls?state=open&head=acme%3Ax');
  expect(request.headers).toMatchObject({
    authorization: `Bearer ${fake.token}`,
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
  });
});

it('the fake refuses a GitHub body that breaks the published schema', async () => {
  const response = await fetch(`${fake.apiUrl('github')}/repos/acme/github-app/pulls`, {
    method: 'POST',
    headers: { authorization: `Bearer ${fake.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 3, base: 'main' }),
  });
  expect(response.status).toBe(422);
  expect(fake.problems.splice(0)).toEqual([
    expect.stringContaining("must have required property 'head'"),
  ]);
});
