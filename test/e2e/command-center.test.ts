// The command center end to end in a real headless Chromium: sign in, start a task that the
// scripted agents run, watch its graph reach done live, open its diff, edit and save a file in
// the IDE, and run a command in a terminal, all in a cookie session under the strict
// Content-Security-Policy (a violation is a console error, and the last test wants none).
// `npm run screenshots` also saves the pages to docs/screenshots/.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { WebSocket } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.js';
import { startCommandCenter, type CommandCenter } from '../support/command-center.js';
import { assertBuilt, repositoryRoot } from './cli-process.js';

const screenshotsDir = join(repositoryRoot, 'docs', 'screenshots');
const isSavingScreenshots = process.env.UPDATE_SCREENSHOTS === '1';

let center: CommandCenter;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
let taskId: string;

beforeAll(async () => {
  assertBuilt();
  center = await startCommandCenter({ tasks: 1 });
  browser = await launchChromium();
  page = browser.page;
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await center?.close();
});

async function screenshot(name: string) {
  if (!isSavingScreenshots) return;
  await mkdir(screenshotsDir, { recursive: true });
  await page.screenshot({ path: join(screenshotsDir, `${name}.png`) });
}

/** The API as the test's own client, with the same key. */
async function call(path: string, init: RequestInit = {}) {
  const response = await fetch(`${center.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${center.key}`, 'content-type': 'application/json' },
  });
  expect(response.ok, `${path}: ${response.status}`).toBe(true);
  return response.json() as Promise<Record<string, unknown>>;
}

describe('the command center', () => {
  it('signs in and shows an empty dashboard that says what to do', async () => {
    await page.goto(center.url);
    await page.locator('input[name=key]').fill(center.key);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByTestId('numbers').waitFor();
    await page.getByText('Nothing is running').waitFor();
    await page.getByTestId('live-status').filter({ hasText: 'live' }).waitFor();
    // The key went to the server once; the page keeps nothing of it that a script could read.
    const readable: string = await page.evaluate(
      'JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie',
    );
    expect(readable).not.toContain(center.key);
  });

  it('starts a task and watches its graph reach done live', async () => {
    await page.getByRole('link', { name: 'Tasks', exact: true }).click();
    await page.locator('textarea[name=description]').fill('Add an add(a, b) function');
    await page.getByRole('button', { name: 'Start task' }).click();
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
    taskId = page.url().split('/').at(-1)!;

    // Someone else looks at the same task, from a client of their own.
    const reviewer = (await call('/api/keys', {
      method: 'POST',
      body: JSON.stringify({ name: 'reviewer', role: 'viewer' }),
    })) as { key: string };
    const watcher = new WebSocket(center.url.replace(/^http/, 'ws') + '/api/live', [
      'cadre.live.v1',
      `bearer.${reviewer.key}`,
    ]);
    watcher.addEventListener('open', () =>
      watcher.send(JSON.stringify({ type: 'subscribe', id: 'w', scope: 'task', taskId })),
    );
    await page.getByTestId('presence').filter({ hasText: 'reviewer' }).waitFor();

    // No reload from here on: what changes arrives over the live connection.
    await page.getByTestId('step-step.impl').waitFor({ timeout: 30_000 });
    await page
      .getByTestId('task-status')
      .filter({ hasText: /^done$/ })
      .waitFor({ timeout: 60_000 });
    await page.locator('[data-testid="step-step.impl"][data-status=done]').waitFor();
    await page.locator('[data-testid=step-merge][data-status=done]').waitFor();
    // Where the result went: Cadre's own repository, with the command that clones it.
    const cloneCommand = page
      .getByRole('region', { name: 'Result' })
      .getByRole('textbox', { name: 'Clone command' });
    await cloneCommand.waitFor();
    expect(await cloneCommand.inputValue()).toMatch(
      new RegExp(
        `^git clone --branch main ${center.url}/git/[a-z0-9-]+/${center.projectId}\\.git$`,
      ),
    );
    await screenshot('task-detail');

    watcher.close();
    await page
      .getByTestId('presence')
      .filter({ hasText: 'reviewer' })
      .waitFor({ state: 'detached' });
  });

  it("opens the task's diff", async () => {
    await page.getByRole('tab', { name: 'Diff', exact: true }).click();
    await page.getByTestId('diff').filter({ hasText: 'src/math.js' }).waitFor();
    await page.getByTestId('diff').filter({ hasText: 'exports.add = (a, b) => a + b;' }).waitFor();
  });

  it('edits and saves a file in the IDE, and runs a command in a terminal', async () => {
    await page.goto(`${center.url}/projects/${center.projectId}/ide?task=${taskId}`);
    await page.getByRole('treeitem', { name: 'src', exact: true }).click();
    await page.getByRole('treeitem', { name: 'math.js', exact: true }).click();
    const editor = page.getByTestId('editor').locator('.monaco-editor');
    await editor.waitFor();
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\n// edited in the browser');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByTestId('save-status').filter({ hasText: 'Saved' }).waitFor();
    await expect
      .poll(async () => {
        const file = await call(
          `/api/projects/${center.projectId}/tasks/${taskId}/file?path=src/math.js`,
        );
        return String(file.content);
      })
      .toContain('// edited in the browser');

    await page.getByRole('button', { name: 'New terminal' }).click();
    const terminal = page.getByTestId('terminal');
    await terminal.locator('.xterm-rows').waitFor();
    await terminal.click();
    await page.keyboard.type('echo "from-the-browser-$((6*7))"');
    await page.keyboard.press('Enter');
    await terminal.locator('.xterm-rows').filter({ hasText: 'from-the-browser-42' }).waitFor();
    await screenshot('ide');
  });

  it('shows the finished work on the dashboard, and fits a narrow window', async () => {
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByTestId('activity').filter({ hasText: 'task done' }).waitFor();
    await screenshot('dashboard');

    for (const path of ['/', `/tasks/${taskId}`, '/agents', '/settings', '/tasks']) {
      await page.setViewportSize({ width: 420, height: 800 });
      await page.goto(`${center.url}${path}`);
      await page.locator('main').waitFor();
      await page.waitForLoadState('networkidle');
      const overflow = await page.evaluate('document.documentElement.scrollWidth - innerWidth');
      expect(overflow, `${path} is wider than a narrow window`).toBeLessThanOrEqual(0);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('wrote nothing to the browser console as an error', () => {
    expect(browser.consoleErrors).toEqual([]);
  });
});
