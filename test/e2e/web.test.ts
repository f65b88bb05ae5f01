// The first page in a real headless Chromium against `cadre up`: sign in with the admin key,
// create a project, see it listed; the session lives in an httpOnly cookie that page scripts
// cannot read, and the strict Content-Security-Policy holds (a violation is a console error).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
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

let server: Started;
let adminKey: string;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;

beforeAll(async () => {
  assertBuilt();
  if (!existsSync(join(repositoryRoot, 'dist', 'web', 'index.html'))) {
    throw new Error('The web app is not built: run `npm run build` first.');
  }
  const dataDir = await makeTempDir('cadre-web-');
  server = await startCadre(cliEnv({ CADRE_DATA_DIR: dataDir, CADRE_PORT: '0' }));
  adminKey = (await readFile(join(dataDir, 'admin-api-key'), 'utf8')).trim();
  browser = await launchChromium();
  page = browser.page;
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (server) await stopCadre(server);
  killStarted();
  await removeTempDirs();
});

/** Everything a page script can read of its storage: localStorage, sessionStorage, cookies. */
function scriptReadableState(): Promise<string> {
  // A string: the test's TypeScript has no DOM types.
  return page.evaluate(
    'JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookies: document.cookie })',
  );
}

describe('the web app', () => {
  it('shows the health, refuses a wrong key and signs in with the admin key', async () => {
    await page.goto(server.url);
    await page.getByTestId('health').filter({ hasText: 'healthy' }).waitFor();
    await page.locator('input[name=key]').fill('cadre_not_a_key');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');

    await page.locator('input[name=key]').fill(adminKey);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('link', { name: 'Projects' }).click();
    await page.getByRole('heading', { name: 'Projects' }).waitFor();
    await page.getByText('No projects yet').waitFor();
    // The browser holds the key in the cookie; nothing a script can read holds it.
    expect(await scriptReadableState()).not.toContain(adminKey);
    expect(await scriptReadableState()).not.toContain('cadre_session=');
    const cookie = (await browser.context.cookies()).find((item) => item.name === 'cadre_session');
    expect(cookie).toMatchObject({ value: adminKey, httpOnly: true, sameSite: 'Strict' });
  });

  it('creates a project, lists it, and keeps it after a reload', async () => {
    await page.locator('input[name=project-name]').fill('web-shop');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByTestId('projects').getByText('web-shop').waitFor();

    await page.locator('input[name=project-name]').fill('web-shop');
    await page.getByRole('button', { name: 'Create project' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('already exists');

    await page.reload();
    await page.getByTestId('projects').getByText('web-shop').waitFor();
    expect(await page.getByTestId('projects').locator('tbody tr').count()).toBe(1);
    // Its repository's clone URL, on the host the browser reached Cadre at.
    const cloneUrl = await page
      .getByRole('textbox', { name: 'Clone URL of web-shop' })
      .inputValue();
    expect(cloneUrl).toMatch(
      new RegExp(`^${new URL(page.url()).origin}/git/[a-z0-9-]+/[0-9a-f-]{36}\\.git$`),
    );
  });

  it('signs in with a password and signing out ends the session on the server', async () => {
    const password = 'a long enough password';
    const set = await fetch(`${server.url}/api/auth/password`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ password }),
    });
    expect(set.status).toBe(204);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Email and password' }).click();
    await page.locator('input[name=email]').fill('admin@localhost');
    await page.locator('input[name=password]').fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('link', { name: 'Projects' }).click();
    await page.getByTestId('projects').getByText('web-shop').waitFor();
    const cookie = (await browser.context.cookies()).find((item) => item.name === 'cadre_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false });
    const token = cookie!.value;
    expect(token).toMatch(/^cadre_session_/);
    expect(await scriptReadableState()).not.toContain(token);
    expect(await scriptReadableState()).not.toContain('cadre_session');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const afterSignOut = await fetch(`${server.url}/api/projects`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(afterSignOut.status).toBe(401);
    expect((await browser.context.cookies()).map((item) => item.name)).not.toContain(
      'cadre_session',
    );
    // Signed out, a reload shows the sign-in page at once, without a refused request.
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it('shows the API docs under the same strict policy', async () => {
    await page.goto(`${server.url}/docs`);
    await page.getByText('Cadre API').first().waitFor();
    await page.getByText('/api/projects').first().waitFor();
  });

  it("refuses what another origin's page tries with the signed-in browser", async () => {
    await page.goto(server.url);
    await page.locator('input[name=key]').fill(adminKey);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByTestId('live-status').filter({ hasText: 'live' }).waitFor();

    // Another port of the same host is the same site: the browser sends the cookie, so only
    // Cadre's Origin and CSRF checks stand between the page and the session.
    const target = server.url;
    const attack = `<!doctype html><script>
      const results = {};
      const done = () => { if (Object.keys(results).length === 3) document.title = JSON.stringify(results); };
      fetch('${target}/api/projects', { method: 'POST', mode: 'no-cors', credentials: 'include',
        headers: { 'content-type': 'text/plain' }, body: '{"name":"forged-by-a-page"}' })
        .then(() => { results.post = 'sent'; done(); }, () => { results.post = 'failed'; done(); });
      fetch('${target}/api/auth/sign-out', { method: 'POST', mode: 'no-cors', credentials: 'include' })
        .then(() => { results.signOut = 'sent'; done(); }, () => { results.signOut = 'failed'; done(); });
      const socket = new WebSocket('${target.replace(/^http/, 'ws')}/api/live', ['cadre.live.v1']);
      socket.onopen = () => { results.socket = 'open'; done(); };
      socket.onerror = () => { results.socket = 'refused'; done(); };
    </script>`;
    const attacker = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(attack);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const before = browser.consoleErrors.length;
    const other = await browser.context.newPage();
    try {
      await other.goto(`http://127.0.0.1:${(attacker.address() as { port: number }).port}/`);
      await expect.poll(() => other.title(), { timeout: 10_000 }).toContain('socket');
      expect(JSON.parse(await other.title())).toMatchObject({ socket: 'refused' });
    } finally {
      await other.close();
      attacker.close();
    }
    // The attacker's page logged its own refused requests; they are not the app's.
    browser.consoleErrors.splice(before);

    const projects = await fetch(`${server.url}/api/projects`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    const names = ((await projects.json()) as { items: { name: string }[] }).items.map(
      (item) => item.name,
    );
    expect(names).not.toContain('forged-by-a-page');
    // Still signed in: the forged sign-out changed nothing.
    await page.reload();
    await page.getByTestId('live-status').filter({ hasText: 'live' }).waitFor();
  });

  it('changes the password in Settings with the current one, and ends the other sessions', async () => {
    const [old, next] = ['a long enough password', 'another long enough password'];
    const signIn = (password: string) =>
      fetch(`${server.url}/api/auth/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'admin@localhost', password }),
      });
    const phone = (await (await signIn(old)).json()) as { token: string };

    // The test before ends signed in with the admin key.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Email and password' }).click();
    await page.locator('input[name=email]').fill('admin@localhost');
    await page.locator('input[name=password]').fill(old);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('link', { name: 'Projects' }).waitFor();
    await page.goto(`${server.url}/settings?tab=account`);
    const form = page.getByRole('form', { name: 'Change password' });
    await form.locator('input[name=currentPassword]').fill('not the password at all');
    await form.locator('input[name=newPassword]').fill(next);
    await form.locator('input[name=repeatPassword]').fill(next);
    await form.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toContain('not the password');

    await form.locator('input[name=currentPassword]').fill(old);
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByRole('status').filter({ hasText: 'Password saved' }).waitFor();

    const phoneAfter = await fetch(`${server.url}/api/projects`, {
      headers: { authorization: `Bearer ${phone.token}` },
    });
    expect(phoneAfter.status).toBe(401);
    await page.getByRole('link', { name: 'Projects' }).click();
    await page.getByTestId('projects').getByText('web-shop').waitFor();
    expect((await signIn(old)).status).toBe(401);
    expect((await signIn(next)).status).toBe(200);
  });

  it('wrote nothing to the browser console as an error', () => {
    // The browser itself logs the answers to the bad input above (a wrong key: 401, a wrong
    // current password: 403, a duplicate name: 409); the app adds nothing.
    const provoked = /^Failed to load resource: .* status of 40[139]/;
    expect(browser.consoleErrors.filter((text) => !provoked.test(text))).toEqual([]);
  });
});
