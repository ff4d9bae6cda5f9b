import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When an SMS whose send was cut (a crash, a lost answer) was settled against the
 * provider's own list instead of being sent again, and which attempt holds a send (the token
 * an attempt takes a cut send over with); the rows still `submitting` are the sends in
 * doubt, found by the partial index (the back office's list of them).
 */
export class SmsReconciliation1763900000012 implements MigrationInterface {
  name = 'SmsReconciliation1763900000012';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE sms_messages ADD COLUMN reconciled_at timestamptz, ADD COLUMN attempt integer NOT NULL DEFAULT 1;
      CREATE INDEX sms_messages_submitting_idx ON sms_messages (updated_at) WHERE status = 'submitting';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX sms_messages_submitting_idx;
      ALTER TABLE sms_messages DROP COLUMN reconciled_at, DROP COLUMN attempt;
    `);
  }
}
