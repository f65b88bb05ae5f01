// A networked sandbox reaches the internet and never the host: against a stand-in internet
// (a network namespace with a public-looking address) it connects out, while the host's
// loopback, slirp's gateway, link-local, private and the host's own addresses stay
// unreachable unless allowlisted. Real bubblewrap, slirp4netns and nftables; the test host
// needs root (CI runs as root), the ordinary-user case runs as nobody.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/index.js';
import { CadreError } from '../../src/errors/index.js';
import { createCgroupManager } from '../../src/sandbox/cgroups.js';
import { createEgress } from '../../src/sandbox/egress.js';
import { findExecutable } from '../../src/sandbox/find-executable.js';
import { resolveLimits } from '../../src/sandbox/limits.js';
import { runProcess } from '../../src/sandbox/process-run.js';
import { checkSandbox, collectRun, createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { waitFor } from './helpers.js';
import { createNetworkTestHost, farPort, type NetworkTestHost } from './network-host.js';
import { dnsProbeScript, parseProbe, probeArgv } from './network-probe.js';

const isRoot = process.getuid?.() === 0;
const fixture = fileURLToPath(new URL('./fixtures/network-non-root-run.ts', import.meta.url));
let host: NetworkTestHost;
let workspace: string;
let sandbox: Sandbox;

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'cadre-network-'));
  await chmod(workspace, 0o777);
  sandbox = createSandbox(Config.parse({}).sandbox);
  if (isRoot) host = await createNetworkTestHost();
});
afterAll(async () => {
  await host?.close();
  await rm(workspace, { recursive: true, force: true });
});

const at = (address: string, port: number) => `${address}:${port}`;

async function probe(targets: string[], options: { sandbox?: Sandbox; hasNetwork?: boolean } = {}) {
  const run = await collectRun(
    (options.sandbox ?? sandbox).run({
      argv: probeArgv(targets),
      workspace,
      hasNetwork: options.hasNetwork ?? true,
      limits: { timeoutMs: 25_000 },
    }),
  );
  expect(run.exitCode, run.stderr).toBe(0);
  return parseProbe(run.stdout);
}

/** What the host itself gets on connecting to address:port: the server's first line, or null. */
function hostConnect(address: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: 2_000 });
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('end', () => resolve(text.trim()));
    socket.on('error', () => resolve(null));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(null);
    });
  });
}

/** Whether users other than root may open /dev/net/tun (Debian's default, mode 0666). */
function tunIsOpenToEveryone(): boolean {
  try {
    return (statSync('/dev/net/tun').mode & 0o006) === 0o006;
  } catch {
    return false;
  }
}

