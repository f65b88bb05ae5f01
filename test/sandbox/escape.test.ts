// The escape suite: each probe is an attack run as an agent command in the real bubblewrap
// sandbox, and each test checks on the host that the attack changed or revealed nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { homedir, hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/index.js';
import { CadreError } from '../../src/errors/index.js';
import { createSandboxFixture, waitFor, type SandboxFixture } from './helpers.js';
import { describePrivilegeProbes, type ProbeOutcome } from './privilege-checks.js';
import { runPrivilegeProbes } from './privilege-probes.js';

const canaryName = 'CADRE_ESCAPE_CANARY';
const canaryValue = `canary-${randomBytes(8).toString('hex')}`;
let fixture: SandboxFixture;
let outside: string;
let canaryServer: Server;
let canaryPort: number;
let canaryConnections = 0;
let hostSleeper: ChildProcess;

/** Host processes whose command line contains `marker`. */
function hostProcessesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(marker)) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  process.env[canaryName] = canaryValue;
  fixture = await createSandboxFixture();
  outside = await mkdtemp(join(tmpdir(), 'cadre-outside-'));
  await writeFile(join(outside, 'secret.txt'), canaryValue);
  canaryServer = createServer((socket) => {
    canaryConnections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => canaryServer.listen(0, '127.0.0.1', resolve));
  canaryPort = (canaryServer.address() as { port: number }).port;
  hostSleeper = spawn('sleep', ['3600.123']);
});

// The privilege probes (privilege-probes.ts), run once against the task worktree.
const printkFile = '/proc/sys/kernel/printk_ratelimit_burst';
const isRoot = process.getuid?.() === 0;
const hostUser = isRoot ? Config.parse({}).sandbox.hostUid : process.getuid!();
let privilege: ProbeOutcome;
beforeAll(async () => {
  const printkBefore = readFileSync(printkFile, 'utf8');
  const results = await runPrivilegeProbes((script) => fixture.sh(script));
  privilege = {
    results,
    hostPaths: [
      fixture.dataDir,
      fixture.worktree,
      outside,
      join(tmpdir(), 'cadre-sandbox-'),
      process.cwd(),
    ],
    expectedFileUid: hostUser,
    madeFileUid: (await stat(join(fixture.worktree, 'made-by-sandbox.txt'))).uid,
    printkBefore,
    printkAfter: readFileSync(printkFile, 'utf8'),
  };
}, 60_000);

afterAll(async () => {
  delete process.env[canaryName];
  hostSleeper.kill('SIGKILL');
  await new Promise<void>((resolve) => canaryServer.close(() => resolve()));
  await rm(outside, { recursive: true, force: true });
  await fixture.close();
});

