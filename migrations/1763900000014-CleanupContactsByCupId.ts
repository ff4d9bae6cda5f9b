import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A "pulitura agende" outcome names its booking by the CUP's id, which with the region's CUP
 * (`CUP_FHIR_BASE_URL`) is not a row of the local CUP: the reference to `cup_appointments`
 * goes (it refused every outcome recorded through `FhirCup`).
 */
export class CleanupContactsByCupId1763900000014 implements MigrationInterface {
  name = 'CleanupContactsByCupId1763900000014';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE cup_cleanup_contacts DROP CONSTRAINT cup_cleanup_contacts_appointment_id_fkey');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE cup_cleanup_contacts ADD CONSTRAINT cup_cleanup_contacts_appointment_id_fkey
        FOREIGN KEY (appointment_id) REFERENCES cup_appointments (id)
    `);
  }
}
