// Settings, one tab per concern: providers and models (read only: they are configured where
// Cadre runs), budgets, API keys and the signed-in account. The tab is in the address.
import { navigate, useLocation } from '../router';
import { ErrorNote, useResource } from '../ui';
import { AccountSection } from './settings/account';
import { ApiKeysSection } from './settings/api-keys';
import { settingsApi } from './settings/api';
import { BudgetsSection } from './settings/budgets';
import { ModelsSection } from './settings/models';
import { ProvidersSection } from './settings/providers';
import './settings.css';

const tabs = [
  { id: 'providers', label: 'Providers' },
  { id: 'models', label: 'Models' },
  { id: 'budgets', label: 'Budgets' },
  { id: 'keys', label: 'API keys' },
  { id: 'account', label: 'Account' },
] as const;
type TabId = (typeof tabs)[number]['id'];

export function SettingsPage() {
  const requested = useLocation().query.get('tab');
  const tab: TabId = tabs.find((candidate) => candidate.id === requested)?.id ?? 'providers';
  const identity = useResource(settingsApi.me, 'me');
  const models = useResource(settingsApi.models, 'models');

  return (
    <div className="settings">
      <header className="settings-page-head">
        <h1>Settings</h1>
        <nav className="settings-tabs" role="tablist" aria-label="Settings sections">
          {tabs.map((candidate) => (
            <button
              key={candidate.id}
              role="tab"
              id={`settings-tab-${candidate.id}`}
              aria-selected={candidate.id === tab}
              aria-controls="settings-panel"
              className={candidate.id === tab ? 'active' : ''}
              onClick={() => navigate(`/settings?tab=${candidate.id}`)}
            >
              {candidate.label}
            </button>
          ))}
        </nav>
      </header>
      <div id="settings-panel" role="tabpanel" aria-labelledby={`settings-tab-${tab}`}>
        {identity.error && tab !== 'account' && (
          <ErrorNote error={`Your role could not be read: ${identity.error.message}`} />
        )}
        {tab === 'providers' && <ProvidersSection models={models} />}
        {tab === 'models' && <ModelsSection models={models} />}
        {tab === 'budgets' && <BudgetsSection identity={identity.data} />}
        {tab === 'keys' && <ApiKeysSection identity={identity} />}
        {tab === 'account' && <AccountSection identity={identity} />}
      </div>
    </div>
  );
}
