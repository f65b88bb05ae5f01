// The git host a project opens its pull requests on: its kind, API root, repository and API
// token. A github.com or gitlab.com repository URL fills the first three, as the server does
// when they are left empty; the token is write-only.
import type { Project } from '../../api';

type HostKind = NonNullable<Project['hostKind']>;

export interface HostSettings {
  kind: HostKind | '';
  apiUrl: string;
  repository: string;
  token: string;
}

export const noHost: HostSettings = { kind: '', apiUrl: '', repository: '', token: '' };

const knownHosts: Record<string, { kind: HostKind; apiUrl: string }> = {
  'github.com': { kind: 'github', apiUrl: 'https://api.github.com' },
  'gitlab.com': { kind: 'gitlab', apiUrl: 'https://gitlab.com/api/v4' },
};

/** The host settings a github.com or gitlab.com URL (https, ssh or user@host:path) names. */
export function guessHost(remoteUrl: string): Omit<HostSettings, 'token'> | null {
  const match = /^(?:[a-z+]+:\/\/)?(?:[^@/\s]+@)?([^/:\s]+)(?::\d+)?[:/](.+)$/i.exec(
    remoteUrl.trim(),
  );
  const known = match && knownHosts[match[1]!.toLowerCase()];
  const repository = match?.[2]!.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '') ?? '';
  if (!known || !/^[\w.-]+(\/[\w.-]+)+$/.test(repository)) return null;
  return { kind: known.kind, apiUrl: known.apiUrl, repository };
}

export function HostFields({
  value,
  onChange,
}: {
  value: HostSettings;
  onChange: (value: HostSettings) => void;
}) {
  const set = (changes: Partial<HostSettings>) => onChange({ ...value, ...changes });
  return (
    <>
      <label>
        Git host
        <select
          name="project-host-kind"
          value={value.kind}
          onChange={(event) => set({ kind: event.target.value as HostSettings['kind'] })}
        >
          <option value="">Choose the host</option>
          <option value="github">GitHub</option>
          <option value="gitlab">GitLab</option>
          <option value="gitea">Gitea</option>
        </select>
      </label>
      <label>
        Host API URL
        <input
          name="project-host-api-url"
          value={value.apiUrl}
          onChange={(event) => set({ apiUrl: event.target.value })}
          placeholder={
            value.kind === 'gitlab' ? 'https://gitlab.com/api/v4' : 'https://api.github.com'
          }
        />
      </label>
      <label>
        Repository on the host
        <input
          name="project-host-repository"
          value={value.repository}
          onChange={(event) => set({ repository: event.target.value })}
          placeholder="owner/name"
        />
      </label>
      <label>
        Host API token <small className="muted">(stored sealed, never shown again)</small>
        <input
          name="project-host-token"
          type="password"
          autoComplete="off"
          value={value.token}
          onChange={(event) => set({ token: event.target.value })}
        />
      </label>
    </>
  );
}
