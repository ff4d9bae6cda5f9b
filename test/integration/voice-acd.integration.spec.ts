import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Acd } from '../../domain/voice/acd.js';
import { CallRecords } from '../../domain/voice/call-records.js';
import { openDatabase } from '../../platform/database/data-source.js';

/**
 * The routing state is in PostgreSQL, under row locks: several API processes (here, three
 * routers on three connection pools) offering at once never offer one call to two operators
 * or two calls to one operator.
 */
describe('the ACD under several routing processes at once', () => {
  const dbs: DataSource[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) dbs.push(await openDatabase(inject('databaseUrl'), 4));
  });
  afterAll(async () => {
    for (const db of dbs) await db.destroy();
  });

  it('offers each waiting call to one operator, and each operator one call, whoever routes', async () => {
    const queue = `race-${randomBytes(4).toString('hex')}`;
    const routers = dbs.map((db) => new Acd(db, new CallRecords(db), { offerSeconds: 60, defaultHandleSeconds: 240 }));
    const [first] = routers as [Acd];
    const operators = Array.from({ length: 6 }, (_, i) => `race.${queue}.${i}`);
    const calls = Array.from({ length: 15 }, () => `CA${randomBytes(16).toString('hex')}`);
    const records = new CallRecords(dbs[0] as DataSource);
    for (const sid of calls) {
      await records.record({
        callSid: sid,
        at: new Date(),
        type: 'arrived',
        line: 'cup',
        direction: 'inbound',
        from: '+393330000000',
        to: '+39848821821',
      });
    }
    // Calls join and operators become available through different routers, all at once.
    await Promise.all([
      ...calls.map((sid, i) =>
        (routers[i % 3] as Acd).enqueue({
          callSid: sid,
          queue,
          line: 'cup',
          priority: i % 2,
          requestType: null,
          callerNumber: '+393330000000',
        }),
      ),
      ...operators.map((op, i) => (routers[(i + 1) % 3] as Acd).setPresence(op, 'disponibile', [queue])),
      ...routers.map((r) => r.dispatch()),
    ]);
    await Promise.all(routers.map((r) => r.dispatch()));

    const offered: { call_sid: string; offered_to: string }[] = await (dbs[0] as DataSource).query(
      `SELECT call_sid, offered_to FROM voice_queue_entries WHERE queue = $1 AND state = 'offered'`,
      [queue],
    );
    expect(offered).toHaveLength(operators.length);
    expect(new Set(offered.map((o) => o.offered_to)).size).toBe(operators.length);
    const holding: { username: string; offer_call: string }[] = await (dbs[0] as DataSource).query(
      `SELECT username, offer_call FROM voice_operators WHERE username = ANY ($1) AND offer_call IS NOT NULL`,
      [operators],
    );
    expect(holding.map((h) => `${h.username}:${h.offer_call}`).sort()).toEqual(
      offered.map((o) => `${o.offered_to}:${o.call_sid}`).sort(),
    );
    // Every call waiting has an offer event only if it was offered, once.
    for (const sid of calls) {
      const events = (await records.events(sid)).filter((e) => e.type === 'offered-to-operator');
      expect(events.length).toBe(offered.some((o) => o.call_sid === sid) ? 1 : 0);
    }
    // Two operators accept the same call: one wins.
    const [one] = offered as [{ call_sid: string; offered_to: string }];
    const results = await Promise.allSettled([
      first.accept(one.offered_to, one.call_sid),
      (routers[1] as Acd).accept(one.offered_to, one.call_sid),
      (routers[2] as Acd).accept(operators.find((o) => o !== one.offered_to) ?? '', one.call_sid),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });
});
