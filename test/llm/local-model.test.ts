import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { closeHarnesses, createHarness, createLlmTestDatabase } from './helpers.js';

let database: Database;
let orgId: string;
beforeAll(async () => {
  ({ database, orgId } = await createLlmTestDatabase());
});
afterAll(async () => {
  await closeHarnesses();
  await database.close();
});

describe('the embedded GGUF model', () => {
  it('is offered when a path is set, and says how to install node-llama-cpp when it is missing', async () => {
    const { gateway } = createHarness({
      database,
      models: { localModelPath: '/models/tiny.gguf' },
    });
    expect(gateway.isConfigured()).toBe(true);
    expect(gateway.listModels().find((model) => model.id === 'llama-cpp/local')).toMatchObject({
      isAvailable: true,
      privacy: 'local',
    });
    await expect(
      gateway.generate({ messages: [{ role: 'user', content: 'hi' }], context: { orgId } }),
    ).rejects.toMatchObject({
      code: 'LLM_DEPENDENCY_MISSING',
      message: expect.stringContaining('npm install node-llama-cpp'),
    });
  });
});
