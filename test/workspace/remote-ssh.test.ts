// Fetch and push over ssh with a deploy key, against a real OpenSSH server the test starts on
// loopback: the right key reads and writes, a wrong key is REMOTE_AUTH_FAILED without
// repeating the key or ssh's output, a host whose key changed is refused, and the key file
// never outlives the call. A project created through the API clones with its deploy key.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CadreError } from '../../src/errors/index.js';
import { createWorkspaces } from '../../src/workspace/index.js';
import { projectLayout, type ProjectLayout } from '../../src/workspace/layout.js';
import {
  fetchBranch,
  inspectRemote,
  pushBranch,
  upstreamRef,
  type RemoteAccess,
  type RemotePolicy,
} from '../../src/workspace/remote.js';
import { bearer, createTestApp } from '../helpers/app.js';
import { git } from '../helpers/git.js';
import { closedPort } from '../helpers/ports.js';

const sshdPath = '/usr/sbin/sshd';
const loopback: RemotePolicy = { allowHosts: ['127.0.0.1'] };
// sshd lets in only the user it runs as when it is not root, and root only with a key.
const user = userInfo().username;

interface Sshd {
  port: number;
  stop(): Promise<void>;
}

let scratch: string;
let keyTemp: string;
let savedTmpdir: string | undefined;
let dataDir: string;
let author: string;
let rightKey: string;
let wrongKey: string;
let sshd: Sshd;
const started: Sshd[] = [];
let projectCount = 0;

/** Runs ssh-keygen for a new ed25519 key pair at `file` (and `file`.pub), without passphrase. */
function keygen(file: string) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test', '-f', file]);
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`ssh-keygen exited ${code}`)),
    );
  });
}

/** Starts sshd on a free loopback port, presenting `hostKey`, letting in the right key only. */
async function startSshd(name: string, hostKey: string): Promise<Sshd> {
  const port = await closedPort();
  const config = join(scratch, `${name}.conf`);
  await writeFile(
    config,
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(scratch, 'authorized_keys')}`,
      `AllowUsers ${user}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      // The scratch folder is the test's, not a home folder sshd would expect to be strict.
      'StrictModes no',
      `PidFile ${join(scratch, `${name}.pid`)}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(sshdPath, ['-D', '-e', '-f', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`sshd exited ${code} before listening:\n${log}`)));
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes(`Server listening on 127.0.0.1 port ${port}`)) resolve();
    });
  });
  child.removeAllListeners('exit');
  const stopped = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    port,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await stopped;
    },
  };
}

/** A fresh project repository (one empty commit on main), with its own known_hosts. */
async function newProject(): Promise<ProjectLayout> {
  projectCount += 1;
  const projectId = `s${projectCount}`;
  await createWorkspaces({ dataDir }).createRepository(projectId, { type: 'empty' });
  return projectLayout(dataDir, projectId);
}

const served = () => join(scratch, 'served', 'app.git');
const upstreamHead = () => git(served(), 'rev-parse', 'refs/heads/main');

function remote(privateKey: string, server: Sshd = sshd): RemoteAccess {
  return {
    url: `ssh://${user}@127.0.0.1:${server.port}${served()}`,
    credential: { kind: 'ssh-key', privateKey },
  };
}

async function failure(promise: Promise<unknown>): Promise<CadreError> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(CadreError);
  return error as CadreError;
}

/** The key folders remote.ts left in this file's private temp folder. */
const keyFolders = () => readdirSync(keyTemp).filter((name) => name.startsWith('cadre-ssh-'));

beforeAll(async () => {
  if (!existsSync(sshdPath)) {
    throw new Error(
      `${sshdPath} is missing: the ssh deploy key tests run against a real OpenSSH server. Install it (apt-get install openssh-server) and run the tests again.`,
    );
  }
  scratch = await mkdtemp(join(tmpdir(), 'cadre-remote-ssh-'));
  // Key files go to a temp folder only this file uses, so the test sees every one of them.
  keyTemp = join(scratch, 'tmp');
  await mkdir(keyTemp);
  savedTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = keyTemp;
  // As root, sshd needs its privilege separation folder, which only its service creates.
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  dataDir = join(scratch, 'data');
  await Promise.all(
    ['client', 'wrong', 'host', 'other-host'].map((name) => keygen(join(scratch, name))),
  );
  await writeFile(
    join(scratch, 'authorized_keys'),
    await readFile(join(scratch, 'client.pub'), 'utf8'),
  );
  rightKey = await readFile(join(scratch, 'client'), 'utf8');
  wrongKey = await readFile(join(scratch, 'wrong'), 'utf8');

  await mkdir(join(scratch, 'served'));
  git(join(scratch, 'served'), 'init', '-q', '--bare', '-b', 'main', 'app.git');
  author = join(scratch, 'author');
  await mkdir(author);
  git(author, 'init', '-q', '-b', 'main');
  git(author, 'remote', 'add', 'origin', served());
  await writeFile(join(author, 'README.md'), 'upstream\n');
  git(author, 'add', '.');
  git(author, 'commit', '-q', '-m', 'first');
  git(author, 'push', '-q', 'origin', 'HEAD:main');

  sshd = await startSshd('sshd', join(scratch, 'host'));
  started.push(sshd);
});

