import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { RunningApp } from '../../app.js';
import type { Role } from '../../domain/access/roles.js';
import { startTestApp } from '../integration/support/test-app.js';
import { launchChromium, screenshot, signedIn } from './support/browser.js';

const SECTIONS: Record<Role, string[]> = {
  operator: ['Compiti', 'Escalation', 'Nuovo contatto', 'Telefono', 'Simulatore'],
  'back-office-1': ['Compiti', 'Escalation', 'Nuovo contatto', 'Simulatore', 'Istanze'],
  'back-office-2': ['Compiti', 'Escalation', 'Nuovo contatto', 'Simulatore', 'Istanze'],
  'helpdesk-operator': ['Compiti', 'Escalation', 'Nuovo contatto', 'Telefono', 'Simulatore'],
  'helpdesk-back-office-1': ['Compiti', 'Escalation', 'Nuovo contatto', 'Posta', 'Istanze'],
  'helpdesk-back-office-2': ['Compiti', 'Escalation', 'Nuovo contatto', 'Posta', 'Istanze'],
  'third-level': ['Compiti', 'Escalation'],
  analyst: ['Simulatore', 'Istanze', 'Modellatore', 'Moduli', 'Approvazioni', 'Indicatori di processo'],
  supervisor: [
    'Compiti',
    'Escalation',
    'Nuovo contatto',
    'Telefono',
    'Code e operatori',
    'Simulatore',
    'Posta',
    'Istanze',
    'Modellatore',
    'Moduli',
    'Approvazioni',
    'Cruscotto',
    'Statistiche',
    'Livelli di servizio',
    'Report',
    'Dimensionamento',
    'Indicatori di processo',
    'Registro accessi',
  ],
  regione: [
    'Compiti',
    'Code e operatori',
    'Simulatore',
    'Posta',
    'Istanze',
    'Modellatore',
    'Moduli',
    'Cruscotto',
    'Statistiche',
    'Livelli di servizio',
    'Report',
    'Dimensionamento',
    'Indicatori di processo',
  ],
  admin: [
    'Simulatore',
    'Istanze',
    'Modellatore',
    'Moduli',
    'Approvazioni',
    'Cruscotto',
    'Statistiche',
    'Livelli di servizio',
    'Report',
    'Dimensionamento',
    'Indicatori di processo',
    'Configurazione SLA',
    'Utenti',
    'Registro accessi',
  ],
};

describe('signing in to the workspace', () => {
  let app: RunningApp;
  let browser: Browser;
  beforeAll(async () => {
    app = await startTestApp();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('refuses a wrong password with a message in Italian and keeps the person on the sign-in page', async () => {
    const context = await browser.newContext({ baseURL: app.url });
    const page = await context.newPage();
    await page.goto('/compiti');
    await page.getByLabel('Nome utente').fill('nessuno');
    await page.getByLabel('Password').fill('sbagliata-123');
    await page.getByRole('button', { name: 'Accedi' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/Nome utente o password non corretti/);
    await screenshot(page, 'sign-in');
    await context.close();
  });

  it('a one-time password (first start, reset) must be changed before anything else', async () => {
    await app.users.create({
      username: 'e2e.primo.accesso',
      displayName: 'Primo Accesso',
      roles: ['operator'],
      password: 'Provvisoria-123',
      mustChangePassword: true,
    });
    const context = await browser.newContext({ baseURL: app.url });
    const page = await context.newPage();
    await page.goto('/compiti');
    await page.getByLabel('Nome utente').fill('e2e.primo.accesso');
    await page.getByLabel('Password').fill('Provvisoria-123');
    await page.getByRole('button', { name: 'Accedi' }).click();
    await page.waitForURL('**/account');
    await page.getByText('Al primo accesso è obbligatorio scegliere una nuova password.').waitFor();
    await screenshot(page, 'first-sign-in');
    await page.getByLabel('Password attuale').fill('Provvisoria-123');
    await page.getByLabel(/^Nuova password/).fill('Scelta-da-me-2026');
    await page.getByLabel('Ripeti la nuova password').fill('Scelta-da-me-2026');
    await page.getByRole('button', { name: 'Cambia password' }).click();
    await page.getByText('Password cambiata.').waitFor();
    await page.getByRole('link', { name: 'Compiti' }).click();
    await page.getByRole('heading', { name: 'Compiti' }).waitFor();
    await context.close();
  });

  it('serves the workspace under a content security policy: an injected inline script does not run, and the refusal is seen', async () => {
    const person = await signedIn(browser, app, 'e2e.csp', ['supervisor']);
    const response = await person.page.goto('/compiti');
    const headers = response?.headers() ?? {};
    expect(headers['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
    expect(headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['x-content-type-options']).toBe('nosniff');
    await person.page.getByRole('heading', { name: 'Compiti' }).waitFor();
    // A script string, as an injection would be (the test's own code is not the page's).
    const ran = await person.page.evaluate<boolean>(`(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.injected = true';
      document.body.append(script);
      await new Promise((r) => setTimeout(r, 100));
      return window.injected === true;
    })()`);
    expect(ran).toBe(false);
    await expect.poll(() => person.errors.join('\n')).toMatch(/Content Security Policy/);
    await person.context.close();
  });

  for (const [role, sections] of Object.entries(SECTIONS) as [Role, string[]][]) {
    it(`as ${role}: signs in with the keyboard and sees only the sections of the role`, async () => {
      const person = await signedIn(browser, app, `e2e.${role}`, [role]);
      const nav = person.page.getByRole('navigation', { name: 'Sezioni' });
      await expect
        .poll(async () => (await nav.getByRole('link').allTextContents()).map((t) => t.trim()))
        .toEqual(sections);
      // The first section opens, with its heading focused for screen readers.
      await expect.poll(() => person.page.locator('h1:focus').count()).toBe(1);
      await screenshot(person.page, `home-${role}`);
      await person.page.getByRole('button', { name: 'Esci' }).click();
      await person.page.getByLabel('Nome utente').waitFor();
      expect(person.errors).toEqual([]);
      await person.context.close();
    });
  }
});
