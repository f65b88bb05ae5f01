// The roles an organization works with: the built-in team, then roles from the
// configuration, then the organization's own (stored in Postgres), later layers winning.
import { and, eq } from 'drizzle-orm';
import { mergeRoles, RoleDefinition } from '../agents/roles.js';
import { CadreError, notFound } from '../errors/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';

/** Validates the roles of the configuration file; a bad one stops start-up naming its key. */
export function parseConfigRoles(raw: readonly unknown[]): RoleDefinition[] {
  return raw.map((role, index) => {
    const parsed = RoleDefinition.safeParse(role);
    if (parsed.success) return parsed.data;
    const lines = parsed.error.issues.map(
      (issue) => `  roles.${index}.${issue.path.join('.')}: ${issue.message}`,
    );
    throw new CadreError('CONFIG_INVALID', `Invalid configuration:\n${lines.join('\n')}`);
  });
}

/** Every role the organization can use, by name. */
export async function listRoles(
  db: Db,
  orgId: string,
  configRoles: readonly RoleDefinition[] = [],
) {
  const rows = await db.select().from(tables.roles).where(eq(tables.roles.orgId, orgId));
  return mergeRoles(
    configRoles,
    rows.map((row) => RoleDefinition.parse(row.definition)),
  );
}

/** One role, or NOT_FOUND. */
export async function getRole(
  db: Db,
  orgId: string,
  name: string,
  configRoles: readonly RoleDefinition[] = [],
) {
  const role = (await listRoles(db, orgId, configRoles)).get(name);
  if (!role) throw notFound('role', name);
  return role;
}

/** Creates or replaces the organization's version of a role. */
export async function saveRole(
  db: Db,
  orgId: string,
  role: RoleDefinition,
): Promise<RoleDefinition> {
  await db
    .insert(tables.roles)
    .values({ orgId, name: role.name, definition: role })
    .onConflictDoUpdate({
      target: [tables.roles.orgId, tables.roles.name],
      set: { definition: role, updatedAt: new Date() },
    });
  return role;
}

/** Removes the organization's version of a role; a built-in role falls back to its default. */
export async function deleteRole(db: Db, orgId: string, name: string): Promise<void> {
  const deleted = await db
    .delete(tables.roles)
    .where(and(eq(tables.roles.orgId, orgId), eq(tables.roles.name, name)))
    .returning({ name: tables.roles.name });
  if (deleted.length === 0) throw notFound('custom role', name);
}
