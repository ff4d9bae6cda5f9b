import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import type { SmsGateway } from '../../adapters/sms/sms.js';
import { SmsInDoubtError, SmsSender } from '../../domain/sms/sms-sender.js';
import { startTwilioStandIn, type TwilioStandIn } from '../../stand-ins/twilio/server.js';
import { apiAs, startTestApp, twilioVia, waitFor } from './support/test-app.js';
import { openTaskOf, slotOptions, startBooking, waitForConfirmation } from './support/booking.js';
import { testEngine } from './support/clock.js';

/** The record of one SMS by purpose and reference. */
async function recordOf(db: DataSource, purpose: string, reference: string) {
  const rows: { status: string; provider_sid: string | null; reconciled_at: Date | null }[] = await db.query(
    'SELECT status, provider_sid, reconciled_at FROM sms_messages WHERE purpose = $1 AND reference = $2',
    [purpose, reference],
  );
  return rows[0];
}

/** Settles as soon as the in-doubt window (answer timeout 2 s + 5 s) has passed. */
async function afterInDoubtWindow<T>(attempt: () => Promise<T>): Promise<T> {
  return waitFor(async () => {
    try {
      return await attempt();
    } catch (err) {
      if (err instanceof SmsInDoubtError) return undefined;
      throw err;
    }
  }, 'the end of the in-doubt window');
}

/**
 * An SMS whose send was cut (the answer lost, the process dead, the record's update
 * failed) is neither sent twice nor lost: it is settled against Twilio's message list.
 */
