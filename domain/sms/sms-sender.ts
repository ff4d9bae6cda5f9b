import type { DataSource } from 'typeorm';
import type { SmsGateway } from '../../adapters/sms/sms.js';
import { encodeSms } from './encoding.js';

export type SendOutcome =
  | { kind: 'sent'; providerSid: string; status: string; segments: number }
  | { kind: 'already-sent'; providerSid: string | null; status: string };

/**
 * Sends an SMS at most once per purpose and reference (a booking's confirmation, its
 * reminder, …). The record is written before the provider is called, under the unique
 * (purpose, reference) key: a second attempt, from a retry, a re-delivered job or a
 * restarted run, finds it and sends nothing. When the provider refuses or is unavailable
 * the record is removed so that a later attempt may send; when the process dies between
 * the provider's answer and the update, the record stays `submitting` and nothing is resent.
 */
export class SmsSender {
  constructor(
    private readonly db: DataSource,
    private readonly gateway: SmsGateway,
  ) {}

  async sendOnce(m: { purpose: string; reference: string; to: string; text: string }): Promise<SendOutcome> {
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
    const id = claimed[0]?.id;
    if (!id) {
      const rows: { provider_sid: string | null; status: string }[] = await this.db.query(
        'SELECT provider_sid, status FROM sms_messages WHERE purpose = $1 AND reference = $2',
        [m.purpose, m.reference],
      );
      return { kind: 'already-sent', providerSid: rows[0]?.provider_sid ?? null, status: rows[0]?.status ?? 'unknown' };
    }
    try {
      const sent = await this.gateway.send({ to: m.to, body: encoded.text });
      await this.db.query(`UPDATE sms_messages SET provider_sid = $2, status = $3, updated_at = now() WHERE id = $1`, [
        id,
        sent.providerSid,
        sent.status,
      ]);
      return { kind: 'sent', providerSid: sent.providerSid, status: sent.status, segments: encoded.segments };
    } catch (err) {
      await this.db.query('DELETE FROM sms_messages WHERE id = $1', [id]);
      throw err;
    }
  }
}
