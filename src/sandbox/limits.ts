// Default limits of a run and the checks on limits given by callers. Defaults are generous
// enough for a build and a test suite, and small enough that a runaway run cannot take a host.
import { CadreError } from '../errors/index.js';
import type { SandboxLimits } from './types.js';

export const defaultLimits: SandboxLimits = {
  timeoutMs: 10 * 60_000,
  cpuSeconds: 10 * 60,
  memoryBytes: 2 * 1024 ** 3,
  processes: 256,
  fileSizeBytes: 1024 ** 3,
  openFiles: 1024,
  outputBytes: 1024 ** 2,
};

/** The defaults overridden by `given`; a limit that is not a positive integer is refused. */
export function resolveLimits(given: Partial<SandboxLimits> = {}): SandboxLimits {
  const limits = { ...defaultLimits };
  for (const [key, value] of Object.entries(given) as [keyof SandboxLimits, unknown][]) {
    if (value === undefined) continue;
    if (!(key in defaultLimits)) {
      throw new CadreError('VALIDATION_FAILED', `limits.${key}: unknown limit.`);
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      throw new CadreError(
        'VALIDATION_FAILED',
        `limits.${key}: expected a positive whole number, got ${String(value)}.`,
      );
    }
    limits[key] = value;
  }
  return limits;
}

/** The launcher's five rlimit values; memory and processes are '-' where a cgroup limits them. */
export function rlimitValues(
  limits: SandboxLimits,
  options: { hasCgroupPids: boolean; hasCgroupMemory: boolean },
): string[] {
  return [
    String(limits.cpuSeconds),
    String(Math.max(1, Math.floor(limits.fileSizeBytes / 512))),
    String(limits.openFiles),
    // Without a cgroup, per-process and per-user rlimits are the fallback.
    options.hasCgroupMemory ? '-' : String(Math.max(1, Math.floor(limits.memoryBytes / 1024))),
    options.hasCgroupPids ? '-' : String(limits.processes),
  ];
}
