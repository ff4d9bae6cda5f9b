import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { RunningApp } from '../../../app.js';
import { CallRecords } from '../../../domain/voice/call-records.js';
import { voiceWrapUp } from '../../../workers/voice-wrap-up.js';
import { planSurveys } from '../../../workers/plan-surveys.js';
import { placeSurveyCall } from '../../../workers/place-survey-call.js';
import { recordSurveyResult } from '../../../workers/record-survey-result.js';
import { Surveys } from '../../../domain/voice/surveys.js';
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

/** A handled call (answered, closed) at `at`, from its own number: what a survey samples. */
async function handledCall(app: RunningApp, at: Date): Promise<{ callSid: string; from: string }> {
  const callSid = `CA${randomBytes(16).toString('hex')}`;
  const from = `+39333${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
  const records = new CallRecords(app.db);
  await records.record({ callSid, at, type: 'arrived', line: 'cup', direction: 'inbound', from, to: '+39848821821' });
  await records.record({ callSid, at, type: 'answered', operator: 'voce.kill' });
  await records.record({ callSid, at, type: 'wrap-up-ended', operator: 'voce.kill', outcome: 'resolved' });
  return { callSid, from };
}

/** A day of its own, years ahead, for each run of the daily planner. */
const farDay = () => {
  const d = new Date(Date.UTC(2040 + Math.floor(Math.random() * 40), Math.floor(Math.random() * 12), 10, 10));
  return d.toISOString().slice(0, 10);
};

/** A survey planned for a handled call, its instance started at `activity`. */
async function surveyAt(app: RunningApp, activity: string, variables: Record<string, unknown> = {}): Promise<string> {
  const { callSid, from } = await handledCall(app, new Date());
  const id = `SURVEY-${callSid}`;
  await app.db.query(
    `INSERT INTO voice_surveys (id, contact_call_sid, day, line, operator, to_number, from_number)
     VALUES ($1, $2, current_date, 'cup', 'voce.kill', $3, '+39848821821')`,
    [id, callSid, from],
  );
  const started = await app.engine.startProcess('voice-survey', {
    businessKey: id,
    variables: { surveyId: id, line: 'cup', ...variables },
    startAt: activity,
  });
  await new Surveys(app.db).setInstance(id, started.id);
  return started.id;
}

const surveyOf = async (app: RunningApp, pi: string) => {
  const id = (await app.engine.historicProcessInstance(pi))?.businessKey ?? '';
  const rows: { to_number: string; survey_call_sid: string | null; scores: unknown; low_score: boolean | null }[] =
    await app.db.query(`SELECT to_number, survey_call_sid, scores, low_score FROM voice_surveys WHERE id = $1`, [id]);
  return { id, ...rows[0] };
};

export const VOICE_KILL_SCENARIOS: KillScenario[] = [
  {
    worker: planSurveys,
    site: 'starter',
    async reach(app) {
      const day = farDay();
      // Ten handled calls that day: the sample is one.
      for (let i = 0; i < 10; i++) await handledCall(app, new Date(`${day}T09:${String(10 + i)}:00Z`));
      const started = await app.engine.startProcess('voice-survey-daily', {
        businessKey: `SURVEYS-${day}`,
        variables: { surveyDay: day },
        startAt: 'plan',
      });
      return started.id;
    },
    async verify(app, pi) {
      const day = ((await app.engine.historicProcessInstance(pi))?.businessKey ?? '').replace('SURVEYS-', '');
      const planned = await new Surveys(app.db).ofDay(day);
      expect(planned).toHaveLength(1);
      for (const s of planned) {
        const instances = await app.engine.historicProcessInstances({
          processDefinitionKey: 'voice-survey',
          processInstanceBusinessKey: s.id,
        });
        expect(instances).toHaveLength(1);
      }
    },
  },
  {
    worker: placeSurveyCall,
    site: 'voice',
    reach: (app) => surveyAt(app, 'place-call'),
    async verify(app, pi) {
      const s = await surveyOf(app, pi);
      const calls = app.voice?.simulator?.outbound().filter((c) => c.to === s.to_number) ?? [];
      expect(calls).toHaveLength(1);
      expect(s.survey_call_sid).toBe(calls[0]?.sid);
    },
  },
  {
    worker: recordSurveyResult,
    site: 'db',
    reach: (app) => surveyAt(app, 'record-result', { score1: '4', score2: '2', score3: '5' }),
    async verify(app, pi) {
      const s = await surveyOf(app, pi);
      expect(s).toMatchObject({ scores: { score1: 4, score2: 2, score3: 5 }, low_score: true });
    },
  },
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
