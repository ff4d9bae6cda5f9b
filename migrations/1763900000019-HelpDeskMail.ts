import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The help desk's mail: every message read from a mailbox, once (its mailbox, UIDVALIDITY and
 * UID identify it, its Message-ID across mailboxes), with its raw bytes and attachments kept
 * content-addressed; what the help desk sends, recorded before it is sent; and the local
 * mailboxes the embedded default's SMTP listener fills.
 */
export class HelpDeskMail1763900000019 implements MigrationInterface {
  name = 'HelpDeskMail1763900000019';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE mail_blobs (
        sha256 text PRIMARY KEY,
        size integer NOT NULL,
        content bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE mail_messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        mailbox text NOT NULL,
        channel text NOT NULL CHECK (channel IN ('email', 'pec', 'fax')),
        uid_validity text NOT NULL,
        uid bigint NOT NULL,
        message_id text,
        -- Empty only for a message too big to fetch: it stays on the server, quarantined.
        raw_sha256 text REFERENCES mail_blobs (sha256),
        size integer NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        status text NOT NULL CHECK (status IN ('received', 'quarantined', 'duplicate')),
        quarantine_reason text,
        duplicate_of uuid REFERENCES mail_messages (id),
        automatic text CHECK (automatic IN ('auto-reply', 'bulk', 'loop', 'bounce', 'pec-receipt')),
        from_address text,
        from_name text,
        reply_to text,
        subject text,
        sent_at timestamptz,
        in_reply_to text,
        text_body text,
        html_body text,
        attachments jsonb NOT NULL DEFAULT '[]',
        pec jsonb,
        suggested_queue text,
        process_instance_id text,
        ticket_id text,
        archived_at timestamptz,
        UNIQUE (mailbox, uid_validity, uid)
      );
      -- One original per Message-ID across mailboxes; copies point at it.
      CREATE UNIQUE INDEX mail_messages_message_id_idx ON mail_messages (message_id)
        WHERE message_id IS NOT NULL AND status <> 'duplicate';
      CREATE INDEX mail_messages_backlog_idx ON mail_messages (mailbox, received_at) WHERE archived_at IS NULL;
      CREATE INDEX mail_messages_ticket_idx ON mail_messages (ticket_id) WHERE ticket_id IS NOT NULL;

      CREATE TABLE mail_outbox (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        purpose text NOT NULL,
        reference text NOT NULL,
        message_id text NOT NULL UNIQUE,
        from_address text NOT NULL,
        to_address text NOT NULL,
        subject text NOT NULL,
        text_body text NOT NULL,
        in_reply_to text,
        ticket_id text,
        transport text NOT NULL,
        status text NOT NULL CHECK (status IN ('sending', 'sent')),
        attempt integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        server_response text,
        UNIQUE (purpose, reference)
      );
      CREATE INDEX mail_outbox_created_idx ON mail_outbox (created_at DESC);

      CREATE TABLE local_mailbox_messages (
        mailbox text NOT NULL,
        uid bigserial,
        folder text NOT NULL DEFAULT 'INBOX',
        raw bytea NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (mailbox, uid)
      );
      CREATE INDEX local_mailbox_inbox_idx ON local_mailbox_messages (mailbox, folder, uid);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE local_mailbox_messages;
      DROP TABLE mail_outbox;
      DROP TABLE mail_messages;
      DROP TABLE mail_blobs;
    `);
  }
}
