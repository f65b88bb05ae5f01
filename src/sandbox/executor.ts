// Chooses the executor from the configuration and reports, for the start-up log, which one
// is active and what is missing. It must never fall back to the host on its own.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { SandboxConfig } from '../config/index.js';
import { CadreError } from '../errors/index.js';
import { bubblewrapInstallHint, createBubblewrapSandbox } from './bubblewrap.js';
import { egressInstallHint, missingEgressTools } from './egress.js';
import { createCgroupManager, type CgroupManager, type CgroupSupport } from './cgroups.js';
import { findExecutable, type SearchOptions } from './find-executable.js';
import { dropPrivilegeArgs, isRoot } from './host-user.js';
import { syscallTableFor } from './seccomp-syscalls.js';
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
      return createBubblewrapSandbox({
        cgroups,
        defaultLimits,
        hostUser: { uid: config.hostUid, gid: config.hostUid },
        networkAllow: config.networkAllow,
      });
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
  if (!syscallTableFor(process.arch)) {
    return {
      ...base,
      isAvailable: false,
      level: 'error',
      message: `Sandbox: Cadre has no seccomp table for the ${process.arch} architecture (it has x64 and arm64); agents cannot run commands.`,
    };
  }
  const setpriv = isRoot() ? findExecutable('setpriv', search) : null;
  if (isRoot() && !setpriv) {
    return {
      ...base,
      isAvailable: false,
      level: 'error',
      message:
        'Sandbox: Cadre runs as root but setpriv is not installed; the sandbox would run as root.',
      installHint: 'Install util-linux (Debian: apt-get install util-linux).',
    };
  }
  const user = { uid: config.hostUid, gid: config.hostUid };
  const failure = await tryBubblewrap(
    setpriv ? [...dropPrivilegeArgs(setpriv, user), bwrap] : [bwrap],
  );
  if (failure) {
    return {
      ...base,
      isAvailable: false,
      level: 'error',
      message: `Sandbox: bubblewrap cannot create namespaces here (${failure}). Allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) or run Cadre where they are allowed.`,
    };
  }
  const account = setpriv ? accountOf(user.uid) : null;
  const missing = missingEgressTools(search);
  const networkNote = missing.length
    ? ` Projects with network access cannot run here: ${missing.join(', ')} missing. ${egressInstallHint}`
    : ' Networked projects reach the internet through slirp4netns, never the host.';
  return {
    ...base,
    isAvailable: true,
    level: account ? 'warn' : 'info',
    message: `Sandbox: bubblewrap (${bwrap}), ${limitsNote}${setpriv ? `, commands run as host uid ${user.uid} (Cadre is root)` : ''}.${networkNote}${account ? ` WARNING: uid ${user.uid} is the account "${account}" on this machine; sandboxed commands could signal or trace its processes. Set sandbox.hostUid (CADRE_SANDBOX_HOST_UID) to an unused id.` : ''}`,
  };
}

/** The name of the account with this uid in /etc/passwd, if any. */
function accountOf(uid: number): string | null {
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return null;
  }
  const line = passwd.split('\n').find((entry) => entry.split(':')[2] === String(uid));
  return line ? (line.split(':')[0] ?? null) : null;
}

function tryBubblewrap(command: readonly string[]): Promise<string | null> {
  const [file = 'bwrap', ...prefix] = command;
  const args = [
    ...prefix,
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
    execFile(file, args, { env: {}, timeout: 10_000 }, (error, _stdout, stderr) => {
      resolve(error ? stderr.trim() || error.message : null);
    });
  });
}
