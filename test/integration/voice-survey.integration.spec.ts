import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { CallRecords } from '../../domain/voice/call-records.js';
import { sampleOf, Surveys, DEFAULT_SURVEY_OPTIONS } from '../../domain/voice/surveys.js';
import type { SimulatedCall } from '../../stand-ins/twilio/voice.js';
import { startTestApp, waitFor } from './support/test-app.js';

/** A day of its own (a Tuesday), so no other test's calls are in its sample. */
const DAY = '2031-03-04';
const CUP = '+39848821821';

/** `n` calls of DAY answered by an operator and closed, each from its own number. */
async function handledCalls(app: RunningApp, n: number): Promise<{ callSid: string; from: string }[]> {
  const records = new CallRecords(app.db);
  const out: { callSid: string; from: string }[] = [];
  for (let i = 0; i < n; i++) {
    const callSid = `CA${'5'.repeat(24)}${String(i).padStart(8, '0')}`;
    const from = `+3933390${String(i).padStart(5, '0')}`;
    const at = new Date(Date.parse(`${DAY}T09:00:00Z`) + i * 60_000);
    await records.record({ callSid, at, type: 'arrived', line: 'cup', direction: 'inbound', from, to: CUP });
    await records.record({ callSid, at, type: 'answered', operator: 'voce.sondaggio' });
    await records.record({ callSid, at, type: 'status', status: 'completed', sequence: 3, durationSeconds: 60 });
    await records.record({ callSid, at, type: 'wrap-up-ended', operator: 'voce.sondaggio', outcome: 'resolved' });
    out.push({ callSid, from });
  }
  // A withheld number, answered and closed like the others, is never called back.
  const withheld = `CA${'6'.repeat(32)}`;
  const at = new Date(`${DAY}T10:00:00Z`);
  await records.record({
    callSid: withheld,
    at,
    type: 'arrived',
    line: 'cup',
    direction: 'inbound',
    from: 'anonymous',
    to: CUP,
  });
  await records.record({ callSid: withheld, at, type: 'answered', operator: 'voce.sondaggio' });
  await records.record({
    callSid: withheld,
    at,
    type: 'wrap-up-ended',
    operator: 'voce.sondaggio',
    outcome: 'resolved',
  });
  return out;
}

describe('the daily satisfaction survey (V6)', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp({}, { voiceTimeScale: 0.01 });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const answer = async (call: SimulatedCall, keys: string[]) => {
    for (const k of keys) {
      await call.waitFor(
        (e, all) => e.kind === 'gather' && all.filter((x) => x.kind === 'gather').length >= keys.indexOf(k) + 1,
      );
      await call.press(k);
    }
    await call.ended;
  };

  it('calls back a seeded 10 % of the day’s handled calls, stores the scores, and opens a follow-up on a low one', async () => {
    const calls = await handledCalls(app, 20);
    const sim = app.voice?.simulator;
    if (!sim) throw new Error('no simulator');
    const expected = sampleOf(
      [...calls].sort((a, b) => a.callSid.localeCompare(b.callSid)),
      DEFAULT_SURVEY_OPTIONS.samplePercent,
      `survey:${DAY}`,
    );
    expect(expected).toHaveLength(2);
    expect((await new Surveys(app.db).candidates(DAY, DEFAULT_SURVEY_OPTIONS)).map((c) => c.callSid)).not.toContain(
      `CA${'6'.repeat(32)}`,
    );

    await app.engine.correlateMessage('voice-survey-manual-run', {
      processVariables: {},
      variables: { surveyDay: DAY },
    });
    const surveys = new Surveys(app.db);
    const planned = await waitFor(async () => {
      const rows = await surveys.ofDay(DAY);
      return rows.length === 2 && rows.every((r) => r.processInstanceId) ? rows : undefined;
    }, 'the day’s sample');
    expect(planned.map((r) => r.contactCallSid).sort()).toEqual(expected.map((c) => c.callSid).sort());

    const [unhappy, happy] = expected as [(typeof expected)[0], (typeof expected)[0]];
    const outbound = (to: string) =>
      waitFor(() => Promise.resolve(sim.outbound().find((c) => c.to === to)), `the survey call to ${to}`);
    const first = await outbound(unhappy.from);
    const second = await outbound(happy.from);
    expect(first.from).toBe(CUP);
    await answer(first, ['5', '1', '4']);
    await answer(second, ['5', '5', '4']);
    expect(first.heard()).toMatch(
      /breve indagine.*Prima domanda.*Seconda domanda.*Ultima domanda.*Grazie per le sue risposte/s,
    );

    const result = (callSid: string) =>
      waitFor(async () => {
        const rows: {
          scores: Record<string, number | null> | null;
          low_score: boolean | null;
          status: string;
          operator: string;
        }[] = await app.db.query(
          `SELECT scores, low_score, status, operator FROM voice_surveys WHERE contact_call_sid = $1 AND completed_at IS NOT NULL`,
          [callSid],
        );
        return rows[0];
      }, `the result of ${callSid}`);
    expect(await result(unhappy.callSid)).toEqual({
      scores: { score1: 5, score2: 1, score3: 4 },
      low_score: true,
      status: 'completed',
      operator: 'voce.sondaggio',
    });
    expect(await result(happy.callSid)).toMatchObject({ low_score: false });

    const followUps = async (surveyId: string) =>
      app.engine.tasks({ processInstanceBusinessKey: surveyId, taskDefinitionKey: 'follow-up' });
    await waitFor(
      async () => ((await followUps(`SURVEY-${unhappy.callSid}`)).length === 1 ? true : undefined),
      'the follow-up',
    );
    expect(await followUps(`SURVEY-${happy.callSid}`)).toEqual([]);

    // The same day again: the same sample, nobody called twice.
    const before = sim.outbound().length;
    await app.engine.correlateMessage('voice-survey-manual-run', {
      processVariables: {},
      variables: { surveyDay: DAY },
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await surveys.ofDay(DAY)).toHaveLength(2);
    expect(sim.outbound().length).toBe(before);
  });
});
