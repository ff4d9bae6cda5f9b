import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { returning } from '../../platform/database/query.js';
import { MailSendError, type MailTransport } from '../../adapters/mail/mail-transport.js';

/** Another attempt is sending this mail, or was cut too recently to send it again yet. */
export class MailInDoubtError extends Error {
  override name = 'MailInDoubtError';
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

export interface MailToSend {
  /** What the mail is for (`helpdesk-acknowledgement`); with `reference` it identifies the mail. */
  purpose: string;
  reference: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  inReplyTo?: string | undefined;
  ticketId?: string | undefined;
  /**
   * What the outbox keeps instead of `text`, when the text carries a secret (a one-time
   * activation link): the outbox is read by the back office. A resend in doubt sends the
   * caller's `text`, never the stored one.
   */
  storedText?: string | undefined;
}

export type MailOutcome = { kind: 'sent' | 'already-sent'; messageId: string };

/**
 * Sends a help desk mail once per purpose and reference, recorded in `mail_outbox` before
 * the SMTP server is called, with a Message-ID derived from the key (ADR 0012).
 *
 * - accepted: the record becomes `sent`;
 * - refused (5xx), or certainly not handed over (no connection, a 4xx answer): the record is
 *   removed, so a later attempt sends;
 * - handed over and the answer lost, or the process died: the record stays `sending`.
 *   SMTP offers no way to ask whether the server took it, so once the record is older than
 *   the in-doubt window the next attempt sends it again, with the same Message-ID (taking the
 *   record over by its attempt number, so of several attempts exactly one sends). A
 *   recipient's mail client shows one message for one Message-ID; RT threads it as one.
 */
export class MailSender {
  private readonly inDoubtAfterMs: number;

  constructor(
    private readonly db: DataSource,
    private readonly transport: MailTransport,
    /** Domain of our Message-IDs (the help desk's mail domain). */
    private readonly domain: string,
    /** The workers' lock (WORKER_LOCK_MS): a live attempt holds its task that long. */
    private readonly lockMs = 0,
    /** `X-Loop` value marking mail we sent, so an autoresponder's answer to it is recognised. */
    private readonly loopId = domain,
  ) {
    // A send younger than this may still wait for the server's answer, or be held by a live
    // worker whose lock has not run out: it is not taken over before.
    this.inDoubtAfterMs = Math.max(transport.answerTimeoutMs + 5_000, lockMs);
  }

  /** The same sender over other parts (the kill harness's dying database and transport). */
  over(db: DataSource, transport: MailTransport): MailSender {
    return new MailSender(db, transport, this.domain, this.lockMs, this.loopId);
  }

  messageIdFor(purpose: string, reference: string): string {
    const h = createHash('sha256').update(`${purpose}\n${reference}`).digest('hex').slice(0, 32);
    return `<${purpose}.${h}@${this.domain}>`;
  }

  async sendOnce(m: MailToSend): Promise<MailOutcome> {
    const messageId = this.messageIdFor(m.purpose, m.reference);
    const claimed: { attempt: number }[] = await this.db.query(
      `INSERT INTO mail_outbox (purpose, reference, message_id, from_address, to_address, subject, text_body,
                                in_reply_to, ticket_id, transport, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'sending')
       ON CONFLICT (purpose, reference) DO NOTHING
       RETURNING attempt`,
      [
        m.purpose,
        m.reference,
        messageId,
        m.from,
        m.to,
        m.subject,
        m.storedText ?? m.text,
        m.inReplyTo ?? null,
        m.ticketId ?? null,
        this.transport.kind,
      ],
    );
    let attempt = claimed[0]?.attempt;
    if (attempt === undefined) {
      const rows: { status: string; attempt: number; age_ms: number }[] = await this.db.query(
        `SELECT status, attempt, (extract(epoch FROM now() - created_at) * 1000)::int AS age_ms
           FROM mail_outbox WHERE purpose = $1 AND reference = $2`,
        [m.purpose, m.reference],
      );
      const row = rows[0];
      if (!row) return this.sendOnce(m); // removed meanwhile by a refused attempt: claim again
      if (row.status === 'sent') return { kind: 'already-sent', messageId };
      if (row.age_ms < this.inDoubtAfterMs) {
        throw new MailInDoubtError(
          `l'email ${m.purpose} per ${m.reference} è in invio da un altro tentativo`,
          this.inDoubtAfterMs - row.age_ms + 250,
        );
      }
      const taken = await returning<{ attempt: number }>(
        this.db,
        `UPDATE mail_outbox SET attempt = attempt + 1, created_at = now()
          WHERE purpose = $1 AND reference = $2 AND status = 'sending' AND attempt = $3 RETURNING attempt`,
        [m.purpose, m.reference, row.attempt],
      );
      attempt = taken[0]?.attempt;
      if (attempt === undefined) {
        throw new MailInDoubtError(
          `l'email ${m.purpose} per ${m.reference} è stata ripresa da un altro tentativo`,
          1000,
        );
      }
    }
    let response: string;
    try {
      ({ response } = await this.transport.send({
        from: m.from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        messageId,
        inReplyTo: m.inReplyTo,
        references: m.inReplyTo ? [m.inReplyTo] : undefined,
        headers: { 'Auto-Submitted': 'auto-generated', 'X-Loop': this.loopId },
      }));
    } catch (err) {
      if (err instanceof MailSendError && !err.inDoubt) {
        await this.db.query(`DELETE FROM mail_outbox WHERE purpose = $1 AND reference = $2 AND attempt = $3`, [
          m.purpose,
          m.reference,
          attempt,
        ]);
      }
      throw err;
    }
    await this.db.query(
      `UPDATE mail_outbox SET status = 'sent', sent_at = now(), server_response = $3
        WHERE purpose = $1 AND reference = $2`,
      [m.purpose, m.reference, response.slice(0, 500)],
    );
    return { kind: 'sent', messageId };
  }
}
