// Secrets at rest: envelope encryption under the instance's master key. Each value is sealed
// with a data key of its own (AES-256-GCM), and the data key with the master key; both bind
// the value to where it is stored (organization, project, kind), so that a sealed value copied
// to another row does not open. Values never leave through the API; only the code that uses a
// secret (git fetch and push, the git host's API, webhook checks) opens it.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { CadreError } from '../errors/index.js';

const { projectSecrets } = tables;

export type ProjectSecretKind = (typeof projectSecrets.$inferSelect)['kind'];

/** Seals and opens values under one master key. */
export interface SecretBox {
  seal(value: string, context: string): Buffer;
  open(sealed: Buffer, context: string): string;
}

const version = 1;
const ivBytes = 12;
const tagBytes = 16;
const keyBytes = 32;
export const masterKeyFileName = 'master-key';

/**
 * The master key: `CADRE_MASTER_KEY` (32 bytes, base64) when set, else the data folder's
 * `master-key` file, made on first start (readable by its owner only). Losing it loses every
 * stored secret; back it up with the data folder, or set it from a secret store.
 */
export async function loadMasterKey(options: {
  dataDir: string;
  masterKey?: string;
}): Promise<Buffer> {
  if (options.masterKey !== undefined)
    return decodeMasterKey(options.masterKey, 'CADRE_MASTER_KEY');
  const file = join(options.dataDir, masterKeyFileName);
  if (existsSync(file)) return decodeMasterKey((await readFile(file, 'utf8')).trim(), file);
  const key = randomBytes(keyBytes);
  await mkdir(options.dataDir, { recursive: true });
  // "wx": two processes starting on one new data folder must not each write a key of their own.
  await writeFile(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    },
  );
  return decodeMasterKey((await readFile(file, 'utf8')).trim(), file);
}

function decodeMasterKey(text: string, source: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (key.length !== keyBytes) {
    throw new CadreError(
      'CONFIG_INVALID',
      `${source}: the master key must be ${keyBytes} bytes in base64 (make one with \`openssl rand -base64 32\`).`,
    );
  }
  return key;
}

/** A secret box over `masterKey`. */
export function createSecretBox(masterKey: Buffer): SecretBox {
  return {
    seal(value, context) {
      const dataKey = randomBytes(keyBytes);
      const wrapped = encrypt(masterKey, dataKey, `key:${context}`);
      const body = encrypt(dataKey, Buffer.from(value, 'utf8'), `value:${context}`);
      return Buffer.concat([Buffer.of(version, wrapped.length), wrapped, body]);
    },
    open(sealed, context) {
      if (sealed[0] !== version) throw unreadableSecret();
      const wrappedLength = sealed[1]!;
      const wrapped = sealed.subarray(2, 2 + wrappedLength);
      const dataKey = decrypt(masterKey, wrapped, `key:${context}`);
      return decrypt(dataKey, sealed.subarray(2 + wrappedLength), `value:${context}`).toString(
        'utf8',
      );
    },
  };
}

function encrypt(key: Buffer, plain: Buffer, aad: string): Buffer {
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function decrypt(key: Buffer, sealed: Buffer, aad: string): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, ivBytes));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(sealed.subarray(ivBytes, ivBytes + tagBytes));
    return Buffer.concat([decipher.update(sealed.subarray(ivBytes + tagBytes)), decipher.final()]);
  } catch {
    throw unreadableSecret();
  }
}

function unreadableSecret() {
  return new CadreError(
    'SECRET_UNREADABLE',
    'A stored secret could not be opened: the master key is not the one it was sealed with. Restore the master key, or set the secret again.',
  );
}

const secretContext = (orgId: string, projectId: string, kind: ProjectSecretKind) =>
  `project:${orgId}:${projectId}:${kind}`;

/** Stores (or replaces) a project's secret of one kind. */
export async function setProjectSecret(
  db: Db,
  box: SecretBox,
  where: { orgId: string; projectId: string; kind: ProjectSecretKind },
  value: string,
): Promise<void> {
  const sealed = box.seal(value, secretContext(where.orgId, where.projectId, where.kind));
  await db
    .insert(projectSecrets)
    .values({ ...where, sealed })
    .onConflictDoUpdate({
      target: [projectSecrets.projectId, projectSecrets.kind],
      set: { sealed, updatedAt: sql`now()` },
    });
}

/** A project's secret of one kind, opened; null when it has none. */
export async function getProjectSecret(
  db: Db,
  box: SecretBox,
  where: { orgId: string; projectId: string; kind: ProjectSecretKind },
): Promise<string | null> {
  const [row] = await db
    .select({ sealed: projectSecrets.sealed })
    .from(projectSecrets)
    .where(
      and(
        eq(projectSecrets.orgId, where.orgId),
        eq(projectSecrets.projectId, where.projectId),
        eq(projectSecrets.kind, where.kind),
      ),
    );
  if (!row) return null;
  return box.open(row.sealed, secretContext(where.orgId, where.projectId, where.kind));
}

/** Removes a project's secret of one kind; false when it had none. */
export async function deleteProjectSecret(
  db: Db,
  where: { orgId: string; projectId: string; kind: ProjectSecretKind },
): Promise<boolean> {
  const deleted = await db
    .delete(projectSecrets)
    .where(
      and(
        eq(projectSecrets.orgId, where.orgId),
        eq(projectSecrets.projectId, where.projectId),
        eq(projectSecrets.kind, where.kind),
      ),
    )
    .returning({ id: projectSecrets.id });
  return deleted.length > 0;
}

/** The kinds of secret a project holds (never their values). */
export async function listProjectSecretKinds(
  db: Db,
  orgId: string,
  projectId: string,
): Promise<ProjectSecretKind[]> {
  const rows = await db
    .select({ kind: projectSecrets.kind })
    .from(projectSecrets)
    .where(and(eq(projectSecrets.orgId, orgId), eq(projectSecrets.projectId, projectId)));
  return rows.map((row) => row.kind);
}
