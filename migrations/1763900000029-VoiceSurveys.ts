import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The satisfaction survey (V6): each day a 10 % sample of the handled calls is called back
 * with a few DTMF questions. One row per surveyed contact, with the survey call's state (the
 * in-doubt case of placing it: `placing` since when), the scores and whether one was low;
 * the numbers that asked not to be surveyed; the account's pacing of outbound calls (calls per
 * second shared by every worker process).
 */
export class VoiceSurveys1763900000029 implements MigrationInterface {
  name = 'VoiceSurveys1763900000029';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE voice_surveys (
        id text PRIMARY KEY,
        contact_call_sid text NOT NULL UNIQUE REFERENCES call_records (call_sid) ON DELETE CASCADE,
        day date NOT NULL,
        line text NOT NULL,
        operator text,
        -- Personal data: emptied by retention with the call record's number.
        to_number text,
        from_number text NOT NULL,
        call_state text NOT NULL DEFAULT 'planned' CHECK (call_state IN ('planned', 'placing', 'placed')),
        placing_since timestamptz,
        survey_call_sid text,
        status text NOT NULL DEFAULT 'planned',
        answered_at timestamptz,
        completed_at timestamptz,
        scores jsonb,
        low_score boolean,
        process_instance_id text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX voice_surveys_day_idx ON voice_surveys (day);
      CREATE INDEX voice_surveys_number_idx ON voice_surveys (to_number, day);
      CREATE TABLE voice_survey_optouts (
        number text PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE voice_call_pacing (
        account text PRIMARY KEY,
        next_at timestamptz NOT NULL
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE voice_call_pacing; DROP TABLE voice_survey_optouts; DROP TABLE voice_surveys;`);
  }
}
