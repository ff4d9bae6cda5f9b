import type twilio from 'twilio';
import { twilioRestClient, type TwilioRestOptions } from '../twilio/rest-client.js';

/** Twilio refused or could not be reached; `gone` when the call or queue member no longer exists. */
export class VoiceProviderError extends Error {
  override name = 'VoiceProviderError';
  constructor(
    message: string,
    readonly gone: boolean,
  ) {
    super(message);
  }
}

/**
 * What the routing asks of Twilio's Voice REST API (2010-04-01): take one caller out of a
 * queue onto new TwiML (the operator's code, then the bridge), call a number back (call-backs,
 * surveys), hang a call up. Twilio's queue is first in, first out; which caller goes to which
 * operator is decided by our ACD, so a caller is dequeued by `CallSid`, never from the front.
 */
export class TwilioVoice {
  private readonly client: twilio.Twilio;

  constructor(opts: Omit<TwilioRestOptions, 'timeoutMs'> & { timeoutMs?: number }) {
    this.client = twilioRestClient({ ...opts, timeoutMs: opts.timeoutMs ?? 10_000 });
  }

  /** `POST /Queues/{QueueSid}/Members/{CallSid}.json` with `Url`: the caller leaves the queue for `url`. */
  async dequeue(queueSid: string, callSid: string, url: string): Promise<void> {
    try {
      await this.client.queues(queueSid).members(callSid).update({ url, method: 'POST' });
    } catch (err) {
      throw classify(err);
    }
  }

  /** `POST /Calls.json`: an outbound call from one of our lines; `url` answers with TwiML once picked up. */
  async call(opts: {
    to: string;
    from: string;
    url: string;
    statusCallback: string;
    timeoutSeconds?: number;
  }): Promise<string> {
    try {
      const call = await this.client.calls.create({
        to: opts.to,
        from: opts.from,
        url: opts.url,
        method: 'POST',
        statusCallback: opts.statusCallback,
        statusCallbackMethod: 'POST',
        statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
        timeout: opts.timeoutSeconds ?? 30,
      });
      return call.sid;
    } catch (err) {
      throw classify(err);
    }
  }

  /**
   * The newest call from `from` to `to` created since `since` (a minute of clock difference
   * allowed): whether an attempt whose answer never came did place its call.
   */
  async findCall(q: { to: string; from: string; since: Date }): Promise<string | undefined> {
    try {
      const calls = await this.client.calls.list({ to: q.to, from: q.from, limit: 20, pageSize: 20 });
      const after = q.since.getTime() - 60_000;
      return calls.find((c) => c.dateCreated.getTime() >= after)?.sid;
    } catch (err) {
      throw classify(err);
    }
  }

  /**
   * `GET /Calls/{CallSid}.json`: what Twilio knows of a call now (its status, and when and how
   * long once it is over), or `undefined` when Twilio has no such call.
   */
  async callStatus(
    callSid: string,
  ): Promise<{ status: string; endedAt: Date | undefined; durationSeconds: number | null } | undefined> {
    try {
      const c = await this.client.calls(callSid).fetch();
      const duration = Number.parseInt(c.duration ?? '', 10);
      return {
        status: c.status,
        endedAt: c.endTime instanceof Date && !Number.isNaN(c.endTime.getTime()) ? c.endTime : undefined,
        durationSeconds: Number.isFinite(duration) ? duration : null,
      };
    } catch (err) {
      const e = classify(err);
      if (e.gone) return undefined;
      throw e;
    }
  }

  /** `POST /Calls/{CallSid}.json` `Status=completed`. A call already over is not an error. */
  async hangUp(callSid: string): Promise<void> {
    try {
      await this.client.calls(callSid).update({ status: 'completed' });
    } catch (err) {
      const e = classify(err);
      if (!e.gone) throw e;
    }
  }
}

/** Twilio's error, without its message: Twilio's messages repeat the numbers called (personal data). */
function classify(err: unknown): VoiceProviderError {
  const e = err as { status?: number; code?: number | string; name?: string };
  const what =
    typeof e.status === 'number'
      ? `Twilio HTTP ${e.status}${e.code ? ` (errore ${e.code})` : ''}`
      : `Twilio non raggiungibile (${String(e.code ?? e.name ?? 'errore')})`;
  return new VoiceProviderError(what, e.status === 404 || e.code === 20404);
}
