import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { startTwilioStandIn, type TwilioStandIn } from '../../stand-ins/twilio/server.js';
import { decideOutcome } from '../../workers/framework/runner.js';
import { EffectStore } from '../../workers/framework/idempotency.js';
import { WORKERS } from '../../workers/registry.js';
import { sendSms } from '../../workers/send-sms.js';
import { apiAs, startTestApp, twilioVia, waitFor } from './support/test-app.js';
import { openTaskOf, outcomesOf, slotOptions, startBooking, waitForConfirmation } from './support/booking.js';
import { advanceEngineClock } from './support/clock.js';

describe('a job re-delivered after its side effect ran', () => {
  let twilio: TwilioStandIn;
  let app: RunningApp | undefined;

  beforeAll(async () => {
    twilio = await startTwilioStandIn();
  });
  afterAll(async () => {
    await app?.stop();
    await twilio.close();
  });

  it('does not send the SMS a second time when a worker died after sending and before completing', async () => {
    // An app without the SMS worker brings the booking up to the SMS step.
    const withoutSms = WORKERS.filter((w) => w.taskType !== 'send-sms');
    app = await startTestApp({}, { sms: twilioVia(twilio), workers: withoutSms });
    const api = apiAs(app);
    const started = await startBooking(api, { patientId: 'pat-0003' });
    const task = await openTaskOf(api, started.processInstanceKey);
    await api.post(`/api/tasks/${task.key}/claim`);
    await api.post(`/api/tasks/${task.key}/complete`, { variables: { slotId: slotOptions(task)[0]?.value } });

    // A worker activates the SMS job, runs the real handler (the SMS goes out), then dies
    // before telling the engine.
    const jobs = await waitFor(async () => {
      const j = await app?.zeebe.activateJobs({
        type: 'send-sms',
        maxJobsToActivate: 1,
        timeout: 60_000,
        worker: 'doomed',
        requestTimeout: 1000,
      });
      return j && j.length > 0 ? j : undefined;
    }, 'the send-sms job');
    const job = jobs[0];
    if (!job) throw new Error('no job');
    const outcome = await decideOutcome(
      sendSms,
      { ...job, variables: job.variables, customHeaders: job.customHeaders },
      app.workerDeps,
      new EffectStore(app.db),
    );
    expect(outcome.kind).toBe('completed');
    expect(twilio.requests).toBe(1);
    await app.stop();

    // The app comes back with every worker; the engine re-delivers the job after its timeout.
    app = await startTestApp({}, { sms: twilioVia(twilio) });
    await advanceEngineClock(5 * 60_000);
    await waitForConfirmation(app, started.processInstanceKey, 60_000);

    expect(twilio.requests).toBe(1);
    expect(twilio.messages).toHaveLength(1);
    const sms = (await outcomesOf(app, started.processInstanceKey)).filter((o) => o.task_type === 'send-sms');
    expect(sms).toEqual([expect.objectContaining({ outcome: 'completed' })]);
    const records: unknown[] = await app.db.query(
      'SELECT 1 FROM sms_messages WHERE reference IN (SELECT id FROM cup_appointments WHERE request_key LIKE $1)',
      [`pi:${started.processInstanceKey}:%`],
    );
    expect(records).toHaveLength(1);
  });
});
