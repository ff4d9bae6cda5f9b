import type { DataSource } from 'typeorm';
import { returning } from '../../platform/database/query.js';
import { SmsRejectedError, SmsUnavailableError, type SmsGateway } from '../../adapters/sms/sms.js';
import { encodeSms } from './encoding.js';

export type SendOutcome =
  | { kind: 'sent'; providerSid: string; status: string; segments: number }
  | { kind: 'already-sent'; providerSid: string; status: string }
  /** A send cut before its answer was recorded, found at the provider: not sent again. */
  | { kind: 'reconciled'; providerSid: string; status: string };

/** Margin beyond the provider's answer timeout before a send is taken for cut. */
const IN_DOUBT_MARGIN_MS = 5_000;

/** Another attempt is sending this SMS, or was cut too recently to settle it yet. */
export class SmsInDoubtError extends Error {
  override name = 'SmsInDoubtError';
  constructor(
    message: string,
    /** When settling it is worth trying again. */
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/**
 * Sends an SMS exactly once per purpose and reference (a booking's confirmation, its
 * reminder, …), whatever retries, re-deliveries, crashes and lost answers happen.
 *
 * The record is written (`submitting`) before the provider is called, under the unique
 * (purpose, reference) key, so two attempts never both send. Then:
 * - the provider answered: the record takes its id and status. If that update fails, the
 *   record stays `submitting` and is settled like a crash (below), never sent again blindly;
 * - the provider refused it, or certainly never got it (a refused connection, an HTTP
 *   error answer): the record is removed, so a later attempt may send;
 * - the answer was lost (a timeout, a cut connection) or the process died: the record stays
 *   `submitting`. Once it is older than `inDoubtAfterMs`, the next attempt asks the provider
 *   (Twilio lists messages by recipient) whether a message with this text went to this
 *   number since the record was written: found, it is recorded (`reconciled_at`) and not
 *   sent; not found, the request never arrived, and this attempt sends it, taking the record
 *   over by its attempt number (of two attempts settling at once, exactly one sends).
 * No message is lost silently and none is sent twice by two attempts of this platform;
 * `SmsInDoubtError` tells the caller to come back later (the worker framework waits without
 * spending an attempt). One window stays: a process frozen (not dead) inside the provider's
 * call for longer than the in-doubt window can wake after another attempt sent; the window
 * is the provider's answer timeout plus a margin, and at least the workers' lock, for that.
 */
export class SmsSender {
  private readonly inDoubtAfterMs: number;

  constructor(
    private readonly db: DataSource,
    private readonly gateway: SmsGateway,
    /** The workers' lock (WORKER_LOCK_MS): a live attempt holds its task that long. */
    lockMs = 0,
  ) {
    // A send younger than this may still be waiting for the provider's answer, or be held
    // by a live worker whose lock has not run out: it is left alone until then.
    this.inDoubtAfterMs = Math.max(gateway.answerTimeoutMs + IN_DOUBT_MARGIN_MS, lockMs);
  }

  /**
   * `storedText`, when given, replaces the text in the record once the provider has taken the
   * message (a one-time link the holder alone may read): until then the record keeps what was
   * sent, which the in-doubt check needs to recognise it at the provider.
   */
  async sendOnce(m: {
    purpose: string;
    reference: string;
    to: string;
    text: string;
    storedText?: string | undefined;
  }): Promise<SendOutcome> {
    const encoded = encodeSms(m.text);
    const claimed: { id: string }[] = await this.db.query(
      `INSERT INTO sms_messages (provider, to_number, sender, body, encoding, segments, status, purpose, reference)
       VALUES ($1, $2, $3, $4, $5, $6, 'submitting', $7, $8)
       ON CONFLICT (purpose, reference) DO NOTHING
       RETURNING id::text AS id`,
      [
        this.gateway.provider,
        m.to,
        this.gateway.sender,
        encoded.text,
        encoded.encoding,
        encoded.segments,
        m.purpose,
        m.reference,
      ],
    );
    const id = claimed[0]?.id ?? (await this.settle(m, encoded));
    if (typeof id !== 'string') return id;

    let sent: { providerSid: string; status: string };
    try {
      sent = await this.gateway.send({ to: m.to, body: encoded.text });
    } catch (err) {
      const certainlyNotSent = err instanceof SmsRejectedError || (err instanceof SmsUnavailableError && !err.inDoubt);
      if (certainlyNotSent) await this.db.query('DELETE FROM sms_messages WHERE id = $1', [id]);
      throw err;
    }
    await this.db.query(
      `UPDATE sms_messages SET provider_sid = $2, status = $3, body = coalesce($4, body), updated_at = now() WHERE id = $1`,
      [id, sent.providerSid, sent.status, m.storedText ?? null],
    );
    return { kind: 'sent', providerSid: sent.providerSid, status: sent.status, segments: encoded.segments };
  }

  /**
   * The record exists: its outcome if it has one, the provider's if a cut send arrived
   * there, or the record's id when this attempt is to send it after all.
   */
  private async settle(
    m: { purpose: string; reference: string; to: string; storedText?: string | undefined },
    encoded: { text: string; encoding: string; segments: number },
  ): Promise<SendOutcome | string> {
    const rows: {
      id: string;
      provider_sid: string | null;
      status: string;
      to_number: string;
      body: string;
      created_at: Date;
      attempt: number;
      age_ms: number;
    }[] = await this.db.query(
      `SELECT id::text AS id, provider_sid, status, to_number, body, created_at, attempt,
              (extract(epoch FROM now() - updated_at) * 1000)::int AS age_ms
         FROM sms_messages WHERE purpose = $1 AND reference = $2`,
      [m.purpose, m.reference],
    );
    const row = rows[0];
    if (!row) throw new SmsInDoubtError('SMS appena annullato da un altro tentativo', 500);
    if (row.status !== 'submitting') {
      return { kind: 'already-sent', providerSid: row.provider_sid ?? '', status: row.status };
    }
    if (row.age_ms < this.inDoubtAfterMs) {
      throw new SmsInDoubtError(
        `SMS ${row.id} in invio da un altro tentativo`,
        Math.max(500, this.inDoubtAfterMs - row.age_ms + 250),
      );
    }
    const found = await this.gateway.findSent({ to: row.to_number, body: row.body, since: row.created_at });
    if (found) {
      await this.db.query(
        `UPDATE sms_messages SET provider_sid = $2, status = $3, reconciled_at = now(), updated_at = now(),
                body = coalesce($5, body)
          WHERE id = $1 AND status = 'submitting' AND attempt = $4`,
        [row.id, found.providerSid, found.status, row.attempt, m.storedText ?? null],
      );
      return { kind: 'reconciled', providerSid: found.providerSid, status: found.status };
    }
    // It never reached the provider: this attempt takes the send over, alone (the attempt
    // number is the token: of two attempts settling at once, one moves it on), with today's text.
    const taken = await returning(
      this.db,
      `UPDATE sms_messages SET attempt = attempt + 1, updated_at = now(), to_number = $3, body = $4, encoding = $5,
              segments = $6
        WHERE id = $1 AND status = 'submitting' AND attempt = $2
        RETURNING id`,
      [row.id, row.attempt, m.to, encoded.text, encoded.encoding, encoded.segments],
    );
    if (taken.length === 0) throw new SmsInDoubtError(`SMS ${row.id} ripreso da un altro tentativo`, 1000);
    return row.id;
  }
}
