// The executor without isolation: commands run as Cadre's own user, in the workspace folder,
// with the launcher's limits only. It must never be created unless the operator asked for
// it with --unsafe-host-exec (createSandbox checks).
import { join } from 'node:path';
import type { CgroupManager } from './cgroups.js';
import { resolveLimits } from './limits.js';
import { checkArgv, checkCwd, checkEnv } from './options.js';
import { runProcess } from './process-run.js';
import { openPtyProcess } from './pty.js';
import type { PtyOptions, RunOptions, Sandbox, SandboxLimits } from './types.js';

export interface HostSandboxOptions {
  cgroups: CgroupManager;
  defaultLimits?: Partial<SandboxLimits>;
}

/** A Sandbox that is no sandbox: for operators who isolate Cadre as a whole themselves. */
export function createHostSandbox(options: HostSandboxOptions): Sandbox {
  const prepare = (
    request: Pick<RunOptions, 'workspace' | 'cwd' | 'env'>,
    argv: readonly string[],
  ) => {
    checkArgv(argv);
    return {
      command: argv,
      cwd: join(request.workspace, checkCwd(request.cwd)),
      env: checkEnv(request.env, { HOME: request.workspace }),
    };
  };
  const limitsOf = (given: Partial<SandboxLimits> | undefined) =>
    resolveLimits({ ...options.defaultLimits, ...given });
  return {
    executor: 'host',
    run: (request) =>
      runProcess({
        ...prepare(request, request.argv),
        limits: limitsOf(request.limits),
        cgroups: options.cgroups,
        stdin: request.stdin,
        signal: request.signal,
      }),
    openPty: (request: PtyOptions) =>
      openPtyProcess({
        ...prepare(request, request.argv ?? ['/bin/bash', '-i']),
        limits: limitsOf(request.limits),
        cgroups: options.cgroups,
        cols: request.cols ?? 80,
        rows: request.rows ?? 24,
      }),
  };
}
