// The pull-request loop from the web app in a real headless Chromium, against the fake GitHub:
// create a project from a repository on the host with pull-request delivery, copy its webhook
// setup, start a task and watch its page reach done with a Result card linking the open pull
// request; a review asking for changes (a signed webhook into Cadre) runs a fix round that the
// same page follows live, and the pull request gets the new commit, body and Cadre's reply.
// `UPDATE_SCREENSHOTS=1` also saves the webhook setup and the task page after its fix round
// to docs/screenshots/ (project-webhook.png, task-pull-request.png).
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../src/api/schemas.js';
import { startFakeGitHost, type FakeGitHost } from '../fakes/git-host.js';
import { reviewedTaskScript } from '../helpers/orchestra.js';
import { waitFor } from '../helpers/wait.js';
import { launchChromium } from '../support/chromium.js';
import { startCommandCenter, type CommandCenter } from '../support/command-center.js';
import { assertBuilt, repositoryRoot } from './cli-process.js';

const repository = 'acme/math';
const isSavingScreenshots = process.env.UPDATE_SCREENSHOTS === '1';

let center: CommandCenter;
let fake: FakeGitHost;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;

beforeAll(async () => {
  assertBuilt();
  [center, fake] = await Promise.all([
    startCommandCenter({ scripts: reviewedTaskScript() }),
    startFakeGitHost(),
  ]);
  // A small Node project whose test checks src/math.js's add() once the file exists.
  await fake.createRepository(repository, 'github', {
    'package.json': JSON.stringify({ name: 'math', scripts: { test: 'node test.js' } }),
    'test.js':
      "const { existsSync } = require('node:fs');\nif (!existsSync('./src/math.js')) { console.log('0 passed'); process.exit(0); }\nconst { add } = require('./src/math.js');\nif (add(2, 3) !== 5) { console.error('add is wrong'); process.exit(1); }\nconsole.log('1 passed');\n",
  });
  browser = await launchChromium();
  page = browser.page;
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await center?.close();
  await fake?.close();
});

async function screenshot(name: string) {
  if (!isSavingScreenshots) return;
  await mkdir(join(repositoryRoot, 'docs', 'screenshots'), { recursive: true });
  await page.screenshot({ path: join(repositoryRoot, 'docs', 'screenshots', `${name}.png`) });
}

