import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Large contents in pieces (`file_chunks`), so that a 25 MB attachment is never one value the
 * application must hold: mail blobs and the local ticket store's attachments refer to a file
 * by id instead of holding `content` (rows written before keep theirs). Deleting the row that
 * refers to a file deletes its pieces. A PEC's original message (`postacert.eml`) is kept
 * beside its envelope, and a PEC receipt is found by the Message-ID it certifies through an index. The local mailboxes of the embedded default keep their messages the same way.
 */
export class ChunkedFiles1763900000024 implements MigrationInterface {
  name = 'ChunkedFiles1763900000024';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE file_chunks (
        file_id uuid NOT NULL,
        seq integer NOT NULL,
        content bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (file_id, seq)
      );

      ALTER TABLE mail_blobs ALTER COLUMN content DROP NOT NULL, ADD COLUMN file_id uuid,
        ADD CONSTRAINT mail_blobs_one_content CHECK ((content IS NULL) <> (file_id IS NULL));
      CREATE INDEX mail_blobs_file_idx ON mail_blobs (file_id);
      ALTER TABLE ticket_attachments ALTER COLUMN content DROP NOT NULL, ADD COLUMN file_id uuid,
        ADD COLUMN size bigint,
        ADD CONSTRAINT ticket_attachments_one_content CHECK ((content IS NULL) <> (file_id IS NULL));
      CREATE INDEX ticket_attachments_file_idx ON ticket_attachments (file_id);
      ALTER TABLE mail_messages ADD COLUMN original_sha256 text REFERENCES mail_blobs (sha256);
      -- The outbox shows each message's PEC receipts, found by the Message-ID they certify.
      CREATE INDEX mail_messages_receipt_msgid_idx ON mail_messages (('<' || (pec->>'msgid') || '>'))
        WHERE automatic = 'pec-receipt';
      ALTER TABLE local_mailbox_messages ALTER COLUMN raw DROP NOT NULL, ADD COLUMN file_id uuid, ADD COLUMN size bigint,
        ADD CONSTRAINT local_mailbox_messages_one_content CHECK ((raw IS NULL) <> (file_id IS NULL));
      CREATE INDEX local_mailbox_messages_file_idx ON local_mailbox_messages (file_id);

      CREATE FUNCTION delete_file_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.file_id IS NOT NULL THEN
          DELETE FROM file_chunks WHERE file_id = OLD.file_id;
        END IF;
        RETURN OLD;
      END $$;
      CREATE TRIGGER mail_blobs_delete_chunks AFTER DELETE ON mail_blobs
        FOR EACH ROW EXECUTE FUNCTION delete_file_chunks();
      CREATE TRIGGER ticket_attachments_delete_chunks AFTER DELETE ON ticket_attachments
        FOR EACH ROW EXECUTE FUNCTION delete_file_chunks();
      CREATE TRIGGER local_mailbox_messages_delete_chunks AFTER DELETE ON local_mailbox_messages
        FOR EACH ROW EXECUTE FUNCTION delete_file_chunks();
    `);
  }

  /** Puts every content stored in pieces back into its single column, then drops the pieces. */
  async down(q: QueryRunner): Promise<void> {
    const whole = (table: string) => `(SELECT string_agg(c.content, ''::bytea ORDER BY c.seq) FROM file_chunks c
                                      WHERE c.file_id = ${table}.file_id)`;
    await q.query(`
      DROP TRIGGER local_mailbox_messages_delete_chunks ON local_mailbox_messages;
      DROP TRIGGER ticket_attachments_delete_chunks ON ticket_attachments;
      DROP TRIGGER mail_blobs_delete_chunks ON mail_blobs;
      DROP FUNCTION delete_file_chunks();
      ALTER TABLE local_mailbox_messages DROP CONSTRAINT local_mailbox_messages_one_content;
      ALTER TABLE ticket_attachments DROP CONSTRAINT ticket_attachments_one_content;
      ALTER TABLE mail_blobs DROP CONSTRAINT mail_blobs_one_content;
      UPDATE local_mailbox_messages SET raw = coalesce(${whole('local_mailbox_messages')}, ''::bytea) WHERE file_id IS NOT NULL;
      UPDATE ticket_attachments SET content = coalesce(${whole('ticket_attachments')}, ''::bytea) WHERE file_id IS NOT NULL;
      UPDATE mail_blobs SET content = coalesce(${whole('mail_blobs')}, ''::bytea) WHERE file_id IS NOT NULL;
      DROP INDEX local_mailbox_messages_file_idx;
      ALTER TABLE local_mailbox_messages DROP COLUMN file_id, DROP COLUMN size, ALTER COLUMN raw SET NOT NULL;
      DROP INDEX mail_messages_receipt_msgid_idx;
      ALTER TABLE mail_messages DROP COLUMN original_sha256;
      ALTER TABLE ticket_attachments DROP COLUMN file_id, DROP COLUMN size, ALTER COLUMN content SET NOT NULL;
      ALTER TABLE mail_blobs DROP COLUMN file_id, ALTER COLUMN content SET NOT NULL;
      DROP TABLE file_chunks;
    `);
  }
}
