// Creating a project from a repository, and changing its upstream settings. Creation is
// all-or-nothing: the repository is cloned into the new project's folder first, and the row
// and its sealed secrets are written in one transaction only once the clone worked; any
// failure removes the folder. A URL never keeps a credential: that goes to the secrets.
import { randomUUID } from 'node:crypto';
import { listProjectSecretKinds, setProjectSecret, type SecretBox } from '../auth/index.js';
import type { Db } from '../db/index.js';
import { CadreError } from '../errors/index.js';
import type { GitCredential, RemoteAccess, Workspaces } from '../workspace/index.js';
import { checkDelivery, guessHost } from './project-delivery.js';
import { loadProjectRemote, storeProjectCredential } from './project-remote.js';
import {
  createProject,
  findProjectByName,
  getProject,
  nameTaken,
  updateProject,
  type ProjectInput,
  type ProjectRow,
} from './projects.js';

/** A credential as the API takes it. */
export type CredentialChange = { token: string; username?: string } | { sshKey: string };

/** The delivery and host settings a request may give. */
export interface DeliveryChange {
  deliveryMode?: ProjectRow['deliveryMode'];
  pushBranch?: string | null;
  hostKind?: ProjectRow['hostKind'];
  hostApiUrl?: string | null;
  hostRepository?: string | null;
  /** Write-only, stored as the 'host-token' secret. */
  hostToken?: string;
}

/** A new project, and where its repository comes from. */
export interface NewProject
  extends
    Omit<ProjectInput, keyof DeliveryChange | 'id' | 'remoteUrl' | 'remoteBranch'>,
    DeliveryChange {
  repository?: { url: string } | { path: string };
  branch?: string;
  credential?: CredentialChange;
}

/** A change of a project's settings, its upstream branch and credential included. */
export interface ProjectChange
  extends
    Partial<Omit<ProjectInput, keyof DeliveryChange | 'id' | 'remoteUrl' | 'remoteBranch'>>,
    DeliveryChange {
  remoteBranch?: string;
  /** Replaces the upstream credential; null removes it. */
  credential?: CredentialChange | null;
}

/** What creating or changing a project with a repository works with. */
export interface ProjectServices {
  db: Db;
  secrets: SecretBox;
  workspaces: Workspaces;
}

/**
 * Creates the project, cloning its repository first when one is given; nothing is left
 * behind when any step fails (no row, no folder, no secret).
 */
export async function createProjectWithRepository(
  { db, secrets, workspaces }: ProjectServices,
  orgId: string,
  input: NewProject,
): Promise<ProjectRow> {
  const { repository, branch, credential, hostToken, ...settings } = input;
  if (await findProjectByName(db, orgId, settings.name)) throw nameTaken(settings.name);
  if (repository === undefined || 'path' in repository) {
    if (branch !== undefined || credential !== undefined) {
      const field = branch !== undefined ? 'branch' : 'credential';
      throw invalid(field, 'is taken only with repository.url (an upstream to clone)');
    }
  }
  const id = randomUUID();
  let remote: RemoteAccess | null = null;
  const row: ProjectInput = { ...settings, id };
  if (repository !== undefined && 'url' in repository) {
    remote = { url: stripUserInfo(repository.url), credential: toGitCredential(credential) };
    Object.assign(row, hostFields(remote.url, settings));
  }
  const secretKinds = [
    ...(credential === undefined ? [] : ['token' in credential ? 'git-token' : 'ssh-key']),
    ...(hostToken === undefined ? [] : ['host-token']),
  ];
  checkDelivery(
    {
      remoteUrl: remote?.url ?? null,
      deliveryMode: row.deliveryMode ?? 'local',
      pushBranch: row.pushBranch ?? null,
      hostKind: row.hostKind ?? null,
      hostApiUrl: row.hostApiUrl ?? null,
      hostRepository: row.hostRepository ?? null,
    },
    secretKinds,
  );
  if (remote !== null) {
    const info = await workspaces.createRepositoryFromRemote(id, remote, branch);
    Object.assign(row, { remoteUrl: remote.url, remoteBranch: info.baseBranch });
  } else if (repository !== undefined && 'path' in repository) {
    // A failed import removes its repository but not the project's folder around it.
    await workspaces
      .createRepository(id, { type: 'path', path: repository.path })
      .catch(async (error: unknown) => {
        await workspaces.removeProject(id);
        throw error;
      });
  }
  try {
    return await db.transaction(async (tx) => {
      const created = await createProject(tx, orgId, row);
      if (remote?.credential) await storeProjectCredential(tx, secrets, created, remote.credential);
      if (hostToken !== undefined) {
        const where = { orgId, projectId: created.id, kind: 'host-token' as const };
        await setProjectSecret(tx, secrets, where, hostToken);
      }
      return created;
    });
  } catch (error) {
    if (repository !== undefined) await workspaces.removeProject(id);
    throw error;
  }
}

