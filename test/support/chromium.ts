// Debian's Chromium, headless, driven by playwright-core: a fresh profile per launch, and a
// record of what the page wrote to its console as errors (a page must write none).
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';

export async function launchChromium(viewport = { width: 1280, height: 800 }) {
  if (!existsSync(chromiumPath)) throw new Error(`Chromium is missing at ${chromiumPath}.`);
  const profile = await mkdtemp(join(tmpdir(), 'cadre-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors: string[] = [];
  const watch = (watched: Page) => {
    watched.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    watched.on('pageerror', (error) => consoleErrors.push(error.message));
  };
  watch(page);
  context.on('page', watch);
  return {
    context,
    page,
    consoleErrors,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
