// Roles and what they allow. This is the one place where a permission is granted.
import { z } from 'zod';

export const Role = z.enum(['owner', 'admin', 'member', 'viewer']);
export type Role = z.infer<typeof Role>;

export const permissions = [
  'projects:read',
  'projects:write',
  /** Turning a project's sandbox network on: owners and admins only. */
  'projects:network',
  'tasks:read',
  'tasks:write',
  'keys:manage',
  'audit:read',
  'workspace:read',
  'workspace:write',
  'workspace:exec',
  'workspace:import-local',
  'terminal:open',
  'models:read',
  'spend:read',
  'budgets:manage',
  'experts:ask',
  'roles:read',
  'roles:manage',
] as const;
export type Permission = (typeof permissions)[number];

const grants: Record<Role, readonly Permission[]> = {
  owner: permissions,
  admin: permissions,
  member: [
    'projects:read',
    'projects:write',
    'tasks:read',
    'tasks:write',
    'models:read',
    'spend:read',
    'experts:ask',
    'roles:read',
    'workspace:read',
    'workspace:write',
    'workspace:exec',
    'terminal:open',
  ],
  viewer: [
    'projects:read',
    'tasks:read',
    'models:read',
    'spend:read',
    'roles:read',
    'workspace:read',
  ],
};

/** Whether `role` may do what `permission` names. */
export function isAllowed(role: Role, permission: Permission): boolean {
  return grants[role].includes(permission);
}

// From most to least rights: a key's rights are the lesser of its own role and its creator's.
const rank: Record<Role, number> = { owner: 3, admin: 2, member: 1, viewer: 0 };

/** The role of the two that allows less. */
export function lesserRole(first: Role, second: Role): Role {
  return rank[first] <= rank[second] ? first : second;
}

/** The principal a request acts as, after authentication. */
export interface Principal {
  orgId: string;
  role: Role;
  userId: string | null;
  /** The key or session that authenticated the request, for audit and rate limits. */
  credentialId: string;
  kind: 'api-key' | 'session';
}
