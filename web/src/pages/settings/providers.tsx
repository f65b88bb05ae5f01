// Providers: where the models are served from, whether each has its key and how it is doing —
// its last error in the provider's own words, and for a server whose models are discovered,
// what its list answered. They are configured where Cadre runs (environment or
// cadre.config.yaml), never in the browser; no key ever reaches it, only whether one is set.
import {
  ErrorNote,
  formatAgo,
  formatDuration,
  Loaded,
  useAction,
  useResource,
  type Resource,
} from '../../ui';
import { settingsApi, type ModelList, type Provider } from './api';
import { healthOf, HealthBadge } from './health';

export function ProvidersSection({ models }: { models: Resource<ModelList> }) {
  const providers = useResource(settingsApi.providers, 'providers');
  const refresh = useAction(async () => {
    await settingsApi.refreshProviders();
    providers.reload();
    models.reload();
  });
  const isDiscovering = providers.data?.some((provider) => provider.discovery) ?? false;
  return (
    <div className="stack">
      <section className="card">
        <header className="settings-head">
          <h2>Providers</h2>
          {isDiscovering && (
            <button onClick={() => void refresh.run()} disabled={refresh.isBusy}>
              {refresh.isBusy ? 'Asking…' : 'Ask the servers for their models again'}
            </button>
          )}
        </header>
        {refresh.error && <ErrorNote error={refresh.error} />}
        <Loaded resource={providers} what="providers">
          {(items) =>
            items.length === 0 ? (
              <p className="settings-note" role="note">
                No provider is configured, so agents cannot work yet.{' '}
                {models.data?.setupGuidance ?? 'Configure one as shown below.'}
              </p>
            ) : (
              <>
                {models.data?.setupGuidance && (
                  <pre className="settings-note settings-code" role="note">
                    {models.data.setupGuidance}
                  </pre>
                )}
                <div className="table-scroll">
                  <ProviderTable providers={items} />
                </div>
              </>
            )
          }
        </Loaded>
      </section>
      <ProviderGuide />
    </div>
  );
}

