// What to tell a user who has no model configured: printed by `cadre up` and carried by the
// gateway's LLM_NOT_CONFIGURED error. Text only; it never reads the environment itself.
import { CadreError } from '../errors/index.js';

/** The exact steps to configure a first model. */
export function modelSetupGuidance(): string {
  return [
    'No model is configured, so agents cannot work yet. Add one of these and restart Cadre:',
    '  ANTHROPIC_API_KEY=...             Anthropic (Claude)',
    '  OPENAI_API_KEY=...                OpenAI (OPENAI_BASE_URL for a compatible server)',
    '  GOOGLE_GENERATIVE_AI_API_KEY=...  Google Gemini',
    '  OLLAMA_HOST=http://127.0.0.1:11434  a local Ollama server (local models)',
    '  CADRE_LLAMA_CPP_MODEL_PATH=/path/model.gguf  an in-process GGUF model (npm install node-llama-cpp)',
    'or a "models" section in cadre.config.yaml (endpoints, catalog, deployments); see docs/models.md.',
  ].join('\n');
}

/** The error every gateway call fails with while no model is configured. */
export function notConfiguredError(): CadreError {
  return new CadreError('LLM_NOT_CONFIGURED', modelSetupGuidance());
}
