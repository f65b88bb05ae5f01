// What a process (or the whole machine) used, read from Linux's /proc: CPU time and resident
// memory. Benchmarks use it to say where the CPUs went; it only reads.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** CPU seconds (user + system) a process and its descendants have used so far, counting the
 * children that already exited and were reaped (a Postgres backend whose connection closed). */
export function treeCpuSeconds(pid: number): number {
  return [pid, ...descendants(pid)].reduce((sum, id) => sum + ownCpuSeconds(id), 0);
}

function ownCpuSeconds(pid: number): number {
  const fields = statFields(pid);
  if (!fields) return 0; // it exited while we looked
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  return (utime! + stime! + cutime! + cstime!) / ticksPerSecond;
}

/** The fields of /proc/<pid>/stat from the third on: the name in field 2 may hold spaces. */
function statFields(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Busy and total CPU seconds of the whole machine so far, all CPUs together. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  const idle = ticks[3]! + ticks[4]!; // idle, iowait
  return { busy: (total - idle) / ticksPerSecond, total: total / ticksPerSecond };
}

/** Resident memory now (`VmRSS`) and at its peak (`VmHWM`), in MiB. */
export function residentMiB(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1]);
  return { now: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** A process's children, grandchildren and so on, by pid. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const parent = /^\d+$/.test(entry) ? Number(statFields(entry)?.[1]) : Number.NaN;
    if (!Number.isNaN(parent)) parents.set(parent, [...(parents.get(parent) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const visit = (id: number) =>
    parents.get(id)?.forEach((child) => {
      found.push(child);
      visit(child);
    });
  visit(pid);
  return found;
}
