import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { RunningApp } from '../../../app.js';
import { CallRecords } from '../../../domain/voice/call-records.js';
import { voiceWrapUp } from '../../../workers/voice-wrap-up.js';
import type { KillScenario } from './kill-harness.js';

/**
 * An answered call whose operator has just closed the contact task: its instance waits at
 * `voice-wrap-up` (started there, so no simulated call is needed to reach it).
 */
async function callAtWrapUp(app: RunningApp): Promise<string> {
  const callSid = `CA${randomBytes(16).toString('hex')}`;
  const operator = `voce.kill.${callSid.slice(-6)}`;
  const records = new CallRecords(app.db);
  const at = new Date();
  await records.record({
    callSid,
    at,
    type: 'arrived',
    line: 'cup',
    direction: 'inbound',
    from: '+393330000001',
    to: '+39848821821',
  });
  await records.record({ callSid, at, type: 'answered', operator });
  await app.db.query(
    `INSERT INTO voice_operators (username, code, presence, current_call)
     VALUES ($1, nextval('voice_operator_codes')::text, 'post-chiamata', $2)`,
    [operator, callSid],
  );
  const started = await app.engine.startProcess('inbound-call', {
    businessKey: callSid,
    variables: { callSid, operator, callOutcome: 'resolved', line: 'cup' },
    startAt: 'wrap-up',
  });
  return started.id;
}

export const VOICE_KILL_SCENARIOS: KillScenario[] = [
  {
    worker: voiceWrapUp,
    // The wrap-up event and its projection are one transaction.
    site: 'db-transaction',
    reach: callAtWrapUp,
    async verify(app, pi) {
      const callSid = (await app.engine.historicProcessInstance(pi))?.businessKey ?? '';
      const records = new CallRecords(app.db);
      expect(await records.get(callSid)).toMatchObject({
        outcome: 'resolved',
        wrapUpEndedAt: expect.any(String) as string,
      });
      expect((await records.events(callSid)).filter((e) => e.type === 'wrap-up-ended')).toHaveLength(1);
      const ops: { presence: string }[] = await app.db.query(
        `SELECT presence FROM voice_operators WHERE current_call IS NULL AND username LIKE $1`,
        [`voce.kill.${callSid.slice(-6)}`],
      );
      expect(ops).toEqual([{ presence: 'disponibile' }]);
    },
  },
];
