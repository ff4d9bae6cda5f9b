import type { Server } from 'node:http';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { RunningApp } from '../../app.js';
import { freePorts } from '../support/ports.js';
import { startTestApp } from '../integration/support/test-app.js';
import { launchChromium, screenshot, signedIn } from './support/browser.js';

/**
 * People known to the identity provider by their `sub` (what they type at its login), with the
 * groups it puts in the `roles` claim and, when it differs from the `sub`, their
 * `preferred_username` (which a test may change, as a provider's directory can).
 */
const PEOPLE: Record<string, { name: string; roles: string[]; preferredUsername?: string }> = {
  'maria.rossi': { name: 'Maria Rossi', roles: ['cup-fo', 'dipendenti'] },
  'paolo.verdi': { name: 'Paolo Verdi', roles: ['dipendenti'] },
  // Someone at the provider whose chosen name is that of the local administrator.
  'f3a9-intruso': { name: 'Ignoto Intruso', roles: ['cup-fo'], preferredUsername: 'admin' },
  // Someone else whose chosen name is that of an account already bound to maria.rossi.
  'b71c-omonimo': { name: 'Maria Rossi (omonima)', roles: ['cup-fo'], preferredUsername: 'maria.rossi' },
  'c0d2-lucia': { name: 'Lucia Bianchi', roles: ['cup-fo'], preferredUsername: 'lucia.bianchi' },
  // Giulia's account was made by a sign-on before identities were kept; someone else bears her name.
  'e5f6-giulia': { name: 'Giulia Verdi', roles: ['cup-fo'], preferredUsername: 'giulia.verdi' },
  'a1b2-impostore': { name: 'Giulia Verdi (impostore)', roles: ['cup-fo'], preferredUsername: 'giulia.verdi' },
  'd4e5-sara': { name: 'Sara Gialli', roles: ['cup-fo'], preferredUsername: 'sara.gialli' },
  // A name the provider allows and this application does not (a space, capitals, a bang).
  'g7h8-mario': { name: 'Mario Bruni', roles: ['cup-fo'], preferredUsername: 'Mario Bruni!' },
};