function ProviderTable({ providers }: { providers: Provider[] }) {
  return (
    <table className="settings-table row-cards" data-testid="providers">
      <thead>
        <tr>
          <th>Provider</th>
          <th>Base URL</th>
          <th>Key</th>
          <th>Models</th>
          <th>Health</th>
          <th>Last hour</th>
          <th>Last error</th>
        </tr>
      </thead>
      <tbody>
        {providers.map((provider) => (
          <tr key={provider.name} data-provider={provider.name}>
            <td data-label="Provider">
              <span>
                <strong>{provider.name}</strong>{' '}
                <span className="muted settings-small">
                  {provider.kind} · {provider.privacy}
                </span>
              </span>
            </td>
            <td data-label="Base URL">
              {provider.baseUrl ? (
                <code className="settings-break">{provider.baseUrl}</code>
              ) : (
                <span className="muted">default</span>
              )}
            </td>
            <td data-label="Key">
              <KeyState provider={provider} />
            </td>
            <td data-label="Models">
              <span className="settings-stack">
                <ModelNames names={provider.models} />
                {provider.discovery && <Discovery discovery={provider.discovery} />}
              </span>
            </td>
            <td data-label="Health">
              <HealthBadge health={healthOf(true, provider.breaker)} />
            </td>
            <td data-label="Last hour" className="muted">
              <RecentCalls calls={provider.lastHour} />
            </td>
            <td data-label="Last error">
              <LastError error={provider.lastError} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The kinds that cannot work without a key; local servers and compatible ones may. */
const needsKey = new Set(['anthropic', 'openai', 'openai-responses', 'google']);

function KeyState({ provider }: { provider: Provider }) {
  if (provider.hasApiKey) return <span className="settings-key-set">set</span>;
  if (needsKey.has(provider.kind)) return <span className="error">missing</span>;
  return <span className="muted">none</span>;
}

function ModelNames({ names }: { names: string[] }) {
  if (names.length === 0) return <span className="muted">none available</span>;
  const shown = names.slice(0, 2).join(', ');
  return (
    <span className="settings-break" title={names.join(', ')}>
      {names.length > 2 ? `${shown} and ${names.length - 2} more` : shown}
    </span>
  );
}

/** What the server answered when asked which models it serves. */
function Discovery({ discovery }: { discovery: NonNullable<Provider['discovery']> }) {
  const when = discovery.checkedAt ? `, ${formatAgo(discovery.checkedAt)}` : '';
  if (discovery.state === 'failed') {
    return (
      <span className="error settings-small settings-break" data-testid="discovery-error">
        GET <code>{discovery.url}</code> failed{when}: {discovery.error}
      </span>
    );
  }
  return (
    <span className="muted settings-small settings-break">
      {discovery.state === 'pending'
        ? `asking ${discovery.url}`
        : `${discovery.modelCount} listed by ${discovery.url}${when}`}
    </span>
  );
}

/** The last failed call, as the provider put it: the status, its message, when and the model. */
function LastError({ error }: { error: Provider['lastError'] }) {
  if (!error) return <span className="muted">none in 7 days</span>;
  return (
    <span className="settings-stack" data-testid="provider-last-error">
      <span className="settings-small">
        <strong className="error">{error.code}</strong>{' '}
        <span className="muted">
          {formatAgo(error.at)} · {error.model}
        </span>
      </span>
      <span className="settings-small settings-break settings-error-text">{error.message}</span>
    </span>
  );
}

function RecentCalls({ calls }: { calls: Provider['lastHour'] }) {
  if (calls.calls === 0) return <>no calls</>;
  const parts = [`${calls.calls} call${calls.calls === 1 ? '' : 's'}`];
  if (calls.latencyP50Ms !== null) parts.push(`p50 ${formatDuration(calls.latencyP50Ms)}`);
  return (
    <span>
      {parts.join(' · ')}
      {calls.errors > 0 && (
        <span className="error">
          {' '}
          · {calls.errors} failed ({Math.round((calls.errorRate ?? 0) * 100)}%)
        </span>
      )}
    </span>
  );
}

const variables = [
  ['ANTHROPIC_API_KEY', 'Anthropic (ANTHROPIC_BASE_URL for another compatible endpoint)'],
  ['OPENAI_API_KEY', 'OpenAI'],
  [
    'OPENAI_BASE_URL',
    'An OpenAI-compatible server (vLLM, llama.cpp, LM Studio, Ollama, OpenRouter): its models are asked of it',
  ],
  ['GOOGLE_GENERATIVE_AI_API_KEY', 'Google Gemini'],
  ['OLLAMA_HOST', 'A local Ollama, e.g. http://127.0.0.1:11434'],
  ['CADRE_LLAMA_CPP_MODEL_PATH', 'A GGUF model run inside Cadre (npm install node-llama-cpp)'],
] as const;

const exampleConfig = `models:
  endpoints:
    gpu-box:
      kind: openai-compatible
      baseUrl: http://10.0.0.5:8000/v1
  catalog:
    - id: gpu-box/qwen2.5-coder-32b
      endpoint: gpu-box
      providerModelId: Qwen/Qwen2.5-Coder-32B-Instruct
      tier: balanced`;

/** How providers are set up, since the browser cannot change them. */
function ProviderGuide() {
  return (
    <section className="card" aria-labelledby="provider-guide">
      <h2 id="provider-guide">Adding a provider</h2>
      <p className="settings-text">
        Providers and their keys are configured where Cadre runs, not here: keys never reach the
        browser. Set one of these environment variables and restart Cadre, or put the same settings
        under <code>providers</code> in <code>cadre.config.yaml</code>. <code>cadre config</code>{' '}
        prints the configuration in effect, secrets hidden.
      </p>
      <div className="table-scroll">
        <table className="settings-table row-cards settings-compact">
          <thead>
            <tr>
              <th>Environment variable</th>
              <th>Enables</th>
            </tr>
          </thead>
          <tbody>
            {variables.map(([name, meaning]) => (
              <tr key={name}>
                <td data-label="Variable">
                  <code>{name}</code>
                </td>
                <td data-label="Enables">{meaning}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="settings-text">
        Any other OpenAI-compatible server, and models of your own, go in the <code>models</code>{' '}
        section of <code>cadre.config.yaml</code> (see <code>docs/models.md</code>):
      </p>
      <pre className="settings-code">{exampleConfig}</pre>
    </section>
  );
}
