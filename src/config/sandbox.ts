// Settings of the sandbox that runs agents' commands (src/sandbox/).
import { z } from 'zod';
import { parseEnvBoolean, type EnvBinding } from './env.js';

export const SandboxConfig = z.strictObject({
  executor: z.enum(['bubblewrap', 'podman', 'host']).default('bubblewrap'),
  /** Running commands on the host without isolation must be asked for explicitly. */
  unsafeHostExec: z.boolean().default(false),
});
export type SandboxConfig = z.infer<typeof SandboxConfig>;

export const sandboxEnv: EnvBinding[] = [
  { env: 'CADRE_SANDBOX_EXECUTOR', path: ['sandbox', 'executor'] },
  { env: 'CADRE_UNSAFE_HOST_EXEC', path: ['sandbox', 'unsafeHostExec'], parse: parseEnvBoolean },
];
