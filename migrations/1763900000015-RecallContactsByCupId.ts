import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A recall contact names the freed slot, the booking and the patient by the CUP's ids. With
 * the region's CUP (`CUP_FHIR_BASE_URL`) those are FHIR ids of resources held there, not rows
 * of the local CUP, and a slot id need not be a number: the references to the local tables
 * go, and the slot id becomes text (as with the cleanup contacts, migration 14).
 */
export class RecallContactsByCupId1763900000015 implements MigrationInterface {
  name = 'RecallContactsByCupId1763900000015';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE cup_recall_contacts
        DROP CONSTRAINT cup_recall_contacts_freed_slot_id_fkey,
        DROP CONSTRAINT cup_recall_contacts_appointment_id_fkey,
        DROP CONSTRAINT cup_recall_contacts_patient_id_fkey,
        DROP CONSTRAINT cup_recall_contacts_moved_to_appointment_id_fkey,
        ALTER COLUMN freed_slot_id TYPE text USING freed_slot_id::text
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE cup_recall_contacts
        ALTER COLUMN freed_slot_id TYPE bigint USING freed_slot_id::bigint,
        ADD CONSTRAINT cup_recall_contacts_freed_slot_id_fkey FOREIGN KEY (freed_slot_id) REFERENCES cup_slots (id),
        ADD CONSTRAINT cup_recall_contacts_appointment_id_fkey FOREIGN KEY (appointment_id) REFERENCES cup_appointments (id),
        ADD CONSTRAINT cup_recall_contacts_patient_id_fkey FOREIGN KEY (patient_id) REFERENCES cup_patients (id),
        ADD CONSTRAINT cup_recall_contacts_moved_to_appointment_id_fkey
          FOREIGN KEY (moved_to_appointment_id) REFERENCES cup_appointments (id)
    `);
  }
}
