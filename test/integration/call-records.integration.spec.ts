import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CallRecords, type CallEvent } from '../../domain/voice/call-records.js';
import { openDatabase } from '../../platform/database/data-source.js';

const newSid = () => `CA${randomBytes(16).toString('hex')}`;
const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 9, 0, s));

/** One answered call and one abandoned call, as their events come. */
function answered(callSid: string): CallEvent[] {
  return [
    {
      callSid,
      at: at(0),
      type: 'arrived',
      line: 'cup',
      direction: 'inbound',
      from: '+393331234567',
      to: '+39848821821',
    },
    { callSid, at: at(1), type: 'ivr-entered' },
    { callSid, at: at(8), type: 'queued', queue: 'cup', requestType: 'booking', priority: 10 },
    { callSid, at: at(9), type: 'offered-to-operator', operator: 'op.1', offer: 1 },
    { callSid, at: at(29), type: 'offer-refused', operator: 'op.1', offer: 1 },
    { callSid, at: at(30), type: 'offered-to-operator', operator: 'op.2', offer: 2 },
    { callSid, at: at(40), type: 'answered', operator: 'op.2' },
    { callSid, at: at(2), type: 'status', status: 'ringing', sequence: 1, durationSeconds: null },
    { callSid, at: at(3), type: 'status', status: 'in-progress', sequence: 2, durationSeconds: null },
    { callSid, at: at(190), type: 'status', status: 'completed', sequence: 3, durationSeconds: 188 },
    { callSid, at: at(250), type: 'wrap-up-ended', operator: 'op.2', outcome: 'resolved' },
  ];
}

describe('the contact record of every call, built from its event log (V8)', () => {
  let db: DataSource;
  let records: CallRecords;
  beforeAll(async () => {
    db = await openDatabase(inject('databaseUrl'), 2);
    records = new CallRecords(db);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('comes out the same whatever order the events arrive in, and however often each comes', async () => {
    const inOrder = newSid();
    for (const e of answered(inOrder)) await records.record(e);
    const shuffled = newSid();
    const events = answered(shuffled);
    const [arrival, ...rest] = events;
    // The arrival first (it makes the record), then the rest backwards, each twice.
    await records.record(arrival as CallEvent);
    for (const e of rest.reverse()) {
      expect(await records.record(e)).toBe(true);
      expect(await records.record(e)).toBe(false);
    }
    const a = await records.get(inOrder, { personal: true });
    const b = await records.get(shuffled, { personal: true });
    const strip = (r: typeof a) => ({ ...r, callSid: undefined, contactId: undefined });
    expect(strip(b)).toEqual(strip(a));
    expect(a).toMatchObject({
      status: 'completed',
      arrivedAt: at(0).toISOString(),
      ivrEnteredAt: at(1).toISOString(),
      offeredAt: at(8).toISOString(),
      firstOfferedToOperatorAt: at(9).toISOString(),
      offers: 2,
      refusals: 1,
      answeredAt: at(40).toISOString(),
      operator: 'op.2',
      endedAt: at(190).toISOString(),
      durationSeconds: 188,
      wrapUpEndedAt: at(250).toISOString(),
      outcome: 'resolved',
      abandonedAt: null,
      disconnectReason: 'caller',
    });
    expect(await records.events(shuffled)).toHaveLength(events.length);
  });

  it('derives the abandon, and lets a call-back request keep a call from being abandoned', async () => {
    const gone = newSid();
    const base = answered(gone).slice(0, 3);
    for (const e of base) await records.record(e);
    await records.record({
      callSid: gone,
      at: at(60),
      type: 'status',
      status: 'completed',
      sequence: 3,
      durationSeconds: 59,
    });
    expect(await records.get(gone)).toMatchObject({ abandonedAt: at(60).toISOString(), outcome: 'abandoned' });
    // A late in-progress callback changes nothing.
    expect(
      await records.record({
        callSid: gone,
        at: at(61),
        type: 'status',
        status: 'in-progress',
        sequence: 2,
        durationSeconds: null,
      }),
    ).toBe(true);
    expect(await records.get(gone)).toMatchObject({ status: 'completed', endedAt: at(60).toISOString() });

    const later = newSid();
    for (const e of answered(later).slice(0, 3)) await records.record(e);
    await records.record({ callSid: later, at: at(30), type: 'callback-requested' });
    await records.record({
      callSid: later,
      at: at(35),
      type: 'status',
      status: 'completed',
      sequence: 3,
      durationSeconds: 34,
    });
    expect(await records.get(later)).toMatchObject({ abandonedAt: null, outcome: 'callback-requested' });
    // The caller's number is masked without personal-data rights.
    expect((await records.get(later))?.caller).toBe('+39333***67');
  });
});