describe('single sign-on through OpenID Connect', () => {
  let app: RunningApp;
  let browser: Browser;
  let idp: Server;
  /** The provider's issuer, which the refusals name with the person's `sub`. */
  let issuer: string;
  beforeAll(async () => {
    const [idpPort, appPort] = await freePorts(2);
    issuer = `http://127.0.0.1:${idpPort}`;
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
          preferred_username: PEOPLE[sub]?.preferredUsername ?? sub,
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

  async function refusals(username: string): Promise<{ actor: string; detail: Record<string, unknown> }[]> {
    return app.db.query(
      `SELECT actor, detail FROM audit_events WHERE action = 'sign-in.refused' AND subject_id = $1 ORDER BY id`,
      [username],
    );
  }

  it('a provider person named like the local admin is refused, not signed in as the admin, and audited', async () => {
    const { context, page } = await signInAtProvider('f3a9-intruso');
    await page.waitForURL('**/accesso?errore=nome');
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/già usato da un altro account/);
    const session = await page.evaluate(async () => (await fetch('/api/session')).json());
    expect((session as { user: unknown }).user).toBeNull();
    expect(await page.getByRole('button', { name: 'Esci' }).count()).toBe(0);
    // The local administrator's account is as it was: no provider identity, the same roles.
    const admin: { source: string; roles: string[]; external_subject: string | null }[] = await app.db.query(
      `SELECT source, roles, external_subject FROM users WHERE username = 'admin'`,
    );
    expect(admin[0]).toEqual({ source: 'local', roles: ['admin'], external_subject: null });
    expect(await refusals('admin')).toEqual([
      { actor: 'anonimo', detail: { via: 'oidc', reason: 'local-account', issuer, subject: 'f3a9-intruso' } },
    ]);
    await screenshot(page, 'sso-refused-local-name');
    await context.close();
  });

  it('a provider person named like an account bound to someone else is refused', async () => {
    const { context, page } = await signInAtProvider('b71c-omonimo');
    await page.waitForURL('**/accesso?errore=nome');
    const session = await page.evaluate(async () => (await fetch('/api/session')).json());
    expect((session as { user: unknown }).user).toBeNull();
    expect(await refusals('maria.rossi')).toEqual([
      { actor: 'anonimo', detail: { via: 'oidc', reason: 'other-identity', issuer, subject: 'b71c-omonimo' } },
    ]);
    await context.close();
  });

  it('a person keeps their account when the provider changes their preferred_username', async () => {
    const first = await signInAtProvider('c0d2-lucia');
    await first.page.getByRole('button', { name: 'Esci' }).waitFor();
    await first.context.close();
    const lucia = PEOPLE['c0d2-lucia'];
    if (lucia) lucia.preferredUsername = 'lucia.neri';
    const again = await signInAtProvider('c0d2-lucia');
    await again.page.getByRole('button', { name: 'Esci' }).waitFor();
    const session = await again.page.evaluate(async () => (await fetch('/api/session')).json());
    expect((session as { user: { id: string } }).user.id).toBe('lucia.bianchi');
    const accounts: { username: string }[] = await app.db.query(
      `SELECT username FROM users WHERE username IN ('lucia.bianchi', 'lucia.neri')`,
    );
    expect(accounts).toEqual([{ username: 'lucia.bianchi' }]);
    await again.context.close();
  });

  it('an account made before identities were kept is not taken by whoever bears its name, until an administrator allows it', async () => {
    await app.db.query(
      `INSERT INTO users (username, display_name, roles, source, must_change_password)
       VALUES ('giulia.verdi', 'Giulia Verdi', '{operator}', 'oidc', false)`,
    );
    const impostor = await signInAtProvider('a1b2-impostore');
    await impostor.page.waitForURL('**/accesso?errore=non-associato');
    await expect
      .poll(() => impostor.page.getByRole('alert').textContent())
      .toMatch(/non è ancora associato al tuo profilo regionale.*Rivolgiti all’amministratore/);
    const session = await impostor.page.evaluate(async () => (await fetch('/api/session')).json());
    expect((session as { user: unknown }).user).toBeNull();
    expect(await refusals('giulia.verdi')).toEqual([
      { actor: 'anonimo', detail: { via: 'oidc', reason: 'unbound-account', issuer, subject: 'a1b2-impostore' } },
    ]);
    await screenshot(impostor.page, 'sso-refused-unbound');
    await impostor.context.close();
    const unbound: Record<string, unknown>[] = await app.db.query(
      `SELECT external_subject, external_binding_allowed, last_login_at FROM users WHERE username = 'giulia.verdi'`,
    );
    expect(unbound[0]).toEqual({ external_subject: null, external_binding_allowed: false, last_login_at: null });

    // An administrator, who has heard from Giulia, allows the binding on the users page.
    const admin = await signedIn(browser, app, 'e2e.sso.admin', ['admin']);
    await admin.page.getByRole('link', { name: 'Utenti' }).click();
    await admin.page.getByRole('button', { name: /Consenti l’associazione SSO.*giulia\.verdi/ }).click();
    await admin.page.getByText('Associazione consentita al prossimo accesso SSO').waitFor();
    await screenshot(admin.page, 'sso-binding-allowed');
    const allowed: { actor: string; detail: unknown }[] = await app.db.query(
      `SELECT actor, detail FROM audit_events WHERE action = 'user.updated' AND subject_id = 'giulia.verdi'`,
    );
    expect(allowed).toEqual([{ actor: 'e2e.sso.admin', detail: { allowExternalBinding: true } }]);

    // Her next sign-on binds the account to her identity at the provider; the permission is spent.
    const giulia = await signInAtProvider('e5f6-giulia');
    await giulia.page.getByRole('button', { name: 'Esci' }).waitFor();
    const bound: Record<string, unknown>[] = await app.db.query(
      `SELECT external_issuer, external_subject, external_binding_allowed FROM users WHERE username = 'giulia.verdi'`,
    );
    expect(bound[0]).toEqual({
      external_issuer: issuer,
      external_subject: 'e5f6-giulia',
      external_binding_allowed: false,
    });
    const signIns: { detail: unknown }[] = await app.db.query(
      `SELECT detail FROM audit_events WHERE action = 'sign-in' AND subject_id = 'giulia.verdi'`,
    );
    expect(signIns).toEqual([{ detail: { via: 'oidc', bound: true, issuer, subject: 'e5f6-giulia' } }]);
    await giulia.context.close();
    // From now on the name alone reaches nothing.
    const again = await signInAtProvider('a1b2-impostore');
    await again.page.waitForURL('**/accesso?errore=nome');
    await again.context.close();
    await admin.context.close();
  });

  it('a disabled account is refused at the sign-on with an explanation, its roles untouched, and audited', async () => {
    const first = await signInAtProvider('d4e5-sara');
    await first.page.getByRole('button', { name: 'Esci' }).waitFor();
    await first.context.close();
    await app.users.update('sara.gialli', { active: false, roles: ['back-office-1'] });
    const { context, page } = await signInAtProvider('d4e5-sara');
    await page.waitForURL('**/accesso?errore=disattivato');
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/account .*è disattivato/);
    const session = await page.evaluate(async () => (await fetch('/api/session')).json());
    expect((session as { user: unknown }).user).toBeNull();
    const account: { roles: string[]; active: boolean }[] = await app.db.query(
      `SELECT roles, active FROM users WHERE username = 'sara.gialli'`,
    );
    expect(account[0]).toEqual({ roles: ['back-office-1'], active: false });
    expect(await refusals('sara.gialli')).toEqual([
      { actor: 'anonimo', detail: { via: 'oidc', reason: 'disabled', issuer, subject: 'd4e5-sara' } },
    ]);
    const signIns: unknown[] = await app.db.query(
      `SELECT 1 FROM audit_events WHERE action = 'sign-in' AND subject_id = 'sara.gialli'`,
    );
    expect(signIns).toHaveLength(1);
    await screenshot(page, 'sso-refused-disabled');
    await context.close();
  });

  it('a preferred_username that is no username here is refused with an explanation and audited', async () => {
    const { context, page } = await signInAtProvider('g7h8-mario');
    await page.waitForURL('**/accesso?errore=nome-non-valido');
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/non è valido come nome utente/);
    const made: unknown[] = await app.db.query(`SELECT 1 FROM users WHERE external_subject = 'g7h8-mario'`);
    expect(made).toEqual([]);
    expect(await refusals('mario bruni!')).toEqual([
      { actor: 'anonimo', detail: { via: 'oidc', reason: 'invalid-username', issuer, subject: 'g7h8-mario' } },
    ]);
    await context.close();
  });
});
