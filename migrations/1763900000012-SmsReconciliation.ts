import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When an SMS whose send was cut (a crash, a lost answer) was settled against the
 * provider's own list instead of being sent again; the rows still `submitting` are the
 * sends in doubt, found by the partial index.
 */
export class SmsReconciliation1763900000012 implements MigrationInterface {
  name = 'SmsReconciliation1763900000012';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE sms_messages ADD COLUMN reconciled_at timestamptz;
      CREATE INDEX sms_messages_submitting_idx ON sms_messages (updated_at) WHERE status = 'submitting';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX sms_messages_submitting_idx;
      ALTER TABLE sms_messages DROP COLUMN reconciled_at;
    `);
  }
}
