import { z } from 'zod';
import { AppointmentStateError, CupUnavailableError, SlotUnavailableError } from '../adapters/cup/cup.js';
import { BpmnError, TransientError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';
import { BPMN_ERRORS } from './framework/bpmn-errors.js';

/**
 * Moves a booking to the slot chosen by the operator (another date or structure): the new
 * appointment replaces the old one, whose slot becomes free.
 */
export const moveAppointment = defineWorker({
  taskType: 'move-appointment',
  permission: 'cup:contact',
  description:
    'Sposta la prenotazione sullo slot scelto; la nuova prenotazione sostituisce la vecchia e ne libera lo slot.',
  variables: z.object({
    appointmentId: z.string().min(1),
    slotId: z.string().min(1).max(64),
    cancellationNote: z.string().trim().min(1),
  }),
  headers: z.object({}),
  async handler({ variables, job, deps }) {
    const old = await deps.cup.getAppointment(variables.appointmentId);
    try {
      const moved = await deps.cup.move({
        appointmentId: variables.appointmentId,
        slotId: variables.slotId,
        reason: variables.cancellationNote,
        requestKey: `pi:${job.processInstanceKey}:move:${variables.slotId}`,
      });
      return {
        replacedAppointmentId: variables.appointmentId,
        appointmentId: moved.id,
        bookingCode: moved.bookingCode,
        appointmentStart: moved.start,
        freedSlotId: old?.slotId ?? null,
      };
    } catch (err) {
      if (err instanceof SlotUnavailableError) throw new BpmnError('SLOT_TAKEN', BPMN_ERRORS.SLOT_TAKEN);
      if (err instanceof AppointmentStateError) {
        throw new BpmnError('APPOINTMENT_NOT_ACTIVE', BPMN_ERRORS.APPOINTMENT_NOT_ACTIVE);
      }
      if (err instanceof CupUnavailableError) throw new TransientError(err.message);
      throw err;
    }
  },
});
