// A local git host on 127.0.0.1 for tests: the GitHub, GitLab and Gitea REST paths Cadre uses
// (pull/merge requests, issue comments, review comments and threads), kept in memory; the
// repositories over git smart HTTP (the real `git http-backend`, push enabled behind Basic
// auth); and webhooks sent to Cadre signed as each host signs them. GitHub bodies are checked
// against GitHub's published OpenAPI description, both ways.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { serveThroughBackend } from '../helpers/git-http-server.js';
import { githubOperation } from './github-openapi.js';
import { createWebhookSender, type WebhookDelivery } from './git-host-webhooks.js';

export type FakeHostKind = 'github' | 'gitlab' | 'gitea';

export interface FakeComment {
  id: number;
  body: string;
  author: string;
  /** Review comments: the file, line, review and thread (GitLab discussion) they belong to. */
  path?: string;
  line?: number;
  reviewId?: number;
  discussionId?: string;
  inReplyTo?: number;
}

/** An issue, or a pull request (GitHub and Gitea number both in one sequence). */
export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  author: string;
  isPull: boolean;
  head: string;
  base: string;
  state: 'open' | 'closed';
  merged: boolean;
  comments: FakeComment[];
  reviewComments: FakeComment[];
  /** Reviews asking for changes. */
  reviews: Array<{ id: number; body: string; author: string }>;
}

export interface FakeRepository {
  path: string;
  kind: FakeHostKind;
  /** The bare repository served over git smart HTTP. */
  gitDir: string;
  issues: FakeIssue[];
  hooks: Array<{ url: string; secret: string }>;
}

export interface FakeGitHost {
  origin: string;
  /** The one token the host accepts (API and git); its account is `botLogin`. */
  token: string;
  botLogin: string;
  /** Every API request received, in order (never the git traffic). */
  requests: Array<{
    method: string;
    path: string;
    headers: IncomingMessage['headers'];
    body: unknown;
  }>;
  /** Requests or answers that broke the published shapes; a test expects none. */
  problems: string[];
  /** The REST API root of a kind: what a project's host_api_url is set to. */
  apiUrl(kind: FakeHostKind): string;
  /** The clone URL of a repository (no credential in it). */
  gitUrl(path: string): string;
  /** Makes a bare repository with one commit on `main` holding `files`. */
  createRepository(
    path: string,
    kind: FakeHostKind,
    files?: Record<string, string>,
  ): Promise<FakeRepository>;
  repository(path: string): FakeRepository;
  /** The pull requests of a repository. */
  pulls(path: string): FakeIssue[];
  /** The commit a branch of the served repository points at, or null. */
  branchHead(path: string, branch: string): string | null;
  /** Has Cadre's webhooks of a repository sent to `url`, signed with `secret`. */
  addHook(path: string, hook: { url: string; secret: string }): void;
  /** Opens an issue as `author` and sends its webhook. */
  openIssue(
    path: string,
    issue: { title: string; body: string; labels?: string[]; author?: string },
  ): Promise<{ issue: FakeIssue; deliveries: WebhookDelivery[] }>;
  /** Comments on an issue or pull request as `author` and sends the webhook. */
  commentOnIssue(
    path: string,
    number: number,
    comment: { body: string; author?: string },
  ): Promise<WebhookDelivery[]>;
  /** A review asking for changes, with comments on lines; sends the host's webhook(s). */
  requestChanges(
    path: string,
    number: number,
    review: {
      body: string;
      comments: Array<{ path: string; line: number; body: string }>;
      author?: string;
    },
  ): Promise<WebhookDelivery[]>;
  /** Marks a pull request merged (what a human clicking "merge" does, minus the git work). */
  mergePull(path: string, number: number): void;
  /** Holds every API answer back this long (0: answer at once), as a slow host does. */
  stallApi(ms: number): void;
  /** Sends an earlier delivery again, byte for byte (a replay). */
  redeliver(delivery: WebhookDelivery): Promise<WebhookDelivery>;
  close(): Promise<void>;
}

