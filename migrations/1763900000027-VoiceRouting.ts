import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The telephone's routing and its contact records (V1, V5, V7, V8):
 * - `voice_operators`: each operator's presence, skills (queues) and code, the row the ACD
 *   locks to offer a call, so that several API processes never offer two calls to one person;
 * - `voice_queue_entries`: the calls waiting for an operator (and the call-backs keeping their
 *   place), locked the same way so a call is offered to one operator at a time;
 * - `call_events`: the append-only log every contact record is built from (the wallboard and
 *   the reports will read the same events); a repeated or late Twilio callback has the same
 *   `dedupe_key` and is kept once;
 * - `call_records` gains what V8 names beyond migration 26.
 */
export class VoiceRouting1763900000027 implements MigrationInterface {
  name = 'VoiceRouting1763900000027';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE voice_operators (
        username text PRIMARY KEY,
        -- What the caller hears before the bridge (V5): digits, unique.
        code text NOT NULL UNIQUE,
        presence text NOT NULL DEFAULT 'assente'
          CHECK (presence IN ('disponibile', 'in-conversazione', 'post-chiamata', 'pausa', 'assente')),
        presence_since timestamptz NOT NULL DEFAULT now(),
        -- Since when the operator waits for a call: the longest idle is offered the next one.
        idle_since timestamptz,
        skills text[] NOT NULL DEFAULT '{}',
        -- The call offered and not yet accepted, and the call in progress.
        offer_call text,
        current_call text
      );
      CREATE SEQUENCE voice_operator_codes START 1001;

      CREATE TABLE voice_queue_entries (
        call_sid text PRIMARY KEY,
        queue text NOT NULL,
        line text NOT NULL,
        priority integer NOT NULL DEFAULT 0,
        request_type text,
        queued_at timestamptz NOT NULL,
        state text NOT NULL CHECK (state IN ('waiting', 'offered', 'connected', 'abandoned')),
        -- The caller asked to be called back: the entry keeps its place, no one is on the line.
        callback boolean NOT NULL DEFAULT false,
        callback_number text,
        -- Twilio's queue the caller waits in (from the waitUrl requests), to dequeue them.
        twilio_queue_sid text,
        offered_to text,
        offer_expires_at timestamptz,
        refusals integer NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX voice_queue_waiting_idx ON voice_queue_entries (queue, priority DESC, queued_at)
        WHERE state = 'waiting';
      CREATE INDEX voice_queue_offers_idx ON voice_queue_entries (offer_expires_at) WHERE state = 'offered';

      CREATE TABLE call_events (
        id bigserial PRIMARY KEY,
        call_sid text NOT NULL,
        type text NOT NULL,
        at timestamptz NOT NULL,
        operator text,
        data jsonb NOT NULL DEFAULT '{}',
        dedupe_key text NOT NULL UNIQUE,
        recorded_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX call_events_call_idx ON call_events (call_sid, id);

      -- The IVR continuity probe (§6): every minute, whether the voice endpoint answered and how fast.
      CREATE TABLE voice_probes (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        ok boolean NOT NULL,
        latency_ms integer NOT NULL,
        detail text
      );
      CREATE INDEX voice_probes_at_idx ON voice_probes (at);

      -- V8's offeredAt is when the call reached a queue; the first webhook is its arrival.
      ALTER TABLE call_records RENAME COLUMN offered_at TO arrived_at;
      ALTER TABLE call_records RENAME COLUMN queued_at TO offered_at;
      ALTER TABLE call_records
        ADD COLUMN contact_id uuid NOT NULL DEFAULT gen_random_uuid(),
        ADD COLUMN channel text NOT NULL DEFAULT 'voice',
        ADD COLUMN request_type text,
        ADD COLUMN priority integer,
        ADD COLUMN ivr_entered_at timestamptz,
        ADD COLUMN ivr_left_at timestamptz,
        ADD COLUMN first_offered_to_operator_at timestamptz,
        ADD COLUMN offers integer NOT NULL DEFAULT 0,
        ADD COLUMN refusals integer NOT NULL DEFAULT 0,
        ADD COLUMN abandoned_at timestamptz,
        ADD COLUMN wrap_up_ended_at timestamptz,
        ADD COLUMN outcome text,
        ADD COLUMN disconnect_reason text,
        ADD COLUMN callback_requested_at timestamptz,
        ADD COLUMN process_instance_id text;
      ALTER TABLE call_records DROP COLUMN outcome_code;
      CREATE UNIQUE INDEX call_records_contact_idx ON call_records (contact_id);
      CREATE INDEX call_records_open_idx ON call_records (line) WHERE ended_at IS NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX call_records_open_idx;
      DROP INDEX call_records_contact_idx;
      ALTER TABLE call_records ADD COLUMN outcome_code text;
      ALTER TABLE call_records RENAME COLUMN offered_at TO queued_at;
      ALTER TABLE call_records RENAME COLUMN arrived_at TO offered_at;
      ALTER TABLE call_records
        DROP COLUMN contact_id, DROP COLUMN channel, DROP COLUMN request_type, DROP COLUMN priority,
        DROP COLUMN ivr_entered_at, DROP COLUMN ivr_left_at, DROP COLUMN first_offered_to_operator_at,
        DROP COLUMN offers, DROP COLUMN refusals, DROP COLUMN abandoned_at, DROP COLUMN wrap_up_ended_at,
        DROP COLUMN outcome, DROP COLUMN disconnect_reason, DROP COLUMN callback_requested_at,
        DROP COLUMN process_instance_id;
      DROP TABLE voice_probes;
      DROP TABLE call_events;
      DROP TABLE voice_queue_entries;
      DROP SEQUENCE voice_operator_codes;
      DROP TABLE voice_operators;
    `);
  }
}
