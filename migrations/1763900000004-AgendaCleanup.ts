import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Outcomes of "pulitura agende" campaigns (C4): presence confirmed, cancelled or no answer. */
export class AgendaCleanup1763900000004 implements MigrationInterface {
  name = 'AgendaCleanup1763900000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE cup_cleanup_contacts (
        id bigserial PRIMARY KEY,
        campaign_instance_key text NOT NULL,
        package_no integer NOT NULL,
        appointment_id text NOT NULL REFERENCES cup_appointments (id),
        outcome text NOT NULL CHECK (outcome IN ('confirmed', 'cancelled', 'no-answer')),
        note text,
        operator text,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (campaign_instance_key, appointment_id)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE cup_cleanup_contacts');
  }
}
