// The projects page in a real headless Chromium against `cadre up`: create a project from a
// repository URL served by a real git server that demands a token, see its remote listed,
// rename and describe it, and delete it; the token never comes back to the page.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  cliEnv,
  killStarted,
  makeTempDir,
  removeTempDirs,
  repositoryRoot,
  startCadre,
  stopCadre,
  type Started,
} from './cli-process.js';
import { launchChromium } from '../support/chromium.js';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.js';
import { git } from '../helpers/git.js';

const token = 'ghp_webProjectToken987654';
let server: Started;
let gitServer: GitHttpServer;
let adminKey: string;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;

beforeAll(async () => {
  assertBuilt();
  if (!existsSync(join(repositoryRoot, 'dist', 'web', 'index.html'))) {
    throw new Error('The web app is not built: run `npm run build` first.');
  }
  const scratch = await makeTempDir('cadre-web-projects-');
  const work = join(scratch, 'work');
  await mkdir(work);
  git(work, 'init', '-q', '-b', 'trunk');
  await writeFile(join(work, 'README.md'), 'served\n');
  git(work, 'add', '.');
  git(work, 'commit', '-q', '-m', 'first');
  await mkdir(join(scratch, 'served'));
  git(join(scratch, 'served'), 'clone', '-q', '--bare', work, 'shop.git');
  gitServer = await startGitHttpServer(join(scratch, 'served'), { auth: { password: token } });
  const dataDir = join(scratch, 'data');
  server = await startCadre(
    cliEnv({ CADRE_DATA_DIR: dataDir, CADRE_PORT: '0', CADRE_IMPORT_ALLOW_HOSTS: '127.0.0.1' }),
  );
  adminKey = (await readFile(join(dataDir, 'admin-api-key'), 'utf8')).trim();
  browser = await launchChromium();
  page = browser.page;
  await page.goto(server.url);
  await page.locator('input[name=key]').fill(adminKey);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('link', { name: 'Projects' }).click();
  await page.getByText('No projects yet').waitFor();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (server) await stopCadre(server);
  await gitServer?.close();
  killStarted();
  await removeTempDirs();
});

async function fillRepositoryForm(name: string, secret: string) {
  await page.locator('input[name=project-name]').fill(name);
  const details = page.locator('.new-project details');
  if ((await details.getAttribute('open')) === null) await details.locator('summary').click();
  await page.locator('select[name=project-source]').selectOption('url');
  await page.locator('input[name=project-location]').fill(`${gitServer.origin}/shop.git`);
  await page.locator('select[name=project-credential-kind]').selectOption('token');
  await page.locator('input[name=project-token]').fill(secret);
  await page.getByRole('button', { name: 'Create project' }).click();
}

describe('the projects page', () => {
  it('shows why a wrong token is refused, and creates nothing', async () => {
    await fillRepositoryForm('shop', 'not-the-token');
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('refused the credential');
    await page.getByText('No projects yet').waitFor();
  });

  it('creates a project from a repository URL and lists its remote and branch', async () => {
    await fillRepositoryForm('shop', token);
    const row = page.getByTestId('projects').locator('tbody tr', { hasText: 'shop' });
    await row.getByText(`${gitServer.origin}/shop.git`).waitFor();
    await row.getByText('trunk').waitFor();
    expect(await row.textContent()).toContain('local');
    // The token field is cleared, and the token is nowhere in the page.
    expect(await page.content()).not.toContain(token);
    expect(browser.consoleErrors.filter((text) => !text.includes('422'))).toEqual([]);
  });

  it('renames and describes a project in place', async () => {
    const row = page.getByTestId('projects').locator('tbody tr', { hasText: 'shop' });
    await row.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('New name of shop').fill('web-shop');
    await page.getByLabel('Description of shop').fill('The storefront');
    await page.getByRole('button', { name: 'Save' }).click();
    const renamed = page.getByTestId('projects').locator('tbody tr', { hasText: 'web-shop' });
    await renamed.getByText('The storefront').waitFor();
  });

  it('deletes a project after asking', async () => {
    const row = page.getByTestId('projects').locator('tbody tr', { hasText: 'web-shop' });
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Delete web-shop and its tasks' }).click();
    await page.getByText('No projects yet').waitFor();
  });
});
