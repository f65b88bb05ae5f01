// How Cadre connects to a project's upstream: the address checked and pinned again on every
// call (DNS may have changed), the credential given to git without putting it in the URL, argv
// or a file another user can read (an HTTPS token through git's environment, an ssh key in a
// private temporary file removed afterwards), and git's failures turned into REMOTE_* errors
// that name only the host.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CadreError } from '../errors/index.js';
import { createImportAllowlist } from './import-address.js';
import { pinImportUrl, UnreachableSource, type ResolveHost } from './import-url.js';
import type { ProjectLayout } from './layout.js';

/** How Cadre authenticates to the upstream: an HTTPS token or an SSH deploy key. */
export type GitCredential =
  { kind: 'token'; username?: string; token: string } | { kind: 'ssh-key'; privateKey: string };

/** The upstream repository (its URL never holds a credential) and how to authenticate to it. */
export interface RemoteAccess {
  url: string;
  credential: GitCredential | null;
}

/** Which addresses a remote may reach, as the instance admin configured imports. */
export interface RemotePolicy {
  /** Hosts, addresses and CIDR blocks reachable although not public (CADRE_IMPORT_ALLOW_HOSTS). */
  allowHosts?: readonly string[];
  resolveHost?: ResolveHost;
}

/** The user name sent with a token when none is given; GitHub, GitLab and Gitea accept any. */
export const defaultTokenUsername = 'x-access-token';

/** The git settings and URL of one connection, valid while `withConnection`'s work runs. */
export interface Connection {
  url: string;
  /** `-c` settings: the pinned address and, for ssh, the command with the key file. */
  settings: string[];
  /** The Authorization header, given through the environment only. */
  privateConfig: Array<[string, string]>;
}

/**
 * Pins the URL, lays out the credential for git, runs `work` and removes the key file whatever
 * happens; git's failures become REMOTE_* errors that name only the host.
 */
export async function withConnection<T>(
  layout: ProjectLayout,
  remote: RemoteAccess,
  policy: RemotePolicy,
  work: (connection: Connection) => Promise<T>,
): Promise<T> {
  const host = checkRemoteUrl(remote);
  const pinned = await pinRemote(remote.url, host, policy);
  const isSsh = pinned.gitConfig.some(([key]) => key === 'core.sshCommand');
  checkCredentialFits(remote.credential, isSsh);
  let keyDir: string | null = null;
  try {
    const config = [...pinned.gitConfig];
    const privateConfig: Array<[string, string]> = [];
    if (isSsh) {
      await mkdir(layout.root, { recursive: true });
      const options = [
        `-o UserKnownHostsFile=${shellQuote(join(layout.root, 'known_hosts'))}`,
        '-o GlobalKnownHostsFile=/dev/null',
        '-o StrictHostKeyChecking=accept-new',
        '-o IdentitiesOnly=yes',
        '-o IdentityAgent=none',
      ];
      if (remote.credential?.kind === 'ssh-key') {
        keyDir = await mkdtemp(join(tmpdir(), 'cadre-ssh-'));
        const keyFile = join(keyDir, 'key');
        const key = remote.credential.privateKey.replace(/\r\n/g, '\n').trimEnd() + '\n';
        await writeFile(keyFile, key, { mode: 0o600, flag: 'wx' });
        options.push(`-i ${shellQuote(keyFile)}`);
      } else {
        // Without -i ssh would offer the keys of the user Cadre runs as (~/.ssh/id_*), letting
        // a project without a credential read whatever that user's keys may read.
        options.push('-o PubkeyAuthentication=no');
      }
      const index = config.findIndex(([key]) => key === 'core.sshCommand');
      config[index] = ['core.sshCommand', `${config[index]![1]} ${options.join(' ')}`];
    } else if (remote.credential?.kind === 'token') {
      privateConfig.push(['http.extraHeader', authorizationHeader(remote.credential)]);
    }
    const settings = config.flatMap(([key, value]) => ['-c', `${key}=${value}`]);
    return await work({ url: pinned.url, settings, privateConfig });
  } catch (error) {
    throw remoteError(error, host);
  } finally {
    if (keyDir !== null) await rm(keyDir, { recursive: true, force: true });
  }
}

