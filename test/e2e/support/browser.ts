import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { PROJECT_ROOT, type RunningApp } from '../../../app.js';
import { ensureUser, TEST_PASSWORD } from '../../integration/support/test-app.js';
import type { Role } from '../../../domain/access/roles.js';

/** Where the browser tests leave their screenshots (CI keeps the folder as an artifact). */
export const SCREENSHOTS_DIR = path.join(PROJECT_ROOT, 'test-artifacts', 'screenshots');

/**
 * Debian's Chromium, driven by playwright-core (no browser download). The flags keep it off
 * the network it cannot reach here (updates, sync, Google lookups).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

export interface Person {
  context: BrowserContext;
  page: Page;
  /** Browser errors seen on the page; a test fails on them at the end. */
  errors: string[];
}

/** A person with their own browser (own cookies), signed in through the sign-in page with the keyboard. */
export async function signedIn(browser: Browser, app: RunningApp, username: string, roles: Role[]): Promise<Person> {
  await ensureUser(app, username, roles);
  const context = await browser.newContext({
    baseURL: app.url,
    viewport: { width: 1400, height: 950 },
    locale: 'it-IT',
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // What the content security policy refused (Chromium reports it on the console): the
  // modeler, the form editor and every page must work under the workspace's policy.
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) errors.push(m.text());
  });
  await page.goto('/');
  // Keyboard only: the username field has focus on arrival (wait for it, rather than type
  // into whatever has focus while the page is still settling).
  const field = page.getByLabel('Nome utente');
  await field.and(page.locator(':focus')).waitFor();
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(TEST_PASSWORD);
  await page.keyboard.press('Enter');
  await page
    .getByRole('button', { name: 'Esci' })
    .waitFor()
    .catch(async (err: unknown) => {
      // Say what the page showed instead, so a failure can be read from the CI log.
      const shown = await page
        .locator('main')
        .innerText({ timeout: 2000 })
        .catch(() => '(nessun contenuto)');
      const typed = await field.inputValue({ timeout: 2000 }).catch(() => '?');
      throw new Error(`${username} not signed in; the page shows: ${shown.slice(0, 400)} (username field: ${typed})`, {
        cause: err,
      });
    });
  return { context, page, errors };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}.png`), fullPage: true });
}

/** Calls the API from inside the page, with its session and CSRF token, as the page's own code would. */
export async function apiFromPage(page: Page, method: string, url: string, body?: unknown): Promise<number> {
  return page.evaluate(
    async ([m, u, b]) => {
      const s = (await (await fetch('/api/session')).json()) as { csrfToken: string };
      const res = await fetch(u, {
        method: m,
        headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrfToken },
        ...(b === undefined ? {} : { body: JSON.stringify(b) }),
      });
      return res.status;
    },
    [method, url, body] as const,
  );
}
