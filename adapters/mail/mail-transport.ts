import nodemailer, { type Transporter } from 'nodemailer';

/** A message the help desk sends; `messageId` is ours, so a resend is recognisably the same message. */
export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  /** `<…@…>` */
  messageId: string;
  inReplyTo?: string | undefined;
  references?: string[] | undefined;
  /** Extra headers (`Auto-Submitted`, `X-Loop`). */
  headers?: Record<string, string>;
}

/**
 * Hands outgoing mail to an SMTP server (nodemailer) in production; on the embedded default
 * the message stays in the local outbox the workspace shows (the `mail_outbox` table records
 * every message either way).
 */
export interface MailTransport {
  readonly kind: 'smtp' | 'local';
  /** How long a send may wait for the server's answer (0: at once). */
  readonly answerTimeoutMs: number;
  /** Resolves with the server's answer once it accepted the message for delivery. */
  send(mail: OutgoingMail): Promise<{ response: string }>;
}

/**
 * The SMTP server refused the message or could not be reached. `inDoubt`: the message was
 * handed over and the answer lost (a timeout or a cut after DATA), so it may be on its way;
 * `permanent`: a 5xx refusal, sending it again will not help.
 */
export class MailSendError extends Error {
  override name = 'MailSendError';
  constructor(
    message: string,
    readonly inDoubt: boolean,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

export class LocalMailTransport implements MailTransport {
  readonly kind = 'local' as const;
  readonly answerTimeoutMs = 0;
  send(): Promise<{ response: string }> {
    return Promise.resolve({ response: 'conservato nella posta in uscita locale' });
  }
}

export class SmtpMailTransport implements MailTransport {
  readonly kind = 'smtp' as const;
  private readonly transporter: Transporter;

  /** `url`: `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`. */
  constructor(
    private readonly url: string,
    readonly answerTimeoutMs = 30_000,
  ) {
    const timeoutMs = answerTimeoutMs;
    const u = new URL(url);
    this.transporter = nodemailer.createTransport({
      host: u.hostname,
      port: Number(u.port) || (u.protocol === 'smtps:' ? 465 : 587),
      secure: u.protocol === 'smtps:',
      auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
  }

  async send(mail: OutgoingMail): Promise<{ response: string }> {
    try {
      const info = (await this.transporter.sendMail({
        from: mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        messageId: mail.messageId,
        inReplyTo: mail.inReplyTo,
        references: mail.references,
        headers: mail.headers,
      })) as { response?: string };
      return { response: info.response ?? '' };
    } catch (err) {
      throw classify(err as Error & { code?: string; command?: string; responseCode?: number }, this.server());
    }
  }

  /** host:port only: the URL may carry a password. */
  private server(): string {
    try {
      const u = new URL(this.url);
      return `${u.hostname}:${u.port || (u.protocol === 'smtps:' ? '465' : '587')}`;
    } catch {
      return 'server SMTP';
    }
  }
}

function classify(
  err: Error & { code?: string; command?: string; responseCode?: number },
  server: string,
): MailSendError {
  const code = err.responseCode;
  if (code && code >= 500) {
    return new MailSendError(`il server SMTP ${server} ha rifiutato il messaggio (${code})`, false, true);
  }
  if (code && code >= 400) {
    return new MailSendError(`il server SMTP ${server} ha rinviato il messaggio (${code}): si riprova`, false, false);
  }
  // Certainly not handed over: no server reached, refused login or envelope, a configuration
  // error. Anything else (a timeout, a reset, a closed connection) may come after the server
  // took the message: nodemailer reports those as `CONN` whatever the command was.
  const certainlyNotSent =
    ['EAUTH', 'ENOAUTH', 'EENVELOPE', 'ECONFIG', 'EREQUIRETLS', 'EDNS'].includes(err.code ?? '') ||
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/.test(`${err.code ?? ''} ${err.message}`);
  const inDoubt = !certainlyNotSent;
  return new MailSendError(
    `server SMTP ${server} non raggiungibile (${err.code ?? err.name})${inDoubt ? ': esito dell’invio incerto' : ''}`,
    inDoubt,
    false,
  );
}
