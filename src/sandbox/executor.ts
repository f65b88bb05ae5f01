// Chooses the executor from the configuration and reports, for the start-up log, which one
// is active and what is missing. It must never fall back to the host on its own.
import { execFile } from 'node:child_process';
import type { SandboxConfig } from '../config/index.js';
import { CadreError } from '../errors/index.js';
import { bubblewrapInstallHint, createBubblewrapSandbox } from './bubblewrap.js';
import { egressInstallHint, missingEgressTools } from './egress.js';
import { createCgroupManager, type CgroupManager, type CgroupSupport } from './cgroups.js';
import { findExecutable, type SearchOptions } from './find-executable.js';
import { createHostSandbox } from './host.js';
import { createPodmanSandbox, podmanInstallHint } from './podman.js';
import type { ExecutorName, Sandbox } from './types.js';

/** What Cadre prints at start about the sandbox. */
export interface ExecutorReport {
  executor: ExecutorName;
  isAvailable: boolean;
  /** 'warn' for the host executor, 'error' when the chosen executor cannot run. */
  level: 'info' | 'warn' | 'error';
  message: string;
  installHint?: string;
  cgroups: CgroupSupport;
}

const hostWarning =
  'WARNING: sandbox.executor is "host": agents\' commands run on this machine WITHOUT isolation, as Cadre\'s own user (--unsafe-host-exec).';

/** The Sandbox the configuration names; SANDBOX_UNAVAILABLE or SANDBOX_HOST_EXEC_REFUSED when it cannot run. */
export function createSandbox(
  config: SandboxConfig,
  options: { cgroups?: CgroupManager } = {},
): Sandbox {
  const cgroups = options.cgroups ?? createCgroupManager({ isDisabled: !config.useCgroups });
  const defaultLimits = config.limits;
  switch (config.executor) {
    case 'bubblewrap':
      return createBubblewrapSandbox({ cgroups, defaultLimits, networkAllow: config.networkAllow });
    case 'podman':
      return createPodmanSandbox({ cgroups, defaultLimits, image: config.podmanImage });
    case 'host':
      if (!config.unsafeHostExec) {
        throw new CadreError(
          'SANDBOX_HOST_EXEC_REFUSED',
          'sandbox.executor is "host", which runs commands without isolation; start Cadre with --unsafe-host-exec (or CADRE_UNSAFE_HOST_EXEC=1) to allow it, or choose bubblewrap.',
        );
      }
      return createHostSandbox({ cgroups, defaultLimits });
  }
}

/** Checks that the configured executor really runs here (bubblewrap: a trial run of `true`). */
export async function checkSandbox(
  config: SandboxConfig,
  search: SearchOptions = {},
): Promise<ExecutorReport> {
  const cgroups = createCgroupManager({ isDisabled: !config.useCgroups }).support;
  const base = { executor: config.executor, cgroups };
  const limitsNote = cgroups.version
    ? `memory and process limits through cgroup v${cgroups.version}`
    : `memory and process limits through rlimits only (${cgroups.reason})`;
  if (config.executor === 'host') {
    return config.unsafeHostExec
      ? { ...base, isAvailable: true, level: 'warn', message: hostWarning }
      : {
          ...base,
          isAvailable: false,
          level: 'error',
          message:
            'sandbox.executor is "host" but --unsafe-host-exec was not given; agents cannot run commands.',
        };
  }
  if (config.executor === 'podman') {
    const podman = findExecutable('podman', search);
    return podman
      ? {
          ...base,
          isAvailable: true,
          level: 'info',
          message: `Sandbox: podman (${podman}), image ${config.podmanImage}.`,
        }
      : {
          ...base,
          isAvailable: false,
          level: 'error',
          message: 'Sandbox: podman is not installed.',
          installHint: podmanInstallHint,
        };
  }
  const bwrap = findExecutable('bwrap', search);
  if (!bwrap) {
    return {
      ...base,
      isAvailable: false,
      level: 'error',
      message: 'Sandbox: bubblewrap (bwrap) is not installed; agents cannot run commands.',
      installHint: bubblewrapInstallHint,
    };
  }
  const failure = await tryBubblewrap(bwrap);
  if (failure) {
    return {
      ...base,
      isAvailable: false,
      level: 'error',
      message: `Sandbox: bubblewrap cannot create namespaces here (${failure}). Allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) or run Cadre where they are allowed.`,
    };
  }
  const missing = missingEgressTools(search);
  const networkNote = missing.length
    ? ` Projects with network access cannot run here: ${missing.join(', ')} missing. ${egressInstallHint}`
    : ' Networked projects reach the internet through slirp4netns, never the host.';
  return {
    ...base,
    isAvailable: true,
    level: 'info',
    message: `Sandbox: bubblewrap (${bwrap}), ${limitsNote}.${networkNote}`,
  };
}

function tryBubblewrap(bwrap: string): Promise<string | null> {
  const args = [
    '--unshare-all',
    '--unshare-user',
    '--die-with-parent',
    '--ro-bind',
    '/',
    '/',
    '--',
    'true',
  ];
  return new Promise((resolve) => {
    execFile(bwrap, args, { env: {}, timeout: 10_000 }, (error, _stdout, stderr) => {
      resolve(error ? stderr.trim() || error.message : null);
    });
  });
}
