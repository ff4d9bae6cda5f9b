import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
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
    await app.db.query(`DELETE FROM audit_events WHERE action = 'test.order'`);
  });
});
