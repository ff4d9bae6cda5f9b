import type { MigrationInterface, QueryRunner } from 'typeorm';

/** How each information contact was closed (C7), for first-contact resolution (K3). */
export class ContactOutcomes1763900000003 implements MigrationInterface {
  name = 'ContactOutcomes1763900000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE contact_outcomes (
        process_instance_key text PRIMARY KEY,
        line text NOT NULL CHECK (line IN ('cup', 'csb')),
        channel text NOT NULL,
        outcome_code text NOT NULL,
        resolved_first_contact boolean NOT NULL,
        out_of_scope boolean NOT NULL,
        operator text,
        note text,
        opened_at timestamptz NOT NULL,
        closed_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX contact_outcomes_closed_idx ON contact_outcomes (line, closed_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE contact_outcomes');
  }
}
