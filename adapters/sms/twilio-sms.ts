import type twilio from 'twilio';
import { twilioRestClient } from '../twilio/rest-client.js';
import { SmsRejectedError, SmsUnavailableError, type OutgoingSms, type SentSms, type SmsGateway } from './sms.js';

export interface TwilioSmsOptions {
  accountSid: string;
  authToken: string;
  from: string;
  /** Replaces `https://api.twilio.com`; only for stand-ins. */
  apiBaseUrl?: string | undefined;
  /** Where Twilio posts delivery statuses (the app's `/webhooks/twilio/sms-status`). */
  statusCallbackUrl?: string | undefined;
  /** How long to wait for Twilio's answer (default 15 s). */
  timeoutMs?: number | undefined;
}

/** Sends SMS through Twilio's Messages API. */
export class TwilioSms implements SmsGateway {
  readonly provider = 'twilio' as const;
  readonly sender: string;
  readonly answerTimeoutMs: number;
  private readonly client: twilio.Twilio;
  private readonly statusCallbackUrl: string | undefined;

  constructor(opts: TwilioSmsOptions) {
    this.sender = opts.from;
    this.statusCallbackUrl = opts.statusCallbackUrl;
    this.answerTimeoutMs = opts.timeoutMs ?? 15_000;
    this.client = twilioRestClient({ ...opts, timeoutMs: this.answerTimeoutMs });
  }

  async send(m: OutgoingSms): Promise<SentSms> {
    try {
      const msg = await this.client.messages.create({
        to: m.to,
        from: this.sender,
        body: m.body,
        ...((m.statusCallbackUrl ?? this.statusCallbackUrl)
          ? { statusCallback: m.statusCallbackUrl ?? this.statusCallbackUrl }
          : {}),
      });
      return { providerSid: msg.sid, status: msg.status };
    } catch (err) {
      throw classify(err);
    }
  }

  /**
   * Twilio lists an account's messages newest first, filtered by recipient and sender; a
   * message exists from the moment its create request was accepted (queued, not yet sent,
   * so no filter on the send date). One person gets a handful of messages a day: the most
   * recent 50 cover any window worth settling.
   */
  async findSent(q: { to: string; body: string; since: Date }): Promise<SentSms | undefined> {
    try {
      const recent = await this.client.messages.list({ to: q.to, from: this.sender, limit: 50, pageSize: 50 });
      // Twilio's clock and ours may disagree by a little.
      const from = q.since.getTime() - 60_000;
      const found = recent.find((m) => m.body === q.body && m.dateCreated.getTime() >= from);
      return found ? { providerSid: found.sid, status: found.status } : undefined;
    } catch (err) {
      throw classify(err);
    }
  }
}

/** Errors that mean the request never reached Twilio. */
const NEVER_ARRIVED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** A Twilio error answer, or a transport failure that may or may not have delivered the request. */
function classify(err: unknown): Error {
  const e = err as { status?: number; code?: number | string; message?: string };
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.status !== 429) {
    return new SmsRejectedError(e.message ?? `Twilio HTTP ${e.status}`, String(e.code ?? e.status));
  }
  // 429 and 503 say the request was not processed; another server error may come after Twilio took it.
  if (typeof e.status === 'number') {
    return new SmsUnavailableError(`Twilio ha risposto HTTP ${e.status}`, e.status !== 429 && e.status !== 503);
  }
  const code = typeof e.code === 'string' ? e.code : '';
  return new SmsUnavailableError(`Twilio non raggiungibile (${code || (err as Error).name})`, !NEVER_ARRIVED.has(code));
}
