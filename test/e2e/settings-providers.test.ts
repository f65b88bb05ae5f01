// The settings page in a real headless Chromium against `cadre up` with OPENAI_BASE_URL alone:
// the models the server lists, priced at $0; a failed call's error in the server's own words
// (status, message, model, when); and a server that stopped answering its model list, with the
// URL and the error — at 1280 and 420 px wide.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { launchChromium } from '../support/chromium.js';
import {
  assertBuilt,
  cliEnv,
  killStarted,
  makeTempDir,
  removeTempDirs,
  startCadre,
  stopCadre,
  type Started,
} from './cli-process.js';

let models: FakeModelServer;
let server: Started;
let adminKey: string;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;

beforeAll(async () => {
  assertBuilt();
  models = await createFakeModelServer();
  models.setModels([{ id: 'coder', max_model_len: 32_768 }, { id: 'helper' }]);
  const dataDir = await makeTempDir('cadre-settings-');
  server = await startCadre(
    cliEnv({
      CADRE_DATA_DIR: dataDir,
      CADRE_PORT: '0',
      OPENAI_BASE_URL: `${models.url}/v1`,
      OPENAI_API_KEY: 'sk-never-shown',
    }),
  );
  adminKey = (await readFile(join(dataDir, 'admin-api-key'), 'utf8')).trim();
  browser = await launchChromium();
  page = browser.page;
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (server) await stopCadre(server);
  killStarted();
  await models?.close().catch(() => undefined);
  await removeTempDirs();
});

describe('the settings page with OPENAI_BASE_URL alone', () => {
  it('reports the server as configured and lists its models at $0', async () => {
    expect(server.output()).toContain('Models    configured');
    await page.goto(server.url);
    await page.locator('input[name=key]').fill(adminKey);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('link', { name: 'Projects' }).waitFor();
    await page.goto(`${server.url}/settings?tab=models`);
    const table = page.getByTestId('models');
    const coder = table.locator('tr', { hasText: 'openai/coder' });
    await coder.waitFor();
    expect(await coder.textContent()).toContain('33k');
    expect(await coder.textContent()).toContain('$0 / $0 / $0');
    expect(await table.textContent()).toContain('openai/helper');
    expect(await table.textContent()).not.toContain('gpt-5');
  });

  it("shows a failed call's error in the server's words, with the model and when", async () => {
    // The server drops a model; a real call to it gets OpenAI's 404.
    models.setModels([{ id: 'helper' }]);
    models.enqueue({ kind: 'reply', reply: { text: 'a' } });
    const asked = await fetch(`${server.url}/api/experts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        question: 'Which?',
        models: ['openai/coder', 'openai/helper'],
        aggregation: 'vote',
        choices: ['a', 'b'],
        quorum: 2,
      }),
    });
    expect(asked.status).toBe(502);

    await page.goto(`${server.url}/settings?tab=providers`);
    const row = page.locator('tr[data-provider=openai]');
    const lastError = row.getByTestId('provider-last-error');
    await lastError.waitFor();
    const text = (await lastError.textContent())!;
    expect(text).toContain('HTTP_404');
    expect(text).toContain('openai/coder');
    expect(text).toContain('The model `coder` does not exist');
    expect(await row.textContent()).toContain(`listed by ${models.url}/v1/models`);
    expect(await page.content()).not.toContain('sk-never-shown');
  });

  it('shows the URL and the error of a server that stopped answering its list', async () => {
    await models.close();
    await page.getByRole('button', { name: 'Ask the servers for their models again' }).click();
    const failed = page.locator('tr[data-provider=openai]').getByTestId('discovery-error');
    await failed.waitFor();
    const text = (await failed.textContent())!;
    expect(text).toContain(`GET ${models.url}/v1/models failed`);
    expect(text).toContain('ECONNREFUSED');

    // A narrow window shows the same, as cards.
    await page.setViewportSize({ width: 420, height: 900 });
    await failed.scrollIntoViewIfNeeded();
    expect(await failed.isVisible()).toBe(true);
    expect(await page.getByTestId('provider-last-error').isVisible()).toBe(true);
    const overflow: number = await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    expect(browser.consoleErrors).toEqual([]);
  });
});