afterAll(async () => {
  await Promise.all(started.map((server) => server.stop()));
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('ssh deploy keys against a real sshd', () => {
  it('fetches with the right key, records the host key, and removes the key file', async () => {
    const layout = await newProject();
    const info = await inspectRemote(layout, remote(rightKey), 'main', loopback);
    expect(info).toEqual({ defaultBranch: 'main', branchHead: upstreamHead() });
    const { commit } = await fetchBranch(layout, remote(rightKey), 'main', loopback);
    expect(commit).toBe(upstreamHead());
    expect(git(layout.gitDir, 'rev-parse', upstreamRef('main'))).toBe(upstreamHead());
    // ssh names the host by the URL's host, whatever port or address it reached.
    const knownHosts = await readFile(join(layout.root, 'known_hosts'), 'utf8');
    expect(knownHosts).toMatch(/^127\.0\.0\.1 ssh-ed25519 /);
    expect(knownHosts).toContain((await readFile(join(scratch, 'host.pub'), 'utf8')).split(' ')[1]);
    expect(keyFolders()).toEqual([]);
  });

  it('answers REMOTE_AUTH_FAILED for a wrong key, repeating neither the key nor ssh', async () => {
    const layout = await newProject();
    const error = await failure(fetchBranch(layout, remote(wrongKey), 'main', loopback));
    expect(error.code).toBe('REMOTE_AUTH_FAILED');
    const said = `${error.message} ${JSON.stringify(error.details)}`;
    for (const line of wrongKey.split('\n').filter((text) => text.length > 20)) {
      expect(said).not.toContain(line);
    }
    expect(said).not.toMatch(/permission denied|publickey|fatal|ssh:/i);
    expect(said).not.toContain(served());
    expect(git(layout.gitDir, 'for-each-ref', 'refs/cadre')).toBe('');
    expect(keyFolders()).toEqual([]);
  });

  it('pushes under the lease and refuses a stale one', async () => {
    const layout = await newProject();
    const { commit: base } = await fetchBranch(layout, remote(rightKey), 'main', loopback);
    const tree = git(layout.gitDir, 'rev-parse', `${base}^{tree}`);
    const change = git(layout.gitDir, 'commit-tree', tree, '-p', base, '-m', 'from cadre');
    const pushed = await pushBranch(
      layout,
      remote(rightKey),
      { source: change, branch: 'main', expectedHead: base },
      loopback,
    );
    expect(pushed.commit).toBe(change);
    expect(upstreamHead()).toBe(change);
    expect(git(layout.gitDir, 'rev-parse', upstreamRef('main'))).toBe(change);

    // The upstream moved on since `base`: a push leased on it would lose that change.
    const later = git(layout.gitDir, 'commit-tree', tree, '-p', base, '-m', 'stale');
    const error = await failure(
      pushBranch(
        layout,
        remote(rightKey),
        { source: later, branch: 'main', expectedHead: base, force: true },
        loopback,
      ),
    );
    expect(error.code).toBe('REMOTE_PUSH_REJECTED');
    expect(upstreamHead()).toBe(change);
    expect(keyFolders()).toEqual([]);
  });

  it('refuses a host whose key changed since the first connection', async () => {
    const layout = await newProject();
    await fetchBranch(layout, remote(rightKey), 'main', loopback);
    // Another server answers at the same host name with another host key.
    const impostor = await startSshd('impostor', join(scratch, 'other-host'));
    started.push(impostor);
    const error = await failure(fetchBranch(layout, remote(rightKey, impostor), 'main', loopback));
    expect(error.code).toBe('REMOTE_HOST_KEY_CHANGED');
    expect(error.message).not.toMatch(/WARNING|fingerprint|SHA256/);
    expect(keyFolders()).toEqual([]);
    // The record is per project: a project that never met the first key accepts this one.
    const fresh = await newProject();
    const { commit } = await fetchBranch(fresh, remote(rightKey, impostor), 'main', loopback);
    expect(commit).toBe(upstreamHead());
  });

  it('creates a project repository from the upstream over ssh', async () => {
    const workspaces = createWorkspaces({ dataDir, imports: { allowHosts: ['127.0.0.1'] } });
    const info = await workspaces.createRepositoryFromRemote('ssh-created', remote(rightKey));
    expect(info).toMatchObject({ baseBranch: 'main', head: upstreamHead() });
    const layout = projectLayout(dataDir, 'ssh-created');
    expect(git(layout.gitDir, 'rev-parse', 'refs/heads/main')).toBe(upstreamHead());
    expect(keyFolders()).toEqual([]);
  });
});

describe('a project created through the API with a deploy key', () => {
  it('clones over ssh, keeps the key out of the answer, and refuses a wrong key', async () => {
    const t = await createTestApp({ imports: { roots: [], allowHosts: ['127.0.0.1'] } });
    try {
      const post = (name: string, sshKey: string) =>
        t.app.inject({
          method: 'POST',
          url: '/api/projects',
          headers: bearer(t.adminKey),
          payload: { name, repository: { url: remote(rightKey).url }, credential: { sshKey } },
        });
      const created = await post('over-ssh', rightKey);
      expect(created.statusCode).toBe(201);
      const keyLine = rightKey.split('\n')[1]!;
      expect(created.body).not.toContain(keyLine);
      expect(created.json()).toMatchObject({ remoteBranch: 'main', secretKinds: ['ssh-key'] });
      const workspace = await t.app.inject({
        method: 'GET',
        url: `/api/projects/${created.json().id}/workspace`,
        headers: bearer(t.adminKey),
      });
      expect(workspace.json()).toMatchObject({ baseBranch: 'main', head: upstreamHead() });

      const refused = await post('wrong-key', wrongKey);
      expect(refused.json().error.code).toBe('REMOTE_AUTH_FAILED');
      expect(refused.body).not.toContain(wrongKey.split('\n')[1]!);
      expect(refused.body).not.toMatch(/permission denied|publickey/i);
      expect(keyFolders()).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
