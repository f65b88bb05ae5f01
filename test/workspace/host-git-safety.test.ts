// Host-side git never runs what a sandboxed command planted, end to end: a nested repository
// with a filter, textconv and diff drivers, a replaced .git, an include, and symlinks leading
// out, tried through the real API (runs, diff as a viewer, merge) and the agents' git tools.
import { execFileSync } from 'node:child_process';
import { appendFile, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tools, type ToolHost } from '../../src/agents/index.js';
import { generateApiKey, type Role } from '../../src/auth/index.js';
import { Config } from '../../src/config/index.js';
import { tables } from '../../src/db/index.js';
import { CadreError } from '../../src/errors/index.js';
import {
  createProjectLock,
  createStepHost,
  createTaskBranchStore,
} from '../../src/orchestrator/index.js';
import { createSandbox } from '../../src/sandbox/index.js';
import { createWorkspaces, type Workspaces } from '../../src/workspace/index.js';
import { snapshotWorktree } from '../../src/workspace/snapshot.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let markerDir: string;
let orgId: string;
let member: ReturnType<typeof bearer>;
let viewer: ReturnType<typeof bearer>;
let workspaces: Workspaces;

const git = (gitDir: string, ...args: string[]) =>
  execFileSync('git', [`--git-dir=${gitDir}`, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  }).trim();

/** A shell command that, if it ever ran on the host, would leave `name` in the marker folder. */
const leaves = (name: string) => `sh -c 'touch ${markerDir}/${name}; cat'`;

// Fixed dates make the planted repository's commit the same one everywhere.
const fixedCommit =
  "GIT_AUTHOR_DATE='2001-01-01T00:00:00Z' GIT_COMMITTER_DATE='2001-01-01T00:00:00Z'";

/** The commit plantNestedRepository makes, computed on the host beforehand. */
async function plantedCommit(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'cadre-planted-'));
  const script = `set -e; cd ${folder}; git init -q; echo data > f; git add f; ${fixedCommit} git -c user.name=x -c user.email=x@x commit -q -m planted; git rev-parse HEAD`;
  const commit = execFileSync('sh', ['-c', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  }).trim();
  await rm(folder, { recursive: true, force: true });
  return commit;
}

/** A nested repository with a clean filter, as a sandboxed command can make one. */
const plantNestedRepository = (folder: string) => `
  set -e
  mkdir -p ${folder} && cd ${folder}
  git init -q
  echo data > f
  git add f
  ${fixedCommit} git -c user.name=x -c user.email=x@x commit -q -m planted
  git config filter.x.clean "${leaves(`filter-clean-${folder.replace(/\W/g, '-')}`)}"
  git config filter.x.smudge "${leaves(`filter-smudge-${folder.replace(/\W/g, '-')}`)}"
  git config diff.x.textconv "${leaves(`textconv-${folder.replace(/\W/g, '-')}`)}"
  printf '* filter=x diff=x\\n' > .gitattributes
  # Same size, older time: git must read f again, through the filter.
  touch -d '2001-01-01 00:00:00' f
`;

beforeAll(async () => {
  t = await createTestApp();
  const [org] = await t.database.db.select().from(tables.organizations);
  orgId = org!.id;
  member = bearer(await keyWithRole('member'));
  viewer = bearer(await keyWithRole('viewer'));
  workspaces = createWorkspaces({
    dataDir: t.dataDir,
    sandbox: createSandbox(Config.parse({}).sandbox),
    // The app's own records: the worktrees the API makes are found here too.
    taskBranches: createTaskBranchStore(t.database.db),
    projectLock: createProjectLock(t.database.pool),
  });
});
afterAll(() => t.close());
// A fresh marker folder per test, on the host, where the sandbox cannot write.
beforeEach(async () => {
  markerDir = await mkdtemp(join(tmpdir(), 'cadre-host-marker-'));
});
afterEach(() => rm(markerDir, { recursive: true, force: true }));

async function keyWithRole(role: Role) {
  const key = generateApiKey();
  await t.database.db.insert(tables.apiKeys).values({
    orgId,
    name: `${role} key`,
    prefix: key.prefix,
    keyHash: key.hash,
    role,
  });
  return key.token;
}

