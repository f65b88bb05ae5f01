// A project's upstream as the workspace module needs it: the URL from the project row and the
// credential opened from its sealed secrets. It must never hand a secret to anything but git.
import { z } from 'zod';
import {
  deleteProjectSecret,
  getProjectSecret,
  setProjectSecret,
  type SecretBox,
} from '../auth/index.js';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import type { GitCredential, RemoteAccess } from '../workspace/index.js';
import type { ProjectRow } from './projects.js';

/** What the 'git-token' secret holds: the token, and the user name to send with it. */
const StoredGitToken = z.object({
  token: z.string().min(1),
  username: z.string().min(1).optional(),
});
type StoredGitToken = z.infer<typeof StoredGitToken>;

/**
 * The project's upstream and its credential ('git-token' first, else 'ssh-key'); null when
 * the project has no remote_url.
 */
export async function loadProjectRemote(
  db: Db,
  secrets: SecretBox,
  project: ProjectRow,
): Promise<RemoteAccess | null> {
  if (project.remoteUrl === null) return null;
  const where = { orgId: project.orgId, projectId: project.id };
  const token = await getProjectSecret(db, secrets, { ...where, kind: 'git-token' });
  if (token !== null) return { url: project.remoteUrl, credential: parseGitToken(token) };
  const privateKey = await getProjectSecret(db, secrets, { ...where, kind: 'ssh-key' });
  const credential: GitCredential | null =
    privateKey === null ? null : { kind: 'ssh-key', privateKey };
  return { url: project.remoteUrl, credential };
}

/**
 * Seals a credential as the project's 'git-token' or 'ssh-key' secret, removing the other
 * kind; null removes both.
 */
export async function storeProjectCredential(
  db: Db,
  secrets: SecretBox,
  project: { orgId: string; id: string },
  credential: GitCredential | null,
): Promise<void> {
  const where = { orgId: project.orgId, projectId: project.id };
  if (credential === null) {
    await deleteProjectSecret(db, { ...where, kind: 'git-token' });
    await deleteProjectSecret(db, { ...where, kind: 'ssh-key' });
    return;
  }
  if (credential.kind === 'ssh-key') {
    await setProjectSecret(db, secrets, { ...where, kind: 'ssh-key' }, credential.privateKey);
    await deleteProjectSecret(db, { ...where, kind: 'git-token' });
    return;
  }
  const stored: StoredGitToken = { token: credential.token, username: credential.username };
  await setProjectSecret(db, secrets, { ...where, kind: 'git-token' }, JSON.stringify(stored));
  await deleteProjectSecret(db, { ...where, kind: 'ssh-key' });
}

function parseGitToken(value: string): GitCredential {
  // A bare token (set by hand or by another tool) is taken as it is.
  if (!value.startsWith('{')) return { kind: 'token', token: value };
  const parsed = StoredGitToken.parse(JSON.parse(value));
  return { kind: 'token', token: parsed.token, username: parsed.username };
}

/** The kinds of secret each of the organization's projects holds (never their values). */
export async function secretKindsByProject(db: Db, orgId: string): Promise<Map<string, string[]>> {
  const rows = await db
    .select({ projectId: tables.projectSecrets.projectId, kind: tables.projectSecrets.kind })
    .from(tables.projectSecrets)
    .where(eq(tables.projectSecrets.orgId, orgId));
  const kinds = new Map<string, string[]>();
  for (const row of rows) kinds.set(row.projectId, [...(kinds.get(row.projectId) ?? []), row.kind]);
  for (const list of kinds.values()) list.sort();
  return kinds;
}
