import { z } from 'zod';
import { SlotUnavailableError, CupUnavailableError } from '../adapters/cup/cup.js';
import { BpmnError, TransientError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';
import { BPMN_ERRORS } from './framework/bpmn-errors.js';
import { beyondPriorityLimit, PRIORITY_CLASSES } from '../domain/cup/priority.js';

/** Books the slot the operator chose on the CUP. */
export const bookSlot = defineWorker({
  taskType: 'book-slot',
  permission: 'cup:contact',
  description:
    "Prenota sul CUP lo slot scelto dall'operatore; se nel frattempo è stato preso, l'operatore ne sceglie un altro.",
  variables: z.object({
    slotId: z.string().min(1).max(64),
    patientId: z.string().min(1),
    serviceCode: z.string().min(1),
    prescriptionNre: z.string().min(1).optional(),
    priorityClass: z.enum(PRIORITY_CLASSES).optional(),
  }),
  headers: z.object({}),
  async handler({ variables, job, deps }) {
    // A slot beyond the class limit is booked only after the back office agreed it; it stays flagged.
    const slot = variables.priorityClass ? await deps.cup.getSlot(variables.slotId) : undefined;
    const beyond =
      variables.priorityClass !== undefined &&
      slot !== undefined &&
      beyondPriorityLimit(variables.priorityClass, slot.serviceKind, deps.now(), new Date(slot.start));
    try {
      // The CUP deduplicates by request key, so even a re-delivery after a crash books once.
      const appointment = await deps.cup.book({
        priorityClass: variables.priorityClass,
        beyondPriorityLimit: beyond,
        slotId: variables.slotId,
        patientId: variables.patientId,
        serviceCode: variables.serviceCode,
        prescriptionNre: variables.prescriptionNre,
        requestKey: `pi:${job.processInstanceKey}:slot:${variables.slotId}`,
      });
      return {
        appointmentId: appointment.id,
        bookingCode: appointment.bookingCode,
        appointmentStart: appointment.start,
      };
    } catch (err) {
      if (err instanceof SlotUnavailableError) throw new BpmnError('SLOT_TAKEN', BPMN_ERRORS.SLOT_TAKEN);
      if (err instanceof CupUnavailableError) throw new TransientError(err.message);
      throw err;
    }
  },
});
