import twilio from 'twilio';
import { SmsRejectedError, SmsUnavailableError, type OutgoingSms, type SentSms, type SmsGateway } from './sms.js';

const TWILIO_API = 'https://api.twilio.com';

/**
 * The `twilio` client's HTTP client with the API host replaced, so that the real client
 * (its request building, auth and error parsing) can talk to a Twilio-compatible
 * stand-in in tests and benchmarks.
 */
class RebasedRequestClient extends twilio.RequestClient {
  constructor(private readonly baseUrl: string) {
    super({ timeout: 15_000, keepAlive: true });
  }

  override request<TData>(
    opts: Parameters<twilio.RequestClient['request']>[0] & { data?: TData },
  ): Promise<Awaited<ReturnType<twilio.RequestClient['request']>> & { body: TData }> {
    return super.request<TData>({ ...opts, uri: opts.uri.replace(TWILIO_API, this.baseUrl) });
  }
}

export interface TwilioSmsOptions {
  accountSid: string;
  authToken: string;
  from: string;
  /** Replaces `https://api.twilio.com`; only for stand-ins. */
  apiBaseUrl?: string | undefined;
  /** Where Twilio posts delivery statuses (the app's `/webhooks/twilio/sms-status`). */
  statusCallbackUrl?: string | undefined;
}

/** Sends SMS through Twilio's Messages API. */
export class TwilioSms implements SmsGateway {
  readonly provider = 'twilio' as const;
  readonly sender: string;
  private readonly client: twilio.Twilio;
  private readonly statusCallbackUrl: string | undefined;

  constructor(opts: TwilioSmsOptions) {
    this.sender = opts.from;
    this.statusCallbackUrl = opts.statusCallbackUrl;
    this.client = twilio(opts.accountSid, opts.authToken, {
      ...(opts.apiBaseUrl ? { httpClient: new RebasedRequestClient(opts.apiBaseUrl.replace(/\/$/, '')) } : {}),
    });
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
      const e = err as { status?: number; code?: number; message?: string };
      if (typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.status !== 429) {
        throw new SmsRejectedError(e.message ?? `Twilio HTTP ${e.status}`, String(e.code ?? e.status));
      }
      throw new SmsUnavailableError(
        typeof e.status === 'number'
          ? `Twilio ha risposto HTTP ${e.status}`
          : `Twilio non raggiungibile (${(err as Error).name})`,
      );
    }
  }
}
