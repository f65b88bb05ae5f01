// Fetch and push to an upstream with real git against a real git smart-HTTP server that checks
// Basic credentials: only Cadre's own ref is written, the token never reaches argv, every call
// re-checks the address, a push never loses a concurrent change, and errors have stable codes
// that repeat neither the credential nor git's output.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CadreError } from '../../src/errors/index.js';
import { createWorkspaces } from '../../src/workspace/index.js';
import { projectLayout, type ProjectLayout } from '../../src/workspace/layout.js';
import {
  fetchBranch,
  pushBranch,
  inspectRemote,
  upstreamRef,
  type RemoteAccess,
  type RemotePolicy,
} from '../../src/workspace/remote.js';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.js';
import { git } from '../helpers/git.js';

const token = 'ghp_remoteTestToken0123456789';
let scratch: string;
let dataDir: string;
let served: string;
let author: string;
let server: GitHttpServer;
let projectCount = 0;
const loopback: RemotePolicy = { allowHosts: ['127.0.0.1'] };

/** A fresh project repository (one empty commit on main). */
async function newProject(): Promise<ProjectLayout> {
  projectCount += 1;
  const projectId = `r${projectCount}`;
  await createWorkspaces({ dataDir }).createRepository(projectId, { type: 'empty' });
  return projectLayout(dataDir, projectId);
}

/** Commits `text` to `file` in the author's clone and pushes it upstream; answers the commit. */
async function commitUpstream(file: string, text: string): Promise<string> {
  // Cadre's pushes land upstream too: start from what is there now.
  if (projectCount > 0) git(author, 'pull', '-q', '--ff-only', 'origin', 'main');
  await writeFile(join(author, file), text);
  git(author, 'add', '.');
  git(author, 'commit', '-q', '-m', `change ${file}`);
  git(author, 'push', '-q', 'origin', 'HEAD:main');
  return git(author, 'rev-parse', 'HEAD');
}

const upstreamHead = (branch = 'main') =>
  git(join(served, 'app.git'), 'rev-parse', `refs/heads/${branch}`);

function remote(credential: RemoteAccess['credential'] = { kind: 'token', token }): RemoteAccess {
  return { url: `${server.origin}/app.git`, credential };
}

async function failure(promise: Promise<unknown>): Promise<CadreError> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(CadreError);
  return error as CadreError;
}

