// Providers: where the models are served from and whether each answers. They are configured on
// the server (environment or cadre.config.yaml), never in the browser, so this only reads.
import { Empty, Loaded, type Resource } from '../../ui';
import type { Model, ModelList } from './api';
import { healthOf, HealthBadge, type Health } from './health';

export interface ProviderView {
  name: string;
  privacy: string;
  health: Health;
  models: Model[];
}

/**
 * The providers as the model list shows them: one per endpoint, configured when the gateway
 * has a circuit breaker for it. GET /api/providers will add kind, base URL and key presence.
 */
export function providersOf(list: ModelList): ProviderView[] {
  const names = new Set([...Object.keys(list.breakers), ...list.items.map((m) => m.endpoint)]);
  return [...names]
    .map((name) => {
      const models = list.items.filter((model) => model.endpoint === name);
      const isConfigured = name in list.breakers || models.some((model) => model.isAvailable);
      return {
        name,
        privacy: models[0]?.privacy ?? '—',
        health: healthOf(isConfigured, list.breakers[name]),
        models,
      };
    })
    .sort(
      (a, b) =>
        Number(a.health === 'not configured') - Number(b.health === 'not configured') ||
        a.name.localeCompare(b.name),
    );
}

export function ProvidersSection({ models }: { models: Resource<ModelList> }) {
  return (
    <div className="stack">
      <section className="card">
        <h2>Providers</h2>
        <Loaded resource={models} what="providers">
          {(list) => {
            const providers = providersOf(list);
            return (
              <>
                {!list.isConfigured && (
                  <p className="settings-note" role="note">
                    No model is configured, so agents cannot work yet.{' '}
                    {list.setupGuidance ?? 'Set a provider key below and restart Cadre.'}
                  </p>
                )}
                {providers.length === 0 ? (
                  <Empty>No providers are known. Configure one as shown below.</Empty>
                ) : (
                  <div className="settings-scroll">
                    <table className="settings-table" data-testid="providers">
                      <thead>
                        <tr>
                          <th>Provider</th>
                          <th>Privacy</th>
                          <th>Models</th>
                          <th>Health</th>
                        </tr>
                      </thead>
                      <tbody>
                        {providers.map((provider) => (
                          <tr key={provider.name}>
                            <td data-label="Provider">
                              <strong>{provider.name}</strong>
                            </td>
                            <td data-label="Privacy">{provider.privacy}</td>
                            <td data-label="Models" className="muted">
                              {provider.models.filter((model) => model.isAvailable).length} of{' '}
                              {provider.models.length} available
                            </td>
                            <td data-label="Health">
                              <HealthBadge health={provider.health} />
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </>
            );
          }}
        </Loaded>
      </section>
      <ProviderGuide />
    </div>
  );
}

const variables = [
  ['ANTHROPIC_API_KEY', 'Anthropic (ANTHROPIC_BASE_URL for another compatible endpoint)'],
  ['OPENAI_API_KEY', 'OpenAI'],
  ['OPENAI_BASE_URL', 'An OpenAI-compatible server: vLLM, llama.cpp, LM Studio, OpenRouter'],
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
      <div className="settings-scroll">
        <table className="settings-table settings-compact">
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
