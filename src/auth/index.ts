export { authenticate, lookupCredential, refreshPrincipal } from './authenticate.js';
export type { Credential } from './authenticate.js';
export { createCredentialCache, authChannel } from './credential-cache.js';
export type { CredentialCache, CredentialCacheOptions } from './credential-cache.js';
export { recordAudit } from './audit.js';
export type { AuditEntry, AuditActor } from './audit.js';
export { bootstrapAdmin, adminKeyFileName } from './bootstrap.js';
export type { BootstrapResult } from './bootstrap.js';
export {
  signIn,
  signOut,
  changePassword,
  getUser,
  createApiKey,
  listApiKeys,
  revokeApiKey,
} from './credentials.js';
export type {
  SessionGrant,
  SignInGrant,
  SignInOptions,
  ChangePasswordOptions,
  CreateApiKeyOptions,
} from './credentials.js';
export { checkWithBackoff, lockoutMs, defaultBackoffPolicy } from './sign-in-backoff.js';
export type { BackoffPolicy, GuardedCheck, GuardedCheckOptions } from './sign-in-backoff.js';
export { hashPassword, verifyPassword } from './passwords.js';
export { Role, isAllowed, lesserRole, permissions } from './roles.js';
export type { Permission, Principal } from './roles.js';
export { generateApiKey, hashToken, isWellFormedToken } from './tokens.js';
export { createAddressThrottle, addressKey } from './address-throttle.js';
export type { AddressThrottle, AddressThrottleOptions } from './address-throttle.js';
export {
  createSecretBox,
  loadMasterKey,
  masterKeyFileName,
  setProjectSecret,
  getProjectSecret,
  deleteProjectSecret,
  listProjectSecretKinds,
} from './secrets.js';
export type { SecretBox, ProjectSecretKind } from './secrets.js';