const refsOf = (layout: ProjectLayout) =>
  git(layout.gitDir, 'for-each-ref', '--format=%(refname) %(objectname)').split('\n').sort();

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Every command line of this user's processes that mentions `needle`. */
function commandLinesWith(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (line.includes(needle)) found.push(line);
    } catch {
      // The process ended meanwhile.
    }
  }
  return found;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'cadre-remote-'));
  dataDir = join(scratch, 'data');
  served = join(scratch, 'served');
  author = join(scratch, 'author');
  await Promise.all([dataDir, served].map((folder) => mkdir(folder)));
  git(served, 'init', '-q', '--bare', '-b', 'main', 'app.git');
  git(scratch, 'clone', '-q', join(served, 'app.git'), 'author');
  git(author, 'checkout', '-q', '-b', 'main');
  await commitUpstream('README.md', 'first\n');
  server = await startGitHttpServer(served, { auth: { password: token }, allowPush: true });
});
afterAll(async () => {
  await server.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('fetchBranch', () => {
  it("fetches the upstream branch into Cadre's own ref and touches no other ref", async () => {
    const layout = await newProject();
    const before = refsOf(layout);
    const { commit } = await fetchBranch(layout, remote(), 'main', loopback);
    expect(commit).toBe(upstreamHead());
    expect(refsOf(layout)).toEqual([...before, `${upstreamRef('main')} ${commit}`].sort());
    expect(git(layout.gitDir, 'show', `${commit}:README.md`)).toBe('first');

    const moved = await commitUpstream('NEWS.md', 'moved\n');
    expect(await fetchBranch(layout, remote(), 'main', loopback)).toEqual({ commit: moved });
  });

  it('answers REMOTE_AUTH_FAILED for a wrong or missing token, without repeating it', async () => {
    const layout = await newProject();
    const wrong = await failure(
      fetchBranch(layout, remote({ kind: 'token', token: 'not-the-token' }), 'main', loopback),
    );
    expect(wrong.code).toBe('REMOTE_AUTH_FAILED');
    expect(wrong.message).not.toContain('not-the-token');
    expect(JSON.stringify(wrong.details)).not.toContain('not-the-token');
    expect(wrong.message).toContain('127.0.0.1');
    const none = await failure(fetchBranch(layout, remote(null), 'main', loopback));
    expect(none.code).toBe('REMOTE_AUTH_FAILED');
    expect(git(layout.gitDir, 'for-each-ref', 'refs/cadre/')).toBe('');
  });

  it('gives the token to git in its environment, never on a command line', async () => {
    let seenOnCommandLines: string[] | null = null;
    let authorization: string | undefined;
    const probe = createHttpServer((request, response) => {
      authorization ??= request.headers.authorization;
      // git is waiting for this answer: its processes (git, git-remote-http) are alive now.
      seenOnCommandLines ??= commandLinesWith(token);
      response.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end();
    });
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    const layout = await newProject();
    const error = await failure(
      fetchBranch(
        layout,
        { url: `http://127.0.0.1:${port}/app.git`, credential: { kind: 'token', token } },
        'main',
        loopback,
      ),
    );
    await new Promise((resolve) => probe.close(resolve));
    expect(error.code).toBe('REMOTE_AUTH_FAILED');
    expect(seenOnCommandLines).toEqual([]);
    expect(authorization).toBe(
      `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`,
    );
  });

  it('answers REMOTE_BRANCH_NOT_FOUND for a branch the upstream lacks', async () => {
    const layout = await newProject();
    const error = await failure(fetchBranch(layout, remote(), 'no-such-branch', loopback));
    expect(error.code).toBe('REMOTE_BRANCH_NOT_FOUND');
    expect(error.message).toContain('remoteBranch');
  });

  it('answers REMOTE_UNREACHABLE when nothing listens', async () => {
    const layout = await newProject();
    const port = await closedPort();
    const error = await failure(
      fetchBranch(
        layout,
        { url: `http://127.0.0.1:${port}/app.git`, credential: null },
        'main',
        loopback,
      ),
    );
    expect(error.code).toBe('REMOTE_UNREACHABLE');
  });

  it('checks the address again on every call: a name that moves to a private address is refused', async () => {
    const layout = await newProject();
    const answers = [['127.0.0.1'], ['10.1.2.3']];
    const policy: RemotePolicy = {
      allowHosts: ['127.0.0.1/32'],
      resolveHost: () => Promise.resolve(answers.shift() ?? []),
    };
    const named = {
      url: `http://git.example.test:${server.port}/app.git`,
      credential: { kind: 'token' as const, token },
    };
    expect((await fetchBranch(layout, named, 'main', policy)).commit).toBe(upstreamHead());
    const before = server.requests.length;
    const error = await failure(fetchBranch(layout, named, 'main', policy));
    expect(error).toMatchObject({ code: 'REMOTE_ADDRESS_REFUSED', status: 403 });
    expect(error.message).toContain('CADRE_IMPORT_ALLOW_HOSTS');
    expect(server.requests.length).toBe(before);
  });

  it('refuses loopback unless allowlisted, and a URL that carries a password', async () => {
    const layout = await newProject();
    const before = server.requests.length;
    expect((await failure(fetchBranch(layout, remote(), 'main'))).code).toBe(
      'REMOTE_ADDRESS_REFUSED',
    );
    const withPassword = {
      url: `http://me:${token}@127.0.0.1:${server.port}/app.git`,
      credential: null,
    };
    const error = await failure(fetchBranch(layout, withPassword, 'main', loopback));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).not.toContain(token);
    expect(server.requests.length).toBe(before);
  });

  it('refuses a token that would add a header of its own', async () => {
    const layout = await newProject();
    const error = await failure(
      fetchBranch(
        layout,
        remote({ kind: 'token', token: `${token}\r\nX-Evil: 1` }),
        'main',
        loopback,
      ),
    );
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(error.message).toContain('credential.token');
  });
});

describe('inspectRemote', () => {
  it("reads the upstream's default branch and a branch's head", async () => {
    const layout = await newProject();
    expect(await inspectRemote(layout, remote(), 'main', loopback)).toEqual({
      defaultBranch: 'main',
      branchHead: upstreamHead(),
    });
    expect(await inspectRemote(layout, remote(), 'missing', loopback)).toEqual({
      defaultBranch: 'main',
      branchHead: null,
    });
    const error = await failure(
      inspectRemote(layout, remote({ kind: 'token', token: 'wrong' }), undefined, loopback),
    );
    expect(error.code).toBe('REMOTE_AUTH_FAILED');
  });
});

describe('pushBranch', () => {
  /** A commit on top of the fetched upstream, made in the project's repository. */
  async function localCommitOnUpstream(layout: ProjectLayout, message: string) {
    const { commit: base } = await fetchBranch(layout, remote(), 'main', loopback);
    const tree = git(layout.gitDir, 'rev-parse', `${base}^{tree}`);
    return { base, commit: git(layout.gitDir, 'commit-tree', tree, '-p', base, '-m', message) };
  }

  it('pushes a commit, and records it as the upstream ref', async () => {
    const layout = await newProject();
    const { base, commit } = await localCommitOnUpstream(layout, 'from cadre');
    expect(
      await pushBranch(
        layout,
        remote(),
        { source: commit, branch: 'main', expectedHead: base },
        loopback,
      ),
    ).toEqual({ commit });
    expect(upstreamHead()).toBe(commit);
    expect(git(layout.gitDir, 'rev-parse', upstreamRef('main'))).toBe(commit);
  });

  it('pushes a ref to a new branch, and refuses to overwrite one that appeared meanwhile', async () => {
    const layout = await newProject();
    const { base, commit: other } = await localCommitOnUpstream(layout, 'feature');
    const branch = `cadre/feature-${projectCount}`;
    git(layout.gitDir, 'update-ref', 'refs/heads/feature', base);
    const { commit } = await pushBranch(
      layout,
      remote(),
      { source: 'refs/heads/feature', branch, expectedHead: null },
      loopback,
    );
    expect(commit).toBe(base);
    expect(upstreamHead(branch)).toBe(base);
    // Another push that expects the branch not to exist yet finds it there.
    const again = await failure(
      pushBranch(layout, remote(), { source: other, branch, expectedHead: null }, loopback),
    );
    expect(upstreamHead(branch)).toBe(base);
    expect(again.code).toBe('REMOTE_PUSH_REJECTED');
  });

  it('never loses a change pushed meanwhile: a stale expectedHead is REMOTE_PUSH_REJECTED', async () => {
    const layout = await newProject();
    const { base, commit } = await localCommitOnUpstream(layout, 'late');
    const concurrent = await commitUpstream('OTHER.md', 'someone else\n');
    for (const force of [false, true]) {
      const error = await failure(
        pushBranch(
          layout,
          remote(),
          { source: commit, branch: 'main', expectedHead: base, force },
          loopback,
        ),
      );
      expect(error.code).toBe('REMOTE_PUSH_REJECTED');
      expect(error.message).toContain('stale info');
      expect(upstreamHead()).toBe(concurrent);
    }
    // Without a lease, a push that is not a fast-forward is refused too.
    const plain = await failure(
      pushBranch(layout, remote(), { source: commit, branch: 'main' }, loopback),
    );
    expect(plain.code).toBe('REMOTE_PUSH_REJECTED');
    expect(upstreamHead()).toBe(concurrent);
  });

  it('rewrites the branch only when forced and while the lease holds', async () => {
    const layout = await newProject();
    const { base } = await localCommitOnUpstream(layout, 'unused');
    // A sibling of the upstream head: replacing the head with it is not a fast-forward.
    const parent = git(layout.gitDir, 'rev-parse', `${base}^`);
    const tree = git(layout.gitDir, 'rev-parse', `${parent}^{tree}`);
    const sibling = git(layout.gitDir, 'commit-tree', tree, '-p', parent, '-m', 'rewritten');
    const unforced = await failure(
      pushBranch(
        layout,
        remote(),
        { source: sibling, branch: 'main', expectedHead: base },
        loopback,
      ),
    );
    expect(unforced.message).toContain('non-fast-forward');
    expect(upstreamHead()).toBe(base);
    await pushBranch(
      layout,
      remote(),
      { source: sibling, branch: 'main', expectedHead: base, force: true },
      loopback,
    );
    expect(upstreamHead()).toBe(sibling);
    // The author's clone follows the rewrite, for the tests after this one.
    git(author, 'fetch', '-q', 'origin');
    git(author, 'reset', '-q', '--hard', 'origin/main');
  });

  it('answers REMOTE_AUTH_FAILED for a wrong token, and changes nothing upstream', async () => {
    const layout = await newProject();
    const { base, commit } = await localCommitOnUpstream(layout, 'unauthorized');
    const error = await failure(
      pushBranch(
        layout,
        remote({ kind: 'token', token: 'wrong' }),
        { source: commit, branch: 'main', expectedHead: base },
        loopback,
      ),
    );
    expect(error.code).toBe('REMOTE_AUTH_FAILED');
    expect(upstreamHead()).toBe(base);
  });
});

describe('ssh deploy keys', () => {
  it('hands ssh the key in a private 0600 file, with a per-project known_hosts, and removes it', async () => {
    const privateKey =
      '-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----';
    let seen: { commandLine: string; keyMode: number; dirMode: number; key: string } | null = null;
    let keyFile = '';
    // Stands where an ssh server would: it looks at the waiting ssh process, then hangs up.
    const probe = createServer((socket) => {
      const [commandLine] = commandLinesWith('cadre-ssh-').filter((line) =>
        line.startsWith('ssh '),
      );
      keyFile = /-i (\S+\/key)/.exec(commandLine ?? '')?.[1] ?? '';
      if (commandLine && keyFile) {
        seen = {
          commandLine,
          keyMode: statSync(keyFile).mode & 0o777,
          dirMode: statSync(join(keyFile, '..')).mode & 0o777,
          key: readFileSync(keyFile, 'utf8'),
        };
      }
      socket.destroy();
    });
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    const layout = await newProject();
    const error = await failure(
      fetchBranch(
        layout,
        { url: `ssh://git@127.0.0.1:${port}/app.git`, credential: { kind: 'ssh-key', privateKey } },
        'main',
        loopback,
      ),
    );
    await new Promise((resolve) => probe.close(resolve));
    expect(error.code).toBe('REMOTE_UNREACHABLE');
    expect(seen).not.toBeNull();
    const { commandLine, keyMode, dirMode, key } = seen!;
    expect(keyMode).toBe(0o600);
    expect(dirMode).toBe(0o700);
    expect(key).toBe(`${privateKey}\n`);
    expect(commandLine).toContain('-F /dev/null');
    expect(commandLine).toContain('IdentitiesOnly=yes');
    expect(commandLine).toContain('StrictHostKeyChecking=accept-new');
    expect(commandLine).toContain(`UserKnownHostsFile=${join(layout.root, 'known_hosts')}`);
    expect(commandLine).not.toContain('not-a-real-key');
    expect(() => statSync(keyFile)).toThrow();
  });

  it("offers none of the host user's own keys when no deploy key is given", async () => {
    const layout = await newProject();
    const knownHosts = `UserKnownHostsFile=${join(layout.root, 'known_hosts')}`;
    let commandLine: string | undefined;
    const probe = createServer((socket) => {
      commandLine = commandLinesWith(knownHosts).find((line) => line.startsWith('ssh '));
      socket.destroy();
    });
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    const error = await failure(
      fetchBranch(
        layout,
        { url: `ssh://git@127.0.0.1:${port}/app.git`, credential: null },
        'main',
        loopback,
      ),
    );
    await new Promise((resolve) => probe.close(resolve));
    expect(error.code).toBe('REMOTE_UNREACHABLE');
    expect(commandLine).toContain('PubkeyAuthentication=no');
    expect(commandLine).not.toContain(' -i ');
  });

  it('refuses a token for an ssh URL and a key for an https URL', async () => {
    const layout = await newProject();
    const sshWithToken = await failure(
      fetchBranch(
        layout,
        { url: 'ssh://git@127.0.0.1:1/app.git', credential: { kind: 'token', token } },
        'main',
        loopback,
      ),
    );
    expect(sshWithToken.code).toBe('VALIDATION_FAILED');
    const httpWithKey = await failure(
      fetchBranch(layout, remote({ kind: 'ssh-key', privateKey: 'key' }), 'main', loopback),
    );
    expect(httpWithKey.code).toBe('VALIDATION_FAILED');
  });
});
