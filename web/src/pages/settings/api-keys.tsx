// API keys: the organization's keys (never the keys themselves, only their prefixes), creating
// one, and revoking one after a confirmation. Managing keys is for owners and admins.
import { useState } from 'react';
import { session } from '../../api';
import {
  Empty,
  ErrorNote,
  formatAgo,
  Loaded,
  Loading,
  useAction,
  useResource,
  type Resource,
} from '../../ui';
import { settingsApi, type ApiKeyView, type Identity, type NewApiKey } from './api';
import { KeyForm, NewKey } from './key-form';
import { canManage, ConfirmButton, Success } from './parts';

/** Waits to know the caller's role, so that a member or viewer is told, not refused. */
export function ApiKeysSection({ identity: me }: { identity: Resource<Identity> }) {
  if (me.data === undefined && me.error === null) return <Loading what="your role" />;
  const identity = me.data;
  if (!canManage(identity)) {
    return (
      <section className="card">
        <h2>API keys</h2>
        <p className="settings-note">
          Your role is <strong>{identity!.role}</strong>: only an owner or an admin can see and
          manage the organization's API keys.
        </p>
      </section>
    );
  }
  return <KeyManager identity={identity} />;
}

function KeyManager({ identity }: { identity: Identity | undefined }) {
  const keys = useResource(settingsApi.keys, 'keys');
  const [created, setCreated] = useState<NewApiKey | null>(null);
  const [revoked, setRevoked] = useState<string | null>(null);
  const signedInWith = session.current()?.apiKeyId ?? null;

  const revoke = useAction(async (key: ApiKeyView) => {
    setRevoked(null);
    await settingsApi.revokeKey(key.id);
    setRevoked(`Key “${key.name}” revoked: it no longer works.`);
    if (created?.id === key.id) setCreated(null);
    keys.reload();
  });

  return (
    <div className="stack">
      <section className="card">
        <h2>Create an API key</h2>
        <p className="muted settings-text">
          For the <code>cadre</code> command (<code>--key</code> or <code>CADRE_API_KEY</code>),
          scripts and CI. Give each its own key, so that one can be revoked alone.
        </p>
        {created ? (
          <NewKey created={created} onDone={() => setCreated(null)} />
        ) : (
          <KeyForm
            identity={identity}
            onCreated={(key) => {
              setRevoked(null);
              setCreated(key);
              keys.reload();
            }}
          />
        )}
      </section>
      <section className="card">
        <h2>API keys</h2>
        {revoke.error && <ErrorNote error={revoke.error} />}
        {revoked && <Success>{revoked}</Success>}
        <Loaded resource={keys} what="API keys">
          {(items) =>
            items.length === 0 ? (
              <Empty>No API keys. Create one above.</Empty>
            ) : (
              <div className="table-scroll">
                <table className="settings-table row-cards" data-testid="api-keys">
                  <thead>
                    <tr>
                      <th>Name</th>
                      <th>Key</th>
                      <th>Role</th>
                      <th>Created</th>
                      <th>Last used</th>
                      <th>Expires</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((key) => (
                      <tr key={key.id} data-key-name={key.name}>
                        <td data-label="Name">
                          <span>
                            <strong>{key.name}</strong>{' '}
                            {key.id === signedInWith && <span className="badge">this browser</span>}
                          </span>
                        </td>
                        <td data-label="Key">
                          <code>{key.prefix}…</code>
                        </td>
                        <td data-label="Role">{key.role}</td>
                        <td data-label="Created" className="muted">
                          {new Date(key.createdAt).toLocaleDateString()}
                        </td>
                        <td data-label="Last used" className="muted">
                          {key.lastUsedAt ? formatAgo(key.lastUsedAt) : 'never'}
                        </td>
                        <td data-label="Expires" className="muted">
                          <Expiry expiresAt={key.expiresAt} />
                        </td>
                        <td className="settings-row-actions">
                          <ConfirmButton
                            label="Revoke"
                            question={
                              key.id === signedInWith
                                ? 'Revoke the key you are signed in with? You will be signed out.'
                                : `Revoke “${key.name}”? Whatever uses it stops working.`
                            }
                            confirmLabel="Revoke key"
                            isBusy={revoke.running?.[0].id === key.id}
                            onConfirm={() => void revoke.run(key)}
                          />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Loaded>
      </section>
    </div>
  );
}

function Expiry({ expiresAt }: { expiresAt: string | null }) {
  if (!expiresAt) return <>never</>;
  const isExpired = Date.parse(expiresAt) <= Date.now();
  const date = new Date(expiresAt).toLocaleDateString();
  return isExpired ? <span className="error">expired {date}</span> : <>{date}</>;
}
