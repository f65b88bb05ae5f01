// The optional podman executor: each run is a fresh `podman run --rm` container with no
// network unless allowed, a read-only root, the workspace at /workspace and podman's own
// memory and pids limits. It must never start when podman is not installed.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { posix } from 'node:path';
import { CadreError } from '../errors/index.js';
import type { CgroupManager } from './cgroups.js';
import { findExecutable } from './find-executable.js';
import { resolveLimits } from './limits.js';
import { checkArgv, checkCwd, checkEnv } from './options.js';
import { runProcess } from './process-run.js';
import { openPtyProcess } from './pty.js';
import type { PtyOptions, RunOptions, Sandbox, SandboxLimits } from './types.js';

export interface PodmanSandboxOptions {
  cgroups: CgroupManager;
  image: string;
  defaultLimits?: Partial<SandboxLimits>;
  podmanPath?: string;
}

/** How to install podman, for the error when it is missing. */
export const podmanInstallHint =
  'Install podman (Debian and Ubuntu: apt-get install podman), or set sandbox.executor to bubblewrap.';

/** A Sandbox that runs every command in a new podman container. */
export function createPodmanSandbox(options: PodmanSandboxOptions): Sandbox {
  const podman = options.podmanPath ?? findExecutable('podman');
  if (!podman) {
    throw new CadreError('SANDBOX_UNAVAILABLE', `podman is not installed. ${podmanInstallHint}`, {
      details: { executor: 'podman' },
    });
  }
  const limitsOf = (given: Partial<SandboxLimits> | undefined) =>
    resolveLimits({ ...options.defaultLimits, ...given });
  const command = (
    request: Pick<RunOptions, 'workspace' | 'cwd' | 'env' | 'hasNetwork'>,
    argv: readonly string[],
    limits: SandboxLimits,
    isInteractive: boolean,
    name: string,
  ) => {
    checkArgv(argv);
    const env = checkEnv(request.env, { HOME: '/tmp' });
    const args = [podman, 'run', '--rm', '--init', '--name', name];
    args.push(isInteractive ? '-it' : '-i', '--read-only', '--tmpfs', '/tmp');
    args.push('--network', request.hasNetwork ? 'slirp4netns' : 'none');
    args.push('--cap-drop', 'ALL', '--security-opt', 'no-new-privileges');
    args.push('--memory', String(limits.memoryBytes), '--pids-limit', String(limits.processes));
    args.push('--volume', `${realpathSync(request.workspace)}:/workspace:rw`);
    args.push('--workdir', posix.join('/workspace', checkCwd(request.cwd)));
    for (const [name, value] of Object.entries(env)) args.push('--env', `${name}=${value}`);
    return [...args, options.image, ...argv];
  };
  return {
    executor: 'podman',
    run: (request) => {
      const limits = limitsOf(request.limits);
      const name = `cadre-${randomUUID()}`;
      return runProcess({
        command: command(request, request.argv, limits, false, name),
        // Killing the podman client leaves the container to conmon: stop it by name too.
        onKill: () => execFile(podman, ['rm', '--force', '--time', '0', name], () => undefined),
        limits,
        cgroups: options.cgroups,
        stdin: request.stdin,
        signal: request.signal,
      });
    },
    openPty: (request: PtyOptions) => {
      const limits = limitsOf(request.limits);
      return openPtyProcess({
        command: command(
          request,
          request.argv ?? ['/bin/bash', '-i'],
          limits,
          true,
          `cadre-${randomUUID()}`,
        ),
        limits,
        cgroups: options.cgroups,
        cols: request.cols ?? 80,
        rows: request.rows ?? 24,
      });
    },
  };
}
