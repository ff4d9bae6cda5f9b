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

/** Every SMS the platform sent, whatever the provider: one row per booking and purpose. */
export class SmsMessages {
  constructor(private readonly db: DataSource) {}

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
