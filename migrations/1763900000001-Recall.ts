import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Outcomes of recall calls (C4): who was offered which freed slot, and what they said. */
export class Recall1763900000001 implements MigrationInterface {
  name = 'Recall1763900000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE cup_recall_contacts (
        id bigserial PRIMARY KEY,
        recall_instance_key text NOT NULL,
        freed_slot_id bigint NOT NULL REFERENCES cup_slots (id),
        appointment_id text NOT NULL REFERENCES cup_appointments (id),
        patient_id text NOT NULL REFERENCES cup_patients (id),
        outcome text NOT NULL CHECK (outcome IN ('accepted', 'refused', 'no-answer')),
        note text,
        moved_to_appointment_id text REFERENCES cup_appointments (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (recall_instance_key, appointment_id)
      );
      CREATE INDEX cup_recall_contacts_slot_idx ON cup_recall_contacts (freed_slot_id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE cup_recall_contacts');
  }
}
