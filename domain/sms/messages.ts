import type { DataSource } from 'typeorm';

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

/** Every SMS the platform sent, whatever the provider: one row per booking and purpose. */
export class SmsMessages {
  constructor(private readonly db: DataSource) {}

  /**
   * Applies a delivery status reported by the provider. Statuses only move forward
   * (queued → sent → delivered/undelivered/failed), since callbacks may arrive out of order.
   * Returns false when no message has that provider id.
   */
  async updateStatus(providerSid: string, status: string, errorCode: string | undefined): Promise<boolean> {
    const rank = (s: string) => STATUS_RANK[s] ?? 0;
    const rows: { status: string }[] = await this.db.query('SELECT status FROM sms_messages WHERE provider_sid = $1', [
      providerSid,
    ]);
    const current = rows[0];
    if (!current) return false;
    if (rank(status) > rank(current.status)) {
      await this.db.query(
        'UPDATE sms_messages SET status = $2, error_code = $3, updated_at = now() WHERE provider_sid = $1',
        [providerSid, status, errorCode ?? null],
      );
    }
    return true;
  }

  async list(opts: { reference?: string | undefined; limit: number }): Promise<SmsRecord[]> {
    return opts.reference
      ? this.query('WHERE reference = $1 ORDER BY id DESC LIMIT $2', [opts.reference, opts.limit])
      : this.query('ORDER BY id DESC LIMIT $1', [opts.limit]);
  }

  private async query(where: string, params: unknown[]): Promise<SmsRecord[]> {
    const rows: (Omit<SmsRecord, 'createdAt'> & { createdAt: Date })[] = await this.db.query(
      `SELECT id::text AS id, provider, provider_sid AS "providerSid", to_number AS "to", sender, body, encoding,
              segments, status, purpose, reference, error_code AS "errorCode", created_at AS "createdAt"
         FROM sms_messages ${where}`,
      params,
    );
    return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
  }
}
