// The git host client of a project, built from its host settings and its sealed host token.
import { getProjectSecret, type SecretBox } from '../auth/index.js';
import type { Db } from '../db/index.js';
import { CadreError } from '../errors/index.js';
import { createGitHost, type GitHost } from '../hosts/index.js';
import type { ProjectRow } from './projects.js';

/**
 * The project's git host, or null when its host kind, API URL, repository or token is unset;
 * `timeoutMs` bounds each request (default: the client's).
 */
export async function loadProjectHost(
  db: Db,
  secrets: SecretBox,
  project: ProjectRow,
  { timeoutMs }: { timeoutMs?: number } = {},
): Promise<GitHost | null> {
  const { hostKind, hostApiUrl, hostRepository } = project;
  if (!hostKind || !hostApiUrl || !hostRepository) return null;
  const token = await getProjectSecret(db, secrets, {
    orgId: project.orgId,
    projectId: project.id,
    kind: 'host-token',
  });
  if (!token) return null;
  return createGitHost({
    kind: hostKind,
    apiUrl: hostApiUrl,
    repository: hostRepository,
    token,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
}

/** The project's git host; HOST_NOT_CONFIGURED, saying what is missing, when it has none. */
export async function requireProjectHost(
  db: Db,
  secrets: SecretBox,
  project: ProjectRow,
): Promise<GitHost> {
  const host = await loadProjectHost(db, secrets, project);
  if (host) return host;
  throw new CadreError(
    'HOST_NOT_CONFIGURED',
    `Project ${project.id} has no git host: set hostKind, hostApiUrl, hostRepository and a host token on it.`,
  );
}