async function pinRemote(url: string, host: string, policy: RemotePolicy) {
  try {
    return await pinImportUrl(
      url,
      createImportAllowlist(policy.allowHosts ?? []),
      policy.resolveHost,
    );
  } catch (error) {
    if (error instanceof UnreachableSource) throw unreachable(host);
    if (error instanceof CadreError && error.code === 'WORKSPACE_IMPORT_ADDRESS_REFUSED') {
      const range = (error.details as { range?: string } | undefined)?.range ?? 'private';
      throw new CadreError(
        'REMOTE_ADDRESS_REFUSED',
        `remoteUrl: ${host} now leads to a ${range} address, which Cadre may not reach. An instance admin can allow it with CADRE_IMPORT_ALLOW_HOSTS (imports.allowHosts).`,
        { details: { field: 'remoteUrl', host, range } },
      );
    }
    if (error instanceof CadreError && error.code === 'VALIDATION_FAILED') {
      throw new CadreError(
        'VALIDATION_FAILED',
        error.message.replace(/^source\.url/, 'remoteUrl'),
        {
          details: [{ field: 'remoteUrl', message: 'the URL is not accepted' }],
        },
      );
    }
    throw error;
  }
}

/** The remote's host, for messages; refuses an http(s) URL that carries a user or password. */
function checkRemoteUrl(remote: RemoteAccess): string {
  const scp = /^[^@/:\s]+@(\[[^\]]+\]|[^@/:[\]\s]+):/.exec(remote.url);
  if (scp && !remote.url.includes('://')) return scp[1]!.toLowerCase();
  let url: URL;
  try {
    url = new URL(remote.url);
  } catch {
    throw new CadreError(
      'VALIDATION_FAILED',
      'remoteUrl: the URL is not accepted: it is not a URL.',
      {
        details: [{ field: 'remoteUrl', message: 'not a URL' }],
      },
    );
  }
  if ((url.protocol === 'http:' || url.protocol === 'https:') && (url.username || url.password)) {
    throw new CadreError(
      'VALIDATION_FAILED',
      'remoteUrl: the URL may not carry a user name or password; give the credential separately.',
      { details: [{ field: 'remoteUrl', message: 'holds a credential' }] },
    );
  }
  return url.hostname.toLowerCase();
}

function checkCredentialFits(credential: GitCredential | null, isSsh: boolean) {
  if (credential === null) return;
  if (isSsh && credential.kind === 'token') {
    throw credentialMismatch(
      'a token authenticates to https:// URLs; give an ssh key for an ssh URL',
    );
  }
  if (!isSsh && credential.kind === 'ssh-key') {
    throw credentialMismatch(
      'an ssh key authenticates to ssh URLs; give a token for an https:// URL',
    );
  }
}

/** Refuses a value that could end the header early and start one of its own. */
function authorizationHeader({
  username = defaultTokenUsername,
  token,
}: {
  username?: string;
  token: string;
}) {
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw credentialMismatch(
      'the token may hold only printable characters without spaces',
      'credential.token',
    );
  }
  if (!/^[\x21-\x39\x3b-\x7e]+$/.test(username)) {
    throw credentialMismatch(
      'the user name may hold only printable characters without spaces or ":"',
      'credential.username',
    );
  }
  return `Authorization: Basic ${Buffer.from(`${username}:${token}`).toString('base64')}`;
}

/** Quotes for the shell git runs core.sshCommand through. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Turns git's failure into a REMOTE_* error by what git said, without repeating any of it. */
function remoteError(error: unknown, host: string): unknown {
  if (!(error instanceof CadreError) || error.code !== 'GIT_FAILED') return error;
  const said = error.message.toLowerCase();
  if (/couldn't find remote ref|could not find remote ref/.test(said)) {
    return new CadreError(
      'REMOTE_BRANCH_NOT_FOUND',
      `remoteBranch: the repository on ${host} has no such branch. Check the branch name, or choose another branch.`,
      { details: { field: 'remoteBranch', host } },
    );
  }
  if (/host key verification failed|remote host identification has changed/.test(said)) {
    return new CadreError(
      'REMOTE_HOST_KEY_CHANGED',
      `The ssh host key of ${host} is not the one Cadre recorded the first time it connected. If the host's key was really replaced, an administrator removes its line from the project's known_hosts file; otherwise something is impersonating the host.`,
      { details: { host } },
    );
  }
  if (
    /authentication failed|could not read (username|password)|returned error: 40[13]|permission denied \(|invalid username or password|access denied|http basic: access denied/.test(
      said,
    )
  ) {
    return new CadreError(
      'REMOTE_AUTH_FAILED',
      `credential: ${host} refused the credential (or the repository is private and none was given). Check that the token or deploy key is current and may read (and, to deliver, write) the repository, and set it again.`,
      { details: { field: 'credential', host } },
    );
  }
  return unreachable(host);
}

function unreachable(host: string): CadreError {
  return new CadreError(
    'REMOTE_UNREACHABLE',
    `No git repository could be reached at ${host}. Check that the host is up, that the repository address is right and that it exists; then retry.`,
    { details: { host } },
  );
}

function credentialMismatch(message: string, field = 'credential'): CadreError {
  return new CadreError('VALIDATION_FAILED', `${field}: ${message}.`, {
    details: [{ field, message }],
  });
}
