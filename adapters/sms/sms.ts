/** Sends text messages (Twilio in production, a local outbox on the embedded default). */
export interface SmsGateway {
  readonly provider: 'local' | 'twilio';
  /** The sender shown to the patient. */
  readonly sender: string;
  /** How long a send may wait for the provider's answer before it gives up (0: at once). */
  readonly answerTimeoutMs: number;
  send(message: OutgoingSms): Promise<SentSms>;
  /**
   * The message this gateway accepted for `to` with exactly this `body` since `since`, if
   * any: how a send whose answer was lost (a crash, a timeout) is settled without sending
   * it twice. Throws `SmsUnavailableError` when the provider cannot be asked.
   */
  findSent(query: { to: string; body: string; since: Date }): Promise<SentSms | undefined>;
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

/**
 * The provider could not be reached or had a server error; worth retrying. `inDoubt`: the
 * request may have arrived (a timeout, a connection cut after sending), so the message may
 * exist; without it the provider certainly did not take it (refused connection, an HTTP
 * error answer).
 */
export class SmsUnavailableError extends Error {
  override name = 'SmsUnavailableError';
  constructor(
    message: string,
    readonly inDoubt = false,
  ) {
    super(message);
  }
}
