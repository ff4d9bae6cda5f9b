import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CallRecords } from '../../domain/voice/call-records.js';
import type { IncomingCall } from '../../adapters/voice/twilio-voice-params.js';
import { openDatabase } from '../../platform/database/data-source.js';

const newCall = (): IncomingCall => ({
  CallSid: `CA${randomBytes(16).toString('hex')}`,
  AccountSid: `AC${'a'.repeat(32)}`,
  From: '+393331234567',
  To: '+39848821821',
  CallStatus: 'ringing',
  Direction: 'inbound',
});
const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 9, 0, s));

describe('the contact record of every call (V8)', () => {
  let db: DataSource;
  let records: CallRecords;
  beforeAll(async () => {
    db = await openDatabase(inject('databaseUrl'), 2);
    records = new CallRecords(db);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('records a call once however often its first webhook comes, and follows it to its end', async () => {
    const call = newCall();
    await records.offered(call, 'cup', at(0));
    await records.offered({ ...call, CallStatus: 'in-progress' }, 'cup', at(5));
    await records.queued(call.CallSid, 'cup-prenotazioni', at(8));
    await records.answered(call.CallSid, 'op.427', at(40));
    expect(
      await records.status({ ...call, CallStatus: 'completed', CallDuration: 190, SequenceNumber: 3 }, at(190)),
    ).toBe(true);
    expect(await records.get(call.CallSid)).toMatchObject({
      line: 'cup',
      status: 'completed',
      offeredAt: at(0).toISOString(),
      queuedAt: at(8).toISOString(),
      queue: 'cup-prenotazioni',
      answeredAt: at(40).toISOString(),
      operator: 'op.427',
      endedAt: at(190).toISOString(),
      durationSeconds: 190,
      abandoned: false,
    });
  });

  it('applies status callbacks by their sequence, whatever order they arrive in', async () => {
    const call = newCall();
    await records.offered(call, 'csb', at(0));
    await records.queued(call.CallSid, 'csb-generale', at(3));
    // The final callback arrives before the earlier one: the earlier changes nothing.
    expect(
      await records.status({ ...call, CallStatus: 'completed', CallDuration: 61, SequenceNumber: 2 }, at(61)),
    ).toBe(true);
    expect(await records.status({ ...call, CallStatus: 'in-progress', SequenceNumber: 1 }, at(2))).toBe(false);
    const record = await records.get(call.CallSid);
    expect(record).toMatchObject({ status: 'completed', endedAt: at(61).toISOString(), durationSeconds: 61 });
    // Queued, never answered, ended: abandoned.
    expect(record?.abandoned).toBe(true);
    // An answer that comes after the end does not make it answered.
    await records.answered(call.CallSid, 'op.1', at(70));
    expect((await records.get(call.CallSid))?.abandoned).toBe(true);
  });

  it('drops a status callback for a call it never recorded', async () => {
    const stranger = newCall();
    expect(await records.status({ ...stranger, CallStatus: 'completed', SequenceNumber: 0 }, at(1))).toBe(false);
    expect(await records.get(stranger.CallSid)).toBeUndefined();
  });
});
