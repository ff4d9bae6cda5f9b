import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbound campaigns (R6, §2.2.8, §6.2) and the CUP's "pulitura agende" (C4) on one model: a
 * campaign, its packages (when each was started and closed) and its contacts, each with the
 * outcome code of its kind's catalogue and whether it is positive (domain/campaigns/). The
 * cleanup's outcomes move here from `cup_cleanup_contacts`: one campaign per cleanup
 * instance, its answers as the catalogue's codes (confirmed → PRESENZA-CONFERMATA, cancelled →
 * PRENOTAZIONE-DISDETTA, no-answer → NON-RISPONDE), its packages' start unknown.
 *
 * `down` puts the cleanup's outcomes back in `cup_cleanup_contacts` (as migration 14 left it,
 * without the reference to `cup_appointments`) and drops the campaign tables: campaigns of
 * uploaded lists, and when packages started, are lost.
 */
export class Campaigns1763900000022 implements MigrationInterface {
  name = 'Campaigns1763900000022';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE campaigns (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('agenda-cleanup', 'information', 'satisfaction', 'call-for-proposals')),
        name text NOT NULL,
        created_by text NOT NULL,
        package_size integer NOT NULL DEFAULT 100 CHECK (package_size BETWEEN 1 AND 1000),
        -- What the operator says on the phone (§2.1.8: "script di comunicazione").
        script text,
        -- What the campaign is about beyond its contacts (a cleanup's agenda and period).
        details jsonb NOT NULL DEFAULT '{}',
        process_instance_key text UNIQUE,
        business_key text,
        status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed')),
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      );

      CREATE TABLE campaign_packages (
        campaign_id uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
        package_no integer NOT NULL CHECK (package_no >= 1),
        -- Known when the list is loaded, or when the package opens (a cleanup's agenda).
        contacts_total integer CHECK (contacts_total >= 0),
        started_at timestamptz,
        closed_at timestamptz,
        PRIMARY KEY (campaign_id, package_no)
      );

      CREATE TABLE campaign_contacts (
        id bigserial PRIMARY KEY,
        campaign_id uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
        package_no integer NOT NULL,
        -- The row of the uploaded file (header = 1).
        source_row integer,
        -- What the contact is about elsewhere: the CUP's booking of a cleanup.
        reference text,
        name text,
        phone text,
        email text,
        fiscal_code text,
        extra jsonb NOT NULL DEFAULT '{}',
        outcome_code text,
        positive boolean,
        note text,
        operator text,
        done_at timestamptz,
        CHECK ((outcome_code IS NULL) = (positive IS NULL) AND (outcome_code IS NULL) = (done_at IS NULL)),
        UNIQUE (campaign_id, reference)
      );
      CREATE INDEX campaign_contacts_package_idx ON campaign_contacts (campaign_id, package_no);
    `);
    await q.query(`
      INSERT INTO campaigns (kind, name, created_by, process_instance_key, business_key, created_at)
      SELECT 'agenda-cleanup', 'Pulitura agenda' || COALESCE(' ' || pi.business_key, ''),
             COALESCE(pi.started_by, 'sistema'), k.key, pi.business_key, COALESCE(pi.started_at, k.first)
        FROM (SELECT campaign_instance_key AS key, min(created_at) AS first FROM cup_cleanup_contacts GROUP BY 1) k
        LEFT JOIN process_instances pi ON pi.process_instance_key = k.key;

      INSERT INTO campaign_packages (campaign_id, package_no)
      SELECT DISTINCT c.id, o.package_no
        FROM cup_cleanup_contacts o JOIN campaigns c ON c.process_instance_key = o.campaign_instance_key;

      INSERT INTO campaign_contacts (campaign_id, package_no, reference, outcome_code, positive, note, operator, done_at)
      SELECT c.id, o.package_no, o.appointment_id,
             CASE o.outcome WHEN 'confirmed' THEN 'PRESENZA-CONFERMATA' WHEN 'cancelled' THEN 'PRENOTAZIONE-DISDETTA'
                            ELSE 'NON-RISPONDE' END,
             o.outcome <> 'no-answer', o.note, o.operator, o.created_at
        FROM cup_cleanup_contacts o JOIN campaigns c ON c.process_instance_key = o.campaign_instance_key
       ORDER BY o.id;

      DROP TABLE cup_cleanup_contacts;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE cup_cleanup_contacts (
        id bigserial PRIMARY KEY,
        campaign_instance_key text NOT NULL,
        package_no integer NOT NULL,
        appointment_id text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('confirmed', 'cancelled', 'no-answer')),
        note text,
        operator text,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (campaign_instance_key, appointment_id)
      );

      INSERT INTO cup_cleanup_contacts (campaign_instance_key, package_no, appointment_id, outcome, note, operator, created_at)
      SELECT c.process_instance_key, k.package_no, k.reference,
             CASE k.outcome_code WHEN 'PRESENZA-CONFERMATA' THEN 'confirmed' WHEN 'PRENOTAZIONE-DISDETTA' THEN 'cancelled'
                                 ELSE 'no-answer' END,
             k.note, k.operator, k.done_at
        FROM campaign_contacts k JOIN campaigns c ON c.id = k.campaign_id
       WHERE c.kind = 'agenda-cleanup' AND c.process_instance_key IS NOT NULL
         AND k.reference IS NOT NULL AND k.outcome_code IS NOT NULL
       ORDER BY k.id;

      DROP TABLE campaign_contacts;
      DROP TABLE campaign_packages;
      DROP TABLE campaigns;
    `);
  }
}