describe('escape probes: secrets of the host', () => {
  it('cannot read ~/.ssh of the host user', async () => {
    const home = homedir();
    const run = await fixture.sh(
      `ls -la ${home}/.ssh ~/.ssh; cat ${home}/.ssh/* ~/.ssh/*; ls ${home}`,
    );
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('No such file or directory');
  });

  it("sees none of the host's private keys or account files in /etc", async () => {
    const run = await fixture.sh('ls -a /etc /etc/ssl; ls /etc/ssl/private; cat /etc/passwd');
    expect(run.stdout).not.toMatch(/^(shadow|gshadow|sudoers|ssh)$/m);
    expect(run.stdout).not.toMatch(/^private$/m);
    expect(run.stdout).toContain('cadre:x:1000:1000');
    expect(run.stdout.split('\n').filter((line) => line.includes(':x:'))).toHaveLength(3);
  });

  it('cannot read /etc/shadow', async () => {
    const run = await fixture.sh('cat /etc/shadow');
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).not.toMatch(/^root:/m);
  });

  it('cannot read the environment of process 1', async () => {
    const run = await fixture.sh('cat /proc/1/environ; echo; cat /proc/1/cmdline');
    expect(run.stdout + run.stderr).not.toContain(canaryValue);
  });

  it('does not see a variable of the host environment', async () => {
    const run = await fixture.sh(`env; echo "[\${${canaryName}}]"`);
    expect(run.stdout).toContain('[]');
    expect(run.stdout).not.toContain(canaryValue);
    expect(run.stdout).not.toContain(canaryName);
  });

  it("cannot find the canary in any process's environment", async () => {
    const run = await fixture.sh(`cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'`);
    expect(run.stdout).not.toContain(canaryValue);
  });

  it('cannot read a host file by its absolute path', async () => {
    const run = await fixture.sh(`cat ${outside}/secret.txt`);
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).not.toContain(canaryValue);
  });

  it("cannot see Cadre's data folder, other workspaces or the host's source trees", async () => {
    const run = await fixture.sh(
      `ls ${fixture.dataDir} ${dirname(process.cwd())} /root /home /var/run 2>&1; ls /`,
    );
    expect(run.stdout).not.toContain('repo.git');
    expect(run.stdout).not.toContain(canaryValue);
    expect(run.stdout.split('\n')).not.toContain('root');
    expect(run.stdout).toContain('No such file or directory');
  });

  it('cannot reach block devices or kernel memory', async () => {
    const run = await fixture.sh('ls /dev; head -c 16 /dev/mem /dev/sda /dev/vda /dev/kmsg 2>&1');
    expect(run.stdout).not.toMatch(/^(sda|vda|mem|kmsg)$/m);
    expect(run.stdout).toContain('No such file or directory');
  });

  it('has no /sys to reach cgroups or the kernel', async () => {
    const run = await fixture.sh('ls /sys/fs/cgroup 2>&1; echo 1 > /sys/fs/cgroup/cgroup.procs');
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).toContain('No such file or directory');
  });
});

describe('escape probes: writing outside the workspace', () => {
  it('cannot write into a host folder by its absolute path', async () => {
    const run = await fixture.sh(`echo pwned > ${outside}/pwned.txt`);
    expect(run.exitCode).not.toBe(0);
    expect(existsSync(join(outside, 'pwned.txt'))).toBe(false);
  });

  it('cannot write into the system folders', async () => {
    const run = await fixture.sh(
      'echo pwned > /usr/bin/cadre-pwned; a=$?; echo pwned > /etc/cadre-pwned; echo "$a $?"',
    );
    expect(run.stdout).toBe('1 1\n');
    expect(existsSync('/usr/bin/cadre-pwned')).toBe(false);
    expect(existsSync('/etc/cadre-pwned')).toBe(false);
  });

  it('cannot climb out of the workspace with ..', async () => {
    const run = await fixture.sh(
      'echo pwned > ../escaped.txt; a=$?; cd ../..; echo pwned > escaped2.txt; echo "$a $? $PWD"',
    );
    expect(run.stdout).toBe('1 1 /\n');
    expect(existsSync(join(dirname(fixture.worktree), 'escaped.txt'))).toBe(false);
    expect(existsSync(join(dirname(dirname(fixture.worktree)), 'escaped2.txt'))).toBe(false);
  });

  it("cannot change the repository's git folder through the worktree", async () => {
    const gitdir = readFileSync(join(fixture.worktree, '.git'), 'utf8').replace('gitdir: ', '');
    const run = await fixture.sh(
      `cat .git; cd "$(sed -n "s/gitdir: //p" .git)" && echo "[core] hooksPath=/tmp" >> config; cd ${gitdir} && echo "[core] hooksPath=/tmp" >> config`,
    );
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).not.toContain('gitdir');
    const config = await readFile(
      join(fixture.dataDir, 'workspaces', 'probe', 'repo.git', 'config'),
      'utf8',
    );
    expect(config).not.toContain('hooksPath');
  });

  it('keeps /tmp private: a file written there never reaches the host /tmp', async () => {
    const name = `cadre-private-${randomBytes(4).toString('hex')}`;
    const run = await fixture.sh(`echo x > /tmp/${name} && ls /tmp`);
    expect(run.stdout.trim()).toBe(name);
    expect(existsSync(join('/tmp', name))).toBe(false);
  });

  it('cannot mount a filesystem over the workspace or the system', async () => {
    const run = await fixture.sh(
      'mount -t tmpfs none /usr 2>&1; mount --bind / /workspace 2>&1; id -u',
    );
    expect(run.stdout).toContain('1000');
    expect(run.stdout).not.toMatch(/^0$/m);
    expect(readdirSync('/usr/bin').length).toBeGreaterThan(10);
  });
});

