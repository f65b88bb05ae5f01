// Models: every model the gateway knows, what it can do, what it costs and whether it answers
// here. Unavailable ones are hidden by default when some are available, to keep the list short.
import { useState } from 'react';
import { Empty, Loaded, type Resource } from '../../ui';
import type { Model, ModelList } from './api';
import { HealthBadge, modelHealth } from './health';

export function ModelsSection({ models }: { models: Resource<ModelList> }) {
  const [isShowingAll, setShowingAll] = useState(false);
  return (
    <section className="card">
      <Loaded resource={models} what="models">
        {(list) => {
          const available = list.items.filter((model) => model.isAvailable);
          const hidesSome = !isShowingAll && available.length > 0;
          const shown = hidesSome ? available : list.items;
          return (
            <>
              <header className="settings-head">
                <h2>Models</h2>
                <label className="check">
                  <input
                    type="checkbox"
                    checked={!hidesSome}
                    disabled={available.length === 0}
                    onChange={(event) => setShowingAll(event.target.checked)}
                  />
                  Show models not configured here ({list.items.length - available.length})
                </label>
              </header>
              <p className="muted settings-text">
                Prices are in USD per million tokens: input / output / cached input. Models of a
                local server cost nothing; &ldquo;price unknown&rdquo; marks a remote server&apos;s
                model that states no price (counted as $0 until one is configured).
              </p>
              {shown.length === 0 ? (
                <Empty>
                  No models are known. Configure a provider (see the Providers tab) and restart
                  Cadre.
                </Empty>
              ) : (
                <div className="table-scroll">
                  <ModelTable models={shown} list={list} />
                </div>
              )}
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

function ModelTable({ models, list }: { models: Model[]; list: ModelList }) {
  return (
    <table className="settings-table row-cards" data-testid="models">
      <thead>
        <tr>
          <th>Model</th>
          <th>Provider</th>
          <th>Tier</th>
          <th>Capabilities</th>
          <th className="number">Context</th>
          <th className="number">Prices / M tokens</th>
          <th>Health</th>
        </tr>
      </thead>
      <tbody>
        {models.map((model) => (
          <tr key={`${model.endpoint}:${model.id}`}>
            <td data-label="Model">
              <span>
                <strong className="settings-break">{model.id}</strong>
                {model.privacy === 'local' && <span className="badge">local</span>}
              </span>
            </td>
            <td data-label="Provider">{model.endpoint}</td>
            <td data-label="Tier">{model.tier}</td>
            <td data-label="Capabilities">
              <Capabilities model={model} />
            </td>
            <td data-label="Context" className="number">
              {formatTokens(model.contextWindow)}
            </td>
            <td data-label="Prices / M tokens" className="number">
              {model.isPriceKnown ? (
                <>
                  {formatPrice(model.prices.input)} / {formatPrice(model.prices.output)} /{' '}
                  {formatPrice(model.prices.cachedInput)}
                </>
              ) : (
                <span className="muted" title="The server states no price; counted as $0">
                  price unknown
                </span>
              )}
            </td>
            <td data-label="Health">
              <HealthBadge health={modelHealth(model, list.breakers)} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const capabilityNames = {
  tools: 'tools',
  vision: 'vision',
  structuredOutput: 'structured output',
  embeddings: 'embeddings',
} as const;

function Capabilities({ model }: { model: Model }) {
  const names = (Object.keys(capabilityNames) as (keyof typeof capabilityNames)[])
    .filter((name) => model.capabilities[name])
    .map((name) => capabilityNames[name]);
  if (names.length === 0) return <span className="muted">—</span>;
  return (
    <span className="settings-chips">
      {names.map((name) => (
        <span key={name} className="settings-chip">
          {name}
        </span>
      ))}
    </span>
  );
}

/** 200000 → "200k", 1048576 → "1M". */
export function formatTokens(tokens: number): string {
  if (tokens >= 1_000_000) return `${+(tokens / 1_000_000).toFixed(1)}M`;
  if (tokens >= 1_000) return `${Math.round(tokens / 1_000)}k`;
  return String(tokens);
}

const formatPrice = (usd: number) => `$${+usd.toFixed(3)}`;