/** A project with a repository and one task with a worktree, made through the API. */
async function taskWithWorktree(name: string) {
  const headers = bearer(t.adminKey);
  const project = (
    await t.app.inject({ method: 'POST', url: '/api/projects', headers, payload: { name } })
  ).json();
  const task = (
    await t.app.inject({
      method: 'POST',
      url: '/api/tasks',
      headers,
      payload: { projectId: project.id, description: name },
    })
  ).json();
  const base = `/api/projects/${project.id}/tasks/${task.id}`;
  const created = await t.app.inject({
    method: 'POST',
    url: `/api/projects/${project.id}/workspace`,
    headers,
    payload: {},
  });
  expect(created.statusCode).toBe(201);
  const worktree = await t.app.inject({
    method: 'POST',
    url: `${base}/worktree`,
    headers,
    payload: {},
  });
  expect(worktree.statusCode).toBe(201);
  const gitDir = join(t.dataDir, 'workspaces', project.id, 'repo.git');
  return {
    projectId: project.id as string,
    taskId: task.id as string,
    base,
    gitDir,
    path: join(t.dataDir, 'workspaces', project.id, 'tasks', task.id),
  };
}

/** Runs a shell script in the task's sandbox as a member would, through POST …/runs. */
async function runInSandbox(base: string, script: string) {
  const run = await t.app.inject({
    method: 'POST',
    url: `${base}/runs`,
    headers: member,
    payload: { argv: ['/bin/sh', '-c', script] },
  });
  expect(run.statusCode).toBe(200);
  expect(run.json(), run.body).toMatchObject({ exitCode: 0 });
}

/** The agents' tool host for a step of the task, with the real workspace service and sandbox. */
function agentHost(task: { projectId: string; taskId: string }): ToolHost {
  return createStepHost({
    db: t.database.db,
    workspaces,
    gateway: {
      generate: () => {
        throw new Error('no model in this test');
      },
    },
    worktree: task,
    step: { id: 'step', orgId, taskId: task.taskId, projectId: task.projectId, role: 'developer' },
    hasNetwork: false,
    testCommand: null,
    approveNetworkCommands: false,
    roles: new Map(),
    signal: new AbortController().signal,
  });
}

async function useTool(host: ToolHost, name: keyof typeof tools, input: object) {
  return tools[name].run(host, tools[name].input.parse(input), { toolCallId: 'call' });
}

/** What a call answered or threw, to be checked once the markers have been looked at. */
const settle = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (value) => value,
    (error: unknown) => error,
  );

/** The CadreError a settled call threw. */
function refusal(outcome: unknown): CadreError {
  expect(outcome).toBeInstanceOf(CadreError);
  return outcome as CadreError;
}

const markers = () => readdir(markerDir);