describe('escape probes: symlinks and .. through the shell and the file API', () => {
  it('a symlink made in the shell to /etc/shadow reads nothing of the host', async () => {
    const run = await fixture.sh('ln -sf /etc/shadow shadow-link && cat shadow-link');
    expect(run.stdout).not.toMatch(/^root:/m);
    const error = await fixture.workspaces
      .readFile(fixture.task, 'shadow-link')
      .catch((failure: unknown) => failure);
    expect((error as CadreError).code).toBe('PATH_OUTSIDE_WORKSPACE');
  });

  it('a symlink made in the shell to a host file is refused by the file API for reading', async () => {
    await fixture.sh(`ln -sf ${outside}/secret.txt secret-link`);
    const error = await fixture.workspaces
      .readFile(fixture.task, 'secret-link')
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(CadreError);
    expect((error as CadreError).code).toBe('PATH_OUTSIDE_WORKSPACE');
    expect(String((error as CadreError).message)).not.toContain(canaryValue);
  });

  it('a symlink made in the shell to a host folder is refused by the file API for writing', async () => {
    await fixture.sh(`ln -sfn ${outside} outside-link`);
    const write = fixture.workspaces.writeFile(
      fixture.task,
      'outside-link/secret.txt',
      'overwritten',
    );
    await expect(write).rejects.toMatchObject({ code: 'PATH_OUTSIDE_WORKSPACE' });
    const create = fixture.workspaces.writeFile(fixture.task, 'outside-link/new.txt', 'planted');
    await expect(create).rejects.toMatchObject({ code: 'PATH_OUTSIDE_WORKSPACE' });
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe(canaryValue);
    expect(readdirSync(outside)).toEqual(['secret.txt']);
  });

  it('.. and absolute paths are refused by the file API and change nothing', async () => {
    for (const path of ['../escaped.txt', 'a/../../escaped.txt', `${outside}/secret.txt`]) {
      await expect(fixture.workspaces.writeFile(fixture.task, path, 'x')).rejects.toMatchObject({
        code: 'PATH_OUTSIDE_WORKSPACE',
      });
    }
    expect(existsSync(join(dirname(fixture.worktree), 'escaped.txt'))).toBe(false);
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe(canaryValue);
  });

  it('a symlink planted by the shell cannot redirect a later write of the file API', async () => {
    await fixture.workspaces.writeFile(fixture.task, 'notes/target.txt', 'mine');
    await fixture.sh(`rm -rf notes && ln -s ${outside} notes`);
    await expect(
      fixture.workspaces.writeFile(fixture.task, 'notes/target.txt', 'redirected'),
    ).rejects.toMatchObject({
      code: 'PATH_OUTSIDE_WORKSPACE',
    });
    expect(readdirSync(outside)).toEqual(['secret.txt']);
  });
});

describe('escape probes: the network', () => {
  it('cannot connect to a canary server on the host loopback (bash /dev/tcp)', async () => {
    const before = canaryConnections;
    const run = await fixture.sh(`echo hello > /dev/tcp/127.0.0.1/${canaryPort}`);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toMatch(/Connection refused|Network is unreachable/);
    await new Promise((resolve) => setImmediate(resolve));
    expect(canaryConnections).toBe(before);
  });

  it('cannot connect to the canary server with node either', async () => {
    const before = canaryConnections;
    const script = `node -e "require('net').connect(${canaryPort}, '127.0.0.1').on('connect', () => { console.log('connected'); process.exit(0) }).on('error', (e) => { console.log(e.code); process.exit(3) })"`;
    const run = await fixture.sh(script);
    expect(run.stdout).not.toContain('connected');
    expect(run.exitCode).toBe(3);
    expect(canaryConnections).toBe(before);
  });

  it('cannot reach an outside address, and fails at once rather than waiting', async () => {
    const started = performance.now();
    const run = await fixture.sh('timeout 5 bash -c "echo > /dev/tcp/1.1.1.1/80"');
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toContain('Network is unreachable');
    expect(performance.now() - started).toBeLessThan(4_000);
  });

  it('has no network interface but an idle loopback of its own', async () => {
    const run = await fixture.sh('cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "');
    expect(run.stdout.trim().split('\n')).toEqual(['lo']);
  });
});

