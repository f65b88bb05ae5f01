// Retrying a failed task from its page in a real headless Chromium: the developer's model has
// no script, so the task fails at its step; once the model is "fixed" the Retry dialog runs it
// again from that step, with an edited description, and the page follows it live to done. The
// planner is not asked again, and the failed attempt stays on the page as history.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.js';
import { startCommandCenter, type CommandCenter } from '../support/command-center.js';
import { oneTaskScript } from '../helpers/orchestra.js';
import { assertBuilt } from './cli-process.js';

let center: CommandCenter;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
const { planner, developer, reviewer, tester } = oneTaskScript();

beforeAll(async () => {
  assertBuilt();
  center = await startCommandCenter({ scripts: { planner, developer: [], reviewer, tester } });
  browser = await launchChromium();
  page = browser.page;
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await center?.close();
});

describe('retrying a task from its page', () => {
  it('runs a failed task again from its failed step and watches it finish', async () => {
    await page.goto(center.url);
    await page.locator('input[name=key]').fill(center.key);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByTestId('numbers').waitFor();

    const created = await fetch(`${center.url}/api/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${center.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ projectId: center.projectId, description: 'Add add()' }),
    });
    const taskId = ((await created.json()) as { id: string }).id;
    await page.goto(`${center.url}/tasks/${taskId}`);
    await page
      .getByTestId('task-status')
      .filter({ hasText: /^failed$/ })
      .waitFor({ timeout: 60_000 });
    await page.locator('[data-testid="step-step.impl"][data-status=dead]').waitFor();

    // The model is fixed; retry from the page.
    center.orchestra.models.developer!.push(...developer);
    await page.getByRole('button', { name: 'Retry', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Retry this task' });
    await dialog.waitFor();
    expect(await dialog.getByRole('radio', { name: /step\.impl/ }).isChecked()).toBe(true);
    await dialog.getByLabel('Description').fill('Add add(a, b) to src/math.js');
    await dialog.getByRole('button', { name: 'Retry', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });

    await page
      .getByTestId('task-status')
      .filter({ hasText: /^done$/ })
      .waitFor({ timeout: 60_000 });
    await page.locator('[data-testid="step-step.impl"][data-status=done]').waitFor();
    await page.locator('[data-testid=step-merge][data-status=done]').waitFor();
    await page.getByTestId('task-attempt').filter({ hasText: '2' }).waitFor();
    const earlier = page.getByRole('region', { name: 'Earlier attempts' });
    await earlier.getByText('Attempt 1: 1 step run again').click();
    await earlier.getByRole('button', { name: 'step.impl' }).click();
    await page
      .getByText(/LLM_SCRIPT_EXHAUSTED|script has only/)
      .first()
      .waitFor();

    // The planner was asked once: the plan was kept.
    expect(center.orchestra.models.planner!.calls).toHaveLength(1);
    const task = await fetch(`${center.url}/api/tasks/${taskId}`, {
      headers: { authorization: `Bearer ${center.key}` },
    });
    expect(await task.json()).toMatchObject({
      status: 'done',
      attempt: 2,
      description: 'Add add(a, b) to src/math.js',
    });

    await page.setViewportSize({ width: 420, height: 800 });
    await page.waitForLoadState('networkidle');
    const overflow = await page.evaluate('document.documentElement.scrollWidth - innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    expect(browser.consoleErrors).toEqual([]);
  }, 120_000);
});