describe('host git and a nested repository planted by a sandboxed command', () => {
  it('runs nothing for a viewer opening the diff or a member merging, and refuses the merge', async () => {
    const task = await taskWithWorktree('nested-route');
    const startHead = git(task.gitDir, 'rev-parse', 'main');
    const taskHead = git(task.gitDir, 'rev-parse', `cadre/task-${task.taskId}`);
    await runInSandbox(task.base, `${plantNestedRepository('sub')}\n echo work > ../work.txt`);
    const firstDiff = await t.app.inject({
      method: 'GET',
      url: `${task.base}/diff`,
      headers: viewer,
    });
    const merge = await t.app.inject({
      method: 'POST',
      url: `${task.base}/merge`,
      headers: member,
      payload: {},
    });
    const secondDiff = await t.app.inject({
      method: 'GET',
      url: `${task.base}/diff`,
      headers: viewer,
    });
    expect(await markers()).toEqual([]);
    for (const response of [firstDiff, merge, secondDiff]) {
      expect(response.statusCode, response.body).toBe(422);
      expect(response.json().error.code).toBe('WORKSPACE_NESTED_REPOSITORY');
      expect(response.json().error.message).toContain('sub/.git');
    }
    expect(git(task.gitDir, 'rev-parse', 'main')).toBe(startHead);
    expect(git(task.gitDir, 'rev-parse', `cadre/task-${task.taskId}`)).toBe(taskHead);
    expect(git(task.gitDir, 'ls-tree', '-r', '--name-only', 'main')).toBe('');
    // Once the nested repository is gone, the task commits and merges as usual.
    await runInSandbox(task.base, 'rm -rf sub/.git');
    const retried = await t.app.inject({
      method: 'POST',
      url: `${task.base}/merge`,
      headers: member,
      payload: {},
    });
    expect(retried.statusCode, retried.body).toBe(200);
    expect(git(task.gitDir, 'ls-tree', '-r', '--name-only', 'main').split('\n')).toEqual([
      'sub/.gitattributes',
      'sub/f',
      'work.txt',
    ]);
    expect(await markers()).toEqual([]);
  });

  it("refuses the agents' git_commit and git_status, and runs nothing on the host", async () => {
    const task = await taskWithWorktree('nested-agent');
    const host = agentHost(task);
    const planted = (await useTool(host, 'run_command', {
      argv: ['/bin/sh', '-c', plantNestedRepository('deep/er/lib')],
    })) as { exitCode: number };
    expect(planted.exitCode).toBe(0);
    const commit = await settle(useTool(host, 'git_commit', { message: 'Add lib' }));
    const status = await settle(useTool(host, 'git_status', {}));
    const diff = await settle(useTool(host, 'git_diff', {}));
    expect(await markers()).toEqual([]);
    for (const error of [commit, status, diff].map(refusal)) {
      expect(error.code).toBe('WORKSPACE_NESTED_REPOSITORY');
      expect(error.message).toContain('deep/er/lib/.git');
    }
    expect(git(task.gitDir, 'log', '--format=%s', `cadre/task-${task.taskId}`)).toBe(
      'Start the project repository',
    );
  });

  it('leaves alone a repository inside an ignored folder, which git never looks into', async () => {
    const task = await taskWithWorktree('nested-ignored');
    await runInSandbox(
      task.base,
      `printf 'node_modules/\\n' > .gitignore\n${plantNestedRepository('node_modules/dep')}`,
    );
    const host = agentHost(task);
    expect(await useTool(host, 'git_commit', { message: 'Ignore node_modules' })).toMatch(
      /^committed [0-9a-f]{40}$/,
    );
    expect(await useTool(host, 'git_status', {})).toBe(`## cadre/task-${task.taskId}\n`);
    expect(git(task.gitDir, 'ls-tree', '-r', '--name-only', `cadre/task-${task.taskId}`)).toBe(
      '.gitignore',
    );
    expect(await markers()).toEqual([]);
  });

  it("never looks into a submodule's folder the base already has, even when the sandbox fills it", async () => {
    await workspaces.createRepository('with-submodule', { type: 'empty' });
    const gitDir = join(t.dataDir, 'workspaces', 'with-submodule', 'repo.git');
    // The base has a gitlink entry, as a repository with a submodule has one.
    const plumbing = (args: string[], input: string) =>
      execFileSync('git', [`--git-dir=${gitDir}`, ...args], {
        input,
        encoding: 'utf8',
        env: { ...process.env, GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@a' },
      }).trim();
    const readme = plumbing(['hash-object', '-w', '--stdin'], 'readme\n');
    // …pointing at the very commit the sandbox will put there, as a checked-out submodule has.
    const submoduleCommit = await plantedCommit();
    const gitlink = `160000 commit ${submoduleCommit}\tlib`;
    const tree = plumbing(['mktree'], `100644 blob ${readme}\tREADME\n${gitlink}\n`);
    const commit = plumbing(
      [
        '-c',
        'user.name=a',
        '-c',
        'user.email=a@a',
        'commit-tree',
        tree,
        '-p',
        'main',
        '-m',
        'Add a submodule',
      ],
      '',
    );
    plumbing(['update-ref', 'refs/heads/main', commit], '');
    const task = { projectId: 'with-submodule', taskId: 'fill' };
    const { path } = await workspaces.createTaskWorktree(task);
    const host = agentHost(task);
    await useTool(host, 'run_command', {
      argv: ['/bin/sh', '-c', `rmdir lib; ${plantNestedRepository('lib')}`],
    });
    const status = await settle(useTool(host, 'git_status', {}));
    const diff = await settle(workspaces.diff(task));
    const filled = await settle(useTool(host, 'git_commit', { message: 'Fill lib' }));
    expect(await markers()).toEqual([]);
    for (const error of [status, diff, filled].map(refusal)) {
      expect(error.code).toBe('WORKSPACE_NESTED_REPOSITORY');
    }
    // Had the repository appeared just after that check, git add still would not look into it.
    const worktree = await workspaces.getTaskWorktree(task);
    const snapshot = await snapshotWorktree(worktree);
    const staged = execFileSync('git', [`--git-dir=${worktree.gitDir}`, 'ls-files', '--stage'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, GIT_INDEX_FILE: snapshot.indexFile },
    });
    await snapshot.discard();
    expect(await markers()).toEqual([]);
    expect(staged).toContain(`160000 ${submoduleCommit} 0\tlib\n`);
    // Without the planted .git the worktree commits, and the submodule entry stays as it was.
    await rm(join(path, 'lib', '.git'), { recursive: true, force: true });
    await useTool(host, 'git_commit', { message: 'Edit lib' });
    expect(git(gitDir, 'ls-tree', 'cadre/task-fill', 'lib')).toBe(gitlink);
    expect(await markers()).toEqual([]);
  });
});