/** The task as the API shows it, asked with the test's own key. */
async function getTask(taskId: string): Promise<Task> {
  const response = await fetch(`${center.url}/api/tasks/${taskId}`, {
    headers: { authorization: `Bearer ${center.key}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Task;
}

const showFile = (commit: string, path: string) =>
  execFileSync(
    'git',
    ['--git-dir', fake.repository(repository).gitDir, 'show', `${commit}:${path}`],
    {
      env: { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
    },
  ).toString();

describe('a task delivered as a pull request, from the web app', () => {
  it('opens the pull request, then runs the fix round its review asks for', async () => {
    await page.goto(center.url);
    await page.locator('input[name=key]').fill(center.key);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByTestId('numbers').waitFor();

    // The project, from the host's repository, delivering by pull request.
    await page.getByRole('link', { name: 'Projects' }).click();
    await page.locator('input[name=project-name]').fill('math-on-github');
    await page.locator('.new-project details summary').click();
    await page.locator('select[name=project-source]').selectOption('url');
    await page.locator('input[name=project-location]').fill(fake.gitUrl(repository));
    await page.locator('select[name=project-credential-kind]').selectOption('token');
    await page.locator('input[name=project-token]').fill(fake.token);
    await page.locator('select[name=project-delivery]').selectOption('pull-request');
    await page.locator('select[name=project-host-kind]').selectOption('github');
    await page.locator('input[name=project-host-api-url]').fill(fake.apiUrl('github'));
    await page.locator('input[name=project-host-repository]').fill(repository);
    await page.locator('input[name=project-host-token]').fill(fake.token);
    await page.getByRole('button', { name: 'Create project' }).click();

    // The webhook setup, shown once: the host is told to call it with that secret.
    const setup = page.getByRole('region', { name: 'Webhook setup' });
    await setup.getByText('shown once').waitFor({ timeout: 30_000 });
    const hookUrl = await setup.getByRole('textbox', { name: 'Webhook URL' }).inputValue();
    const secret = await setup.getByRole('textbox', { name: 'Webhook secret' }).inputValue();
    expect(hookUrl).toMatch(new RegExp(`^${center.url}/api/hooks/[0-9a-f-]{36}/github$`));
    expect(secret).toMatch(/^[\w-]{40,}$/);
    fake.addHook(repository, { url: hookUrl, secret });
    await screenshot('project-webhook');
    const row = page.getByTestId('projects').locator('tbody tr', { hasText: 'math-on-github' });
    await row.getByText(`pull-request on ${repository} (github)`).waitFor();
    await setup.getByRole('button', { name: 'Done, I have copied it' }).click();
    await setup.waitFor({ state: 'hidden' });
    expect(await page.content()).not.toContain(fake.token);

    // A task of that project, started from the web app.
    await page.getByRole('navigation').getByRole('link', { name: 'Tasks', exact: true }).click();
    await page.locator('textarea[name=description]').fill('Add add(a, b) to src/math.js');
    await page
      .getByRole('combobox', { name: 'Project of the new task' })
      .selectOption({ label: 'math-on-github' });
    await page.getByRole('button', { name: 'Start task' }).click();
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
    const taskId = page.url().split('/').at(-1)!;

    await page
      .getByTestId('task-status')
      .filter({ hasText: /^done$/ })
      .waitFor({ timeout: 60_000 });
    const result = page.getByRole('region', { name: 'Result' });
    const link = result.getByRole('link', { name: '#1' });
    await link.waitFor();
    const delivered = (await getTask(taskId)).delivery;
    if (delivered?.mode !== 'pull-request') throw new Error(`delivered as ${delivered?.mode}`);
    expect(await link.getAttribute('href')).toBe(delivered.url);
    expect(await result.textContent()).toContain(
      `Pull request #1 (open) from ${delivered.branch} at ${delivered.commit.slice(0, 12)}.`,
    );

    // The pull request on the host: the task's work on its head branch, the tests in its body.
    const [pull] = fake.pulls(repository);
    expect(pull).toMatchObject({ number: 1, head: delivered.branch, base: 'main', state: 'open' });
    expect(fake.branchHead(repository, delivered.branch)).toBe(delivered.commit);
    expect(showFile(delivered.commit, 'src/math.js')).toBe('exports.add = (a, b) => a + b;\n');
    expect(showFile(delivered.commit, 'test.js')).toContain("require('./src/math.js')");
    expect(pull!.body).toMatch(
      /## Tests Cadre ran\n\n`npm test` on [0-9a-f]{12}: exit code 0, passed\./,
    );
    expect(pull!.body).toContain('Added add().');
    // A review asks for changes; the page follows the fix round live, with no reload.
    const [answer] = await fake.requestChanges(repository, 1, {
      body: 'Almost',
      comments: [{ path: 'src/math.js', line: 1, body: 'Reject arguments that are not numbers' }],
    });
    expect(answer).toMatchObject({
      status: 202,
      answer: { action: 'fix-round-queued', taskId },
    });
    await page.getByTestId('step-fix.1').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="step-fix.1"][data-status=done]').waitFor({ timeout: 60_000 });
    await page
      .getByTestId('task-status')
      .filter({ hasText: /^done$/ })
      .waitFor({ timeout: 60_000 });
    const fixed = await waitFor('the fix round to be delivered', async () => {
      const now = (await getTask(taskId)).delivery;
      return now?.mode === 'pull-request' && now.commit !== delivered.commit ? now : null;
    });
    await result.getByText(fixed.commit.slice(0, 12)).waitFor();

    // The same pull request, its branch moved on to the fix, its body and thread updated.
    const head = fake.branchHead(repository, delivered.branch)!;
    expect(head).toBe(fixed.commit);
    expect(showFile(head, 'src/math.js')).toContain('numbers only');
    expect(fake.pulls(repository)).toHaveLength(1);
    expect(fake.pulls(repository)[0]!.body).toContain('Inputs are checked.');
    const reply = await waitFor('the reply in the review thread', () =>
      fake.pulls(repository)[0]!.reviewComments.find((comment) => comment.author === fake.botLogin),
    );
    expect(reply.body).toContain(`Addressed in ${head.slice(0, 12)}`);

    await screenshot('task-pull-request');
    expect(await page.content()).not.toContain(fake.token);
    expect(fake.problems).toEqual([]);
    // The page fits a phone's width too.
    await page.setViewportSize({ width: 420, height: 800 });
    const overflow = await page.evaluate('document.documentElement.scrollWidth - innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    expect(browser.consoleErrors).toEqual([]);
  }, 120_000);
});
