import type { DataSource } from 'typeorm';
import { returning } from '../../platform/database/query.js';

export interface SmsRecord {
  id: string;
  provider: string;
  providerSid: string | null;
  to: string;
  sender: string;
  body: string;
  encoding: string;
  segments: number;
  status: string;
  purpose: string;
  reference: string;
  errorCode: string | null;
  createdAt: string;
}

/** Order of Twilio's message statuses; a later one never goes back to an earlier one. */
const STATUS_RANK: Record<string, number> = {
  submitting: 0,
  accepted: 1,
  scheduled: 1,
  queued: 2,
  sending: 3,
  sent: 4,
  failed: 5,
  undelivered: 5,
  delivered: 5,
  read: 6,
};

/** The rank of the stored status, in SQL (the names are the constants above). */
const RANK_SQL = `(CASE status ${Object.entries(STATUS_RANK)
  .map(([name, r]) => `WHEN '${name}' THEN ${r}`)
  .join(' ')} ELSE 0 END)`;

/** Every SMS the platform sent, whatever the provider: one row per booking and purpose. */
export class SmsMessages {
  constructor(private readonly db: DataSource) {}

  /**
   * Applies a delivery status reported by the provider. Statuses only move forward
   * (queued → sent → delivered/undelivered/failed), since callbacks may arrive out of order.
   * Returns false when no message has that provider id.
   */
  async updateStatus(providerSid: string, status: string, errorCode: string | undefined): Promise<boolean> {
    // One statement: of two callbacks racing (a late `sent` and `delivered`), the row only ever
    // moves forward, whichever commits first.
    const updated = await returning<{ n: number }>(
      this.db,
      `UPDATE sms_messages SET status = $2, error_code = $3, updated_at = now()
        WHERE provider_sid = $1 AND $4::int > ${RANK_SQL}
        RETURNING 1 AS n`,
      [providerSid, status, errorCode ?? null, STATUS_RANK[status] ?? 0],
    );
    if (updated.length > 0) return true;
    const known: unknown[] = await this.db.query('SELECT 1 FROM sms_messages WHERE provider_sid = $1', [providerSid]);
    return known.length > 0;
  }

  /**
   * The latest messages, of one reference, or (`inDoubt`) those whose send was cut more than
   * a minute ago and is not settled yet: the next attempt of their job settles them against
   * the provider; one listed here for long means that job is not coming back (its instance
   * was cancelled, or its incident waits), and a person checks with the provider.
   */
  async list(opts: { reference?: string | undefined; inDoubt?: boolean; limit: number }): Promise<SmsRecord[]> {
    if (opts.inDoubt) {
      return this.query(
        `WHERE status = 'submitting' AND updated_at < now() - interval '1 minute' ORDER BY updated_at LIMIT $1`,
        [opts.limit],
      );
    }
    return opts.reference
      ? this.query('WHERE reference = $1 ORDER BY id DESC LIMIT $2', [opts.reference, opts.limit])
      : this.query('ORDER BY id DESC LIMIT $1', [opts.limit]);
  }

  private async query(where: string, params: unknown[]): Promise<SmsRecord[]> {
    const rows: (Omit<SmsRecord, 'createdAt'> & { createdAt: Date })[] = await this.db.query(
      `SELECT id::text AS id, provider, provider_sid AS "providerSid", to_number AS "to", sender,
              -- A PEC mailbox's one-time activation link is for its holder only, not for whoever reads the records.
              CASE WHEN purpose LIKE 'pec-%' THEN regexp_replace(body, 'https?://[^[:space:]]+', '[collegamento riservato al titolare]', 'g')
                   ELSE body END AS body, encoding,
              segments, status, purpose, reference, error_code AS "errorCode", created_at AS "createdAt"
         FROM sms_messages ${where}`,
      params,
    );
    return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
  }
}