/** slirp4netns processes this test process started and that are still alive. */
function ourSlirps(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return stat.includes('(slirp4netns)') && Number(fields[1]) === process.pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

// Building the test host needs root; without it, the ordinary-user block below runs instead
// (defined, not skipped: CI fails a run that skips a test).
const describeIf = (condition: boolean) => (condition ? describe : () => undefined);
const describeAsRoot = describeIf(isRoot);
const describeAsUser = describeIf(!isRoot);

describeAsRoot('a networked sandbox, against a test host (root)', () => {
  it('reaches a public address, and none of the host, its loopback or the private ranges', async () => {
    // The host reaches every one of these servers: what the sandbox cannot reach is its doing.
    expect(await hostConnect(host.privateAddress, farPort)).toBe(`far ${host.privateAddress}`);
    expect(await hostConnect(host.linkLocalAddress, farPort)).toBe(`far ${host.linkLocalAddress}`);
    expect(await hostConnect(host.hostVethAddress, host.vethPort)).toBe('host 198.51.100.1');
    const hostTargets = host.hostServers.map((server) => at(server.address, server.port));
    const targets = [
      at(host.publicAddress, farPort),
      at(host.privateAddress, farPort),
      at(host.allowlistedAddress, farPort),
      at(host.linkLocalAddress, farPort),
      at('169.254.169.254', 80),
      at('10.0.2.2', host.loopbackPort), // slirp's gateway, which would be the host's 127.0.0.1
      at('10.0.2.3', host.loopbackPort), // slirp's resolver on any port but 53
      at('0.0.0.0', host.loopbackPort),
      at('127.0.0.1', host.loopbackPort), // the sandbox's own loopback: nothing listens
      ...hostTargets, // the host's 127.0.0.1, its veth end and every other address it has
    ];
    const results = await probe(targets);
    expect(results[at(host.publicAddress, farPort)]).toBe(`far ${host.publicAddress}`);
    const reached = targets.slice(1).filter((target) => results[target] !== null);
    expect(reached).toEqual([]);
    expect(host.hostServers.map((server) => server.address)).toContain(host.hostVethAddress);
  });

  it('reaches an allowlisted private address, and still no other', async () => {
    const allowing = createSandbox(
      Config.parse({ sandbox: { networkAllow: [host.allowlistedAddress] } }).sandbox,
    );
    const results = await probe(
      [at(host.allowlistedAddress, farPort), at(host.privateAddress, farPort)],
      { sandbox: allowing },
    );
    expect(results).toEqual({
      [at(host.allowlistedAddress, farPort)]: `far ${host.allowlistedAddress}`,
      [at(host.privateAddress, farPort)]: null,
    });
  });

  it("resolves names through slirp only: DNS to its resolver works as the host's does", async () => {
    const run = await collectRun(
      sandbox.run({ argv: ['cat', '/etc/resolv.conf'], workspace, hasNetwork: true }),
    );
    expect(run.stdout).toBe('nameserver 10.0.2.3\n');
    const hostResolver = /^nameserver\s+(\d+\.\d+\.\d+\.\d+)/m.exec(
      readFileSync('/etc/resolv.conf', 'utf8'),
    )?.[1];
    expect(hostResolver).toBeDefined();
    const fromHost = execFileSync('bash', ['-c', dnsProbeScript, 'dns', hostResolver!]).toString();
    const dns = async (server: string) =>
      (
        await collectRun(
          sandbox.run({
            argv: ['/bin/bash', '-c', dnsProbeScript, 'dns', server],
            workspace,
            hasNetwork: true,
          }),
        )
      ).stdout;
    expect(await dns('10.0.2.3')).toBe(fromHost);
    expect(fromHost).toBe('answered\n'); // else this machine has no DNS to compare with
    // The host's own resolver directly, when it sits on a private or loopback address: never.
    if (/^(10|127|169\.254|192\.168|172\.(1[6-9]|2\d|3[01]))\./.test(hostResolver!)) {
      expect(await dns(hostResolver!)).toBe('silent\n');
    }
  });

  it('reaches nothing at all without network', async () => {
    const results = await probe(
      [at(host.publicAddress, farPort), at(host.hostVethAddress, host.vethPort)],
      { hasNetwork: false },
    );
    expect(Object.values(results)).toEqual([null, null]);
  });

  it('gives terminals the same network', async () => {
    const terminal = sandbox.openPty({
      workspace,
      argv: probeArgv([
        at(host.publicAddress, farPort),
        at(host.privateAddress, farPort),
        at(host.hostVethAddress, host.vethPort),
      ]),
      hasNetwork: true,
    });
    let output = '';
    terminal.onData((data) => (output += data));
    const exit = await new Promise<number>((resolve) =>
      terminal.onExit((e) => resolve(e.exitCode)),
    );
    expect(exit).toBe(0);
    expect(parseProbe(output)).toEqual({
      [at(host.publicAddress, farPort)]: `far ${host.publicAddress}`,
      [at(host.privateAddress, farPort)]: null,
      [at(host.hostVethAddress, host.vethPort)]: null,
    });
    await waitFor(() => ourSlirps().length === 0, 2_000); // its egress helper ended with it
  });

  it('works for an ordinary user (nobody): out to the public address, never the host', async () => {
    const targets = [
      at(host.publicAddress, farPort),
      at('10.0.2.2', host.loopbackPort),
      at(host.privateAddress, farPort),
      ...host.hostServers.map((server) => at(server.address, server.port)),
    ];
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        'setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          process.execPath,
          '--import',
          'tsx',
          fixture,
          workspace,
          ...targets,
        ],
        { env: { PATH: process.env.PATH, HOME: workspace }, cwd: process.cwd(), timeout: 60_000 },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      );
    });
    const output = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      run?: { exitCode: number; stdout: string; stderr: string };
      refusal?: { code: string; message: string };
    };
    if (!tunIsOpenToEveryone()) {
      // slirp4netns needs /dev/net/tun; where only root may open it, the run is refused.
      expect(output.refusal?.code).toBe('SANDBOX_NETWORK_UNAVAILABLE');
      expect(output.refusal?.message).toContain('/dev/net/tun');
      return;
    }
    expect(output.run?.exitCode, output.run?.stderr).toBe(0);
    const results = parseProbe(output.run!.stdout);
    expect(results[targets[0]!]).toBe(`far ${host.publicAddress}`);
    expect(targets.slice(1).filter((target) => results[target] !== null)).toEqual([]);
  }, 90_000);
});

