// Imports are confined, with real git: local paths only from the import roots (resolved, never
// the data folder), URLs only to public or allowlisted addresses, pinned, and one error for
// every unreadable source that never names a password or a server path.
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CadreError } from '../../src/errors/index.js';
import { createWorkspaces, type WorkspacesOptions } from '../../src/workspace/index.js';
import {
  startGitHttpServer,
  startPlainHttpServer,
  type GitHttpServer,
} from '../helpers/git-http-server.js';
import { git } from '../helpers/git.js';

let scratch: string;
let dataDir: string;
let root: string;
let outside: string;
let served: string;
let server: GitHttpServer;
let projectCount = 0;

/** A repository with one commit of README.md saying `text`. */
async function makeRepository(folder: string, text: string) {
  await mkdir(folder, { recursive: true });
  git(folder, 'init', '-q', '-b', 'main');
  await writeFile(join(folder, 'README.md'), text);
  git(folder, 'add', '.');
  git(folder, 'commit', '-q', '-m', 'first');
}

function workspacesWith(imports: WorkspacesOptions['imports'] = {}) {
  return createWorkspaces({ dataDir, imports });
}

/** Imports into a fresh project; answers the error, or null when the import worked. */
async function importError(
  source: { type: 'path'; path: string } | { type: 'url'; url: string },
  imports: WorkspacesOptions['imports'] = {},
): Promise<CadreError | null> {
  projectCount += 1;
  const projectId = `p${projectCount}`;
  const workspaces = workspacesWith(imports);
  const error = await workspaces.createRepository(projectId, source).then(
    () => null,
    (failure: unknown) => failure,
  );
  if (error === null) return null;
  expect(error).toBeInstanceOf(CadreError);
  // A refused or failed import leaves no repository behind.
  await expect(workspaces.getRepository(projectId)).rejects.toMatchObject({
    code: 'WORKSPACE_NOT_FOUND',
  });
  return error as CadreError;
}

