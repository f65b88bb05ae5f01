// Settings of the sandbox that runs agents' commands (src/sandbox/). It only describes and
// checks settings; choosing and starting an executor is the sandbox module's job.
import { z } from 'zod';
import { parseEnvBoolean, parseEnvInteger, type EnvBinding } from './env.js';
import { NetworkAllowEntry, parseEnvAddressList } from './network-allow.js';

const Positive = z.number().int().positive();

/** Limits of each run; unset fields take the sandbox's defaults. */
export const SandboxLimitsConfig = z.strictObject({
  timeoutMs: Positive.optional(),
  cpuSeconds: Positive.optional(),
  memoryBytes: Positive.optional(),
  processes: Positive.optional(),
  fileSizeBytes: Positive.optional(),
  openFiles: Positive.optional(),
  outputBytes: Positive.optional(),
});
export type SandboxLimitsConfig = z.infer<typeof SandboxLimitsConfig>;

export const SandboxConfig = z.strictObject({
  executor: z.enum(['bubblewrap', 'podman', 'host']).default('bubblewrap'),
  /** Running commands on the host without isolation must be asked for explicitly. */
  unsafeHostExec: z.boolean().default(false),
  /** The image podman runs commands in. */
  podmanImage: z.string().min(1).default('docker.io/library/debian:bookworm-slim'),
  /** Whether to limit and measure runs with cgroups when they are writable. */
  useCgroups: z.boolean().default(true),
  limits: SandboxLimitsConfig.default({}),
  /**
   * The host user and group id sandboxed processes run as when Cadre runs as root (as an
   * ordinary user Cadre's own id is used). The default lies in the range no Debian tool hands
   * out by default (above 65535, below the first subordinate ids at 100000); give an id no
   * account or other service uses. Never 0.
   */
  hostUid: z.number().int().min(1).max(4_294_967_294).default(99_999),
  /**
   * Private or host addresses (IPv4 addresses or CIDRs) that networked sandboxes may reach
   * anyway; everything else that is not the public internet stays unreachable.
   */
  networkAllow: z.array(NetworkAllowEntry).default([]),
});
export type SandboxConfig = z.infer<typeof SandboxConfig>;

export const sandboxEnv: EnvBinding[] = [
  { env: 'CADRE_SANDBOX_EXECUTOR', path: ['sandbox', 'executor'] },
  { env: 'CADRE_UNSAFE_HOST_EXEC', path: ['sandbox', 'unsafeHostExec'], parse: parseEnvBoolean },
  { env: 'CADRE_SANDBOX_PODMAN_IMAGE', path: ['sandbox', 'podmanImage'] },
  { env: 'CADRE_SANDBOX_CGROUPS', path: ['sandbox', 'useCgroups'], parse: parseEnvBoolean },
  { env: 'CADRE_SANDBOX_HOST_UID', path: ['sandbox', 'hostUid'], parse: parseEnvInteger },
  {
    env: 'CADRE_SANDBOX_NETWORK_ALLOW',
    path: ['sandbox', 'networkAllow'],
    parse: parseEnvAddressList,
  },
  {
    env: 'CADRE_SANDBOX_TIMEOUT_MS',
    path: ['sandbox', 'limits', 'timeoutMs'],
    parse: parseEnvInteger,
  },
  {
    env: 'CADRE_SANDBOX_MEMORY_BYTES',
    path: ['sandbox', 'limits', 'memoryBytes'],
    parse: parseEnvInteger,
  },
];
