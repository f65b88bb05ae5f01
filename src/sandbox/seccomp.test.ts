import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildSeccompFilter } from './seccomp.js';
import { blockedSyscalls, syscallTableFor, type SyscallTable } from './seccomp-syscalls.js';

const ALLOW = 0x7fff0000;
const EPERM = 0x00050001;
const ENOSYS = 0x00050026;
const KILL_PROCESS = 0x80000000;

/** Runs a classic BPF seccomp program on one call, as the kernel would, and returns its verdict. */
function evaluate(program: Buffer, call: { arch: number; nr: number; args?: number[] }): number {
  const data = Buffer.alloc(64);
  data.writeUInt32LE(call.nr >>> 0, 0);
  data.writeUInt32LE(call.arch >>> 0, 4);
  (call.args ?? []).forEach((arg, index) => data.writeBigUInt64LE(BigInt(arg), 16 + index * 8));
  let accumulator = 0;
  for (let pc = 0; pc * 8 < program.length;) {
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    pc += 1;
    if (code === 0x20) accumulator = data.readUInt32LE(k);
    else if (code === 0x15) pc += accumulator === k ? jt : jf;
    else if (code === 0x45) pc += (accumulator & k) >>> 0 !== 0 ? jt : jf;
    else if (code === 0x05) pc += k;
    else if (code === 0x06) return k;
    else throw new Error(`unexpected BPF opcode ${code.toString(16)}`);
  }
  throw new Error('the program ran off its end');
}

describe.each(['x64', 'arm64'])('the seccomp filter for %s', (arch) => {
  const table = syscallTableFor(arch)!;
  const program = buildSeccompFilter(arch);
  const run = (nr: number, args?: number[]) =>
    evaluate(program, { arch: table.auditArch, nr, args });
  const nr = table.numbers;

  it('refuses every blocked call that exists on the architecture with EPERM', () => {
    const blocked = blockedSyscalls.filter((name) => nr[name] !== undefined);
    expect(blocked.length).toBeGreaterThan(45);
    for (const name of blocked) expect([name, run(nr[name]!)]).toEqual([name, EPERM]);
  });

  it('allows ordinary calls: read, write, openat, execve, getpid', () => {
    const ordinary = arch === 'x64' ? [0, 1, 257, 59, 39] : [63, 64, 56, 221, 172];
    for (const number of ordinary) expect(run(number)).toBe(ALLOW);
  });

  it('refuses new namespaces through clone and unshare, and sends clone3 to clone', () => {
    expect(run(nr.clone!, [0x10000000 | 17])).toBe(EPERM); // CLONE_NEWUSER
    expect(run(nr.clone!, [0x01200011])).toBe(ALLOW); // what fork() passes
    expect(run(nr.clone!, [0x003d0f00])).toBe(ALLOW); // what pthread_create passes
    expect(run(nr.unshare!, [0x10000000])).toBe(EPERM);
    expect(run(nr.unshare!, [0x80])).toBe(EPERM); // CLONE_NEWTIME
    expect(run(nr.unshare!, [0x400])).toBe(ALLOW); // CLONE_FILES
    expect(run(nr.clone3!, [0, 0])).toBe(ENOSYS);
  });

  it('allows only the harmless personalities', () => {
    expect(run(nr.personality!, [0xffffffff])).toBe(ALLOW);
    expect(run(nr.personality!, [0])).toBe(ALLOW);
    expect(run(nr.personality!, [0x0040000])).toBe(EPERM); // ADDR_NO_RANDOMIZE
  });

  it('kills a call made through another architecture', () => {
    expect(evaluate(program, { arch: 0x40000003, nr: 1 })).toBe(KILL_PROCESS); // i386
  });
});

describe('the x86-64 filter', () => {
  it('refuses the x32 ABI whole', () => {
    const table = syscallTableFor('x64')!;
    const program = buildSeccompFilter('x64');
    expect(evaluate(program, { arch: table.auditArch, nr: 0x40000000 | 39 })).toBe(EPERM);
  });

  it('refuses to build for an architecture it has no table for', () => {
    expect(() => buildSeccompFilter('riscv64')).toThrow(/no seccomp table for the riscv64/);
  });
});

// The tables are typed in by hand: they must match the kernel's headers (Debian: linux-libc-dev).
const headers: [string, string][] = [
  ['x64', '/usr/include/x86_64-linux-gnu/asm/unistd_64.h'],
  ['arm64', '/usr/include/asm-generic/unistd.h'],
];
describe.each(headers)('the %s table', (arch, header) => {
  it(`matches ${header}`, () => {
    expect(existsSync(header), `${header} is missing: apt-get install linux-libc-dev`).toBe(true);
    const text = readFileSync(header, 'utf8');
    const table = syscallTableFor(arch) as SyscallTable;
    for (const [name, number] of Object.entries(table.numbers)) {
      const match = new RegExp(`#define __NR(?:3264)?_${name}\\s+(\\d+)\\b`).exec(text);
      expect([name, match ? Number(match[1]) : 'missing']).toEqual([name, number]);
    }
  });
});