describeAsUser('a networked sandbox, Cadre running as an ordinary user', () => {
  it('is configured, and reaches neither the host loopback nor slirp gateway', async () => {
    const server = createServer((socket) => socket.end('host loopback\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      expect(await hostConnect('127.0.0.1', port)).toBe('host loopback');
      const results = await probe([
        at('10.0.2.2', port),
        at('127.0.0.1', port),
        at('0.0.0.0', port),
      ]);
      expect(Object.values(results)).toEqual([null, null, null]);
      const run = await collectRun(
        sandbox.run({ argv: ['ip', '-4', '-br', 'addr'], workspace, hasNetwork: true }),
      );
      expect(run.stdout).toMatch(/tap0\s+UNKNOWN\s+10\.0\.2\.100\/24/);
    } finally {
      server.close();
    }
  });
});

describe('the egress helper', () => {
  it('ends with the run, also when the run is killed', async () => {
    const handle = sandbox.run({
      argv: ['sleep', '30'],
      workspace,
      hasNetwork: true,
      limits: { timeoutMs: 2_000 },
    });
    await waitFor(() => ourSlirps().length > 0, 5_000);
    const result = await handle.result;
    expect(result.isTimedOut).toBe(true);
    await waitFor(() => ourSlirps().length === 0, 2_000);
  });

  it('is not started for runs without network', async () => {
    const handle = sandbox.run({ argv: ['sleep', '0.5'], workspace });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ourSlirps()).toEqual([]);
    await handle.result;
  });

  it('refuses a networked run with a clear error when slirp4netns is missing, starting nothing', () => {
    const egress = createEgress({ search: { searchPath: '', systemPath: ['/nonexistent'] } });
    let error: unknown;
    try {
      egress.open(['true']);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CadreError);
    expect((error as CadreError).code).toBe('SANDBOX_NETWORK_UNAVAILABLE');
    expect((error as CadreError).message).toContain('apt-get install slirp4netns nftables');
    expect(ourSlirps()).toEqual([]);
  });

  it('is named in the start-up report, with what to install when it is missing', async () => {
    const onlyBwrap = await mkdtemp(join(tmpdir(), 'cadre-only-bwrap-'));
    try {
      await symlink('/usr/bin/bwrap', join(onlyBwrap, 'bwrap'));
      // As root the sandbox needs setpriv too; only the egress tools are missing.
      await symlink(findExecutable('setpriv')!, join(onlyBwrap, 'setpriv'));
      const config = Config.parse({}).sandbox;
      const missing = await checkSandbox(config, { searchPath: onlyBwrap, systemPath: [] });
      expect(missing.isAvailable).toBe(true);
      expect(missing.message).toContain('Projects with network access cannot run here');
      expect(missing.message).toContain('slirp4netns');
      expect(missing.message).toContain('apt-get install slirp4netns nftables');
      expect((await checkSandbox(config)).message).toContain('through slirp4netns, never the host');
    } finally {
      await rm(onlyBwrap, { recursive: true, force: true });
    }
  });

  it('never starts the command when the rules cannot be loaded: exit 125 and the reason', async () => {
    // The real tools, except an nft that refuses everything.
    const tools = await mkdtemp(join(tmpdir(), 'cadre-failing-nft-'));
    try {
      for (const name of ['unshare', 'nsenter', 'slirp4netns', 'mkfifo']) {
        await symlink(findExecutable(name)!, join(tools, name));
      }
      await writeFile(join(tools, 'nft'), '#!/bin/sh\necho "no tables today" >&2\nexit 1\n', {
        mode: 0o755,
      });
      const egress = createEgress({ search: { searchPath: tools, systemPath: [] } });
      const marker = join(workspace, 'started');
      const run = await collectRun(
        egress.run(true, ['/bin/sh', '-c', `echo yes > ${marker}`], (command) =>
          runProcess({
            command,
            limits: resolveLimits({ timeoutMs: 10_000 }),
            cgroups: createCgroupManager({ isDisabled: true }),
          }),
        ),
      );
      expect(run.exitCode).toBe(125);
      expect(run.stderr).toContain('the sandbox network could not be set up');
      expect(run.stderr).toContain('no tables today');
      expect(existsSync(marker)).toBe(false);
      await waitFor(() => ourSlirps().length === 0, 2_000);
    } finally {
      await rm(tools, { recursive: true, force: true });
    }
  });
});
