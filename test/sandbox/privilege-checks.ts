// The judgement of the privilege probes (privilege-probes.ts), one test per vector, declared
// the same way for the run with Cadre as root and the run with Cadre as an ordinary user.
import { describe, expect, it } from 'vitest';
import { syscallProbes, type ProbeName, type ProbeRun } from './privilege-probes.js';

/** What the probes printed, and what the host saw around them. */
export interface ProbeOutcome {
  results: Record<ProbeName, ProbeRun>;
  /** Host paths that must never show inside (data folder, worktree, sandbox files…). */
  hostPaths: string[];
  /** The host uid that files made in the sandbox must belong to. */
  expectedFileUid: number;
  /** The owner of made-by-sandbox.txt on the host. */
  madeFileUid: number;
  /** kernel.printk_ratelimit_burst on the host before and after the probes. */
  printkBefore: string;
  printkAfter: string;
}

const containsHostPath = (text: string, paths: string[]) =>
  paths.filter((path) => text.includes(path));

/** Declares the tests of the privilege probes; `outcome` is read when they run. */
export function describePrivilegeProbes(title: string, outcome: () => ProbeOutcome): void {
  describe(title, () => {
    it('cannot write /proc/sys: the host value stays as it was', () => {
      const { results, printkBefore, printkAfter } = outcome();
      expect(results.procSys.exitCode).not.toBe(0);
      expect(results.procSys.stderr).toMatch(/Read-only file system|Permission denied/);
      expect(printkAfter).toBe(printkBefore);
    });

    it('cannot write /proc/sysrq-trigger', () => {
      const { sysrq } = outcome().results;
      expect(sysrq.exitCode).not.toBe(0);
      expect(sysrq.stderr).toMatch(/Read-only file system|Permission denied|No such file/);
    });

    it('reads nothing from kernel memory, symbols, the kernel log, keys or timers', () => {
      expect(outcome().results.kernelFiles.stdout).toBe('end\n');
    });

    it('runs as uid 1000 inside, with no capability, under a seccomp filter', () => {
      const lines = outcome().results.uid.stdout.split('\n');
      expect(lines[0]).toBe('1000');
      expect(lines).toContainEqual(expect.stringMatching(/^Uid:\s+1000\s+1000\s+1000\s+1000$/));
      expect(lines).toContainEqual(expect.stringMatching(/^CapEff:\s+0+$/));
      expect(lines).toContainEqual(expect.stringMatching(/^Seccomp:\s+2$/));
    });

    it('makes files owned by the unprivileged host user, never by root', () => {
      const { madeFileUid, expectedFileUid } = outcome();
      expect(madeFileUid).toBe(expectedFileUid);
      expect(madeFileUid).not.toBe(0);
    });

    it('shows no host path in any command line (bubblewrap takes its options from a file)', () => {
      const { results, hostPaths } = outcome();
      expect(results.cmdlines.stdout).toContain('--args 4');
      expect(containsHostPath(results.cmdlines.stdout, hostPaths)).toEqual([]);
    });

    it('shows no host path in any environment', () => {
      const { results, hostPaths } = outcome();
      expect(results.environs.stdout).toContain('HOME=/home/cadre');
      expect(containsHostPath(results.environs.stdout, hostPaths)).toEqual([]);
    });

    it("masks the worktree's .git file, which names the host path of the repository", () => {
      const { results, hostPaths } = outcome();
      expect(results.gitFile.stdout.split('\n').slice(0, 2)).toEqual([
        '[0]',
        'fatal: invalid gitfile format: /workspace/.git',
      ]);
      expect(containsHostPath(results.gitFile.stdout, hostPaths)).toEqual([]);
    });

    it('holds no descriptor of the argument file or the seccomp program', () => {
      const { stdout } = outcome().results.descriptors;
      expect(stdout).not.toMatch(/ [45] -> /);
      expect(stdout).not.toMatch(/args-|seccomp/);
    });

    it('shows host paths in the mount table only in the source-root field (a known limit)', () => {
      const { results, hostPaths } = outcome();
      const lines = results.mountinfo.stdout.trim().split('\n');
      expect(lines.length).toBeGreaterThan(5);
      for (const line of lines) {
        const fields = line.split(' ');
        // Field 4 is the bound folder's path within its file system: bind mounts keep it.
        const withoutRoot = [...fields.slice(0, 3), ...fields.slice(4)].join(' ');
        expect(containsHostPath(withoutRoot, hostPaths)).toEqual([]);
      }
      const mountPoints = lines.map((line) => line.split(' ')[4]);
      expect(mountPoints).toContain('/workspace');
      expect(mountPoints).toContain('/proc/sys');
    });

    it('refuses every dangerous system call with EPERM, and still allows ordinary ones', () => {
      const { seccomp } = outcome().results;
      expect(seccomp.stderr).toBe('');
      const errnos = JSON.parse(seccomp.stdout) as Record<string, number>;
      const expected = Object.fromEntries(
        syscallProbes().map((probe) => [probe.label, probe.expectedErrno]),
      );
      expect(errnos).toEqual(expected);
    });

    it('still runs git, node, sh, ls and python', () => {
      const run = outcome().results.ordinaryPrograms;
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toMatch(/^git version .*\n42\nsh-works\npy-works\nall-work\n$/);
    });
  });
}
