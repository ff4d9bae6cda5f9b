import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { AuditLog } from '../../domain/access/audit.js';
import { GENESIS_HASH, pruneAuditChain, verifyAuditChain } from '../../domain/access/audit-chain.js';
import { ensureDatabase } from '../../platform/database/ensure-database.js';
import { openDatabase } from '../../platform/database/data-source.js';
import { databaseMigratedTo } from './support/migrations.js';
import { AuditChain1763900000033 } from '../../migrations/1763900000033-AuditChain.js';

const run = promisify(execFile);
const DAY = 86_400_000;

/** Changes rows the way someone who owns the database could: with the triggers off. */
async function tamper(db: DataSource, sql: string, params: unknown[] = []): Promise<void> {
  await db.transaction(async (m) => {
    await m.query(`SET LOCAL session_replication_role = replica`);
    await m.query(sql, params);
  });
}

/** The verification command, on a database of its own; its exit code and what it printed. */
async function verifyCommand(url: string, ...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts', ...args], {
      env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'silent' },
    });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '' };
  }
}

describe('the tamper-evident audit trail', () => {
  let url: string;
  let db: DataSource;
  let audit: AuditLog;
  beforeAll(async () => {
    url = await ensureDatabase(inject('databaseUrl'), `audit_chain_${randomUUID().replace(/-/g, '').slice(0, 8)}`);
    db = await openDatabase(url, 8);
    audit = new AuditLog(db);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('chains entries written at the same time, numbered without gaps, and the command says the chain holds', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        audit.record({ actor: `utente.${i % 5}`, action: 'sign-in', detail: { n: i }, ip: '10.0.0.1' }),
      ),
    );
    const rows = await db.query<{ seq: string; prev_hash: string; hash: string }[]>(
      `SELECT seq::text, prev_hash, hash FROM audit_events ORDER BY audit_events.seq`,
    );
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(rows[0]?.prev_hash).toBe(GENESIS_HASH);
    rows.slice(1).forEach((r, i) => expect(r.prev_hash).toBe(rows[i]?.hash));

    const v = await verifyAuditChain(db);
    expect(v).toMatchObject({ ok: true, entries: 40, pruned: 0, problems: [], head: { seq: '40' } });
    const printed = await verifyCommand(url);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain(`Registro accessi integro: 40 voci verificate`);
    expect(printed.stdout).toContain(`Testa: 40:${v.head.hash}`);
  });

  it('refuses to change or delete an entry from the app (append-only)', async () => {
    await expect(db.query(`UPDATE audit_events SET detail = '{"n": 99}' WHERE seq = 3`)).rejects.toThrow(/append-only/);
    await expect(db.query(`UPDATE audit_events SET actor = NULL, pruned = true WHERE seq = 3`)).rejects.toThrow(
      /append-only/,
    );
    await expect(db.query(`DELETE FROM audit_events WHERE seq = 3`)).rejects.toThrow(/append-only/);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it('finds an entry changed, an entry deleted, and a rewritten tail against a head noted earlier', async () => {
    const noted = (await verifyAuditChain(db)).head;

    const [seventh] = await db.query<{ actor: string }[]>(`SELECT actor FROM audit_events WHERE seq = 7`);
    await tamper(db, `UPDATE audit_events SET actor = 'qualcun.altro' WHERE seq = 7`);
    let v = await verifyAuditChain(db);
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([{ seq: '7', problem: 'contenuto modificato (hash ricalcolato diverso)' }]);
    const printed = await verifyCommand(url);
    expect(printed.code).toBe(1);
    expect(printed.stdout).toMatch(/ALTERATO[\s\S]*voce 7: contenuto modificato/);
    await tamper(db, `UPDATE audit_events SET actor = $1 WHERE seq = 7`, [seventh?.actor]);
    expect((await verifyAuditChain(db)).ok).toBe(true);

    // A deletion: the gap and the broken link both show, at the entry after it.
    await db.query(`CREATE TABLE audit_kept AS SELECT * FROM audit_events WHERE seq = 12`);
    await tamper(db, `DELETE FROM audit_events WHERE seq = 12`);
    v = await verifyAuditChain(db);
    expect(v.problems.map((p) => p.seq)).toEqual(['13', '13']);
    expect(v.problems[0]?.problem).toMatch(/manca la voce 12/);
    await tamper(db, `INSERT INTO audit_events SELECT * FROM audit_kept`);
    await db.query(`DROP TABLE audit_kept`);
    expect((await verifyAuditChain(db)).ok).toBe(true);

    // Whoever rewrites an entry and every hash after it leaves a chain that verifies on its own:
    // only the head noted outside the database shows it.
    await tamper(
      db,
      `DO $$
       DECLARE r record; last text;
       BEGIN
         UPDATE audit_events SET detail = '{"n": -1}' WHERE seq = 30;
         SELECT hash INTO last FROM audit_events WHERE seq = 29;
         FOR r IN SELECT * FROM audit_events WHERE seq >= 30 ORDER BY seq LOOP
           UPDATE audit_events SET prev_hash = last,
                  hash = audit_event_digest(last, r.seq, r.at, r.actor, r.action, r.subject_type, r.subject_id, r.detail, r.ip)
            WHERE seq = r.seq RETURNING hash INTO last;
         END LOOP;
         UPDATE audit_chain SET head_hash = last;
       END $$`,
    );
    expect((await verifyAuditChain(db)).ok).toBe(true);
    v = await verifyAuditChain(db, { expectHead: noted });
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([{ seq: '40', problem: 'la testa annotata non coincide: la catena è stata riscritta' }]);
    expect((await verifyCommand(url, '--expect-head', `${noted.seq}:${noted.hash}`)).code).toBe(1);
    expect((await verifyCommand(url, '--expect-head', 'not-a-head')).code).toBe(2);
  });

  it('retention empties old entries, removes those at the start of the chain, and the chain still verifies', async () => {
    const old = new Date(Date.now() - 800 * DAY);
    await tamper(db, `UPDATE audit_events SET at = $1 WHERE seq <= 10 OR seq = 20`, [old]);
    // (the hashes of 1–10 and 20 no longer match their fields now; retention empties them below)
    const before = new Date(Date.now() - 730 * DAY);
    expect(await pruneAuditChain(db, before)).toEqual({ emptied: 11, removed: 10 });
    const v = await verifyAuditChain(db);
    // Entries 11–40 are left: 20 emptied but kept (entries after the start are whole), the anchor at 10.
    expect(v).toMatchObject({ ok: true, entries: 30, pruned: 1, anchor: { seq: '10' } });
    expect(await db.query(`SELECT actor, subject_id, detail, ip, action FROM audit_events WHERE seq = 20`)).toEqual([
      { actor: null, subject_id: null, detail: null, ip: null, action: 'sign-in' },
    ]);
    expect(await pruneAuditChain(db, before)).toEqual({ emptied: 0, removed: 0 });

    // An entry emptied that retention would not have emptied is seen.
    await tamper(db, `UPDATE audit_events SET pruned = true, actor = NULL, detail = NULL, ip = NULL WHERE seq = 25`);
    expect((await verifyAuditChain(db)).problems).toEqual([
      { seq: '25', problem: 'svuotata senza che la conservazione lo prevedesse' },
    ]);
  });
});

describe('migration 1763900000033 (audit chain)', () => {
  it('chains the entries already there in the order of their numbers, and down takes the chain off', async () => {
    const ds = await databaseMigratedTo('audit_migration', AuditChain1763900000033, { including: false });
    try {
      await ds.query(
        `INSERT INTO audit_events (id, actor, action, at) VALUES (5, 'primo', 'sign-in', now() - interval '1 day'),
           (9, 'secondo', 'user.created', now()), (33, 'terzo', 'model.deployed', now())`,
      );
      const runner = ds.createQueryRunner();
      try {
        await new AuditChain1763900000033().up(runner);
        expect(await ds.query(`SELECT id::int, seq::int, actor FROM audit_events ORDER BY audit_events.seq`)).toEqual([
          { id: 5, seq: 1, actor: 'primo' },
          { id: 9, seq: 2, actor: 'secondo' },
          { id: 33, seq: 3, actor: 'terzo' },
        ]);
        await new AuditLog(ds).record({ actor: 'quarto', action: 'sign-in' });
        const v = await verifyAuditChain(ds);
        expect(v).toMatchObject({ ok: true, entries: 4, head: { seq: '4' } });
        await new AuditChain1763900000033().down(runner);
        expect(await ds.query(`SELECT count(*)::int AS n FROM audit_events`)).toEqual([{ n: 4 }]);
        await ds.query(`DELETE FROM audit_events WHERE actor = 'quarto'`);
      } finally {
        await runner.release();
      }
    } finally {
      await ds.destroy();
    }
  });
});
