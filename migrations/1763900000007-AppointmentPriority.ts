import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The prescription's priority class on each booking, and a flag when it is beyond the class limit. */
export class AppointmentPriority1763900000007 implements MigrationInterface {
  name = 'AppointmentPriority1763900000007';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE cup_appointments
        ADD COLUMN priority_class text CHECK (priority_class IN ('U', 'B', 'D', 'P')),
        ADD COLUMN beyond_priority_limit boolean NOT NULL DEFAULT false;
      CREATE INDEX cup_appointments_beyond_limit_idx ON cup_appointments (created_at) WHERE beyond_priority_limit;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX cup_appointments_beyond_limit_idx;
      ALTER TABLE cup_appointments DROP COLUMN priority_class, DROP COLUMN beyond_priority_limit;
    `);
  }
}
