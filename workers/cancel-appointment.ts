import { z } from 'zod';
import { AppointmentStateError, CupUnavailableError } from '../adapters/cup/cup.js';
import { BpmnError, TransientError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';
import { BPMN_ERRORS } from './framework/bpmn-errors.js';

/** Cancels a booking on the CUP with the operator's mandatory note; the slot becomes free. */
export const cancelAppointment = defineWorker({
  taskType: 'cancel-appointment',
  permission: 'cup:contact',
  description: "Disdice la prenotazione sul CUP con la nota obbligatoria dell'operatore e libera lo slot.",
  variables: z.object({
    appointmentId: z.string().min(1),
    cancellationNote: z.string().trim().min(1),
  }),
  headers: z.object({}),
  async handler({ variables, deps }) {
    try {
      const cancelled = await deps.cup.cancel({
        appointmentId: variables.appointmentId,
        reason: variables.cancellationNote,
      });
      return { freedSlotId: cancelled.slotId, cancelledAt: deps.now().toISOString() };
    } catch (err) {
      if (err instanceof AppointmentStateError) {
        throw new BpmnError('APPOINTMENT_NOT_ACTIVE', BPMN_ERRORS.APPOINTMENT_NOT_ACTIVE);
      }
      if (err instanceof CupUnavailableError) throw new TransientError(err.message);
      throw err;
    }
  },
});
