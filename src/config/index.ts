export { Config, ServerConfig, envBindings } from './schema.js';
export { loadConfig } from './load.js';
export type { LoadConfigOptions } from './load.js';
export { redactSecrets } from './redact.js';
export { SandboxConfig } from './sandbox.js';
export { ImportsConfig, ImportAllowedHost } from './imports.js';
export { isIpv4AddressOrCidr } from './network-allow.js';
export {
  ProvidersConfig,
  ModelsConfig,
  EndpointConfig,
  ModelEntryConfig,
  DeploymentConfig,
  PrivacyClass,
  ModelTier,
  EndpointKind,
} from './llm.js';
export type { EnvBinding } from './env.js';
