// Builds the sandbox's seccomp filter: a classic BPF program that bubblewrap loads with
// `--seccomp FD`. It checks the architecture first, then refuses the calls of
// seccomp-syscalls.ts with EPERM; it must never allow a call of a foreign or x32 ABI.
import { CadreError } from '../errors/index.js';
import { blockedSyscalls, syscallTableFor, type SyscallTable } from './seccomp-syscalls.js';

// Classic BPF opcodes (linux/filter.h) and seccomp return values (linux/seccomp.h).
const loadWord = 0x20; // BPF_LD | BPF_W | BPF_ABS
const jumpIfEqual = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const jumpIfAnyBit = 0x45; // BPF_JMP | BPF_JSET | BPF_K
const jumpAlways = 0x05; // BPF_JMP | BPF_JA
const returnValue = 0x06; // BPF_RET | BPF_K
const retAllow = 0x7fff0000;
const retKillProcess = 0x80000000;
const retErrno = (errno: number) => 0x00050000 | errno;
const EPERM = 1;
const ENOSYS = 38;

// Offsets in struct seccomp_data: nr, arch, then the arguments as 64-bit values (the low
// word comes first on little-endian machines, the only ones in seccomp-syscalls.ts).
const offsetNr = 0;
const offsetArch = 4;
const offsetArg0Low = 16;

// Flags that create namespaces (linux/sched.h). A new user namespace would hand the sandbox
// every capability over its own namespaces, the door to most kernel exploits; the others
// need a capability the sandbox lacks, and are refused for the same reason.
const newNamespaceFlags = 0x7e020000; // NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
const cloneNewTime = 0x80; // unshare only: in clone's flags this bit is the exit signal
// personality(2) values Docker's default profile allows: Linux, the 32-bit flag, uname26, and
// the query. Others (ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC…) weaken the process's hardening.
const allowedPersonalities = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

type Target = 'allow' | 'eperm' | 'enosys';
type Jump = number | Target;
interface Instruction {
  code: number;
  jt: Jump;
  jf: Jump;
  k: number | Target;
}

const stmt = (code: number, k: number | Target): Instruction => ({ code, jt: 0, jf: 0, k });
const jump = (code: number, k: number, jt: Jump, jf: Jump): Instruction => ({ code, jt, jf, k });

/** The filter for this machine's architecture; SANDBOX_UNAVAILABLE where Cadre has no table. */
export function buildSeccompFilter(arch: string = process.arch): Buffer {
  const table = syscallTableFor(arch);
  if (!table) {
    throw new CadreError(
      'SANDBOX_UNAVAILABLE',
      `Cadre has no seccomp table for the ${arch} architecture (it has x64 and arm64); run Cadre on one of those, or choose another sandbox.executor.`,
    );
  }
  return encode(filterProgram(table));
}

/** The program as symbolic instructions, before jumps are resolved. */
function filterProgram(table: SyscallTable): Instruction[] {
  const nr = table.numbers;
  const program: Instruction[] = [
    stmt(loadWord, offsetArch),
    jump(jumpIfEqual, table.auditArch, 1, 0),
    stmt(returnValue, retKillProcess),
    stmt(loadWord, offsetNr),
  ];
  if (table.x32Bit !== undefined) program.push(jump(jumpIfAnyBit, table.x32Bit, 'eperm', 0));
  for (const name of blockedSyscalls) {
    const number = nr[name];
    if (number !== undefined) program.push(jump(jumpIfEqual, number, 'eperm', 0));
  }
  if (nr.clone3 !== undefined) {
    // clone3 passes its flags in memory, out of a filter's reach: ENOSYS makes the C
    // library fall back to clone, whose flags the next rule checks.
    program.push(jump(jumpIfEqual, nr.clone3, 'enosys', 0));
  }
  for (const [number, mask] of [
    [nr.clone, newNamespaceFlags],
    [nr.unshare, newNamespaceFlags | cloneNewTime],
  ] as const) {
    if (number === undefined) continue;
    program.push(
      jump(jumpIfEqual, number, 0, 2),
      stmt(loadWord, offsetArg0Low),
      jump(jumpIfAnyBit, mask, 'eperm', 'allow'),
    );
  }
  if (nr.personality !== undefined) {
    program.push(
      jump(jumpIfEqual, nr.personality, 0, allowedPersonalities.length + 2),
      stmt(loadWord, offsetArg0Low),
      ...allowedPersonalities.map((value) => jump(jumpIfEqual, value, 'allow', 0)),
      stmt(jumpAlways, 'eperm'),
    );
  }
  return program;
}

/** Appends the three returns, resolves the symbolic jumps and writes struct sock_filter[]. */
function encode(body: Instruction[]): Buffer {
  const targets: Record<Target, number> = {
    allow: body.length,
    eperm: body.length + 1,
    enosys: body.length + 2,
  };
  const returns = [retAllow, retErrno(EPERM), retErrno(ENOSYS)];
  const program = [...body, ...returns.map((value) => stmt(returnValue, value))];
  const buffer = Buffer.alloc(program.length * 8);
  program.forEach((instruction, index) => {
    const offset = (jumpTo: Jump) => {
      if (typeof jumpTo === 'number') return jumpTo;
      const distance = targets[jumpTo] - index - 1;
      if (distance > 255) throw new Error('seccomp filter: a jump is longer than 255');
      return distance;
    };
    // Only BPF_JA takes its target in k; every other k is a plain value.
    const k = typeof instruction.k === 'number' ? instruction.k : offset(instruction.k);
    buffer.writeUInt16LE(instruction.code, index * 8);
    buffer.writeUInt8(offset(instruction.jt), index * 8 + 2);
    buffer.writeUInt8(offset(instruction.jf), index * 8 + 3);
    buffer.writeUInt32LE(k >>> 0, index * 8 + 4);
  });
  return buffer;
}
