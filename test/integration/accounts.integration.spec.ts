import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import type { Role } from '../../domain/access/roles.js';
import { DEMO_USERS, UserDirectory } from '../../domain/access/users.js';
import { ensureDatabase } from '../../platform/database/ensure-database.js';
import { openDatabase } from '../../platform/database/data-source.js';
import { apiAs, ensureUser, startTestApp } from './support/test-app.js';

/** Account administration rules that protect the platform from locking itself out, and the audit trail. */
describe('accounts and the audit trail', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startTestApp();
    // Only this test's administrators: the demo `admin` and any other are set aside.
    await app.db.query(`UPDATE users SET roles = array_remove(roles, 'admin') WHERE 'admin' = ANY (roles)`);
  });
  afterAll(async () => {
    await app.db.query(`UPDATE users SET roles = '{admin}' WHERE username = 'admin'`).catch(() => undefined);
    await app?.stop();
  });

  it('refuses to remove the admin role or disable the account of the last active administrator', async () => {
    const admin = apiAs(app, 'amministratore.unico', ['admin']);
    await ensureUser(app, 'amministratore.unico', ['admin']);
    const demote = await admin.patch<{ detail: string }>('/api/users/amministratore.unico', { roles: ['supervisor'] });
    expect(demote.status).toBe(409);
    expect(demote.body.detail).toMatch(/senza amministratori attivi/);
    expect((await admin.patch('/api/users/amministratore.unico', { active: false })).status).toBe(409);
    const still: { roles: string[]; active: boolean }[] = await app.db.query(
      `SELECT roles, active FROM users WHERE username = 'amministratore.unico'`,
    );
    expect(still[0]).toEqual({ roles: ['admin'], active: true });

    // With a second administrator the first may step down.
    await ensureUser(app, 'amministratore.due', ['admin']);
    expect((await admin.patch('/api/users/amministratore.unico', { roles: ['supervisor'] })).status).toBe(200);
    await app.db.query(`UPDATE users SET roles = '{supervisor}' WHERE username = 'amministratore.due'`);
  });

  /** An account a single sign-on made before identities were kept (migration 10): no issuer, no subject. */
  async function unboundSsoAccount(username: string): Promise<void> {
    await app.db.query(
      `INSERT INTO users (username, display_name, roles, source, must_change_password)
       VALUES ($1, $1, '{operator}', 'oidc', false)`,
      [username],
    );
  }
  const identity = (subject: string, preferredUsername: string, roles: Role[] = ['operator']) => ({
    issuer: 'https://idp.regione.test',
    subject,
    preferredUsername,
    displayName: preferredUsername,
    roles,
  });
  const accountRow = async (username: string): Promise<Record<string, unknown> | undefined> => {
    const rows: Record<string, unknown>[] = await app.db.query(
      `SELECT roles, external_issuer, external_subject, external_binding_allowed, last_login_at
         FROM users WHERE username = $1`,
      [username],
    );
    return rows[0];
  };

  it('never binds an unbound sign-on account by its name alone: only once an administrator allows it', async () => {
    await unboundSsoAccount('vecchio.sso');
    // Whoever the provider calls `vecchio.sso` is refused, and the account stays as it was.
    expect(await app.users.signInExternal(identity('sub-chiunque', 'vecchio.sso', ['supervisor']))).toEqual({
      refused: 'unbound-account',
    });
    expect(await accountRow('vecchio.sso')).toMatchObject({
      roles: ['operator'],
      external_subject: null,
      external_binding_allowed: false,
      last_login_at: null,
    });

    // Only an administrator allows the binding, only on such an account, and it is audited.
    const operator = apiAs(app, 'operatore.sso', ['operator']);
    expect((await operator.patch('/api/users/vecchio.sso', { allowExternalBinding: true })).status).toBe(403);
    const admin = apiAs(app, 'amministratore.sso', ['admin']);
    const local = await admin.patch<{ detail: string }>('/api/users/operatore.sso', { allowExternalBinding: true });
    expect(local.status).toBe(409);
    expect(local.body.detail).toMatch(/non è un account SSO in attesa di associazione/);
    const allowed = await admin.patch<{ externalBindingAllowed: boolean; externalIdentity: boolean }>(
      '/api/users/vecchio.sso',
      { allowExternalBinding: true },
    );
    expect(allowed.status).toBe(200);
    expect(allowed.body).toMatchObject({ externalBindingAllowed: true, externalIdentity: false });
    const trail: { actor: string; detail: unknown }[] = await app.db.query(
      `SELECT actor, detail FROM audit_events WHERE action = 'user.updated' AND subject_id = 'vecchio.sso'`,
    );
    expect(trail).toEqual([{ actor: 'amministratore.sso', detail: { allowExternalBinding: true } }]);

    // The next sign-on with the name binds the account to its identity and clears the permission.
    const bound = await app.users.signInExternal(identity('sub-vecchio', 'vecchio.sso'));
    expect(bound).toMatchObject({ principal: { id: 'vecchio.sso', roles: ['operator'] }, bound: true });
    expect(await accountRow('vecchio.sso')).toMatchObject({
      external_issuer: 'https://idp.regione.test',
      external_subject: 'sub-vecchio',
      external_binding_allowed: false,
    });
    expect(await app.users.signInExternal(identity('sub-chiunque', 'vecchio.sso'))).toEqual({
      refused: 'other-identity',
    });
    expect(await app.users.signInExternal(identity('sub-vecchio', 'vecchio.sso'))).toMatchObject({
      principal: { id: 'vecchio.sso' },
    });
    // A bound account takes no such permission.
    expect((await admin.patch('/api/users/vecchio.sso', { allowExternalBinding: true })).status).toBe(409);
  });

  it('refuses the sign-on of a disabled account without touching its roles', async () => {
    expect(await app.users.signInExternal(identity('sub-spento', 'spento.sso'))).toMatchObject({
      principal: { id: 'spento.sso' },
    });
    // (This file's administrators have stepped down: the row is changed directly.)
    await app.db.query(`UPDATE users SET active = false WHERE username = 'spento.sso'`);
    const before = await accountRow('spento.sso');
    expect(await app.users.signInExternal(identity('sub-spento', 'spento.sso', ['supervisor']))).toEqual({
      refused: 'disabled',
      account: 'spento.sso',
    });
    expect(await accountRow('spento.sso')).toEqual(before);
    // Nor is a disabled unbound account bound, even when the binding was allowed.
    await unboundSsoAccount('spento.vecchio');
    await app.db.query(
      `UPDATE users SET external_binding_allowed = true, active = false WHERE username = 'spento.vecchio'`,
    );
    expect(await app.users.signInExternal(identity('sub-spento-vecchio', 'spento.vecchio'))).toEqual({
      refused: 'disabled',
      account: 'spento.vecchio',
    });
    expect(await accountRow('spento.vecchio')).toMatchObject({
      external_subject: null,
      external_binding_allowed: true,
    });
  });

  it('refuses to name an account with a preferred_username outside the local username rule', async () => {
    const names = ['mario rossi', 'x', 'Mario.Rossi', '-mario', 'mario/rossi', 'mario<script>', 'a'.repeat(64)];
    for (const name of names) {
      expect(await app.users.signInExternal(identity(`sub-${name}`, name)), name).toEqual({
        refused: 'invalid-username',
      });
    }
    const made: unknown[] = await app.db.query(`SELECT username FROM users WHERE external_subject = ANY ($1)`, [
      names.map((n) => `sub-${n}`),
    ]);
    expect(made).toEqual([]);
    // A person already bound keeps their account whatever name the provider now suggests.
    await app.users.signInExternal(identity('sub-rinominato', 'rinominato.sso'));
    expect(await app.users.signInExternal(identity('sub-rinominato', 'Rinominato SSO!'))).toMatchObject({
      principal: { id: 'rinominato.sso' },
    });
  });

  it('lists the audit trail newest first by number, not by the text of the number', async () => {
    // Ids across a change in the number of digits (999,999,995 … 1,000,000,006), where the
    // text order differs from the numeric one.
    for (let i = 0; i < 12; i++) {
      await app.db.query(
        `INSERT INTO audit_events (id, actor, action, subject_type) VALUES ($1, 'test', 'test.order', 'test')`,
        [999_999_995 + i],
      );
    }
    const admin = apiAs(app, 'amministratore.audit', ['admin']);
    const res = await admin.get<{ items: { id: string }[] }>('/api/audit?action=test.order&limit=12');
    const ids = res.body.items.map((e) => Number(e.id));
    expect(ids).toHaveLength(12);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    // They stay: the trail is append-only (its chain, audit-chain.ts), and the test entries harm no one.
  });
});

describe('the first accounts on a cluster’s first start', () => {
  it('are created once when several API processes start together on an empty database', async () => {
    const url = await ensureDatabase(
      inject('databaseUrl'),
      `first_accounts_${randomUUID().replace(/-/g, '').slice(0, 8)}`,
    );
    const pools = await Promise.all([openDatabase(url, 4), openDatabase(url, 4), openDatabase(url, 4)]);
    try {
      const created = await Promise.all(pools.map((db) => new UserDirectory(db).ensureDemoUsers()));
      const sizes = created.map((c) => c.length).sort((a, b) => a - b);
      expect(sizes).toEqual([0, 0, DEMO_USERS.length]);
      // The passwords printed are the ones that work.
      const printed = created.find((c) => c.length > 0) ?? [];
      const directory = new UserDirectory(pools[0]);
      for (const u of printed) expect(await directory.authenticate(u.username, u.password)).toBeTruthy();
    } finally {
      await Promise.all(pools.map((db) => db.destroy()));
    }
  });
});
