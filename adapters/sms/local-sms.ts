import { randomBytes } from 'node:crypto';
import type { OutgoingSms, SentSms, SmsGateway } from './sms.js';

/**
 * The SMS gateway of the embedded default: nothing leaves the machine. Every message is
 * recorded by the sender in `sms_messages` (as with Twilio), so a person sees it at
 * `/api/sms/messages`; the local gateway marks it delivered at once.
 */
export class LocalSms implements SmsGateway {
  readonly provider = 'local' as const;
  readonly sender = 'CUP Basilicata';
  readonly answerTimeoutMs = 0;

  send(_m: OutgoingSms): Promise<SentSms> {
    return Promise.resolve({ providerSid: `SM${randomBytes(16).toString('hex')}`, status: 'delivered' });
  }

  /** Nothing leaves the machine: a send whose answer was not recorded delivered nothing. */
  findSent(): Promise<SentSms | undefined> {
    return Promise.resolve(undefined);
  }
}
