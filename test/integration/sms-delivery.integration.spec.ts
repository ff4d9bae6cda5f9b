import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmsMessages } from '../../domain/sms/messages.js';
import type { RunningApp } from '../../app.js';
import { TwilioSms } from '../../adapters/sms/twilio-sms.js';
import { startTwilioStandIn, type TwilioStandIn } from '../../stand-ins/twilio/server.js';
import { freePorts } from '../support/ports.js';
import { apiAs, startTestApp, waitFor } from './support/test-app.js';
import { openTaskOf, slotOptions, startBooking, waitForConfirmation } from './support/booking.js';

describe('SMS delivery statuses from Twilio callbacks', () => {
  let twilio: TwilioStandIn;
  let app: RunningApp;
  let base: string;

  beforeAll(async () => {
    twilio = await startTwilioStandIn();
    const [port] = (await freePorts(1)) as [number];
    base = `http://127.0.0.1:${port}`;
    app = await startTestApp(
      { PORT: String(port), PUBLIC_BASE_URL: base },
      {
        sms: new TwilioSms({
          accountSid: twilio.accountSid,
          authToken: twilio.authToken,
          from: '+390971000000',
          apiBaseUrl: twilio.url,
          statusCallbackUrl: `${base}/webhooks/twilio/sms-status`,
        }),
        twilioWebhookToken: twilio.authToken,
      },
    );
  });
  afterAll(async () => {
    await app?.stop();
    await twilio?.close();
  });

  async function bookAndConfirm(patientId: string): Promise<string> {
    const api = apiAs(app);
    const started = await startBooking(api, { patientId });
    const task = await openTaskOf(api, started.processInstanceKey);
    await api.post(`/api/tasks/${task.key}/claim`);
    await api.post(`/api/tasks/${task.key}/complete`, { variables: { slotId: slotOptions(task).at(-1)?.value } });
    await waitForConfirmation(app, started.processInstanceKey);
    const rows: { provider_sid: string }[] = await app.db.query(
      `SELECT provider_sid FROM sms_messages WHERE reference IN (SELECT id FROM cup_appointments WHERE request_key LIKE $1)`,
      [`pi:${started.processInstanceKey}:%`],
    );
    return rows[0]?.provider_sid ?? '';
  }

  const statusOf = async (sid: string) => {
    const rows: { status: string; error_code: string | null }[] = await app.db.query(
      'SELECT status, error_code FROM sms_messages WHERE provider_sid = $1',
      [sid],
    );
    return rows[0];
  };

  it('marks the confirmation delivered when Twilio reports it, through a signed callback', async () => {
    const sid = await bookAndConfirm('pat-0006');
    const delivered = await waitFor(async () => {
      const s = await statusOf(sid);
      return s?.status === 'delivered' ? s : undefined;
    }, 'the delivered status');
    expect(delivered.error_code).toBeNull();
    expect(twilio.callbacks.filter((c) => c.sid === sid).map((c) => [c.status, c.answer])).toEqual([
      ['sent', 204],
      ['delivered', 204],
    ]);
  });

  it('records an undelivered message with its error code', async () => {
    twilio.undeliverable.add('+393330000007');
    const sid = await bookAndConfirm('pat-0007');
    const s = await waitFor(async () => {
      const r = await statusOf(sid);
      return r?.status === 'undelivered' ? r : undefined;
    }, 'the undelivered status');
    expect(s.error_code).toBe('30003');
  });

  it('refuses a callback whose signature does not match, and changes nothing', async () => {
    const delivered: { provider_sid: string; status: string }[] = await app.db.query(
      `SELECT provider_sid, status FROM sms_messages
        WHERE status = 'delivered' AND provider = 'twilio' AND provider_sid IS NOT NULL LIMIT 1`,
    );
    const row = delivered[0];
    const res = await fetch(`${base}/webhooks/twilio/sms-status`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'forged' },
      body: new URLSearchParams({ MessageSid: row?.provider_sid ?? '', MessageStatus: 'failed' }).toString(),
    });
    expect(res.status).toBe(403);
    expect((await statusOf(row?.provider_sid ?? ''))?.status).toBe('delivered');
  });
});

describe('SMS delivery statuses', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.db.query(`DELETE FROM sms_messages WHERE purpose = 'test-status-race'`);
    await app?.stop();
  });

  it('only ever move forward, also when a late `sent` races `delivered`', async () => {
    const messages = new SmsMessages(app.db);
    for (let round = 0; round < 30; round++) {
      const sid = `SMrace${String(round).padStart(26, '0')}`;
      await app.db.query(
        `INSERT INTO sms_messages (provider, provider_sid, to_number, sender, body, encoding, segments, status, purpose, reference)
         VALUES ('twilio', $1, '+393330000000', 'CUP', 'x', 'GSM-7', 1, 'queued', 'test-status-race', $1)`,
        [sid],
      );
      await Promise.all([
        messages.updateStatus(sid, 'delivered', undefined),
        messages.updateStatus(sid, 'sent', undefined),
        messages.updateStatus(sid, 'sending', undefined),
      ]);
      const rows: { status: string }[] = await app.db.query('SELECT status FROM sms_messages WHERE provider_sid = $1', [
        sid,
      ]);
      expect(rows[0]?.status, `round ${round}`).toBe('delivered');
    }
    expect(await messages.updateStatus('SMunknown', 'delivered', undefined)).toBe(false);
  });
});
