import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { startTwilioStandIn, type TwilioStandIn } from '../../stand-ins/twilio/server.js';
import type { LockedExternalTask } from '../../platform/engine/operaton.js';
import { decideOutcome, jobOf } from '../../workers/framework/runner.js';
import { EffectStore } from '../../workers/framework/idempotency.js';
import { WORKERS } from '../../workers/registry.js';
import { sendSms } from '../../workers/send-sms.js';
import { apiAs, startTestApp, twilioVia, waitFor } from './support/test-app.js';
import { openTaskOf, outcomesOf, slotOptions, startBooking, waitForConfirmation } from './support/booking.js';
import { testEngine } from './support/clock.js';

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

    // A worker locks the SMS task (its lock: 5 s), runs the real handler (the SMS goes out),
    // then dies before telling the engine.
    const engine = testEngine();
    const lockMs = 5000;
    const locked = await waitFor(async () => {
      const tasks = await engine.request<LockedExternalTask[]>('POST', '/external-task/fetchAndLock', {
        body: {
          workerId: 'doomed',
          maxTasks: 1,
          topics: [
            {
              topicName: 'send-sms',
              lockDuration: lockMs,
              // fetchAndLock filters by business key (not by instance): this booking's task only.
              businessKey: started.businessKey,
              includeExtensionProperties: true,
            },
          ],
        },
      });
      return tasks[0];
    }, 'the send-sms task');
    const lockedAt = Date.now();
    const outcome = await decideOutcome(sendSms, jobOf(locked, sendSms), app.workerDeps, new EffectStore(app.db));
    expect(outcome.kind).toBe('completed');
    expect(twilio.requests).toBe(1);
    await app.stop();

    // The app comes back with every worker; the engine offers the task again once the dead
    // worker's lock has expired, and the same task (same id) is completed by the new worker.
    app = await startTestApp({}, { sms: twilioVia(twilio) });
    await waitForConfirmation(app, started.processInstanceKey, 60_000);
    expect(Date.now() - lockedAt).toBeGreaterThanOrEqual(lockMs);
    const completed: { job_key: string }[] = await app.db.query(
      `SELECT job_key FROM job_outcomes WHERE process_instance_key = $1 AND task_type = 'send-sms'`,
      [started.processInstanceKey],
    );
    expect(completed).toEqual([{ job_key: locked.id }]);

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
