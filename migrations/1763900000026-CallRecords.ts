import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The contact record of every call (V8, §5 "knowledge database"): which line, when it was
 * offered, queued, answered or abandoned and ended, talk and wrap-up, the queue, the operator
 * and the outcome. Twilio's status callbacks may arrive out of order: the last applied
 * `SequenceNumber` is kept so an older one changes nothing.
 */
export class CallRecords1763900000026 implements MigrationInterface {
  name = 'CallRecords1763900000026';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE call_records (
        call_sid text PRIMARY KEY,
        line text NOT NULL,
        direction text NOT NULL CHECK (direction IN ('inbound', 'outbound-api', 'outbound-dial')),
        -- The caller's number is personal data: emptied by retention.
        from_number text,
        to_number text NOT NULL,
        status text NOT NULL,
        offered_at timestamptz NOT NULL,
        queued_at timestamptz,
        queue text,
        answered_at timestamptz,
        operator text,
        ended_at timestamptz,
        duration_seconds integer,
        wrap_up_seconds integer,
        outcome_code text,
        last_sequence integer NOT NULL DEFAULT -1
      );
      CREATE INDEX call_records_offered_idx ON call_records (line, offered_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE call_records`);
  }
}