describe('host git and drivers, a replaced .git and includes', () => {
  it('uses no textconv, diff, merge or filter driver and no config from a replaced .git', async () => {
    const task = await taskWithWorktree('drivers');
    // The sandbox cannot touch the worktree's .git: it is masked by a mount there.
    const replace = await t.app.inject({
      method: 'POST',
      url: `${task.base}/runs`,
      headers: member,
      payload: { argv: ['/bin/sh', '-c', 'rm -rf .git || mv .git elsewhere'] },
    });
    expect(replace.json().exitCode).not.toBe(0);
    await runInSandbox(
      task.base,
      `
      set -e
      printf '* diff=evil merge=evil filter=evil\\n' > .gitattributes
      printf 'plain text\\n' > notes.txt
      cat > more.config <<'EOF'
[filter "evil"]
  clean = "${leaves('included-filter')}"
EOF
      `,
    );
    // Had anything replaced it anyway, host git must not read the planted repository's config.
    await rm(join(task.path, '.git'), { force: true });
    execFileSync('git', ['init', '-q', task.path], { env: { PATH: process.env.PATH } });
    await appendFile(
      join(task.path, '.git', 'config'),
      `
[core]
  fsmonitor = "${leaves('fsmonitor')}"
  pager = "${leaves('pager')}"
  hooksPath = /workspace/hooks
[diff]
  external = "${leaves('external-diff')}"
[diff "evil"]
  textconv = "${leaves('textconv')}"
  command = "${leaves('diff-command')}"
[merge "evil"]
  driver = "${leaves('merge-driver')}"
[filter "evil"]
  clean = "${leaves('filter-clean')}"
  smudge = "${leaves('filter-smudge')}"
  process = "${leaves('filter-process')}"
[include]
  path = ${join(task.path, 'more.config')}
`,
    );
    const diff = await t.app.inject({ method: 'GET', url: `${task.base}/diff`, headers: viewer });
    expect(diff.statusCode, diff.body).toBe(200);
    expect(diff.json().patch).toContain('+plain text');
    const host = agentHost(task);
    expect(await useTool(host, 'git_status', {})).toContain('?? notes.txt');
    expect(await useTool(host, 'git_diff', {})).toContain('+plain text');
    const merge = await t.app.inject({
      method: 'POST',
      url: `${task.base}/merge`,
      headers: member,
      payload: {},
    });
    expect(merge.statusCode, merge.body).toBe(200);
    expect(git(task.gitDir, 'show', 'main:notes.txt')).toBe('plain text');
    // A .git file pointing at that hostile repository instead is not read either.
    await rename(join(task.path, '.git'), join(task.path, 'evil'));
    await writeFile(join(task.path, '.git'), `gitdir: ${join(task.path, 'evil')}\n`);
    await runInSandbox(task.base, 'echo more >> notes.txt');
    expect(await useTool(host, 'git_status', {})).toContain(' M notes.txt');
    expect(await useTool(host, 'git_commit', { message: 'More' })).toMatch(/^committed /);
    expect(git(task.gitDir, 'show', `cadre/task-${task.taskId}:notes.txt`)).toBe(
      'plain text\nmore',
    );
    expect(await markers()).toEqual([]);
  });

  it('refuses to run on a repository whose own config names a driver or an include', async () => {
    const task = await taskWithWorktree('repo-config');
    await runInSandbox(task.base, `printf '* filter=evil\\n' > .gitattributes; echo x > f.txt`);
    await appendFile(
      join(task.gitDir, 'config'),
      `[filter "evil"]\n\tclean = "${leaves('repo-filter')}"\n[include]\n\tpath = /dev/null\n`,
    );
    const diff = await t.app.inject({ method: 'GET', url: `${task.base}/diff`, headers: viewer });
    const merge = await t.app.inject({
      method: 'POST',
      url: `${task.base}/merge`,
      headers: member,
      payload: {},
    });
    expect(await markers()).toEqual([]);
    for (const response of [diff, merge]) {
      expect(response.statusCode, response.body).toBe(500);
      expect(response.json().error.code).toBe('GIT_CONFIG_UNTRUSTED');
      expect(response.json().error.message).toContain('"filter.evil.clean"');
      expect(response.json().error.message).toContain('"include.path"');
    }
    // Once an administrator removes the keys, git runs again.
    const config = join(task.gitDir, 'config');
    execFileSync('git', ['config', '--file', config, '--remove-section', 'filter.evil']);
    execFileSync('git', ['config', '--file', config, '--remove-section', 'include']);
    const again = await t.app.inject({ method: 'GET', url: `${task.base}/diff`, headers: viewer });
    expect(again.statusCode, again.body).toBe(200);
    expect(await markers()).toEqual([]);
  });

  it("passes none of Cadre's own GIT_* variables on to git", async () => {
    const task = await taskWithWorktree('environment');
    await runInSandbox(
      task.base,
      `printf '* diff=evil filter=evil\\n' > .gitattributes; echo x > f.txt`,
    );
    const planted: Record<string, string> = {
      GIT_EXTERNAL_DIFF: `${markerDir}/no-such-program`,
      GIT_PAGER: leaves('env-pager'),
      GIT_DIR: '/nonexistent',
      GIT_CONFIG_COUNT: '3',
      GIT_CONFIG_KEY_0: 'filter.evil.clean',
      GIT_CONFIG_VALUE_0: leaves('env-filter'),
      GIT_CONFIG_KEY_1: 'diff.evil.textconv',
      GIT_CONFIG_VALUE_1: leaves('env-textconv'),
      GIT_CONFIG_KEY_2: 'core.fsmonitor',
      GIT_CONFIG_VALUE_2: leaves('env-fsmonitor'),
      // git's own quoting: each setting in single quotes, a quote inside written '\''.
      GIT_CONFIG_PARAMETERS: `'diff.evil.command=${leaves('env-diff').replaceAll("'", "'\\''")}'`,
    };
    Object.assign(process.env, planted);
    try {
      const diff = await t.app.inject({ method: 'GET', url: `${task.base}/diff`, headers: viewer });
      expect(diff.statusCode, diff.body).toBe(200);
      expect(diff.json().patch).toContain('+x');
      expect(await useTool(agentHost(task), 'git_status', {})).toContain('?? f.txt');
      const merge = await t.app.inject({
        method: 'POST',
        url: `${task.base}/merge`,
        headers: member,
        payload: {},
      });
      expect(merge.statusCode, merge.body).toBe(200);
    } finally {
      for (const name of Object.keys(planted)) delete process.env[name];
    }
    expect(await markers()).toEqual([]);
  });
});

