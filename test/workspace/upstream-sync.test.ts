// The base branch follows its upstream with real git against a real git server: a
// fast-forward when Cadre has nothing of its own, a merge that keeps Cadre's own commits when
// both moved, and a conflict that names the files and moves nothing.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CadreError } from '../../src/errors/index.js';
import { createWorkspaces, type Workspaces } from '../../src/workspace/index.js';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.js';
import { git } from '../helpers/git.js';

const token = 'upstream-sync-token';
let scratch: string;
let dataDir: string;
let author: string;
let server: GitHttpServer;
let workspaces: Workspaces;
let count = 0;

async function pushUpstream(file: string, content: string) {
  git(author, 'pull', '-q', '--ff-only', 'origin', 'main');
  await writeFile(join(author, file), content);
  git(author, 'add', '.');
  git(author, 'commit', '-q', '-m', `upstream ${file}`);
  git(author, 'push', '-q', 'origin', 'HEAD:main');
  return git(author, 'rev-parse', 'HEAD');
}

/** A project cloned from the upstream, and git on its repository. */
async function project() {
  count += 1;
  const projectId = `sync${count}`;
  const remote = { url: `${server.origin}/app.git`, credential: { kind: 'token' as const, token } };
  await workspaces.createRepositoryFromRemote(projectId, remote, 'main');
  const gitDir = join(dataDir, 'workspaces', projectId, 'repo.git');
  const cadre = (...args: string[]) =>
    execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8' }).trim();
  /** A commit of Cadre's own on main (as a local-mode merge makes), changing `file`. */
  const commitLocally = (file: string, content: string) => {
    const blob = execFileSync('git', ['--git-dir', gitDir, 'hash-object', '-w', '--stdin'], {
      input: content,
      encoding: 'utf8',
    }).trim();
    const base = cadre('rev-parse', 'main');
    const entries = cadre('ls-tree', base)
      .split('\n')
      .filter((line) => !line.endsWith(`\t${file}`));
    const tree = execFileSync('git', ['--git-dir', gitDir, 'mktree'], {
      input: [...entries, `100644 blob ${blob}\t${file}`].join('\n') + '\n',
      encoding: 'utf8',
    }).trim();
    const commit = execFileSync(
      'git',
      ['--git-dir', gitDir, 'commit-tree', tree, '-p', base, '-m', `local ${file}`],
      {
        encoding: 'utf8',
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 'c',
          GIT_AUTHOR_EMAIL: 'c@c',
          GIT_COMMITTER_NAME: 'c',
          GIT_COMMITTER_EMAIL: 'c@c',
        },
      },
    ).trim();
    cadre('update-ref', 'refs/heads/main', commit);
    return commit;
  };
  return { projectId, remote, cadre, commitLocally };
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'cadre-upstream-sync-'));
  dataDir = join(scratch, 'data');
  author = join(scratch, 'author');
  await mkdir(join(scratch, 'served'), { recursive: true });
  git(join(scratch, 'served'), 'init', '-q', '--bare', '-b', 'main', 'app.git');
  git(scratch, 'clone', '-q', join(scratch, 'served', 'app.git'), 'author');
  git(author, 'checkout', '-q', '-b', 'main');
  await writeFile(join(author, 'README.md'), 'first\n');
  git(author, 'add', '.');
  git(author, 'commit', '-q', '-m', 'first');
  git(author, 'push', '-q', 'origin', 'main');
  server = await startGitHttpServer(join(scratch, 'served'), { auth: { password: token } });
  workspaces = createWorkspaces({ dataDir, imports: { allowHosts: ['127.0.0.1'] } });
});
afterAll(async () => {
  await server.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('syncBase', () => {
  it('is up to date, then fast-forwards when only the upstream moved', async () => {
    const { projectId, remote, cadre } = await project();
    expect((await workspaces.syncBase(projectId, remote, 'main')).outcome).toBe('up-to-date');
    const moved = await pushUpstream('NEWS.md', 'news\n');
    expect(await workspaces.syncBase(projectId, remote, 'main')).toMatchObject({
      outcome: 'fast-forward',
      upstream: moved,
      head: moved,
    });
    expect(cadre('rev-parse', 'main')).toBe(moved);
  });

  it("merges the upstream into a base with commits of Cadre's own, losing none", async () => {
    const { projectId, remote, cadre, commitLocally } = await project();
    const local = commitLocally('LOCAL.md', 'merged by cadre\n');
    const upstream = await pushUpstream('REMOTE.md', 'pushed upstream\n');
    const synced = await workspaces.syncBase(projectId, remote, 'main');
    expect(synced.outcome).toBe('merged');
    expect(cadre('rev-parse', `${synced.head}^1`, `${synced.head}^2`).split('\n')).toEqual([
      local,
      upstream,
    ]);
    expect(cadre('ls-tree', '--name-only', 'main').split('\n')).toEqual(
      expect.arrayContaining(['LOCAL.md', 'REMOTE.md']),
    );
  });

  it('answers MERGE_CONFLICT naming the file, and leaves the base where it was', async () => {
    const { projectId, remote, cadre, commitLocally } = await project();
    const local = commitLocally('README.md', 'cadre wrote this\n');
    await pushUpstream('README.md', 'upstream wrote this\n');
    const error = await workspaces.syncBase(projectId, remote, 'main').then(
      () => null,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(CadreError);
    expect(error).toMatchObject({ code: 'MERGE_CONFLICT', details: { paths: ['README.md'] } });
    expect(cadre('rev-parse', 'main')).toBe(local);
  });

  it('follows a new upstream branch, making it the base', async () => {
    const { projectId, remote, cadre } = await project();
    git(author, 'push', '-q', 'origin', 'HEAD:release');
    const synced = await workspaces.syncBase(projectId, remote, 'release');
    expect(synced.outcome).toBe('created');
    expect(cadre('symbolic-ref', 'HEAD')).toBe('refs/heads/release');
    expect((await workspaces.getRepository(projectId)).baseBranch).toBe('release');
  });
});
