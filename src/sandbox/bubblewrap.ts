// The default executor: bubblewrap, with every namespace unshared, the workspace as the only
// writable host folder and the limits of launcher.ts; as an unprivileged host user when Cadre
// is root. It must never pass a host variable, a host path on bwrap's command line, or bind
// a host folder that bubblewrap-args.ts does not name.
import { realpathSync } from 'node:fs';
import { CadreError } from '../errors/index.js';
import { bubblewrapArgs, gitEntryOf, sandboxHome } from './bubblewrap-args.js';
import { canDisableUserns } from './bubblewrap-version.js';
import type { CgroupManager } from './cgroups.js';
import { createEgress } from './egress.js';
import { findExecutable } from './find-executable.js';
import { findSetpriv, isRoot, privilegedStage, type HostUser } from './host-user.js';
import { launcherFds } from './launcher.js';
import { resolveLimits } from './limits.js';
import { checkArgv, checkCwd, checkEnv } from './options.js';
import { runProcess } from './process-run.js';
import { openPtyProcess } from './pty.js';
import { prepareSandboxFiles, removeArgsFile } from './sandbox-files.js';
import type { PtyOptions, RunOptions, Sandbox, SandboxLimits } from './types.js';
import { claimWorkspace, type OwnershipCache } from './workspace-owner.js';

export interface BubblewrapSandboxOptions {
  cgroups: CgroupManager;
  /** Limits applied when a run gives none. */
  defaultLimits?: Partial<SandboxLimits>;
  bwrapPath?: string;
  /** The host user sandboxed processes run as when Cadre is root (sandbox.hostUid). */
  hostUser: HostUser;
  /** Private or host addresses networked runs may reach anyway (sandbox.networkAllow). */
  networkAllow?: readonly string[];
}

/** How to install bubblewrap, for messages and the start-up report. */
export const bubblewrapInstallHint =
  'Install bubblewrap (Debian and Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap).';

// Worktrees whose folders are remembered between runs (root only); the oldest is forgotten.
const cachedWorktrees = 64;

/** A Sandbox that runs every command in a fresh bubblewrap container. */
export function createBubblewrapSandbox(options: BubblewrapSandboxOptions): Sandbox {
  const bwrap = options.bwrapPath ?? findExecutable('bwrap');
  if (!bwrap) {
    throw new CadreError(
      'SANDBOX_UNAVAILABLE',
      `bubblewrap (bwrap) is not installed. ${bubblewrapInstallHint}`,
    );
  }
  const { hostUser } = options;
  const setpriv = isRoot() ? findSetpriv() : null;
  const files = prepareSandboxFiles();
  const hasDisableUserns = canDisableUserns(bwrap);
  const ownership = new Map<string, OwnershipCache>();
  const claim = (worktree: string) => {
    let cache = ownership.get(worktree);
    if (cache) ownership.delete(worktree); // re-inserted last: the map's order is recency
    cache ??= new Map();
    ownership.set(worktree, cache);
    if (ownership.size > cachedWorktrees) ownership.delete(ownership.keys().next().value!);
    claimWorkspace({ root: worktree, user: hostUser, cache });
  };

  const egress = createEgress({ allow: options.networkAllow });

  /** The command and the launcher's files for one run; the caller removes the args file. */
  const prepare = (
    request: Pick<RunOptions, 'workspace' | 'cwd' | 'env' | 'hasNetwork'>,
    argv: readonly string[],
    isTerminal = false,
  ) => {
    checkArgv(argv);
    const worktree = realWorkspace(request.workspace);
    const args = bubblewrapArgs({
      workspaceSource: setpriv ? files.mountPoint : worktree,
      gitEntry: gitEntryOf(worktree),
      cwd: checkCwd(request.cwd),
      env: checkEnv(request.env, { HOME: sandboxHome, USER: 'cadre' }),
      hasNetwork: request.hasNetwork ?? false,
      files,
      canDisableUserns: hasDisableUserns,
      isTerminal,
    });
    if (setpriv) claim(worktree);
    const stage = setpriv
      ? privilegedStage({ bwrap, setpriv, user: hostUser, worktree, mountPoint: files.mountPoint })
      : [];
    // Only `--args 4` and the command show on bwrap's command line (/proc/1/cmdline inside).
    const command = [...stage, bwrap, '--args', String(launcherFds.args), '--', ...argv];
    const argsFile = files.writeArgs(args);
    return { command, files: { argsFile, seccompFile: files.seccompFile } };
  };
  const limitsOf = (given: Partial<SandboxLimits> | undefined) =>
    resolveLimits({ ...options.defaultLimits, ...given });
  return {
    executor: 'bubblewrap',
    run: (request) => {
      const { command, files: launcherFiles } = prepare(request, request.argv);
      const cleanUp = () => removeArgsFile(launcherFiles.argsFile);
      try {
        // A networked run starts held, in a network namespace of its own, until egress is ready.
        const handle = egress.run(request.hasNetwork, command, (started) =>
          runProcess({
            command: started,
            files: launcherFiles,
            limits: limitsOf(request.limits),
            cgroups: options.cgroups,
            stdin: request.stdin,
            signal: request.signal,
          }),
        );
        void handle.result.then(cleanUp, cleanUp);
        return handle;
      } catch (error) {
        cleanUp();
        throw error;
      }
    },
    openPty: (request: PtyOptions) => {
      const argv = request.argv ?? ['/bin/bash', '-i'];
      const { command, files: launcherFiles } = prepare(request, argv, true);
      const cleanUp = () => removeArgsFile(launcherFiles.argsFile);
      try {
        const terminal = egress.openPty(request.hasNetwork, command, (started) =>
          openPtyProcess({
            command: started,
            files: launcherFiles,
            limits: limitsOf(request.limits),
            cgroups: options.cgroups,
            cols: request.cols ?? 80,
            rows: request.rows ?? 24,
          }),
        );
        terminal.onExit(cleanUp);
        return terminal;
      } catch (error) {
        cleanUp();
        throw error;
      }
    },
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
