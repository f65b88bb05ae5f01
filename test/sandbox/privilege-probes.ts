// The escape suite's probes for host privilege and host paths, shared by the run with Cadre as
// root (escape.test.ts) and the run with Cadre as an ordinary user (fixtures/escape-as-user.ts).
// Each probe is a shell script run as an agent command; the tests judge what it printed.
import { blockedSyscalls, syscallTableFor } from '../../src/sandbox/seccomp-syscalls.js';

/** What a probe printed and how it ended. */
export interface ProbeRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a shell script in the sandbox, in a workspace whose `.git` points at a host path. */
export type RunScript = (script: string) => Promise<ProbeRun>;

/** One system call the seccomp probe makes, and the errno it must end with (0: allowed). */
export interface SyscallProbe {
  label: string;
  number: number;
  args: number[];
  expectedErrno: number;
}

const EPERM = 1;
const ENOSYS = 38;
const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWNS = 0x20000;
const CLONE_FILES = 0x400;
const SIGCHLD = 17;
const ADDR_NO_RANDOMIZE = 0x0040000;

/** Every refused call with harmless (zero) arguments, the flag checks, and calls that must work. */
export function syscallProbes(arch: string = process.arch): SyscallProbe[] {
  const table = syscallTableFor(arch);
  if (!table) throw new Error(`no system-call table for ${arch}`);
  const nr = table.numbers;
  const probes: SyscallProbe[] = [];
  for (const name of blockedSyscalls) {
    const number = nr[name];
    if (number !== undefined) probes.push({ label: name, number, args: [], expectedErrno: EPERM });
  }
  const getpid = arch === 'x64' ? 39 : 172;
  probes.push(
    {
      label: 'clone(CLONE_NEWUSER)',
      number: nr.clone!,
      args: [CLONE_NEWUSER | SIGCHLD],
      expectedErrno: EPERM,
    },
    {
      label: 'unshare(CLONE_NEWUSER)',
      number: nr.unshare!,
      args: [CLONE_NEWUSER],
      expectedErrno: EPERM,
    },
    {
      label: 'unshare(CLONE_NEWNS)',
      number: nr.unshare!,
      args: [CLONE_NEWNS],
      expectedErrno: EPERM,
    },
    { label: 'clone3', number: nr.clone3!, args: [0, 0], expectedErrno: ENOSYS },
    {
      label: 'personality(ADDR_NO_RANDOMIZE)',
      number: nr.personality!,
      args: [ADDR_NO_RANDOMIZE],
      expectedErrno: EPERM,
    },
    { label: 'getpid', number: getpid, args: [], expectedErrno: 0 },
    { label: 'unshare(CLONE_FILES)', number: nr.unshare!, args: [CLONE_FILES], expectedErrno: 0 },
    { label: 'personality(query)', number: nr.personality!, args: [0xffffffff], expectedErrno: 0 },
  );
  if (table.x32Bit !== undefined) {
    probes.push({
      label: 'x32 getpid',
      number: table.x32Bit | getpid,
      args: [],
      expectedErrno: EPERM,
    });
  }
  return probes;
}

// Calls each system call through libc's syscall() and prints {label: errno}, 0 for success.
const pythonSyscalls = `
import ctypes, json, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
result = {}
for label, number, args in json.loads(sys.argv[1]):
    ctypes.set_errno(0)
    value = libc.syscall(ctypes.c_long(number), *[ctypes.c_long(a) for a in args])
    result[label] = ctypes.get_errno() if value == -1 else 0
print(json.dumps(result))
`;

const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

/** The probe scripts, by name. */
export function probeScripts(): Record<ProbeName, string> {
  const calls = syscallProbes().map((probe) => [probe.label, probe.number, probe.args]);
  return {
    procSys: 'echo 11 > /proc/sys/kernel/printk_ratelimit_burst',
    sysrq: 'echo h > /proc/sysrq-trigger',
    kernelFiles:
      'for f in /proc/kcore /proc/kallsyms /proc/kmsg /proc/keys /proc/timer_list; do timeout 2 head -c 64 "$f" 2>/dev/null; done; echo end',
    uid: 'id -u; echo made > made-by-sandbox.txt; grep -E "^(Uid|Gid|CapEff|Seccomp):" /proc/self/status',
    cmdlines: 'for p in /proc/[0-9]*; do tr "\\0" " " < "$p/cmdline"; echo; done',
    environs: 'for p in /proc/[0-9]*; do tr "\\0" "\\n" < "$p/environ"; done 2>/dev/null; env',
    mountinfo: 'cat /proc/self/mountinfo',
    gitFile: 'cat .git; echo "[$(wc -c < .git)]"; git status 2>&1 | head -1',
    descriptors: 'ls -l /proc/self/fd/ 2>&1',
    seccomp: `python3 -c ${quote(pythonSyscalls)} ${quote(JSON.stringify(calls))}`,
    ordinaryPrograms:
      'git --version && node -e "console.log(6*7)" && sh -c "echo sh-works" && ls / > /dev/null && python3 -c "print(\'py-works\')" && echo all-work',
  };
}

export type ProbeName =
  | 'procSys'
  | 'sysrq'
  | 'kernelFiles'
  | 'uid'
  | 'cmdlines'
  | 'environs'
  | 'mountinfo'
  | 'gitFile'
  | 'descriptors'
  | 'seccomp'
  | 'ordinaryPrograms';

/** What the host offers that the sandbox must not reach: made by the test, given to the probes. */
export interface HostBait {
  /** A file every host user may read, outside the workspace. */
  secretFile: string;
  /** A TCP port listening on the host's 127.0.0.1. */
  loopbackPort: number;
  /** A variable set in Cadre's own environment. */
  envName: string;
}

export type BaitProbeName = 'secretFile' | 'loopback' | 'hostEnv' | 'accounts';

/** Probes of what the host offers: a readable file, a loopback server, Cadre's environment. */
export function baitScripts(bait: HostBait): Record<BaitProbeName, string> {
  return {
    secretFile: `cat ${bait.secretFile}`,
    loopback: `echo hello > /dev/tcp/127.0.0.1/${bait.loopbackPort}`,
    hostEnv: `env | grep -c ${bait.envName}; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c ${bait.envName}`,
    accounts: 'cat /etc/shadow; grep -c ":x:" /etc/passwd; ls /root /home 2>&1',
  };
}

/** Runs the bait probes, one after the other. */
export async function runBaitProbes(
  run: RunScript,
  bait: HostBait,
): Promise<Record<BaitProbeName, ProbeRun>> {
  const results = {} as Record<BaitProbeName, ProbeRun>;
  for (const [name, script] of Object.entries(baitScripts(bait)) as [BaitProbeName, string][]) {
    results[name] = await run(script);
  }
  return results;
}

/** Runs every probe, one after the other. */
export async function runPrivilegeProbes(run: RunScript): Promise<Record<ProbeName, ProbeRun>> {
  const results = {} as Record<ProbeName, ProbeRun>;
  for (const [name, script] of Object.entries(probeScripts()) as [ProbeName, string][]) {
    results[name] = await run(script);
  }
  return results;
}
