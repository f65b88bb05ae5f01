// The sandbox module: the Sandbox interface, its executors, terminals and the start-up report.
export { createSandbox, checkSandbox } from './executor.js';
export type { ExecutorReport } from './executor.js';
export { createBubblewrapSandbox, bubblewrapInstallHint } from './bubblewrap.js';
export type { BubblewrapSandboxOptions } from './bubblewrap.js';
export { createPodmanSandbox, podmanInstallHint } from './podman.js';
export type { PodmanSandboxOptions } from './podman.js';
export { createHostSandbox } from './host.js';
export type { HostSandboxOptions } from './host.js';
export { createCgroupManager } from './cgroups.js';
export type { CgroupManager, CgroupSupport } from './cgroups.js';
export { defaultLimits, resolveLimits } from './limits.js';
export { sandboxWorkspace, sandboxHome } from './bubblewrap-args.js';
export { collectRun } from './collect.js';
export { createTerminalManager } from './terminals.js';
export type {
  Terminal,
  TerminalEvent,
  TerminalInfo,
  TerminalManager,
  TerminalManagerOptions,
  TerminalOpenOptions,
} from './terminals.js';
export type { CollectedRun } from './collect.js';
export type {
  Sandbox,
  SandboxLimits,
  RunOptions,
  RunEvent,
  RunResult,
  RunHandle,
  ResourceUsage,
  PtyOptions,
  PtyProcess,
  PtyExit,
  ExecutorName,
} from './types.js';
