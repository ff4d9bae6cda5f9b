import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A help-desk contact the front office opens for a phone call (or a visit): who called, what
 * about, the operator's notes and the documents uploaded during the call (stored like mail
 * attachments, by SHA-256), and the ticket it was forwarded to.
 */
export class HelpDeskContacts1763900000023 implements MigrationInterface {
  name = 'HelpDeskContacts1763900000023';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE helpdesk_contacts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        channel text NOT NULL CHECK (channel IN ('telefono', 'sportello')),
        subject text NOT NULL,
        notes text,
        caller_name text,
        fiscal_code text,
        phone text,
        email text,
        attachments jsonb NOT NULL DEFAULT '[]',
        process_instance_id text,
        ticket_id text,
        opened_by text NOT NULL,
        opened_at timestamptz NOT NULL DEFAULT now()
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE helpdesk_contacts`);
  }
}
