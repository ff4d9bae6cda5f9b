import { describe, expect, it } from 'vitest';
import { callStatus, gatherResult, incomingCall, queueWait } from '../../adapters/voice/twilio-voice-params.js';

const CALL = {
  CallSid: `CA${'a'.repeat(32)}`,
  AccountSid: `AC${'b'.repeat(32)}`,
  From: '+393331234567',
  To: '+39848821821',
  CallStatus: 'ringing',
  Direction: 'inbound',
  ApiVersion: '2010-04-01',
  Caller: '+393331234567',
  FromCountry: 'IT',
};

describe('what Twilio posts to the voice webhooks', () => {
  it('reads a new call and ignores the parameters the IVR does not use', () => {
    const call = incomingCall.parse(CALL);
    expect(call).toEqual({
      CallSid: CALL.CallSid,
      AccountSid: CALL.AccountSid,
      From: '+393331234567',
      To: '+39848821821',
      CallStatus: 'ringing',
      Direction: 'inbound',
    });
    expect(incomingCall.parse({ ...CALL, From: 'client:operatore.427' }).From).toBe('client:operatore.427');
  });

  it('refuses what is not Twilio’s: a malformed CallSid, an unknown status, a missing number', () => {
    expect(incomingCall.safeParse({ ...CALL, CallSid: 'CA123' }).success).toBe(false);
    expect(incomingCall.safeParse({ ...CALL, CallStatus: 'talking' }).success).toBe(false);
    const { To: _to, ...noTo } = CALL;
    expect(incomingCall.safeParse(noTo).success).toBe(false);
  });

  it('reads keys, speech and their absence from a Gather, and numbers from the status and queue callbacks', () => {
    expect(gatherResult.parse({ ...CALL, Digits: '1', FinishedOnKey: '' })).toMatchObject({ Digits: '1' });
    expect(gatherResult.parse({ ...CALL, SpeechResult: 'prenotare', Confidence: '0.91' })).toMatchObject({
      SpeechResult: 'prenotare',
      Confidence: 0.91,
    });
    expect(gatherResult.parse({ ...CALL })).not.toHaveProperty('Digits');
    expect(gatherResult.safeParse({ ...CALL, Digits: '1; DROP' }).success).toBe(false);
    expect(
      callStatus.parse({ ...CALL, CallStatus: 'completed', CallDuration: '187', SequenceNumber: '3' }),
    ).toMatchObject({ CallDuration: 187, SequenceNumber: 3 });
    expect(
      queueWait.parse({
        ...CALL,
        CallStatus: 'in-progress',
        QueueSid: `QU${'c'.repeat(32)}`,
        QueuePosition: '2',
        QueueTime: '45',
        AvgQueueTime: '120',
        CurrentQueueSize: '5',
      }),
    ).toMatchObject({ QueuePosition: 2, QueueTime: 45, AvgQueueTime: 120, CurrentQueueSize: 5 });
  });
});
