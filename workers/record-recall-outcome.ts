import { z } from 'zod';
import { SlotUnavailableError } from '../adapters/cup/cup.js';
import { BpmnError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';
import { BPMN_ERRORS } from './framework/bpmn-errors.js';

/**
 * Records what the called patient said; when they accept, their booking moves to the freed
 * slot (the new appointment replaces the old one).
 */
export const recordRecallOutcome = defineWorker({
  taskType: 'record-recall-outcome',
  permission: 'cup:contact',
  description:
    "Registra l'esito della chiamata di richiamo; se il paziente accetta sposta la prenotazione sullo slot liberato.",
  variables: z.object({
    freedSlotId: z.string().min(1).max(64),
    candidateAppointmentId: z.string().min(1),
    candidatePatientId: z.string().min(1),
    recallOutcome: z.enum(['accepted', 'refused', 'no-answer']),
    recallNote: z.string().max(500).nullish(),
  }),
  headers: z.object({}),
  async handler({ variables: v, job, deps }) {
    let movedTo: string | null = null;
    if (v.recallOutcome === 'accepted') {
      try {
        const moved = await deps.cup.move({
          appointmentId: v.candidateAppointmentId,
          slotId: v.freedSlotId,
          reason: 'Anticipo accettato dal paziente durante il richiamo',
          requestKey: `recall:${job.processInstanceKey}:${v.candidateAppointmentId}`,
        });
        movedTo = moved.id;
      } catch (err) {
        if (err instanceof SlotUnavailableError) throw new BpmnError('SLOT_TAKEN', BPMN_ERRORS.SLOT_TAKEN);
        throw err;
      }
    }
    await deps.db.query(
      `INSERT INTO cup_recall_contacts (recall_instance_key, freed_slot_id, appointment_id, patient_id, outcome, note, moved_to_appointment_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (recall_instance_key, appointment_id) DO NOTHING`,
      [
        job.processInstanceKey,
        v.freedSlotId,
        v.candidateAppointmentId,
        v.candidatePatientId,
        v.recallOutcome,
        v.recallNote ?? null,
        movedTo,
      ],
    );
    return movedTo ? { appointmentId: movedTo, recallAccepted: true } : { recallAccepted: false };
  },
});
