import { z } from 'zod';
import { BpmnError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';
import { BPMN_ERRORS } from './framework/bpmn-errors.js';

/** Days ahead from which a booked patient is offered a freed slot (§2.1.9, §4.1.2). */
export const RECALL_MIN_DAYS = { visit: 31, exam: 61 } as const;

/**
 * Picks the next patient to call for a freed slot: on the same agenda, booked at least 31
 * (visits) or 61 (instrumental exams) days ahead, earliest first, not yet called in this
 * recall.
 */
export const findRecallCandidate = defineWorker({
  taskType: 'find-recall-candidate',
  // It changes nothing but returns the patient and the booking code: a model could copy them
  // into a variable whose name is not masked (ADR 0010).
  permission: 'personal:read',
  description:
    'Sceglie il prossimo paziente da chiamare per lo slot liberato (stessa agenda, dal 31°/61° giorno, in ordine di data).',
  variables: z.object({ freedSlotId: z.string().min(1).max(64) }),
  headers: z.object({}),
  async handler({ variables, job, deps }) {
    const slot = await deps.cup.getSlot(variables.freedSlotId);
    if (!slot || slot.status !== 'free') throw new BpmnError('SLOT_NO_LONGER_FREE', BPMN_ERRORS.SLOT_NO_LONGER_FREE);
    const contacted: { appointment_id: string }[] = await deps.db.query(
      'SELECT appointment_id FROM cup_recall_contacts WHERE recall_instance_key = $1',
      [job.processInstanceKey],
    );
    const [candidate] = await deps.cup.recallCandidates({
      scheduleId: slot.scheduleId,
      from: deps.now(),
      minDaysAhead: RECALL_MIN_DAYS[slot.serviceKind],
      excludeAppointmentIds: contacted.map((c) => c.appointment_id),
      limit: 1,
    });
    if (!candidate || candidate.start <= slot.start) {
      throw new BpmnError('NO_RECALL_CANDIDATE', BPMN_ERRORS.NO_RECALL_CANDIDATE);
    }
    return {
      candidateAppointmentId: candidate.id,
      candidatePatientId: candidate.patientId,
      candidateBookingCode: candidate.bookingCode,
      candidateAppointmentStart: candidate.start,
      offeredSlotStart: slot.start,
      recallOutcome: null,
    };
  },
});
