// What to tell a user who has no model configured: printed by `cadre up` and carried by the
// gateway's LLM_NOT_CONFIGURED and LLM_MODEL_DISCOVERY_FAILED errors. Text only; it never
// reads the environment itself.
import { CadreError } from '../errors/index.js';
import type { DiscoveryStatus } from './discovery-state.js';

/** The exact steps to configure a first model, or to fix the server models were asked of. */
export function modelSetupGuidance(discovery: readonly DiscoveryStatus[] = []): string {
  const unanswered = discovery.filter((status) => status.state !== 'ok' || status.modelCount === 0);
  if (unanswered.length > 0) return discoveryGuidance(unanswered);
  return [
    'No model is configured, so agents cannot work yet. Add one of these and restart Cadre:',
    '  ANTHROPIC_API_KEY=...             Anthropic (Claude)',
    '  OPENAI_API_KEY=...                OpenAI',
    '  OPENAI_BASE_URL=http://127.0.0.1:8000/v1  any OpenAI-compatible server (vLLM, llama.cpp, LM Studio, Ollama): its models are discovered',
    '  GOOGLE_GENERATIVE_AI_API_KEY=...  Google Gemini',
    '  OLLAMA_HOST=http://127.0.0.1:11434  a local Ollama server (local models)',
    '  CADRE_LLAMA_CPP_MODEL_PATH=/path/model.gguf  an in-process GGUF model (npm install node-llama-cpp)',
    'or a "models" section in cadre.config.yaml (endpoints, catalog, deployments); see docs/models.md.',
  ].join('\n');
}

function discoveryGuidance(statuses: readonly DiscoveryStatus[]): string {
  const lines = statuses.map((status) =>
    status.state === 'ok'
      ? `GET ${status.url} answered an empty model list: load a model on that server.`
      : status.state === 'pending'
        ? `GET ${status.url} has not answered yet.`
        : `GET ${status.url} failed: ${status.error}.`,
  );
  const endpoint = statuses[0]!.endpoint;
  return [
    'No model is available yet: Cadre asks the server behind OPENAI_BASE_URL which models it serves.',
    ...lines.map((line) => `  ${line}`),
    'Start the server (or correct OPENAI_BASE_URL); Cadre asks again on the next call and on',
    'GET /api/models?refresh=true. Or name its models yourself in cadre.config.yaml, which skips the question:',
    '  models:',
    '    catalog:',
    `      - { id: ${endpoint}/<name the server knows the model by>, endpoint: ${endpoint}, contextWindow: 32768 }`,
    'See docs/models.md.',
  ].join('\n');
}

/** The error every gateway call fails with while no model is configured. */
export function notConfiguredError(): CadreError {
  return new CadreError('LLM_NOT_CONFIGURED', modelSetupGuidance());
}

/** The error of a call made while the only configured server has not listed its models. */
export function discoveryFailedError(discovery: readonly DiscoveryStatus[]): CadreError {
  return new CadreError('LLM_MODEL_DISCOVERY_FAILED', modelSetupGuidance(discovery), {
    details: { discovery },
  });
}
