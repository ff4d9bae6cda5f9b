import twilio from 'twilio';

const TWILIO_API = 'https://api.twilio.com';

/**
 * The `twilio` client's HTTP client with the API host replaced, so that the real client
 * (its request building, auth and error parsing) can talk to a Twilio-compatible
 * stand-in in tests, benchmarks and the embedded default.
 */
class RebasedRequestClient extends twilio.RequestClient {
  constructor(
    private readonly baseUrl: string,
    timeout: number,
  ) {
    super({ timeout, keepAlive: true });
  }

  override request<TData>(
    opts: Parameters<twilio.RequestClient['request']>[0] & { data?: TData },
  ): Promise<Awaited<ReturnType<twilio.RequestClient['request']>> & { body: TData }> {
    return super.request<TData>({ ...opts, uri: opts.uri.replace(TWILIO_API, this.baseUrl) });
  }
}

export interface TwilioRestOptions {
  accountSid: string;
  authToken: string;
  /** Replaces `https://api.twilio.com`; only for stand-ins. */
  apiBaseUrl?: string | undefined;
  timeoutMs: number;
}

/** The real `twilio` REST client, for the messages and the voice adapters alike. */
export function twilioRestClient(opts: TwilioRestOptions): twilio.Twilio {
  return twilio(opts.accountSid, opts.authToken, {
    timeout: opts.timeoutMs,
    ...(opts.apiBaseUrl
      ? { httpClient: new RebasedRequestClient(opts.apiBaseUrl.replace(/\/$/, ''), opts.timeoutMs) }
      : {}),
  });
}
