import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The KPIs (K1–K5, issue 12). One source of truth: the view `kpi_contacts` gives every
 * contact in one shape — the calls' records (built from the append-only `call_events`), the
 * help desk's written contacts, the outbound campaigns' contacts and the imported records —
 * and the wallboard, the distributions and the SLA report all read it. The definitions the
 * SLAs are computed with are versioned rows that are never changed (a trigger refuses it), as
 * are the stored reports; presence changes are logged so "operators active" over a window is
 * exact.
 */
export class Kpi1763900000031 implements MigrationInterface {
  name = 'Kpi1763900000031';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE imported_contacts (
        contact_id text PRIMARY KEY,
        line text NOT NULL CHECK (line IN ('cup', 'csb')),
        channel text NOT NULL,
        direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
        request_type text,
        queue text,
        priority integer,
        started_at timestamptz,
        offered_at timestamptz,
        answered_at timestamptz,
        abandoned_at timestamptz,
        ended_at timestamptz,
        wrap_up_ended_at timestamptz,
        resolved_at timestamptz,
        resolved_level integer,
        operator text,
        outcome text,
        -- The row's content, to tell a repeated import (nothing changes) from a conflicting one.
        row_hash text NOT NULL,
        import_file text NOT NULL,
        imported_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX imported_contacts_start_idx ON imported_contacts (line, (COALESCE(started_at, offered_at, ended_at)));

      CREATE TABLE kpi_definitions (
        version text PRIMARY KEY,
        definitions jsonb NOT NULL,
        note text,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      );

      CREATE TABLE kpi_service_values (
        line text NOT NULL CHECK (line IN ('cup', 'csb')),
        month date NOT NULL,
        service_value_eur numeric(14, 2) CHECK (service_value_eur >= 0),
        outbound_value_eur numeric(14, 2) CHECK (outbound_value_eur >= 0),
        entered_by text NOT NULL,
        entered_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (line, month)
      );

      CREATE TABLE maintenance_windows (
        id bigserial PRIMARY KEY,
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL CHECK (ends_at > starts_at),
        reason text NOT NULL,
        entered_by text NOT NULL,
        entered_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE kpi_reports (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('weekly', 'monthly')),
        line text NOT NULL CHECK (line IN ('cup', 'csb')),
        period_from date NOT NULL,
        period_to date NOT NULL,
        definitions_version text NOT NULL REFERENCES kpi_definitions (version),
        report jsonb NOT NULL,
        produced_at timestamptz NOT NULL DEFAULT now(),
        due_on date,
        published_at timestamptz,
        published_by text,
        UNIQUE (kind, line, period_from)
      );

      -- Definitions and reports are immutable: a report keeps the version it was computed with;
      -- a stored report may only be published, once.
      CREATE FUNCTION kpi_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_TABLE_NAME = 'kpi_reports' AND TG_OP = 'UPDATE' THEN
          IF OLD.published_at IS NULL AND NEW.published_at IS NOT NULL
             AND (NEW.report, NEW.definitions_version, NEW.period_from, NEW.period_to, NEW.kind, NEW.line)
                 IS NOT DISTINCT FROM (OLD.report, OLD.definitions_version, OLD.period_from, OLD.period_to, OLD.kind, OLD.line)
          THEN
            RETURN NEW;
          END IF;
        END IF;
        RAISE EXCEPTION '% is immutable', TG_TABLE_NAME;
      END $$;
      CREATE TRIGGER kpi_definitions_immutable BEFORE UPDATE OR DELETE ON kpi_definitions
        FOR EACH ROW EXECUTE FUNCTION kpi_immutable();
      CREATE TRIGGER kpi_reports_immutable BEFORE UPDATE OR DELETE ON kpi_reports
        FOR EACH ROW EXECUTE FUNCTION kpi_immutable();

      -- §5 "numero di operatori contestualmente attivi (loggato sul sistema)": every presence change.
      CREATE TABLE voice_presence_events (
        id bigserial PRIMARY KEY,
        username text NOT NULL,
        presence text NOT NULL,
        at timestamptz NOT NULL
      );
      CREATE INDEX voice_presence_events_at_idx ON voice_presence_events (at);
      CREATE FUNCTION voice_presence_log() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' OR OLD.presence IS DISTINCT FROM NEW.presence THEN
          INSERT INTO voice_presence_events (username, presence, at) VALUES (NEW.username, NEW.presence, NEW.presence_since);
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER voice_presence_logged AFTER INSERT OR UPDATE OF presence ON voice_operators
        FOR EACH ROW EXECUTE FUNCTION voice_presence_log();
      INSERT INTO voice_presence_events (username, presence, at) SELECT username, presence, presence_since FROM voice_operators;

      -- The wallboard is pushed when a call, a queue, a presence or the records change.
      CREATE FUNCTION kpi_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('kpi_changed', '');
        RETURN NULL;
      END $$;
      CREATE TRIGGER call_events_kpi AFTER INSERT ON call_events FOR EACH STATEMENT EXECUTE FUNCTION kpi_notify();
      CREATE TRIGGER voice_operators_kpi AFTER INSERT OR UPDATE OR DELETE ON voice_operators
        FOR EACH STATEMENT EXECUTE FUNCTION kpi_notify();
      CREATE TRIGGER voice_queue_entries_kpi AFTER INSERT OR UPDATE OR DELETE ON voice_queue_entries
        FOR EACH STATEMENT EXECUTE FUNCTION kpi_notify();
      CREATE TRIGGER imported_contacts_kpi AFTER INSERT ON imported_contacts FOR EACH STATEMENT EXECUTE FUNCTION kpi_notify();

      CREATE INDEX call_records_arrived_idx ON call_records (arrived_at);
      CREATE INDEX mail_messages_received_idx ON mail_messages (received_at);

      CREATE VIEW kpi_contacts AS
        SELECT r.contact_id::text AS contact_id, 'voice'::text AS source,
               CASE WHEN r.line IN ('cup', 'cup-second-level') THEN 'cup' ELSE 'csb' END AS line,
               r.line AS original_line, 'voice'::text AS channel,
               CASE WHEN r.direction = 'inbound' THEN 'inbound' ELSE 'outbound' END AS direction,
               r.request_type, r.queue, r.priority,
               r.arrived_at AS started_at, true AS arrival_known,
               r.offered_at, r.answered_at, r.abandoned_at, r.ended_at, r.wrap_up_ended_at,
               NULL::timestamptz AS resolved_at, NULL::integer AS resolved_level,
               r.operator, r.outcome,
               CASE WHEN r.direction = 'inbound' THEN NULL ELSE r.answered_at IS NOT NULL END AS positive,
               r.from_number AS caller
          FROM call_records r
        UNION ALL
        SELECT m.id::text, 'mail', 'csb', m.mailbox, m.channel, 'inbound', m.suggested_queue, NULL, NULL,
               m.received_at, true, NULL, NULL, NULL, NULL, NULL,
               COALESCE((SELECT min(t.created_at) FROM ticket_transactions t
                          WHERE m.ticket_id ~ '^[0-9]+$' AND t.ticket_id = m.ticket_id::bigint
                            AND t.field = 'Status' AND t.new_value = 'resolved'), m.archived_at),
               NULL, NULL, NULL, NULL, m.from_address
          FROM mail_messages m
         WHERE m.status = 'received' AND m.automatic IS NULL
        UNION ALL
        SELECT 'campaign-' || k.id, 'campaign', CASE WHEN c.kind = 'agenda-cleanup' THEN 'cup' ELSE 'csb' END,
               c.kind, 'voice', 'outbound', c.kind, NULL, NULL,
               COALESCE(p.started_at, c.created_at), false, NULL, NULL, NULL, k.done_at, NULL, NULL, NULL,
               k.operator, k.outcome_code, k.positive, k.phone
          FROM campaign_contacts k
          JOIN campaigns c ON c.id = k.campaign_id
          LEFT JOIN campaign_packages p ON p.campaign_id = k.campaign_id AND p.package_no = k.package_no
         WHERE k.done_at IS NOT NULL
        UNION ALL
        SELECT i.contact_id, 'import', i.line, i.line, i.channel, i.direction, i.request_type, i.queue, i.priority,
               COALESCE(i.started_at, i.offered_at, i.ended_at), i.started_at IS NOT NULL,
               i.offered_at, i.answered_at, i.abandoned_at, i.ended_at, i.wrap_up_ended_at,
               i.resolved_at, i.resolved_level, i.operator, i.outcome,
               CASE WHEN i.direction = 'outbound' THEN i.outcome IN ('resolved', 'positive') END, NULL
          FROM imported_contacts i;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP VIEW kpi_contacts;
      DROP INDEX mail_messages_received_idx;
      DROP TRIGGER imported_contacts_kpi ON imported_contacts;
      DROP TRIGGER voice_queue_entries_kpi ON voice_queue_entries;
      DROP TRIGGER voice_operators_kpi ON voice_operators;
      DROP TRIGGER call_events_kpi ON call_events;
      DROP FUNCTION kpi_notify();
      DROP INDEX call_records_arrived_idx;
      DROP TRIGGER voice_presence_logged ON voice_operators;
      DROP FUNCTION voice_presence_log();
      DROP TABLE voice_presence_events;
      DROP TABLE kpi_reports;
      DROP TABLE kpi_definitions;
      DROP FUNCTION kpi_immutable();
      DROP TABLE maintenance_windows;
      DROP TABLE kpi_service_values;
      DROP TABLE imported_contacts;
    `);
  }
}
