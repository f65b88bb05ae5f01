// The sandbox must work for an operator who does not run Cadre as root: the same runs, by an
// unprivileged user (nobody, when the tests run as root), where cgroups are not writable.
import { chown, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, nobody, runAsUser } from './run-as-user.js';

const fixture = fileURLToPath(new URL('./fixtures/non-root-run.ts', import.meta.url));
let workspace: string;
interface FixtureRun {
  exitCode: number | null;
  isTimedOut: boolean;
  stdout: string;
  stderr: string;
  usage: { wallMs: number };
}
let output: {
  report: { executor: string; isAvailable: boolean };
  basics: FixtureRun;
  hog: FixtureRun;
  bomb: FixtureRun;
  spin: FixtureRun;
};

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'cadre-non-root-'));
  if (isRoot) await chown(workspace, nobody, nobody);
  const stdout = await runAsUser({ fixture, args: [workspace] });
  output = JSON.parse(stdout.trim().split('\n').at(-1)!) as typeof output;
}, 90_000);
afterAll(() => rm(workspace, { recursive: true, force: true }));

describe('the sandbox run by an unprivileged user', () => {
  it('starts, isolates and writes files as that user', async () => {
    expect(output.report).toMatchObject({ executor: 'bubblewrap', isAvailable: true });
    expect(output.basics.stdout).toBe('1000\n');
    expect(output.basics.stderr).toContain('/etc/shadow: No such file or directory');
    expect(output.basics.stderr).toContain('Network is unreachable');
    const made = await stat(join(workspace, 'made.txt'));
    expect(made.uid).toBe(isRoot ? nobody : process.getuid!());
  });

  it('still stops a memory hog, a fork bomb and a CPU spin', () => {
    expect(output.hog.exitCode).not.toBe(0);
    expect(output.hog.isTimedOut).toBe(false);
    expect(output.bomb.stderr).toMatch(/fork|Resource temporarily unavailable/);
    expect(output.spin.isTimedOut).toBe(true);
    expect(output.spin.usage.wallMs).toBeLessThan(3_000);
  });
});
