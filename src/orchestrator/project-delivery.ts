// Where a project's finished work goes, checked before it is stored: a pull request needs a
// git host (kind, API, repository) and its token; a push needs an upstream and a credential.
// github.com and gitlab.com URLs name their host; other hosts are given explicitly.
import { CadreError } from '../errors/index.js';
import type { ProjectRow } from './projects.js';

type HostKind = NonNullable<ProjectRow['hostKind']>;

/** The delivery and host settings of a project. */
export type DeliverySettings = Pick<
  ProjectRow,
  'remoteUrl' | 'deliveryMode' | 'pushBranch' | 'hostKind' | 'hostApiUrl' | 'hostRepository'
>;

const knownHosts: Record<string, { kind: HostKind; apiUrl: string }> = {
  'github.com': { kind: 'github', apiUrl: 'https://api.github.com' },
  'gitlab.com': { kind: 'gitlab', apiUrl: 'https://gitlab.com/api/v4' },
};

/** The git host a github.com or gitlab.com URL names, with the repository on it; else null. */
export function guessHost(
  remoteUrl: string,
): { hostKind: HostKind; hostApiUrl: string; hostRepository: string } | null {
  const scp = /^[^@/:\s]+@([^@/:\s]+):(.+)$/.exec(remoteUrl);
  let host: string;
  let path: string;
  if (scp && !remoteUrl.includes('://')) [host, path] = [scp[1]!, scp[2]!];
  else {
    try {
      const url = new URL(remoteUrl);
      [host, path] = [url.hostname, url.pathname];
    } catch {
      return null;
    }
  }
  const known = knownHosts[host.toLowerCase()];
  const repository = path.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '');
  if (!known || !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)+$/.test(repository)) return null;
  return { hostKind: known.kind, hostApiUrl: known.apiUrl, hostRepository: repository };
}

/**
 * Refuses settings a finished task could not be delivered with, naming what is missing.
 * `secretKinds` are the kinds the project will hold once the request is applied.
 */
export function checkDelivery(settings: DeliverySettings, secretKinds: readonly string[]): void {
  const missing = (what: string) =>
    new CadreError(
      'VALIDATION_FAILED',
      `deliveryMode: "${settings.deliveryMode}" needs ${what}; give it, or choose deliveryMode "local".`,
      { details: [{ field: 'deliveryMode', message: `needs ${what}` }] },
    );
  if (settings.deliveryMode === 'local') return;
  if (settings.remoteUrl === null) {
    throw missing('a repository URL (create the project with repository.url)');
  }
  if (settings.deliveryMode === 'push') {
    if (!secretKinds.includes('git-token') && !secretKinds.includes('ssh-key')) {
      throw missing('a credential that may push (credential)');
    }
    return;
  }
  const absent = (['hostKind', 'hostApiUrl', 'hostRepository'] as const).filter(
    (field) => settings[field] === null,
  );
  if (absent.length > 0) throw missing(`the git host's ${absent.join(', ')}`);
  if (!secretKinds.includes('host-token')) throw missing("the git host's API token (hostToken)");
}
