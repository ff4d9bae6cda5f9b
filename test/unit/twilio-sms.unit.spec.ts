import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwilioSms } from '../../adapters/sms/twilio-sms.js';
import { SmsRejectedError, SmsUnavailableError } from '../../adapters/sms/sms.js';
import { startTwilioStandIn, type TwilioStandIn } from '../../stand-ins/twilio/server.js';

describe('the Twilio SMS adapter, through the real twilio client, against a Twilio-format stand-in', () => {
  let standIn: TwilioStandIn;
  let sms: TwilioSms;
  beforeAll(async () => {
    standIn = await startTwilioStandIn();
    sms = new TwilioSms({
      accountSid: standIn.accountSid,
      authToken: standIn.authToken,
      from: '+390971000000',
      apiBaseUrl: standIn.url,
    });
  });
  afterAll(() => standIn.close());

  it('sends a message and returns its sid and status', async () => {
    const sent = await sms.send({ to: '+393331112223', body: 'Prova' });
    expect(sent.providerSid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(sent.status).toBe('queued');
    expect(standIn.messages.at(-1)).toMatchObject({ to: '+393331112223', from: '+390971000000', body: 'Prova' });
  });

  it('reports a number Twilio refuses as a rejection with its error code', async () => {
    standIn.rejectNumbers.add('+393339999999');
    const err: unknown = await sms.send({ to: '+393339999999', body: 'Prova' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmsRejectedError);
    expect((err as SmsRejectedError).providerCode).toBe('21211');
  });

  it('reports a server error as unavailable (worth retrying)', async () => {
    standIn.failNext(503);
    await expect(sms.send({ to: '+393331112223', body: 'Prova' })).rejects.toBeInstanceOf(SmsUnavailableError);
  });

  it('reports wrong credentials as a rejection', async () => {
    const wrong = new TwilioSms({
      accountSid: standIn.accountSid,
      authToken: 'wrong',
      from: '+390971000000',
      apiBaseUrl: standIn.url,
    });
    const err: unknown = await wrong.send({ to: '+393331112223', body: 'Prova' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmsRejectedError);
    expect((err as SmsRejectedError).providerCode).toBe('20003');
  });
});
