import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A call-back is a call of its own (the leg the platform dials back): its CallSid is kept with
 * the queue entry, so the operator's hang-up reaches it and its end ends the operator's talk.
 * The first webhook claims the start of the call's instance on its record, with the time, so
 * a start that died is retried after Twilio's 15 s and never doubled.
 */
export class VoiceCallbackLeg1763900000030 implements MigrationInterface {
  name = 'VoiceCallbackLeg1763900000030';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE voice_queue_entries ADD COLUMN leg_call_sid text`);
    await q.query(`ALTER TABLE call_records ADD COLUMN start_claimed_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE call_records DROP COLUMN start_claimed_at`);
    await q.query(`ALTER TABLE voice_queue_entries DROP COLUMN leg_call_sid`);
  }
}