describe('an SMS left in doubt', () => {
  let twilio: TwilioStandIn;
  let app: RunningApp;
  const TO = '+393331112233';

  beforeAll(async () => {
    twilio = await startTwilioStandIn();
    app = await startTestApp({}, { sms: twilioVia(twilio) });
  });
  afterAll(async () => {
    await app?.stop();
    await twilio?.close();
  });

  /**
   * A send whose process died inside the provider's call, before the request left (the
   * promise never settles): its record stays `submitting`.
   */
  async function diedBeforeTwilio(reference: string, text: string): Promise<void> {
    const gateway = twilioVia(twilio);
    const dying: SmsGateway = {
      provider: gateway.provider,
      sender: gateway.sender,
      answerTimeoutMs: gateway.answerTimeoutMs,
      send: () => new Promise(() => undefined),
      findSent: (q) => gateway.findSent(q),
    };
    void new SmsSender(app.db, dying).sendOnce({ purpose: 'probe', reference, to: TO, text });
    await waitFor(async () => (await recordOf(app.db, 'probe', reference))?.status === 'submitting', 'the record');
  }

  it('whose answer was lost after Twilio took it is found in Twilio’s list and not sent again', async () => {
    const sender = new SmsSender(app.db, twilioVia(twilio));
    const before = twilio.requests;
    twilio.loseNextAnswer();
    const cut = await sender
      .sendOnce({ purpose: 'probe', reference: 'lost-answer', to: TO, text: 'Messaggio di prova uno' })
      .catch((e: unknown) => e);
    expect((cut as { inDoubt?: boolean }).inDoubt).toBe(true);
    expect(twilio.requests - before).toBe(1);
    // Too early to tell: a live attempt might still be waiting for its answer.
    await expect(
      sender.sendOnce({ purpose: 'probe', reference: 'lost-answer', to: TO, text: 'Messaggio di prova uno' }),
    ).rejects.toBeInstanceOf(SmsInDoubtError);
    const settled = await afterInDoubtWindow(() =>
      sender.sendOnce({ purpose: 'probe', reference: 'lost-answer', to: TO, text: 'Messaggio di prova uno' }),
    );
    expect(settled.kind).toBe('reconciled');
    expect(twilio.requests - before).toBe(1);
    const taken = twilio.messages.filter((m) => m.body === 'Messaggio di prova uno');
    expect(taken).toHaveLength(1);
    expect(await recordOf(app.db, 'probe', 'lost-answer')).toMatchObject({
      provider_sid: taken[0]?.sid,
      reconciled_at: expect.any(Date) as unknown,
    });
  });

  it('whose record could not be updated after the send is settled, not sent again', async () => {
    // The database refuses the update that records Twilio's answer (a failover, a lost connection).
    let failUpdate = true;
    const flaky = new Proxy(app.db, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
        return (sql: string, params?: unknown[]) => {
          if (failUpdate && sql.startsWith('UPDATE sms_messages SET provider_sid')) {
            failUpdate = false;
            return Promise.reject(new Error('connection terminated unexpectedly'));
          }
          return target.query(sql, params);
        };
      },
    });
    const sender = new SmsSender(flaky, twilioVia(twilio));
    const before = twilio.requests;
    const text = 'Messaggio di prova due';
    await expect(sender.sendOnce({ purpose: 'probe', reference: 'no-update', to: TO, text })).rejects.toThrow(
      /connection terminated/,
    );
    const settled = await afterInDoubtWindow(() =>
      sender.sendOnce({ purpose: 'probe', reference: 'no-update', to: TO, text }),
    );
    expect(settled.kind).toBe('reconciled');
    expect(twilio.requests - before).toBe(1);
    expect(twilio.messages.filter((m) => m.body === text)).toHaveLength(1);
  });

  it('whose process died before calling Twilio is sent once the window has passed', async () => {
    const gateway = twilioVia(twilio);
    const text = 'Messaggio di prova tre';
    await diedBeforeTwilio('died', text);
    // Until settled, the back office sees it among the sends in doubt (once a minute old).
    await app.db.query(
      `UPDATE sms_messages SET updated_at = now() - interval '2 minutes', created_at = now() - interval '2 minutes'
        WHERE purpose = 'probe' AND reference = 'died'`,
    );
    const listed = await apiAs(app, 'backoffice.sms', ['back-office-1']).get<{ items: { reference: string }[] }>(
      '/api/sms/messages?inDoubt=true',
    );
    expect(listed.body.items.map((i) => i.reference)).toContain('died');
    const before = twilio.requests;
    const sender = new SmsSender(app.db, gateway);
    const settled = await afterInDoubtWindow(() =>
      sender.sendOnce({ purpose: 'probe', reference: 'died', to: TO, text }),
    );
    expect(settled.kind).toBe('sent');
    expect(twilio.requests - before).toBe(1);
    expect(twilio.messages.filter((m) => m.body === text)).toHaveLength(1);
    const after = await apiAs(app, 'backoffice.sms', ['back-office-1']).get<{ items: { reference: string }[] }>(
      '/api/sms/messages?inDoubt=true',
    );
    expect(after.body.items.map((i) => i.reference)).not.toContain('died');
    // Once recorded, any later attempt finds it.
    expect((await sender.sendOnce({ purpose: 'probe', reference: 'died', to: TO, text })).kind).toBe('already-sent');
  });

  it('cut before Twilio and settled by two attempts at the same moment is sent by exactly one', async () => {
    const gateway = twilioVia(twilio);
    const text = 'Messaggio di prova quattro';
    await diedBeforeTwilio('race', text);
    const settle = () =>
      afterInDoubtWindow(() =>
        new SmsSender(app.db, gateway).sendOnce({ purpose: 'probe', reference: 'race', to: TO, text }),
      ).catch((e: unknown) => e);
    const results = await Promise.all([settle(), settle(), settle()]);
    expect(twilio.messages.filter((m) => m.body === text)).toHaveLength(1);
    expect(results.filter((r) => (r as { kind?: string }).kind === 'sent')).toHaveLength(1);
  });

  it('whose answer was a Twilio server error (it may have taken it) is settled, not resent blindly', async () => {
    const sender = new SmsSender(app.db, twilioVia(twilio));
    const text = 'Messaggio di prova cinque';
    twilio.failNext(500);
    await expect(sender.sendOnce({ purpose: 'probe', reference: 'http-500', to: TO, text })).rejects.toMatchObject({
      inDoubt: true,
    });
    expect((await recordOf(app.db, 'probe', 'http-500'))?.status).toBe('submitting');
    // The stand-in's 500 took nothing: once settled, the SMS is sent, once.
    const settled = await afterInDoubtWindow(() =>
      sender.sendOnce({ purpose: 'probe', reference: 'http-500', to: TO, text }),
    );
    expect(settled.kind).toBe('sent');
    expect(twilio.messages.filter((m) => m.body === text)).toHaveLength(1);
  });

  it('in a booking: the confirmation whose answer was lost reaches the patient once, with no incident', async () => {
    const api = apiAs(app);
    const started = await startBooking(api, { patientId: 'pat-0004' });
    const task = await openTaskOf(api, started.processInstanceKey);
    await api.post(`/api/tasks/${task.key}/claim`);
    const before = twilio.requests;
    twilio.loseNextAnswer();
    await api.post(`/api/tasks/${task.key}/complete`, { variables: { slotId: slotOptions(task)[0]?.value } });
    await waitForConfirmation(app, started.processInstanceKey, 60_000);
    expect(twilio.requests - before).toBe(1);
    const rows: { status: string; reconciled_at: Date | null }[] = await app.db.query(
      `SELECT status, reconciled_at FROM sms_messages
        WHERE reference IN (SELECT id FROM cup_appointments WHERE request_key LIKE $1)`,
      [`pi:${started.processInstanceKey}:%`],
    );
    expect(rows).toEqual([
      { status: expect.not.stringMatching(/submitting/) as unknown, reconciled_at: expect.any(Date) as unknown },
    ]);
    expect(await testEngine().historicIncidents({ processInstanceId: started.processInstanceKey })).toEqual([]);
  });
});
