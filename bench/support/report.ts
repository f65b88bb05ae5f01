// Shared by the benchmarks: the machine's description, medians and percentiles, and writing
// one section of docs/benchmarks.md without touching the others.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

const benchmarksFile = new URL('../../docs/benchmarks.md', import.meta.url);

/** One line saying what the figures were measured on. */
export async function machine(): Promise<string> {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const memory = `${Math.round(totalmem() / 2 ** 30)} GiB`;
  const os = execFileSync('uname', ['-sr']).toString().trim();
  return `${cpus().length} × ${cpu}, ${memory} memory, ${os}, Node ${process.version}`;
}

/** The middle value. */
export function median(values: number[]): number {
  return percentile(values, 50);
}

/** The p-th percentile by nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  ]!;
}

/** Replaces the section headed `## title` (or appends it), stamped with the date and machine. */
export async function writeSection(title: string, body: string): Promise<void> {
  const text = existsSync(benchmarksFile) ? readFileSync(benchmarksFile, 'utf8') : '# Benchmarks\n';
  const stamp = `Measured ${new Date().toISOString().slice(0, 10)} on ${await machine()}.`;
  const section = `## ${title}\n\n${stamp}\n\n${body.trim()}\n`;
  const start = text.indexOf(`## ${title}\n`);
  let next: string;
  if (start < 0) next = `${text.trimEnd()}\n\n${section}`;
  else {
    const end = text.indexOf('\n## ', start + 3);
    next = text.slice(0, start) + section + (end < 0 ? '' : text.slice(end + 1));
  }
  writeFileSync(benchmarksFile, next);
}
