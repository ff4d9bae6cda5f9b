import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The identifiers a booking was made with through the local CUP's FHIR stand-in (its
 * `Appointment.identifier` besides the booking code, e.g. the caller's request key), kept as
 * a FHIR server keeps them: searchable, and what a conditional create (`If-None-Exist`) matches.
 */
export class AppointmentIdentifiers1763900000011 implements MigrationInterface {
  name = 'AppointmentIdentifiers1763900000011';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE cup_appointments ADD COLUMN identifiers jsonb NOT NULL DEFAULT '[]'::jsonb
        CHECK (jsonb_typeof(identifiers) = 'array');
      CREATE INDEX cup_appointments_identifiers_idx ON cup_appointments USING gin (identifiers jsonb_path_ops);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX cup_appointments_identifiers_idx;
      ALTER TABLE cup_appointments DROP COLUMN identifiers;
    `);
  }
}
