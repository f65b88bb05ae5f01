// The privilege probes of the escape suite with Cadre run by an ordinary user (nobody, when
// the tests run as root; the tests' own user otherwise): the sandbox's user then maps to
// that user, and every vector must stay closed as it does for Cadre run as root.
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describePrivilegeProbes, type ProbeOutcome } from './privilege-checks.js';
import type { BaitProbeName, HostBait, ProbeName, ProbeRun } from './privilege-probes.js';
import { isRoot, nobody, runAsUser } from './run-as-user.js';

const fixture = fileURLToPath(new URL('./fixtures/escape-as-user.ts', import.meta.url));
const printkFile = '/proc/sys/kernel/printk_ratelimit_burst';
const user = isRoot ? nobody : process.getuid!();
let workspace: string;
let outcome: ProbeOutcome;
let terminal: { exitCode: number; output: string };
let bait: Record<BaitProbeName, ProbeRun>;
// What the host offers the user Cadre runs as, and the sandbox must not reach.
const canary = `canary-${randomBytes(8).toString('hex')}`;
let baitDir: string;
let server: Server;
let connections = 0;

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'cadre-escape-as-user-'));
  if (isRoot) await chown(workspace, nobody, nobody);
  baitDir = await mkdtemp(join(tmpdir(), 'cadre-bait-'));
  await chmod(baitDir, 0o755);
  await writeFile(join(baitDir, 'secret.txt'), canary, { mode: 0o644 });
  server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const hostBait: HostBait = {
    secretFile: join(baitDir, 'secret.txt'),
    loopbackPort: (server.address() as { port: number }).port,
    envName: 'CADRE_BAIT_CANARY',
  };
  const printkBefore = await readFile(printkFile, 'utf8');
  const stdout = await runAsUser({
    fixture,
    args: [workspace, JSON.stringify(hostBait)],
    env: { CADRE_BAIT_CANARY: canary },
  });
  const printed = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    results: Record<ProbeName, ProbeRun>;
    baitResults: typeof bait;
    terminal: typeof terminal;
  };
  terminal = printed.terminal;
  bait = printed.baitResults;
  outcome = {
    results: printed.results,
    hostPaths: [workspace, join(tmpdir(), 'cadre-sandbox-'), process.cwd()],
    expectedFileUid: user,
    madeFileUid: (await stat(join(workspace, 'made-by-sandbox.txt'))).uid,
    printkBefore,
    printkAfter: await readFile(printkFile, 'utf8'),
  };
}, 120_000);
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(baitDir, { recursive: true, force: true });
  await rm(workspace, { recursive: true, force: true });
});

describePrivilegeProbes('escape probes with Cadre as an ordinary user', () => outcome);

describe('a terminal with Cadre as an ordinary user', () => {
  it('runs as that user on the host, under the seccomp filter', async () => {
    expect(terminal.exitCode).toBe(0);
    expect((await stat(join(workspace, 'made-in-terminal.txt'))).uid).toBe(user);
  });
});

describe('what the host offers the ordinary user, with Cadre as that user', () => {
  it('cannot read a host file that user may read', () => {
    expect(bait.secretFile.exitCode).not.toBe(0);
    expect(bait.secretFile.stdout).not.toContain(canary);
  });

  it("cannot connect to a server on the host's loopback", () => {
    expect(bait.loopback.exitCode).not.toBe(0);
    expect(bait.loopback.stderr).toMatch(/Connection refused|Network is unreachable/);
    expect(connections).toBe(0);
  });

  it("does not see Cadre's environment", () => {
    expect(bait.hostEnv.stdout).toBe('0\n0\n');
  });

  it("sees the sandbox's own accounts only, no shadow file, no /root or /home", () => {
    const { stdout, stderr } = bait.accounts;
    expect(stdout.split('\n')[0]).toBe('3');
    expect(stderr).toContain('/etc/shadow: No such file or directory');
    expect(stdout).toMatch(/\/root.*No such file or directory/);
  });
});