async function readImported(
  imports: WorkspacesOptions['imports'],
  source: Parameters<typeof importError>[0],
) {
  projectCount += 1;
  const projectId = `p${projectCount}`;
  const workspaces = workspacesWith(imports);
  await workspaces.createRepository(projectId, source);
  await workspaces.createTaskWorktree({ projectId, taskId: 't1' });
  return workspaces.readFile({ projectId, taskId: 't1' }, 'README.md');
}

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'cadre-import-'));
  dataDir = join(scratch, 'data');
  root = join(scratch, 'imports');
  outside = join(scratch, 'elsewhere');
  served = join(scratch, 'served');
  await Promise.all([dataDir, root, outside, served].map((folder) => mkdir(folder)));
  await makeRepository(join(root, 'app'), 'inside the root\n');
  await makeRepository(join(outside, 'secret'), 'outside the root\n');
  git(served, 'clone', '-q', '--bare', join(root, 'app'), 'app.git');
  server = await startGitHttpServer(served);
});
afterAll(async () => {
  await server.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('local-path import', () => {
  it('is off by default, with an error that says how to turn it on', async () => {
    const error = await importError({ type: 'path', path: join(root, 'app') });
    expect(error?.code).toBe('WORKSPACE_IMPORT_PATH_REFUSED');
    expect(error?.status).toBe(403);
    expect(error?.message).toContain('CADRE_IMPORT_ROOTS');
  });

  it('imports a repository inside an import root', async () => {
    expect(await readImported({ roots: [root] }, { type: 'path', path: join(root, 'app') })).toBe(
      'inside the root\n',
    );
  });

  it('refuses a path outside the roots, and a ".." that climbs out of one', async () => {
    for (const path of [join(outside, 'secret'), `${root}/../elsewhere/secret`]) {
      const error = await importError({ type: 'path', path }, { roots: [root] });
      expect(error?.code).toBe('WORKSPACE_IMPORT_PATH_REFUSED');
      expect(error?.message).not.toContain(scratch);
    }
  });

  it('refuses a symlink inside a root that points outside it', async () => {
    await symlink(join(outside, 'secret'), join(root, 'link-out'));
    await symlink(outside, join(root, 'folder-out'));
    const errors = await Promise.all(
      [
        join(root, 'link-out'),
        join(root, 'folder-out', 'secret'),
        // Behind the symlink, what exists and what does not are answered alike.
        join(root, 'folder-out', 'no-such-repository'),
      ].map((path) => importError({ type: 'path', path }, { roots: [root] })),
    );
    for (const error of errors) {
      expect(error).toMatchObject({
        code: 'WORKSPACE_IMPORT_PATH_REFUSED',
        message: errors[0]!.message,
      });
    }
  });

  it("refuses another project's repository in the data folder, even under a root", async () => {
    const workspaces = workspacesWith();
    await workspaces.createRepository('victim', { type: 'empty' });
    const victim = join(dataDir, 'workspaces', 'victim', 'repo.git');
    for (const path of [victim, dataDir]) {
      // The scratch folder holds the data folder: the root alone would let it through.
      const error = await importError({ type: 'path', path }, { roots: [scratch] });
      expect(error?.code).toBe('WORKSPACE_IMPORT_PATH_REFUSED');
      expect(error?.message).toContain('CADRE_IMPORT_ROOTS');
      expect(error?.message).not.toContain(dataDir);
    }
  });

  it('refuses a repository whose .git leads elsewhere, or that holds a symlink', async () => {
    const pointer = join(root, 'pointer');
    await mkdir(pointer);
    await writeFile(join(pointer, '.git'), `gitdir: ${join(outside, 'secret', '.git')}\n`);
    const planted = join(root, 'planted');
    git(root, 'init', '-q', '--bare', 'planted');
    await symlink(
      join(outside, 'secret', '.git', 'refs', 'heads', 'main'),
      join(planted, 'refs', 'heads', 'main'),
    );
    const errors = await Promise.all(
      [pointer, planted, join(root, 'missing')].map((path) =>
        importError({ type: 'path', path }, { roots: [root] }),
      ),
    );
    for (const error of errors) {
      expect(error).toMatchObject({ code: 'WORKSPACE_IMPORT_FAILED', message: errors[0]!.message });
      expect(error?.message).not.toContain(scratch);
    }
  });
});

describe('URL import', () => {
  it('refuses 127.0.0.1 by default without connecting to it', async () => {
    const before = server.requests.length;
    const error = await importError({ type: 'url', url: `${server.origin}/app.git` });
    expect(error?.code).toBe('WORKSPACE_IMPORT_ADDRESS_REFUSED');
    expect(error?.message).toContain('CADRE_IMPORT_ALLOW_HOSTS');
    expect(server.requests.length).toBe(before);
  });

  it('refuses every loopback, private, link-local, metadata and unspecified form', async () => {
    const port = server.port;
    const urls = [
      `http://localhost:${port}/app.git`,
      `http://[::1]:${port}/app.git`,
      `http://0.0.0.0:${port}/app.git`,
      'http://169.254.169.254/latest/meta-data',
      'http://10.0.0.1/app.git',
      'https://100.64.0.1/app.git',
      `http://[::ffff:127.0.0.1]:${port}/app.git`,
      `http://2130706433:${port}/app.git`,
      'https://[fd00:ec2::254]/app.git',
      'ssh://git@127.0.0.1/app.git',
      'git@localhost:app.git',
    ];
    const before = server.requests.length;
    for (const url of urls) {
      const error = await importError({ type: 'url', url });
      expect({ url, code: error?.code }).toEqual({ url, code: 'WORKSPACE_IMPORT_ADDRESS_REFUSED' });
    }
    expect(server.requests.length).toBe(before);
  });

  it('refuses a name that resolves to a private address, whichever of its addresses it is', async () => {
    const resolveHost = async () => ['93.184.215.14', '10.1.2.3'];
    const error = await importError(
      { type: 'url', url: 'https://git.example.test/app.git' },
      { resolveHost },
    );
    expect(error?.code).toBe('WORKSPACE_IMPORT_ADDRESS_REFUSED');
  });

  it('refuses schemes that cannot be pinned or that run commands', async () => {
    for (const url of [
      `git://127.0.0.1:${server.port}/app.git`,
      `file://${join(root, 'app')}`,
      'ext::sh -c touch% /tmp/pwned',
      join(root, 'app'),
      'http://exa mple.test/app.git',
    ]) {
      const error = await importError({ type: 'url', url }, { allowHosts: ['127.0.0.1'] });
      expect({ url, code: error?.code }).toEqual({ url, code: 'VALIDATION_FAILED' });
    }
  });

  it('imports from an allowlisted loopback address', async () => {
    const text = await readImported(
      { allowHosts: ['127.0.0.0/8'] },
      { type: 'url', url: `${server.origin}/app.git` },
    );
    expect(text).toBe('inside the root\n');
  });

  it('connects to the address it checked, not to a second DNS answer', async () => {
    // The name exists in no DNS: only the pinned address can take git to the server.
    const lookups: string[] = [];
    const resolveHost = async (host: string) => {
      lookups.push(host);
      return ['127.0.0.1'];
    };
    const text = await readImported(
      { allowHosts: ['repo.cadre.test'], resolveHost },
      { type: 'url', url: `http://repo.cadre.test:${server.port}/app.git` },
    );
    expect(text).toBe('inside the root\n');
    expect(lookups).toEqual(['repo.cadre.test']);
  });

  it('pins ssh to the checked address too', async () => {
    // A TCP listener stands in for an ssh server: it records what the client sends first.
    const greetings: string[] = [];
    const listener = createServer((socket) => {
      socket.once('data', (data) => {
        greetings.push(data.toString('latin1'));
        socket.destroy();
      });
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as AddressInfo;
    try {
      const error = await importError(
        { type: 'url', url: `ssh://git@ssh.cadre.test:${port}/app.git` },
        { allowHosts: ['ssh.cadre.test'], resolveHost: async () => ['127.0.0.1'] },
      );
      expect(error?.code).toBe('WORKSPACE_IMPORT_FAILED');
      expect(greetings).toEqual([expect.stringMatching(/^SSH-2\.0-/)]);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });

  it('does not follow a redirect to another server', async () => {
    const redirector = createHttpServer((_request, response) => {
      response.writeHead(302, {
        location: `${server.origin}/app.git/info/refs?service=git-upload-pack`,
      });
      response.end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    const { port } = redirector.address() as AddressInfo;
    const before = server.requests.length;
    try {
      const error = await importError(
        { type: 'url', url: `http://127.0.0.1:${port}/app.git` },
        { allowHosts: ['127.0.0.1'] },
      );
      expect(error?.code).toBe('WORKSPACE_IMPORT_FAILED');
      expect(server.requests.length).toBe(before);
    } finally {
      redirector.closeAllConnections();
      await new Promise((resolve) => redirector.close(resolve));
    }
  });

  it('answers a closed port, an open port that is not git and a missing repository alike', async () => {
    const plain = await startPlainHttpServer();
    try {
      const allowHosts = ['127.0.0.1'];
      const closed = await importError(
        { type: 'url', url: `http://127.0.0.1:${await closedPort()}/app.git` },
        { allowHosts },
      );
      const notGit = await importError(
        { type: 'url', url: `${plain.origin}/app.git` },
        { allowHosts },
      );
      const missing = await importError(
        { type: 'url', url: `${server.origin}/missing.git` },
        { allowHosts },
      );
      expect(plain.requests.length).toBeGreaterThan(0);
      const answer = (error: CadreError | null) => ({
        code: error?.code,
        status: error?.status,
        message: error?.message,
        details: error?.details,
      });
      expect(answer(closed).code).toBe('WORKSPACE_IMPORT_FAILED');
      expect(answer(notGit)).toEqual(answer(closed));
      expect(answer(missing)).toEqual(answer(closed));
    } finally {
      await plain.close();
    }
  });

  it('never puts the URL’s password or a server path in the error', async () => {
    const error = await importError(
      { type: 'url', url: `http://cadre:hunter2-s3cret@127.0.0.1:${server.port}/missing.git` },
      { allowHosts: ['127.0.0.1'] },
    );
    const shown = JSON.stringify({ message: error?.message, details: error?.details });
    expect(error?.code).toBe('WORKSPACE_IMPORT_FAILED');
    expect(shown).not.toContain('hunter2');
    expect(shown).not.toContain(dataDir);
    expect(shown).not.toMatch(/\/(tmp|root|home|var)\//);
    const refused = await importError({
      type: 'url',
      url: `http://cadre:hunter2-s3cret@127.0.0.1:${server.port}/app.git`,
    });
    expect(refused?.message).not.toContain('hunter2');
    const invalid = await importError({ type: 'url', url: 'git://cadre:hunter2@example.test/x' });
    expect(invalid?.message).not.toContain('hunter2');
  });
});
