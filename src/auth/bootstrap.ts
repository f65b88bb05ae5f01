// First start: an organization, its admin user and an admin API key. The key is returned once
// to be shown, and written to a file only its owner can read. Safe when several processes
// start at once: exactly one of them creates the admin.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { generateApiKey } from './tokens.js';

export interface BootstrapResult {
  /** Set only on the start that created the admin: the key, to show once. */
  createdKey: string | null;
  /** Where the admin key was written. */
  keyFile: string;
}

export const adminKeyFileName = 'admin-api-key';

/** Creates the first organization and admin unless one exists. */
export async function bootstrapAdmin(db: Db, dataDir: string): Promise<BootstrapResult> {
  const keyFile = join(dataDir, adminKeyFileName);
  const key = await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${0x636164726502})`);
    const existing = await tx
      .select({ id: tables.organizations.id })
      .from(tables.organizations)
      .limit(1);
    if (existing.length > 0) return null;
    const [org] = await tx
      .insert(tables.organizations)
      .values({ name: 'Default', slug: 'default' })
      .returning({ id: tables.organizations.id });
    const [user] = await tx
      .insert(tables.users)
      .values({ email: 'admin@localhost', name: 'Admin' })
      .returning({ id: tables.users.id });
    await tx.insert(tables.memberships).values({ orgId: org!.id, userId: user!.id, role: 'owner' });
    const apiKey = generateApiKey();
    await tx.insert(tables.apiKeys).values({
      orgId: org!.id,
      userId: user!.id,
      name: 'admin (created at first start)',
      prefix: apiKey.prefix,
      keyHash: apiKey.hash,
      role: 'owner',
    });
    // Written before the commit: a key that never reached the file must not exist.
    await writeFile(keyFile, apiKey.token + '\n', { mode: 0o600 });
    return apiKey.token;
  });
  return { createdKey: key, keyFile };
}
