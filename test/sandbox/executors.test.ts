// The executors: which one is active, what happens when one is missing or refused, and the
// run contract they share (limits, input checks, tagged output, resource use).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config, SandboxConfig } from '../../src/config/index.js';
import { CadreError } from '../../src/errors/index.js';
import {
  checkSandbox,
  collectRun,
  createCgroupManager,
  createPodmanSandbox,
  createSandbox,
  resolveLimits,
} from '../../src/sandbox/index.js';

let workspace: string;
beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'cadre-executors-'));
});
afterAll(() => rm(workspace, { recursive: true, force: true }));

const sandboxConfig = (values: Record<string, unknown>) => SandboxConfig.parse(values);

function thrown(action: () => unknown): CadreError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(CadreError);
    return error as CadreError;
  }
  throw new Error('expected an error');
}

describe('executors', () => {
  it('reports bubblewrap as the active executor, with what limits it uses', async () => {
    const report = await checkSandbox(Config.parse({}).sandbox);
    expect(report).toMatchObject({ executor: 'bubblewrap', isAvailable: true, level: 'info' });
    expect(report.message).toMatch(/^Sandbox: bubblewrap \(\/usr\/bin\/bwrap\)/);
    expect(report.message).toMatch(/cgroup v[12]|rlimits only/);
  });

  it('names the unprivileged host user when Cadre is root, and warns when an account has it', async () => {
    const isRoot = process.getuid?.() === 0;
    const report = await checkSandbox(sandboxConfig({ hostUid: 65534 }));
    expect(report.isAvailable).toBe(true);
    if (isRoot) {
      expect(report.level).toBe('warn');
      expect(report.message).toContain('commands run as host uid 65534 (Cadre is root)');
      expect(report.message).toContain('uid 65534 is the account "nobody"');
    } else {
      // As an ordinary user the sandbox maps to that user and sandbox.hostUid is not used.
      expect(report.level).toBe('info');
      expect(report.message).not.toContain('host uid');
    }
  });

  it('says how to install bubblewrap when it is missing', async () => {
    const report = await checkSandbox(sandboxConfig({}), { searchPath: '', systemPath: [] });
    expect(report).toMatchObject({ isAvailable: false, level: 'error' });
    expect(report.installHint).toContain('apt-get install bubblewrap');
  });

  it('refuses podman with a clear error when it is not installed', async () => {
    const error = thrown(() => createSandbox(sandboxConfig({ executor: 'podman' })));
    expect(error.code).toBe('SANDBOX_UNAVAILABLE');
    expect(error.message).toContain('podman is not installed');
    expect(error.message).toContain('apt-get install podman');
    const report = await checkSandbox(sandboxConfig({ executor: 'podman' }));
    expect(report).toMatchObject({ executor: 'podman', isAvailable: false, level: 'error' });
    expect(() => createPodmanSandbox({ cgroups: createCgroupManager(), image: 'x' })).toThrow(
      /podman is not installed/,
    );
  });

  it('refuses the host executor unless --unsafe-host-exec was given', async () => {
    const error = thrown(() => createSandbox(sandboxConfig({ executor: 'host' })));
    expect(error.code).toBe('SANDBOX_HOST_EXEC_REFUSED');
    expect(error.message).toContain('--unsafe-host-exec');
    const report = await checkSandbox(sandboxConfig({ executor: 'host' }));
    expect(report).toMatchObject({ isAvailable: false, level: 'error' });
  });

  it('runs on the host when allowed, and warns about it', async () => {
    const config = sandboxConfig({ executor: 'host', unsafeHostExec: true });
    const report = await checkSandbox(config);
    expect(report).toMatchObject({ executor: 'host', isAvailable: true, level: 'warn' });
    expect(report.message).toContain('WITHOUT isolation');
    const sandbox = createSandbox(config);
    process.env.HOST_ONLY = 'leaked';
    const run = await collectRun(
      sandbox.run({
        argv: ['sh', '-c', 'pwd; echo "[$HOST_ONLY]"; echo made > out.txt'],
        workspace,
        env: {},
      }),
    );
    delete process.env.HOST_ONLY;
    expect(run.stdout).toBe(`${workspace}\n[]\n`);
    expect(await readFile(join(workspace, 'out.txt'), 'utf8')).toBe('made\n');
  });

  it('applies configured default limits to every run', async () => {
    const sandbox = createSandbox(sandboxConfig({ limits: { timeoutMs: 300 } }));
    const run = await collectRun(sandbox.run({ argv: ['sleep', '5'], workspace }));
    expect(run.isTimedOut).toBe(true);
    expect(run.usage.wallMs).toBeLessThan(3_000);
  });

  it('refuses bad limits, argv and cwd before starting anything', () => {
    expect(() => resolveLimits({ timeoutMs: -1 })).toThrow(/limits.timeoutMs/);
    const sandbox = createSandbox(Config.parse({}).sandbox);
    expect(() => sandbox.run({ argv: [], workspace })).toThrow(/argv/);
    expect(() => sandbox.run({ argv: ['true'], workspace, cwd: '../..' })).toThrow(
      /leaves the workspace/,
    );
    expect(() => sandbox.run({ argv: ['true'], workspace, env: { 'BAD-NAME': 'x' } })).toThrow(
      /env.BAD-NAME/,
    );
  });

  it('streams stdout and stderr as tagged events and returns resource use', async () => {
    const sandbox = createSandbox(Config.parse({}).sandbox);
    const handle = sandbox.run({
      argv: ['sh', '-c', 'echo one; echo two >&2; cat'],
      workspace,
      stdin: 'three\n',
    });
    const events = [];
    for await (const event of handle.events) events.push(event);
    expect(events).toEqual(
      expect.arrayContaining([
        { type: 'stdout', data: expect.stringContaining('one') },
        { type: 'stderr', data: 'two\n' },
      ]),
    );
    expect(
      events
        .filter((event) => event.type === 'stdout')
        .map((event) => 'data' in event && event.data)
        .join(''),
    ).toBe('one\nthree\n');
    const result = await handle.result;
    expect(result).toMatchObject({ exitCode: 0, isTimedOut: false, isOutputTruncated: false });
    expect(result.usage.wallMs).toBeGreaterThan(0);
    expect(result.usage.cpuMs).not.toBeNull();
  });
});