/**
 * Changes a project's settings. A new credential or upstream branch is tried against the
 * upstream first (REMOTE_AUTH_FAILED, REMOTE_BRANCH_NOT_FOUND), and nothing changes on failure.
 */
export async function changeProject(
  { db, secrets, workspaces }: ProjectServices,
  orgId: string,
  projectId: string,
  change: ProjectChange,
): Promise<ProjectRow> {
  const { credential, hostToken, ...fields } = change;
  const before = await getProject(db, orgId, projectId);
  const current = await loadProjectRemote(db, secrets, before);
  if ((credential !== undefined || fields.remoteBranch !== undefined) && current === null) {
    const field = credential !== undefined ? 'credential' : 'remoteBranch';
    throw invalid(field, 'the project has no upstream repository (it was not created from a URL)');
  }
  const newCredential =
    credential === undefined ? undefined : toGitCredential(credential ?? undefined);
  if (current !== null && (credential || fields.remoteBranch !== undefined)) {
    const remote = { url: current.url, credential: newCredential ?? current.credential };
    const branch = fields.remoteBranch;
    const found = await workspaces.inspectRemote(projectId, remote, branch);
    if (branch !== undefined && found.branchHead === null) {
      throw new CadreError(
        'REMOTE_BRANCH_NOT_FOUND',
        `remoteBranch: the upstream has no branch "${branch}". Check the name; nothing was changed.`,
        { details: { field: 'remoteBranch' } },
      );
    }
  }
  let secretKinds: string[] = await listProjectSecretKinds(db, orgId, projectId);
  if (credential !== undefined) {
    secretKinds = secretKinds.filter((kind) => kind !== 'git-token' && kind !== 'ssh-key');
    if (newCredential) secretKinds.push(newCredential.kind === 'token' ? 'git-token' : 'ssh-key');
  }
  if (hostToken !== undefined) secretKinds.push('host-token');
  const touchesDelivery =
    credential !== undefined ||
    hostToken !== undefined ||
    (['deliveryMode', 'pushBranch', 'hostKind', 'hostApiUrl', 'hostRepository'] as const).some(
      (field) => fields[field] !== undefined,
    );
  if (touchesDelivery) {
    const merged = { ...before, ...definedOnly(fields) };
    checkDelivery(merged, secretKinds);
  }
  return db.transaction(async (tx) => {
    const row =
      Object.keys(fields).length > 0
        ? await updateProject(tx, orgId, projectId, fields)
        : await getProject(tx, orgId, projectId);
    if (newCredential) await storeProjectCredential(tx, secrets, row, newCredential);
    else if (credential === null) await storeProjectCredential(tx, secrets, row, null);
    if (hostToken !== undefined) {
      await setProjectSecret(tx, secrets, { orgId, projectId, kind: 'host-token' }, hostToken);
    }
    return row;
  });
}

/** The URL without its user name; a password in it is refused (it belongs in `credential`). */
export function stripUserInfo(text: string): string {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text)) return text; // user@host:path keeps its user
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('repository.url', 'is not a URL');
  }
  if (url.password) {
    throw invalid(
      'repository.url',
      'must not hold a password; give the token as credential.token (it is stored sealed, never in the URL)',
    );
  }
  if (url.protocol === 'ssh:') return text; // ssh://git@host/… names the ssh user, no secret
  url.username = '';
  return url.href;
}

function toGitCredential(credential: CredentialChange | undefined): GitCredential | null {
  if (credential === undefined) return null;
  if ('sshKey' in credential) return { kind: 'ssh-key', privateKey: credential.sshKey };
  return { kind: 'token', token: credential.token, username: credential.username };
}

/** The host fields given, completed from a github.com or gitlab.com URL. */
function hostFields(remoteUrl: string, given: DeliveryChange) {
  const guessed = guessHost(remoteUrl);
  return {
    hostKind: given.hostKind ?? guessed?.hostKind ?? null,
    hostApiUrl: given.hostApiUrl ?? guessed?.hostApiUrl ?? null,
    hostRepository: given.hostRepository ?? guessed?.hostRepository ?? null,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, entry]) => entry !== undefined),
  ) as Partial<T>;
}

function invalid(field: string, message: string): CadreError {
  return new CadreError('VALIDATION_FAILED', `${field}: ${message}.`, {
    details: [{ field, message }],
  });
}