/** Starts the fake host; close it in afterAll. */
export async function startFakeGitHost(): Promise<FakeGitHost> {
  const root = await mkdtemp(join(tmpdir(), 'cadre-fake-host-'));
  const token = `fake-token-${Math.random().toString(36).slice(2)}`;
  const botLogin = 'cadre-bot';
  const repositories = new Map<string, FakeRepository>();
  const requests: FakeGitHost['requests'] = [];
  const problems: string[] = [];
  let nextId = 1000;
  let origin = '';
  let stallMs = 0;
  const sender = createWebhookSender(() => origin);

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      problems.push(`fake host: ${String(error)}`);
      if (!response.headersSent) send(response, 500, { message: String(error) });
      else response.end();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/git/')) return serveGit(request, response, url);
    const body = await readJson(request);
    requests.push({
      method: request.method ?? 'GET',
      path: url.pathname + url.search,
      headers: request.headers,
      body,
    });
    const kind = (['github', 'gitlab', 'gitea'] as const).find((candidate) =>
      url.pathname.startsWith(apiPrefix(candidate) + '/'),
    );
    if (!kind) return send(response, 404, { message: 'Not Found' });
    if (!isAuthorized(kind, request)) {
      const message = kind === 'gitlab' ? '401 Unauthorized' : 'Bad credentials';
      return send(response, 401, { message });
    }
    if (stallMs > 0) await new Promise((resolve) => setTimeout(resolve, stallMs));
    const route = url.pathname.slice(apiPrefix(kind).length);
    const answer =
      kind === 'github'
        ? github(request.method ?? 'GET', route, url.searchParams, body)
        : kind === 'gitlab'
          ? gitlab(request.method ?? 'GET', route, url.searchParams, body)
          : gitea(request.method ?? 'GET', route, url.searchParams, body);
    send(response, answer.status, answer.body);
  }

  function isAuthorized(kind: FakeHostKind, request: IncomingMessage) {
    if (kind === 'github') return request.headers.authorization === `Bearer ${token}`;
    if (kind === 'gitlab') return request.headers['private-token'] === token;
    return request.headers.authorization === `token ${token}`;
  }

  function serveGit(request: IncomingMessage, response: ServerResponse, url: URL) {
    const header = request.headers.authorization ?? '';
    const [user, password] = header.startsWith('Basic ')
      ? Buffer.from(header.slice(6), 'base64').toString('utf8').split(':')
      : [];
    if (password !== token) {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="fake git host"' }).end();
      return;
    }
    serveThroughBackend(join(root, 'repos'), request, response, {
      user: user || 'git',
      allowPush: true,
      pathInfo: decodeURIComponent(url.pathname.slice('/git'.length)),
    });
  }

  // ---- the REST APIs -------------------------------------------------------------------

  type Answer = { status: number; body: unknown };
  const notFound: Answer = { status: 404, body: { message: 'Not Found' } };
  const webUrl = (repo: FakeRepository, issue: FakeIssue) =>
    `${origin}/web/${repo.path}/${issue.isPull ? (repo.kind === 'gitlab' ? '-/merge_requests' : 'pull') : 'issues'}/${issue.number}`;
  const findIssue = (repo: FakeRepository, number: string, isPull?: boolean) =>
    repo.issues.find(
      (issue) =>
        issue.number === Number(number) && (isPull === undefined || issue.isPull === isPull),
    );

  function github(method: string, route: string, query: URLSearchParams, body: unknown): Answer {
    const match = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(route);
    const repo =
      match &&
      repositories.get(`${decodeURIComponent(match[1]!)}/${decodeURIComponent(match[2]!)}`);
    if (!match || !repo) return notFound;
    const rest = match[3] ?? '';
    const checked = (path: string, status: number, fields: unknown): Answer => {
      const operation = githubOperation(path, method.toLowerCase());
      const errors = operation.checkRequest(body);
      if (errors.length > 0) {
        problems.push(`GitHub ${method} ${path}: ${errors.join('; ')}`);
        return { status: 422, body: { message: 'Validation Failed', errors } };
      }
      return { status, body: operation.response(status, fields) };
    };
    const pullFields = (pull: FakeIssue) => ({
      number: pull.number,
      html_url: webUrl(repo, pull),
      url: `${origin}${apiPrefix('github')}/repos/${repo.path}/pulls/${pull.number}`,
      state: pull.state,
      merged: pull.merged,
      merged_at: pull.merged ? new Date().toISOString() : null,
      title: pull.title,
      body: pull.body,
      head: { ref: pull.head, label: `${repo.path.split('/')[0]}:${pull.head}` },
      base: { ref: pull.base },
      user: { login: pull.author },
    });
    let parts: RegExpExecArray | null;
    if (rest === '/pulls' && method === 'GET') {
      const head = query.get('head')?.split(':').pop();
      const pulls = repo.issues.filter(
        (issue) =>
          issue.isPull &&
          (query.get('state') ?? 'open') === issue.state &&
          (!head || issue.head === head),
      );
      return checked('/repos/{owner}/{repo}/pulls', 200, pulls.map(pullFields));
    }
    if (rest === '/pulls' && method === 'POST') {
      const input = body as { title?: string; head?: string; base?: string; body?: string };
      const duplicate = repo.issues.find(
        (issue) => issue.isPull && issue.state === 'open' && issue.head === input.head,
      );
      if (duplicate) {
        return {
          status: 422,
          body: {
            message: 'Validation Failed',
            errors: [{ message: `A pull request already exists for ${input.head}.` }],
          },
        };
      }
      const answer = checked('/repos/{owner}/{repo}/pulls', 201, {});
      if (answer.status !== 201) return answer;
      const pull = addIssue(repo, {
        title: input.title ?? '',
        body: input.body ?? '',
        isPull: true,
        head: input.head ?? '',
        base: input.base ?? '',
      });
      return checked('/repos/{owner}/{repo}/pulls', 201, pullFields(pull));
    }
    if ((parts = /^\/pulls\/(\d+)$/.exec(rest))) {
      const pull = findIssue(repo, parts[1]!, true);
      if (!pull) return notFound;
      if (method === 'PATCH') {
        const answer = checked('/repos/{owner}/{repo}/pulls/{pull_number}', 200, {});
        if (answer.status !== 200) return answer;
        const change = body as { title?: string; body?: string };
        if (change.title !== undefined) pull.title = change.title;
        if (change.body !== undefined) pull.body = change.body;
      }
      return checked('/repos/{owner}/{repo}/pulls/{pull_number}', 200, pullFields(pull));
    }
    if ((parts = /^\/issues\/(\d+)\/comments$/.exec(rest)) && method === 'POST') {
      const issue = findIssue(repo, parts[1]!);
      if (!issue) return notFound;
      const path = '/repos/{owner}/{repo}/issues/{issue_number}/comments';
      const answer = checked(path, 201, {});
      if (answer.status !== 201) return answer;
      const comment = { id: nextId++, body: (body as { body: string }).body, author: botLogin };
      issue.comments.push(comment);
      return checked(path, 201, { id: comment.id, body: comment.body, user: { login: botLogin } });
    }
    if ((parts = /^\/pulls\/(\d+)\/comments\/(\d+)\/replies$/.exec(rest)) && method === 'POST') {
      const pull = findIssue(repo, parts[1]!, true);
      const parent = pull?.reviewComments.find((comment) => comment.id === Number(parts![2]));
      if (!pull || !parent) return notFound;
      const path = '/repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies';
      const answer = checked(path, 201, {});
      if (answer.status !== 201) return answer;
      const reply = {
        id: nextId++,
        body: (body as { body: string }).body,
        author: botLogin,
        path: parent.path,
        inReplyTo: parent.id,
      };
      pull.reviewComments.push(reply);
      return checked(path, 201, {
        id: reply.id,
        body: reply.body,
        path: parent.path,
        in_reply_to_id: parent.id,
        user: { login: botLogin },
      });
    }
    if ((parts = /^\/pulls\/(\d+)\/reviews\/(\d+)\/comments$/.exec(rest)) && method === 'GET') {
      const pull = findIssue(repo, parts[1]!, true);
      if (!pull) return notFound;
      const path = '/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/comments';
      const comments = pull.reviewComments.filter(
        (comment) => comment.reviewId === Number(parts![2]),
      );
      return checked(
        path,
        200,
        comments.map((comment) => ({
          id: comment.id,
          body: comment.body,
          path: comment.path,
          line: comment.line,
          pull_request_review_id: comment.reviewId,
          user: { login: comment.author },
        })),
      );
    }
    return notFound;
  }

  function gitlab(method: string, route: string, query: URLSearchParams, body: unknown): Answer {
    const match = /^\/projects\/([^/]+)(\/.*)?$/.exec(route);
    const repo = match && repositories.get(decodeURIComponent(match[1]!));
    if (!match || !repo) return { status: 404, body: { message: '404 Project Not Found' } };
    const rest = match[2] ?? '';
    const input = (body ?? {}) as Record<string, string | undefined>;
    const mergeRequest = (mr: FakeIssue) => ({
      id: mr.number + 50_000,
      iid: mr.number,
      web_url: webUrl(repo, mr),
      state: mr.merged ? 'merged' : mr.state === 'open' ? 'opened' : 'closed',
      title: mr.title,
      description: mr.body,
      source_branch: mr.head,
      target_branch: mr.base,
      author: { username: mr.author },
    });
    const note = (comment: FakeComment) => ({
      id: comment.id,
      body: comment.body,
      author: { username: comment.author },
      system: false,
    });
    let parts: RegExpExecArray | null;
    if (rest === '/merge_requests' && method === 'GET') {
      const state = query.get('state') ?? 'all';
      const list = repo.issues.filter(
        (issue) =>
          issue.isPull &&
          (state === 'all' || (state === 'opened') === (issue.state === 'open' && !issue.merged)) &&
          (!query.get('source_branch') || issue.head === query.get('source_branch')),
      );
      return { status: 200, body: list.map(mergeRequest) };
    }
    if (rest === '/merge_requests' && method === 'POST') {
      if (!input.source_branch || !input.target_branch || !input.title)
        return { status: 400, body: { error: 'source_branch, target_branch, title are missing' } };
      if (
        repo.issues.some(
          (issue) => issue.isPull && issue.state === 'open' && issue.head === input.source_branch,
        )
      )
        return {
          status: 409,
          body: { message: ['Another open merge request already exists for this source branch'] },
        };
      const mr = addIssue(repo, {
        title: input.title,
        body: input.description ?? '',
        isPull: true,
        head: input.source_branch,
        base: input.target_branch,
      });
      return { status: 201, body: mergeRequest(mr) };
    }
    if ((parts = /^\/merge_requests\/(\d+)$/.exec(rest))) {
      const mr = findIssue(repo, parts[1]!, true);
      if (!mr) return { status: 404, body: { message: '404 Not found' } };
      if (method === 'PUT') {
        if (input.title !== undefined) mr.title = input.title;
        if (input.description !== undefined) mr.body = input.description;
      }
      return { status: 200, body: mergeRequest(mr) };
    }
    if ((parts = /^\/(issues|merge_requests)\/(\d+)\/notes$/.exec(rest)) && method === 'POST') {
      const issue = findIssue(repo, parts[2]!, parts[1] === 'merge_requests');
      if (!issue) return { status: 404, body: { message: '404 Not found' } };
      if (!input.body) return { status: 400, body: { error: 'body is missing' } };
      const comment = { id: nextId++, body: input.body, author: botLogin };
      issue.comments.push(comment);
      return { status: 201, body: note(comment) };
    }
    if ((parts = /^\/merge_requests\/(\d+)\/discussions$/.exec(rest)) && method === 'GET') {
      const mr = findIssue(repo, parts[1]!, true);
      if (!mr) return { status: 404, body: { message: '404 Not found' } };
      const ids = [...new Set(mr.reviewComments.map((comment) => comment.discussionId!))];
      return {
        status: 200,
        body: ids.map((id) => ({
          id,
          individual_note: false,
          notes: mr.reviewComments
            .filter((comment) => comment.discussionId === id)
            .map((comment) => ({
              ...note(comment),
              type: 'DiffNote',
              resolvable: true,
              resolved: false,
              position: { new_path: comment.path, new_line: comment.line },
            })),
        })),
      };
    }
    if (
      (parts = /^\/merge_requests\/(\d+)\/discussions\/([^/]+)\/notes$/.exec(rest)) &&
      method === 'POST'
    ) {
      const mr = findIssue(repo, parts[1]!, true);
      const discussionId = decodeURIComponent(parts[2]!);
      if (!mr || !mr.reviewComments.some((comment) => comment.discussionId === discussionId))
        return { status: 404, body: { message: '404 Discussion Not Found' } };
      if (!input.body) return { status: 400, body: { error: 'body is missing' } };
      const reply = { id: nextId++, body: input.body, author: botLogin, discussionId };
      mr.reviewComments.push(reply);
      return { status: 201, body: note(reply) };
    }
    return { status: 404, body: { error: '404 Not Found' } };
  }

  function gitea(method: string, route: string, query: URLSearchParams, body: unknown): Answer {
    const match = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(route);
    const repo =
      match &&
      repositories.get(`${decodeURIComponent(match[1]!)}/${decodeURIComponent(match[2]!)}`);
    if (!match || !repo) return notFound;
    const rest = match[3] ?? '';
    const input = (body ?? {}) as Record<string, string | undefined>;
    const pull = (issue: FakeIssue) => ({
      id: issue.number + 70_000,
      number: issue.number,
      html_url: webUrl(repo, issue),
      state: issue.state,
      merged: issue.merged,
      title: issue.title,
      body: issue.body,
      head: { ref: issue.head, label: issue.head },
      base: { ref: issue.base, label: issue.base },
      user: { login: issue.author },
    });
    let parts: RegExpExecArray | null;
    if (rest === '/pulls' && method === 'GET') {
      const state = query.get('state') ?? 'open';
      const limit = Number(query.get('limit') ?? 30);
      const page = Number(query.get('page') ?? 1);
      const list = repo.issues.filter(
        (issue) => issue.isPull && (state === 'all' || issue.state === state),
      );
      return { status: 200, body: list.slice((page - 1) * limit, page * limit).map(pull) };
    }
    if (rest === '/pulls' && method === 'POST') {
      if (!input.head || !input.base || !input.title)
        return { status: 422, body: { message: 'head, base and title are required' } };
      if (
        repo.issues.some(
          (issue) => issue.isPull && issue.state === 'open' && issue.head === input.head,
        )
      )
        return { status: 409, body: { message: 'pull request already exists for these targets' } };
      const created = addIssue(repo, {
        title: input.title,
        body: input.body ?? '',
        isPull: true,
        head: input.head,
        base: input.base,
      });
      return { status: 201, body: pull(created) };
    }
    if ((parts = /^\/pulls\/(\d+)$/.exec(rest))) {
      const found = findIssue(repo, parts[1]!, true);
      if (!found) return notFound;
      if (method === 'PATCH') {
        if (input.title !== undefined) found.title = input.title;
        if (input.body !== undefined) found.body = input.body;
      }
      return { status: method === 'PATCH' ? 201 : 200, body: pull(found) };
    }
    if ((parts = /^\/issues\/(\d+)\/comments$/.exec(rest)) && method === 'POST') {
      const issue = findIssue(repo, parts[1]!);
      if (!issue) return notFound;
      if (!input.body) return { status: 422, body: { message: 'body is required' } };
      const comment = { id: nextId++, body: input.body, author: botLogin };
      issue.comments.push(comment);
      return {
        status: 201,
        body: { id: comment.id, body: comment.body, user: { login: botLogin } },
      };
    }
    if ((parts = /^\/pulls\/(\d+)\/reviews$/.exec(rest)) && method === 'GET') {
      const found = findIssue(repo, parts[1]!, true);
      if (!found) return notFound;
      return {
        status: 200,
        body: found.reviews.map((review) => ({
          id: review.id,
          state: 'REQUEST_CHANGES',
          body: review.body,
          user: { login: review.author },
          comments_count: found.reviewComments.filter((comment) => comment.reviewId === review.id)
            .length,
        })),
      };
    }
    if ((parts = /^\/pulls\/(\d+)\/reviews\/(\d+)\/comments$/.exec(rest)) && method === 'GET') {
      const found = findIssue(repo, parts[1]!, true);
      if (!found) return notFound;
      const comments = found.reviewComments.filter(
        (comment) => comment.reviewId === Number(parts![2]),
      );
      return {
        status: 200,
        body: comments.map((comment) => ({
          id: comment.id,
          body: comment.body,
          path: comment.path,
          position: comment.line,
          user: { login: comment.author },
        })),
      };
    }
    return notFound;
  }

  function addIssue(
    repo: FakeRepository,
    fields: Pick<FakeIssue, 'title' | 'body' | 'isPull' | 'head' | 'base'> & Partial<FakeIssue>,
  ): FakeIssue {
    const issue: FakeIssue = {
      number: repo.issues.length + 1,
      labels: [],
      author: botLogin,
      state: 'open',
      merged: false,
      comments: [],
      reviewComments: [],
      reviews: [],
      ...fields,
    };
    repo.issues.push(issue);
    return issue;
  }

  const repository = (path: string) => {
    const repo = repositories.get(path);
    if (!repo) throw new Error(`the fake host has no repository ${path}`);
    return repo;
  };
  const deliverAll = (repo: FakeRepository, event: Parameters<typeof sender.send>[1]) =>
    Promise.all(repo.hooks.map((hook) => sender.send(repo, event, hook)));

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    token,
    botLogin,
    requests,
    problems,
    apiUrl: (kind) => origin + apiPrefix(kind),
    gitUrl: (path) => `${origin}/git/${path}.git`,
    async createRepository(path, kind, files = { 'README.md': '# app\n' }) {
      const gitDir = join(root, 'repos', `${path}.git`);
      await mkdir(dirname(gitDir), { recursive: true });
      const work = await mkdtemp(join(tmpdir(), 'cadre-fake-seed-'));
      const git = (cwd: string, ...args: string[]) =>
        execFileSync(
          'git',
          ['-c', 'user.name=Seed', '-c', 'user.email=seed@example.com', ...args],
          {
            cwd,
            env: {
              PATH: process.env.PATH,
              GIT_CONFIG_NOSYSTEM: '1',
              GIT_CONFIG_GLOBAL: '/dev/null',
            },
          },
        ).toString();
      execFileSync('git', ['init', '--bare', '--quiet', '--initial-branch=main', gitDir]);
      git(work, 'init', '--quiet', '--initial-branch=main');
      for (const [name, content] of Object.entries(files)) {
        await mkdir(dirname(join(work, name)), { recursive: true });
        await writeFile(join(work, name), content);
      }
      git(work, 'add', '-A');
      git(work, 'commit', '--quiet', '-m', 'First commit');
      git(work, 'push', '--quiet', gitDir, 'main');
      await rm(work, { recursive: true, force: true });
      const repo: FakeRepository = { path, kind, gitDir, issues: [], hooks: [] };
      repositories.set(path, repo);
      return repo;
    },
    repository,
    pulls: (path) => repository(path).issues.filter((issue) => issue.isPull),
    branchHead(path, branch) {
      try {
        return execFileSync('git', [
          '--git-dir',
          repository(path).gitDir,
          'rev-parse',
          '--verify',
          '--quiet',
          `refs/heads/${branch}`,
        ])
          .toString()
          .trim();
      } catch {
        return null;
      }
    },
    addHook: (path, hook) => void repository(path).hooks.push(hook),
    async openIssue(path, fields) {
      const repo = repository(path);
      const issue = addIssue(repo, {
        title: fields.title,
        body: fields.body,
        labels: fields.labels ?? [],
        author: fields.author ?? 'alice',
        isPull: false,
        head: '',
        base: '',
      });
      return { issue, deliveries: await deliverAll(repo, { type: 'issue-opened', issue }) };
    },
    async commentOnIssue(path, number, fields) {
      const repo = repository(path);
      const issue = repo.issues.find((candidate) => candidate.number === number);
      if (!issue) throw new Error(`no issue ${number} in ${path}`);
      const comment = { id: nextId++, body: fields.body, author: fields.author ?? 'alice' };
      issue.comments.push(comment);
      return deliverAll(repo, { type: 'issue-comment', issue, comment });
    },
    async requestChanges(path, number, review) {
      const repo = repository(path);
      const pull = repo.issues.find((candidate) => candidate.isPull && candidate.number === number);
      if (!pull) throw new Error(`no pull request ${number} in ${path}`);
      const author = review.author ?? 'alice';
      const reviewId = nextId++;
      const comments = review.comments.map((comment) => ({
        id: nextId++,
        author,
        reviewId,
        discussionId: `d${nextId++}`,
        ...comment,
      }));
      pull.reviews.push({ id: reviewId, body: review.body, author });
      pull.reviewComments.push(...comments);
      return deliverAll(repo, {
        type: 'changes-requested',
        pull,
        reviewId,
        body: review.body,
        author,
        comments,
      });
    },
    stallApi(ms) {
      stallMs = ms;
    },
    mergePull(path, number) {
      const pull = repository(path).issues.find(
        (candidate) => candidate.isPull && candidate.number === number,
      );
      if (!pull) throw new Error(`no pull request ${number} in ${path}`);
      pull.merged = true;
      pull.state = 'closed';
    },
    redeliver: (delivery) => sender.resend(delivery),
    close: async () => {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
      await rm(root, { recursive: true, force: true });
    },
  };
}

function apiPrefix(kind: FakeHostKind) {
  return kind === 'github' ? '/github' : kind === 'gitlab' ? '/gitlab/api/v4' : '/gitea/api/v1';
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : undefined;
}

function send(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
