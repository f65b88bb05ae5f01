// The small shell that starts every sandboxed command: it joins the run's cgroups first, so
// that nothing the command starts can escape them, sets the rlimits (setrlimit through the
// shell's ulimit, one exec fewer than prlimit(1)), then runs the executor. Its script is a
// constant: values travel only as arguments, never inside the script text.
import { existsSync } from 'node:fs';
import { rlimitValues } from './limits.js';
import type { SandboxLimits } from './types.js';

// $1: 1 to report the children's CPU time on fd 3 (the `times` builtin), 0 to exec.
// $2, $3: files to open on fd 4 and fd 5 for the executor (bubblewrap's --args and --seccomp),
// or -. $4: how many cgroup.procs files follow; then the files; then five limits (CPU seconds,
// file size in 512-byte blocks, open files, address space in KiB or -, processes or -);
// then the command. Each ulimit sets the hard and the soft limit: the command cannot raise it.
const script = [
  't=$1; a=$2; b=$3; n=$4; shift 4',
  'if [ "$a" != - ]; then exec 4< "$a" || exit 125; fi',
  'if [ "$b" != - ]; then exec 5< "$b" || exit 125; fi',
  'while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done',
  'ulimit -c 0 && ulimit -t "$1" && ulimit -f "$2" && ulimit -n "$3" || exit 125',
  'if [ "$4" != - ]; then ulimit -v "$4" || exit 125; fi',
  // Processes: -u in bash and busybox, -p in dash.
  'if [ "$5" != - ]; then { ulimit -u "$5" || ulimit -p "$5"; } 2>/dev/null || exit 125; fi',
  'shift 5',
  'if [ "$t" = 0 ]; then exec "$@"; fi',
  '"$@" 3>&-; s=$?; times >&3; exit $s',
].join('\n');

/** The environment of the launcher itself: nothing from the host. */
export const launcherEnv = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

/** The descriptors the launcher opens its two files on. */
export const launcherFds = { args: 4, seccomp: 5 } as const;

/** Files the launcher opens for the executor before it drops anything (it may be root). */
export interface LauncherFiles {
  /** Opened on fd 4. */
  argsFile?: string;
  /** Opened on fd 5. */
  seccompFile?: string;
}

export interface LauncherOptions extends LauncherFiles {
  procsFiles: readonly string[];
  limits: SandboxLimits;
  hasCgroupMemory: boolean;
  hasCgroupPids: boolean;
  isReportingTimes: boolean;
  /** The executor and its arguments (e.g. bwrap … -- argv). */
  command: readonly string[];
}

// The launcher is killed when Cadre dies, even by SIGKILL: bubblewrap, started by it with
// --die-with-parent, then takes the whole sandbox down with it.
const deathSignal = existsSync('/usr/bin/setpriv')
  ? ['/usr/bin/setpriv', '--pdeathsig', 'KILL', '--']
  : [];

/** The file and arguments that start a command under the launcher. */
export function launcherCommand(options: LauncherOptions): { file: string; args: string[] } {
  const limitArgs = rlimitValues(options.limits, options);
  const [file = '/bin/sh', ...prefix] = [...deathSignal, '/bin/sh'];
  return {
    file,
    args: [
      ...prefix,
      '-c',
      script,
      'cadre-launcher',
      options.isReportingTimes ? '1' : '0',
      options.argsFile ?? '-',
      options.seccompFile ?? '-',
      String(options.procsFiles.length),
      ...options.procsFiles,
      ...limitArgs,
      ...options.command,
    ],
  };
}

/** The children's user+system CPU time from the `times` output, in milliseconds. */
export function parseTimes(text: string): number | null {
  const line = text.trim().split('\n')[1];
  const match = line ? /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(line.trim()) : null;
  if (!match) return null;
  const [, userMin, userSec, sysMin, sysSec] = match.map(Number) as number[];
  return Math.round((userMin! * 60 + userSec! + sysMin! * 60 + sysSec!) * 1000);
}
