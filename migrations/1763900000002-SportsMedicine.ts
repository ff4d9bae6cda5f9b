import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sports-medicine visits for the athletes of a sports club (C6): one row per request, with
 * the plan the back office confirmed and the bookings made. The CUP keeps the bookings;
 * this is what the platform knows of the group (the bare broker has no query API).
 */
export class SportsMedicine1763900000002 implements MigrationInterface {
  name = 'SportsMedicine1763900000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE cup_sports_groups (
        -- Written by the API before the instance starts, so that the workers always find it.
        business_key text PRIMARY KEY,
        process_instance_key text UNIQUE,
        club_name text NOT NULL,
        service_code text NOT NULL,
        structure_id text NOT NULL,
        athletes text[] NOT NULL,
        not_before date,
        status text NOT NULL CHECK (status IN ('requested', 'planned', 'no-room', 'booked', 'cancelled')),
        -- The latest plan: planId, days and one slot per athlete.
        plan jsonb,
        planned_days date[] NOT NULL DEFAULT '{}',
        -- One entry per athlete once booked: patientId, appointmentId, bookingCode, slotId, start.
        bookings jsonb,
        back_office_note text,
        requested_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE cup_sports_groups');
  }
}