describe('escape probes: resource exhaustion', () => {
  it('a fork bomb is contained by the process limit and leaves nothing behind', async () => {
    const marker = `bomb${randomBytes(3).toString('hex')}`;
    const run = await fixture.sh(`b() { b | b & }; b; sleep 2 # ${marker}`, {
      processes: 32,
      timeoutMs: 4_000,
    });
    expect(run.stderr).toMatch(/fork|retry|Resource temporarily unavailable/);
    expect(hostProcessesWith(marker)).toEqual([]);
    const after = await fixture.sh('echo still-works');
    expect(after.stdout).toBe('still-works\n');
  });

  it('a memory hog is killed at the memory limit', async () => {
    const run = await fixture.sh('a=xxxxxxxxxxxxxxxx; while :; do a="$a$a"; done', {
      memoryBytes: 64 * 1024 ** 2,
    });
    expect(run.exitCode).not.toBe(0);
    expect(run.isTimedOut).toBe(false);
    if (run.usage.peakMemoryBytes !== null)
      expect(run.usage.peakMemoryBytes).toBeLessThanOrEqual(64 * 1024 ** 2);
  });

  it('cannot fill the disk through the workspace: writes stop at the file-size limit', async () => {
    const run = await fixture.sh('dd if=/dev/zero of=big.bin bs=1M count=50', {
      fileSizeBytes: 1024 ** 2,
    });
    expect(run.exitCode).not.toBe(0);
    expect((await stat(join(fixture.worktree, 'big.bin'))).size).toBeLessThanOrEqual(1024 ** 2);
    await rm(join(fixture.worktree, 'big.bin'));
  });

  it('cannot fill memory through the private /tmp', async () => {
    const run = await fixture.sh('dd if=/dev/zero of=/tmp/fill bs=1M count=200; ls -l /tmp/fill', {
      memoryBytes: 64 * 1024 ** 2,
      fileSizeBytes: 32 * 1024 ** 2,
    });
    expect(run.stdout).not.toContain('209715200');
    expect(existsSync('/tmp/fill')).toBe(false);
  });

  it('a CPU spin is killed at the wall timeout', async () => {
    const started = performance.now();
    const run = await fixture.sh('while :; do :; done', { timeoutMs: 1_000 });
    expect(run.isTimedOut).toBe(true);
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('a CPU spin is stopped by the CPU-time limit', async () => {
    const run = await fixture.sh('while :; do :; done', { cpuSeconds: 1, timeoutMs: 8_000 });
    expect(run.isTimedOut).toBe(false);
    expect(run.exitCode).not.toBe(0);
  });

  it('a flood of output is capped', async () => {
    const run = await fixture.sh('yes', { outputBytes: 1_000, timeoutMs: 1_000 });
    expect(run.isOutputTruncated).toBe(true);
    expect(run.stdout.length).toBe(1_000);
  });

  it('cannot raise its own limits', async () => {
    const run = await fixture.sh('ulimit -n 100000 && echo raised', { openFiles: 64 });
    expect(run.stdout).not.toContain('raised');
    expect(run.exitCode).not.toBe(0);
  });
});

describe('escape probes: processes', () => {
  it('a background process does not survive the end of the run', async () => {
    const marker = '4242.4242';
    const run = await fixture.sh(`sleep ${marker} & echo started`);
    expect(run.stdout).toBe('started\n');
    expect(hostProcessesWith(`sleep ${marker}`)).toEqual([]);
  });

  it('a process detached with setsid and a double fork does not survive either', async () => {
    const marker = '4343.4343';
    await fixture.sh(
      `(setsid sleep ${marker} < /dev/null > /dev/null 2>&1 &) ; nohup sleep ${marker} > /dev/null 2>&1 &`,
    );
    expect(hostProcessesWith(`sleep ${marker}`)).toEqual([]);
  });

  it('cannot see or kill a host process', async () => {
    const pid = hostSleeper.pid!;
    const run = await fixture.sh(
      `ls /proc/${pid} 2>&1; kill -9 ${pid} ${process.pid} 2>&1; kill -9 -1; echo done`,
    );
    expect(run.stdout).toContain('No such file or directory');
    expect(isAlive(pid)).toBe(true);
    expect(isAlive(process.pid)).toBe(true);
  });

  it('cannot attach to a host process with ptrace', async () => {
    const pid = hostSleeper.pid!;
    const run = await fixture.sh(
      `head -c 64 /proc/${pid}/mem 2>&1; cat /proc/${pid}/maps 2>&1; grep -c . /proc/*/status | wc -l`,
    );
    expect(run.stdout).toContain('No such file or directory');
    expect(isAlive(pid)).toBe(true);
    // Only the sandbox's own processes exist: bubblewrap's init, bash and the pipeline.
    expect(Number(run.stdout.trim().split('\n').at(-1))).toBeLessThan(10);
  });

  it('runs without privileges and cannot regain them', async () => {
    const run = await fixture.sh(
      'id -u; grep CapEff /proc/self/status; su -c id root 2>&1; unshare -r id -u 2>&1 || true',
    );
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('1000');
    expect(lines[1]).toMatch(/CapEff:\s+0+$/);
    expect(run.stdout).not.toMatch(/uid=0/);
  });

  it('cannot change the host name of the machine', async () => {
    const before = hostname();
    await fixture.sh('hostname pwned 2>&1; echo pwned > /proc/sys/kernel/hostname 2>&1');
    expect(hostname()).toBe(before);
  });
});

describePrivilegeProbes(
  `escape probes with Cadre as ${isRoot ? 'root' : 'an ordinary user'}: host privilege and host paths`,
  () => privilege,
);

describe('escape probes: a terminal', () => {
  it('runs as the same unprivileged host user, under the seccomp filter', async () => {
    const terminal = fixture.sandbox.openPty({
      workspace: fixture.worktree,
      argv: [
        '/bin/sh',
        '-c',
        'echo made > made-in-terminal.txt; grep Seccomp: /proc/self/status; echo 11 > /proc/sys/kernel/printk_ratelimit_burst; sleep 0.2',
      ],
    });
    let output = '';
    terminal.onData((data) => (output += data));
    let exitCode: number | null = null;
    terminal.onExit((exit) => (exitCode = exit.exitCode));
    await waitFor(() => exitCode !== null, 10_000);
    expect(output).toMatch(/Seccomp:\s+2/);
    expect(output).toMatch(/Read-only file system/);
    const made = await stat(join(fixture.worktree, 'made-in-terminal.txt'));
    expect(made.uid).toBe(hostUser);
    expect(made.uid).not.toBe(0);
  });
});

describe('the worktree under an unprivileged host user', () => {
  it('never hands a host file to the sandbox through a planted symlink', async () => {
    await fixture.sh(
      `mkdir -p nest && ln -sfn ${outside} nest/planted-dir && ln -sf ${outside}/secret.txt planted-file`,
    );
    await fixture.workspaces.writeFile(fixture.task, 'nest/after.txt', 'from the host\n');
    const run = await fixture.sh('echo changed >> nest/after.txt && echo ok');
    expect(run.stdout).toBe('ok\n');
    for (const path of [outside, join(outside, 'secret.txt')]) {
      expect((await stat(path)).uid).toBe(process.getuid!());
    }
  });

  it('can change files that host-side git and the file API made as Cadre', async () => {
    await fixture.workspaces.writeFile(fixture.task, 'by-cadre/notes.txt', 'from the host\n');
    const run = await fixture.sh(
      'echo changed >> by-cadre/notes.txt && mkdir by-cadre/sub && echo ok',
    );
    expect(run.stdout).toBe('ok\n');
    expect(await readFile(join(fixture.worktree, 'by-cadre', 'notes.txt'), 'utf8')).toBe(
      'from the host\nchanged\n',
    );
  });
});
