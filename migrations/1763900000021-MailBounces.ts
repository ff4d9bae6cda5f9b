import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A delivery failure report names the message of ours it is about: kept to link it to its ticket. */
export class MailBounces1763900000021 implements MigrationInterface {
  name = 'MailBounces1763900000021';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE mail_messages ADD COLUMN bounced_message_id text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE mail_messages DROP COLUMN bounced_message_id`);
  }
}
