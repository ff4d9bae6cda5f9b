import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Twilio does not repeat a status callback it could not deliver (our database was restarting,
 * the process was killed), so a call's end can be lost, and its instance would wait for ever in
 * the IVR or the queue (a survey's instance likewise; a call-back leg's lost end kept its operator
 * in conversation). The voice sweep asks Twilio about a call
 * left without an end (`GET /Calls/{CallSid}.json`); `provider_checked_at` is when it last did,
 * claimed by one API process at a time, so a call is asked about at most once a minute however
 * many processes run.
 */
export class CallProviderCheck1763900000034 implements MigrationInterface {
  name = 'CallProviderCheck1763900000034';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE call_records ADD COLUMN provider_checked_at timestamptz;
      ALTER TABLE voice_surveys ADD COLUMN provider_checked_at timestamptz;
      ALTER TABLE voice_queue_entries ADD COLUMN provider_checked_at timestamptz;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE voice_queue_entries DROP COLUMN provider_checked_at;
      ALTER TABLE voice_surveys DROP COLUMN provider_checked_at;
      ALTER TABLE call_records DROP COLUMN provider_checked_at;
    `);
  }
}
