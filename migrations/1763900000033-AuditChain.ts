import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail becomes tamper-evident: every entry carries the hash of the one before it
 * and its own (SHA-256 over the previous hash and the entry's fields), numbered without gaps
 * (`seq`) in the order the chain took them. One row (`audit_chain`) holds the chain's head,
 * locked by each insert, so entries chain one after another even from several API processes;
 * and the anchor, the last entry retention removed for good.
 *
 * Retention (R2) keeps the chain whole: an entry past its period is first emptied (`pruned`:
 * who, about whom, the detail and the address go; the number, time, action and hashes stay),
 * and only emptied entries at the chain's start are deleted, the anchor moving past them.
 * Triggers refuse any other update or deletion, so an app bug cannot break the chain; someone
 * who owns the database can, and `npm run audit:verify` then finds where (or, if the whole
 * chain after an entry was rewritten, the head no longer matches one noted outside).
 */
export class AuditChain1763900000033 implements MigrationInterface {
  name = 'AuditChain1763900000033';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE audit_events
        ADD COLUMN seq bigint,
        ADD COLUMN prev_hash text,
        ADD COLUMN hash text,
        ADD COLUMN pruned boolean NOT NULL DEFAULT false,
        ALTER COLUMN actor DROP NOT NULL;

      CREATE TABLE audit_chain (
        only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
        head_seq bigint NOT NULL,
        head_hash text NOT NULL,
        anchor_seq bigint NOT NULL,
        anchor_hash text NOT NULL,
        pruned_before timestamptz
      );

      -- The entry's digest: its fields and the previous hash as one JSON array (explicit nulls,
      -- a fixed time format in UTC), hashed. The verification recomputes it with this function.
      CREATE FUNCTION audit_event_digest(
        prev text, seq bigint, at timestamptz, actor text, action text,
        subject_type text, subject_id text, detail jsonb, ip text
      ) RETURNS text LANGUAGE sql STABLE AS $$
        SELECT encode(sha256(convert_to(jsonb_build_array(
          prev, seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
          actor, action, subject_type, subject_id, detail, ip
        )::text, 'UTF8')), 'hex')
      $$;
    `);

    // The entries already there, chained in the order of their numbers.
    await q.query(`
      WITH ordered AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM audit_events)
      UPDATE audit_events e SET seq = o.n FROM ordered o WHERE o.id = e.id;
    `);
    await q.query(`
      DO $$
      DECLARE
        r record;
        last text := repeat('0', 64);
        last_seq bigint := 0;
      BEGIN
        FOR r IN SELECT * FROM audit_events ORDER BY seq LOOP
          UPDATE audit_events SET prev_hash = last,
                 hash = audit_event_digest(last, r.seq, r.at, r.actor, r.action, r.subject_type, r.subject_id, r.detail, r.ip)
           WHERE id = r.id RETURNING hash INTO last;
          last_seq := r.seq;
        END LOOP;
        INSERT INTO audit_chain (head_seq, head_hash, anchor_seq, anchor_hash)
        VALUES (last_seq, last, 0, repeat('0', 64));
      END $$;
    `);
    await q.query(`
      ALTER TABLE audit_events
        ALTER COLUMN seq SET NOT NULL,
        ALTER COLUMN prev_hash SET NOT NULL,
        ALTER COLUMN hash SET NOT NULL,
        ADD CONSTRAINT audit_events_seq_key UNIQUE (seq);

      CREATE FUNCTION audit_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        head audit_chain%ROWTYPE;
      BEGIN
        SELECT * INTO head FROM audit_chain FOR UPDATE;
        NEW.seq := head.head_seq + 1;
        NEW.prev_hash := head.head_hash;
        NEW.pruned := false;
        NEW.hash := audit_event_digest(NEW.prev_hash, NEW.seq, NEW.at, NEW.actor, NEW.action,
                                       NEW.subject_type, NEW.subject_id, NEW.detail, NEW.ip);
        UPDATE audit_chain SET head_seq = NEW.seq, head_hash = NEW.hash;
        RETURN NEW;
      END $$;
      CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_chain();

      -- The only update: retention emptying an entry older than its cut-off.
      CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        cutoff timestamptz;
      BEGIN
        IF TG_OP = 'UPDATE' THEN
          SELECT pruned_before INTO cutoff FROM audit_chain;
          IF NEW.id = OLD.id AND NEW.seq = OLD.seq AND NEW.hash = OLD.hash AND NEW.prev_hash = OLD.prev_hash
             AND NEW.at = OLD.at AND NEW.action = OLD.action
             AND NEW.subject_type IS NOT DISTINCT FROM OLD.subject_type
             AND NEW.pruned AND NEW.actor IS NULL AND NEW.subject_id IS NULL AND NEW.detail IS NULL AND NEW.ip IS NULL
             AND cutoff IS NOT NULL AND OLD.at < cutoff THEN
            RETURN NEW;
          END IF;
          RAISE EXCEPTION 'audit_events is append-only: entry % can only be emptied by retention', OLD.seq;
        END IF;
        -- DELETE: only emptied entries the anchor has moved past.
        IF OLD.pruned AND OLD.seq <= (SELECT anchor_seq FROM audit_chain) THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_events is append-only: entry % cannot be deleted', OLD.seq;
      END $$;
      CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER audit_events_append_only ON audit_events;
      DROP FUNCTION audit_events_append_only();
      DROP TRIGGER audit_events_chain ON audit_events;
      DROP FUNCTION audit_events_chain();
      DROP FUNCTION audit_event_digest(text, bigint, timestamptz, text, text, text, text, jsonb, text);
      DROP TABLE audit_chain;
      DELETE FROM audit_events WHERE pruned;
      ALTER TABLE audit_events DROP COLUMN seq, DROP COLUMN prev_hash, DROP COLUMN hash, DROP COLUMN pruned,
        ALTER COLUMN actor SET NOT NULL;
    `);
  }
}