describe('symlinks that leave the worktree', () => {
  it('are refused at the merge route and at git_commit, naming each path; inner ones pass', async () => {
    const task = await taskWithWorktree('symlinks');
    const keyFile = join(t.dataDir, 'admin-api-key');
    await runInSandbox(
      task.base,
      `
      set -e
      ln -s ${keyFile} admin-key
      ln -s /etc/passwd passwd
      mkdir -p docs
      ln -s ../../../secret docs/up
      ln -s . here
      ln -s here/.. climb
      ln -s docs/../README inner
      `,
    );
    const merge = await t.app.inject({
      method: 'POST',
      url: `${task.base}/merge`,
      headers: member,
      payload: {},
    });
    expect(merge.statusCode, merge.body).toBe(422);
    const body = merge.json().error;
    expect(body.code).toBe('WORKSPACE_SYMLINK_OUTSIDE');
    for (const path of ['admin-key', 'passwd', 'docs/up', 'climb']) {
      expect(body.message).toContain(`"${path}"`);
    }
    expect(body.message).not.toContain('"inner"');
    expect(body.message).not.toContain('"here"');
    expect(git(task.gitDir, 'ls-tree', '-r', '--name-only', 'main')).toBe('');
    const host = agentHost(task);
    const commit = refusal(await settle(useTool(host, 'git_commit', { message: 'Links' })));
    expect(commit.code).toBe('WORKSPACE_SYMLINK_OUTSIDE');
    expect(commit.details).toMatchObject({
      symlinks: expect.arrayContaining([
        { path: 'admin-key', target: keyFile, reason: 'absolute' },
        { path: 'docs/up', target: '../../../secret', reason: 'outside' },
      ]),
    });
    expect(git(task.gitDir, 'log', '--format=%s', `cadre/task-${task.taskId}`)).toBe(
      'Start the project repository',
    );
    await runInSandbox(task.base, 'rm admin-key passwd docs/up climb');
    expect(await useTool(host, 'git_commit', { message: 'Inner links' })).toMatch(/^committed /);
  });

  it('are never followed by search_code, even in place of a tracked folder', async () => {
    const task = await taskWithWorktree('search-links');
    const host = agentHost(task);
    await useTool(host, 'write_file', { path: 'conf/passwd', content: 'nothing here\n' });
    await useTool(host, 'write_file', { path: 'keys/admin-api-key', content: 'no key\n' });
    await useTool(host, 'git_commit', { message: 'Add conf and keys' });
    await runInSandbox(
      task.base,
      `rm -r conf keys && ln -s /etc conf && ln -s ${t.dataDir} keys && ln -s /etc/passwd passwd`,
    );
    const adminKey = t.adminKey.slice(0, 12);
    expect(await useTool(host, 'search_code', { pattern: 'root:' })).toBe('no matches');
    expect(await useTool(host, 'search_code', { pattern: adminKey })).toBe('no matches');
    expect(await useTool(host, 'search_code', { pattern: '.', path: 'keys' })).toBe('no matches');
  });

  it('are refused when a merge joins two links that each stay inside', async () => {
    const first = { projectId: 'joined-links', taskId: 'first' };
    const second = { projectId: 'joined-links', taskId: 'second' };
    await workspaces.createRepository(first.projectId, { type: 'empty' });
    const one = await workspaces.createTaskWorktree(first);
    const two = await workspaces.createTaskWorktree(second);
    execFileSync('ln', ['-s', '.', join(one.path, 'here')]);
    execFileSync('ln', ['-s', 'here/..', join(two.path, 'climb')]);
    await workspaces.merge(first);
    const gitDir = join(t.dataDir, 'workspaces', first.projectId, 'repo.git');
    const before = git(gitDir, 'rev-parse', 'main');
    const error = refusal(await settle(workspaces.merge(second)));
    expect(error.code).toBe('WORKSPACE_SYMLINK_OUTSIDE');
    expect(error.message).toContain('"climb"');
    expect(git(gitDir, 'rev-parse', 'main')).toBe(before);
  });
});
