/** Sends text messages (Twilio in production, a local outbox on the embedded default). */
export interface SmsGateway {
  readonly provider: 'local' | 'twilio';
  /** The sender shown to the patient. */
  readonly sender: string;
  send(message: OutgoingSms): Promise<SentSms>;
}

export interface OutgoingSms {
  /** E.164, e.g. `+393331234567`. */
  to: string;
  body: string;
  statusCallbackUrl?: string | undefined;
}

export interface SentSms {
  providerSid: string;
  status: string;
}

/** The provider refused the message for good (invalid number, blocked, …). */
export class SmsRejectedError extends Error {
  override name = 'SmsRejectedError';
  constructor(
    message: string,
    readonly providerCode: string,
  ) {
    super(message);
  }
}

/** The provider could not be reached or had a server error; worth retrying. */
export class SmsUnavailableError extends Error {
  override name = 'SmsUnavailableError';
}
