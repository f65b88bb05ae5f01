export { authenticate, lookupCredential } from './authenticate.js';
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
  setPassword,
  getUser,
  createApiKey,
  listApiKeys,
  revokeApiKey,
} from './credentials.js';
export type { SessionGrant, CreateApiKeyOptions } from './credentials.js';
export { hashPassword, verifyPassword } from './passwords.js';
export { Role, isAllowed, permissions } from './roles.js';
export type { Permission, Principal } from './roles.js';
export { generateApiKey, hashToken } from './tokens.js';
