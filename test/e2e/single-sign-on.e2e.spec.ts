import type { Server } from 'node:http';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { RunningApp } from '../../app.js';
import { freePorts } from '../support/ports.js';
import { startTestApp } from '../integration/support/test-app.js';
import { launchChromium, screenshot } from './support/browser.js';

/** People known to the identity provider, with the groups it puts in the `roles` claim. */
const PEOPLE: Record<string, { name: string; roles: string[] }> = {
  'maria.rossi': { name: 'Maria Rossi', roles: ['cup-fo', 'dipendenti'] },
  'paolo.verdi': { name: 'Paolo Verdi', roles: ['dipendenti'] },
};

describe('single sign-on through OpenID Connect', () => {
  let app: RunningApp;
  let browser: Browser;
  let idp: Server;
  beforeAll(async () => {
    const [idpPort, appPort] = await freePorts(2);
    const appUrl = `http://127.0.0.1:${appPort}`;
    const provider = new Provider(`http://127.0.0.1:${idpPort}`, {
      clients: [
        {
          client_id: 'contact-center',
          client_secret: 'sso-test-secret',
          redirect_uris: [`${appUrl}/auth/oidc/callback`],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      findAccount: (_ctx: unknown, sub: string) => ({
        accountId: sub,
        claims: () => ({
          sub,
          preferred_username: sub,
          name: PEOPLE[sub]?.name ?? sub,
          roles: PEOPLE[sub]?.roles ?? [],
        }),
      }),
      claims: { openid: ['sub'], profile: ['name', 'preferred_username', 'roles'] },
      conformIdTokenClaims: false,
      features: { devInteractions: { enabled: true } },
    });
    idp = provider.listen(idpPort ?? 0, '127.0.0.1');
    app = await startTestApp({
      PORT: String(appPort),
      PUBLIC_BASE_URL: appUrl,
      OIDC_ISSUER: `http://127.0.0.1:${idpPort}`,
      OIDC_CLIENT_ID: 'contact-center',
      OIDC_CLIENT_SECRET: 'sso-test-secret',
      OIDC_ROLE_MAP: 'cup-fo=operator',
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await new Promise((r) => idp?.close(r));
  });

  async function signInAtProvider(username: string) {
    const context = await browser.newContext({ baseURL: app.url });
    const page = await context.newPage();
    await page.goto('/compiti');
    await page.getByRole('link', { name: /identità regionale/ }).click();
    await page.locator('input[name="login"]').fill(username);
    await page.locator('input[name="password"]').fill('qualsiasi');
    await page.locator('button[type="submit"]').click();
    const consent = page.locator('button[type="submit"]', { hasText: /Continue/ });
    if (await consent.count()) await consent.click();
    return { context, page };
  }

  it('a person whose provider group maps to a role signs in with SSO and lands on their work', async () => {
    const { context, page } = await signInAtProvider('maria.rossi');
    await page.getByRole('button', { name: 'Esci' }).waitFor();
    expect(await page.locator('.app-header .user').textContent()).toMatch(/Maria Rossi.*Operatore front office/);
    expect(new URL(page.url()).pathname).toBe('/compiti');
    const account: { source: string; roles: string[] }[] = await app.db.query(
      `SELECT source, roles FROM users WHERE username = 'maria.rossi'`,
    );
    expect(account[0]).toEqual({ source: 'oidc', roles: ['operator'] });
    await screenshot(page, 'sso-signed-in');
    await context.close();
  });

  it('a person with no role here is sent back to the sign-in page with an explanation', async () => {
    const { context, page } = await signInAtProvider('paolo.verdi');
    await page.waitForURL('**/accesso?errore=ruolo');
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/non ha un ruolo in questa applicazione/);
    await context.close();
  });
});
