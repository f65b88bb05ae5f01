// The form that creates a project: a name, and optionally the repository it is cloned from
// (a git URL with its branch and credential, or a server folder), its delivery mode and, for
// pull requests, its git host. Credentials are sent once and never shown again; a project with
// a host gets its webhook URL and secret shown once after it is made.
import { useState, type FormEvent } from 'react';
import { api, type Project } from '../../api';
import { ErrorNote, useAction } from '../../ui';
import { guessHost, HostFields, noHost, type HostSettings } from './host-fields';
import { WebhookSetup } from './webhook-setup';

type Source = 'none' | 'url' | 'path';
type CredentialKind = 'none' | 'token' | 'ssh-key';
type DeliveryMode = Project['deliveryMode'];

export function NewProject({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [source, setSource] = useState<Source>('none');
  const [location, setLocation] = useState('');
  const [branch, setBranch] = useState('');
  const [credentialKind, setCredentialKind] = useState<CredentialKind>('none');
  const [secret, setSecret] = useState('');
  const [deliveryMode, setDeliveryMode] = useState<DeliveryMode>('local');
  const [host, setHost] = useState<HostSettings>(noHost);
  // Until the user edits a host field, the host follows what the repository URL names.
  const [isHostEdited, setHostEdited] = useState(false);
  const [webhook, setWebhook] = useState<{ name: string; url: string; secret: string } | null>(
    null,
  );
  const reset = () => {
    setName('');
    setDescription('');
    setLocation('');
    setBranch('');
    setSecret('');
    setHost(noHost);
    setHostEdited(false);
  };
  const changeLocation = (value: string) => {
    setLocation(value);
    if (!isHostEdited) setHost({ ...(guessHost(value) ?? noHost), token: host.token });
  };
  const create = useAction(async () => {
    const hasUrl = source === 'url';
    const hasHost = hasUrl && deliveryMode === 'pull-request';
    const created = await api.createProject({
      name: name.trim(),
      description: description.trim() || undefined,
      repository:
        source === 'url'
          ? { url: location.trim() }
          : source === 'path'
            ? { path: location.trim() }
            : undefined,
      branch: hasUrl && branch.trim() ? branch.trim() : undefined,
      credential:
        hasUrl && credentialKind === 'token' && secret
          ? { token: secret.trim() }
          : hasUrl && credentialKind === 'ssh-key' && secret
            ? { sshKey: secret }
            : undefined,
      deliveryMode,
      ...(hasHost && {
        hostKind: host.kind || undefined,
        hostApiUrl: host.apiUrl.trim() || undefined,
        hostRepository: host.repository.trim() || undefined,
        hostToken: host.token.trim() || undefined,
      }),
    });
    reset();
    onCreated();
    if (created.hostKind) {
      const made = await api.createWebhookSecret(created.id);
      setWebhook({ name: created.name, ...made });
    }
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void create.run();
  };
  const isReady = name.trim() !== '' && (source === 'none' || location.trim() !== '');

  return (
    <form className="new-project" onSubmit={submit} aria-label="New project">
      <div className="row">
        <input
          name="project-name"
          value={name}
          onChange={(event) => setName(event.target.value)}
          placeholder="New project name"
          aria-label="New project name"
        />
        <button type="submit" className="primary" disabled={!isReady || create.isBusy}>
          {create.isBusy ? (source === 'url' ? 'Cloning…' : 'Creating…') : 'Create project'}
        </button>
      </div>
      <details>
        <summary>Description, repository and delivery</summary>
        <div className="fields">
          <label>
            Description
            <input
              name="project-description"
              value={description}
              onChange={(event) => setDescription(event.target.value)}
            />
          </label>
          <label>
            Code from
            <select
              name="project-source"
              value={source}
              onChange={(event) => setSource(event.target.value as Source)}
            >
              <option value="none">An empty repository</option>
              <option value="url">A git repository URL</option>
              <option value="path">A folder on the server</option>
            </select>
          </label>
          {source !== 'none' && (
            <label>
              {source === 'url' ? 'Repository URL (https:// or ssh)' : 'Server folder'}
              <input
                name="project-location"
                value={location}
                onChange={(event) => changeLocation(event.target.value)}
                placeholder={source === 'url' ? 'https://github.com/owner/app.git' : '/srv/git/app'}
              />
            </label>
          )}
          {source === 'url' && (
            <>
              <label>
                Branch <small className="muted">(empty: the repository's default)</small>
                <input
                  name="project-branch"
                  value={branch}
                  onChange={(event) => setBranch(event.target.value)}
                  placeholder="main"
                />
              </label>
              <label>
                Credential
                <select
                  name="project-credential-kind"
                  value={credentialKind}
                  onChange={(event) => setCredentialKind(event.target.value as CredentialKind)}
                >
                  <option value="none">None (a public repository)</option>
                  <option value="token">An HTTPS access token</option>
                  <option value="ssh-key">An ssh deploy key</option>
                </select>
              </label>
              {credentialKind === 'token' && (
                <label>
                  Access token <small className="muted">(stored sealed, never shown again)</small>
                  <input
                    name="project-token"
                    type="password"
                    autoComplete="off"
                    value={secret}
                    onChange={(event) => setSecret(event.target.value)}
                  />
                </label>
              )}
              {credentialKind === 'ssh-key' && (
                <label>
                  Private deploy key{' '}
                  <small className="muted">(stored sealed, never shown again)</small>
                  <textarea
                    name="project-ssh-key"
                    rows={4}
                    autoComplete="off"
                    spellCheck={false}
                    value={secret}
                    onChange={(event) => setSecret(event.target.value)}
                  />
                </label>
              )}
            </>
          )}
          <label>
            Delivery of finished work
            <select
              name="project-delivery"
              value={deliveryMode}
              onChange={(event) => setDeliveryMode(event.target.value as DeliveryMode)}
            >
              <option value="local">Keep it in Cadre's repository</option>
              <option value="push">Push to the upstream branch</option>
              <option value="pull-request">Open a pull request</option>
            </select>
          </label>
          {source === 'url' && deliveryMode === 'pull-request' && (
            <HostFields
              value={host}
              onChange={(value) => {
                // The token is no choice of host: typing it keeps the host following the URL.
                if (value.token === host.token) setHostEdited(true);
                setHost(value);
              }}
            />
          )}
        </div>
      </details>
      {create.error && <ErrorNote error={create.error} />}
      {webhook && (
        <WebhookSetup
          projectName={webhook.name}
          url={webhook.url}
          secret={webhook.secret}
          onDone={() => setWebhook(null)}
        />
      )}
    </form>
  );
}
