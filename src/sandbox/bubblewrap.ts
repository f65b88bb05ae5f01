// The default executor: bubblewrap, with every namespace unshared, the workspace as the only
// writable host folder and the limits of launcher.ts. It must never pass a host variable or
// bind a host folder that bubblewrap-args.ts does not name.
import { realpathSync } from 'node:fs';
import { CadreError } from '../errors/index.js';
import { bubblewrapArgs, prepareSandboxEtc, sandboxHome } from './bubblewrap-args.js';
import type { CgroupManager } from './cgroups.js';
import { createEgress } from './egress.js';
import { findExecutable } from './find-executable.js';
import { resolveLimits } from './limits.js';
import { checkArgv, checkCwd, checkEnv } from './options.js';
import { runProcess } from './process-run.js';
import { openPtyProcess } from './pty.js';
import type { PtyOptions, RunOptions, Sandbox, SandboxLimits } from './types.js';

export interface BubblewrapSandboxOptions {
  cgroups: CgroupManager;
  /** Limits applied when a run gives none. */
  defaultLimits?: Partial<SandboxLimits>;
  bwrapPath?: string;
  /** Private or host addresses networked runs may reach anyway (sandbox.networkAllow). */
  networkAllow?: readonly string[];
}

/** How to install bubblewrap, for messages and the start-up report. */
export const bubblewrapInstallHint =
  'Install bubblewrap (Debian and Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap).';

/** A Sandbox that runs every command in a fresh bubblewrap container. */
export function createBubblewrapSandbox(options: BubblewrapSandboxOptions): Sandbox {
  const bwrap = options.bwrapPath ?? findExecutable('bwrap');
  if (!bwrap) {
    throw new CadreError(
      'SANDBOX_UNAVAILABLE',
      `bubblewrap (bwrap) is not installed. ${bubblewrapInstallHint}`,
    );
  }
  const etcDir = prepareSandboxEtc();
  const egress = createEgress({ allow: options.networkAllow });
  const command = (
    request: Pick<RunOptions, 'workspace' | 'cwd' | 'env' | 'hasNetwork'>,
    argv: readonly string[],
    isTerminal = false,
  ) => {
    checkArgv(argv);
    const args = bubblewrapArgs({
      workspace: realWorkspace(request.workspace),
      cwd: checkCwd(request.cwd),
      env: checkEnv(request.env, { HOME: sandboxHome, USER: 'cadre' }),
      hasNetwork: request.hasNetwork ?? false,
      etcDir,
      isTerminal,
    });
    return [bwrap, ...args, ...argv];
  };
  const limitsOf = (given: Partial<SandboxLimits> | undefined) =>
    resolveLimits({ ...options.defaultLimits, ...given });
  return {
    executor: 'bubblewrap',
    // A networked run starts held, in a network namespace of its own, until egress is ready.
    run: (request) =>
      egress.run(request.hasNetwork, command(request, request.argv), (started) =>
        runProcess({
          command: started,
          limits: limitsOf(request.limits),
          cgroups: options.cgroups,
          stdin: request.stdin,
          signal: request.signal,
        }),
      ),
    openPty: (request: PtyOptions) =>
      egress.openPty(
        request.hasNetwork,
        command(request, request.argv ?? ['/bin/bash', '-i'], true),
        (started) =>
          openPtyProcess({
            command: started,
            limits: limitsOf(request.limits),
            cgroups: options.cgroups,
            cols: request.cols ?? 80,
            rows: request.rows ?? 24,
          }),
      ),
  };
}

function realWorkspace(workspace: string): string {
  try {
    return realpathSync(workspace);
  } catch (error) {
    throw new CadreError(
      'WORKSPACE_NOT_FOUND',
      `The workspace folder ${workspace} does not exist.`,
      {
        cause: error,
      },
    );
  }
}
