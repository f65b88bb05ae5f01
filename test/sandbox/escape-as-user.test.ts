// The privilege probes of the escape suite with Cadre run by an ordinary user (nobody, when
// the tests run as root; the tests' own user otherwise): the sandbox's user then maps to
// that user, and every vector must stay closed as it does for Cadre run as root.
import { chown, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describePrivilegeProbes, type ProbeOutcome } from './privilege-checks.js';
import type { ProbeName, ProbeRun } from './privilege-probes.js';
import { isRoot, nobody, runAsUser } from './run-as-user.js';

const fixture = fileURLToPath(new URL('./fixtures/escape-as-user.ts', import.meta.url));
const printkFile = '/proc/sys/kernel/printk_ratelimit_burst';
const user = isRoot ? nobody : process.getuid!();
let workspace: string;
let outcome: ProbeOutcome;
let terminal: { exitCode: number; output: string };

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'cadre-escape-as-user-'));
  if (isRoot) await chown(workspace, nobody, nobody);
  const printkBefore = await readFile(printkFile, 'utf8');
  const stdout = await runAsUser({ fixture, args: [workspace] });
  const printed = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    results: Record<ProbeName, ProbeRun>;
    terminal: typeof terminal;
  };
  terminal = printed.terminal;
  outcome = {
    results: printed.results,
    hostPaths: [workspace, join(tmpdir(), 'cadre-sandbox-'), process.cwd()],
    expectedFileUid: user,
    madeFileUid: (await stat(join(workspace, 'made-by-sandbox.txt'))).uid,
    printkBefore,
    printkAfter: await readFile(printkFile, 'utf8'),
  };
}, 120_000);
afterAll(() => rm(workspace, { recursive: true, force: true }));

describePrivilegeProbes('escape probes with Cadre as an ordinary user', () => outcome);

describe('a terminal with Cadre as an ordinary user', () => {
  it('runs as that user on the host, under the seccomp filter', async () => {
    expect(terminal.exitCode).toBe(0);
    expect((await stat(join(workspace, 'made-in-terminal.txt'))).uid).toBe(user);
  });
});
