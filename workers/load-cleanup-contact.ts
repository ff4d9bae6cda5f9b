import { z } from 'zod';
import { defineWorker } from './framework/define.js';

/** Puts on the call task what the back office needs to place the call: booking and patient. */
export const loadCleanupContact = defineWorker({
  taskType: 'load-cleanup-contact',
  // It changes nothing but returns the patient and the booking code: a model could copy them
  // into a variable whose name is not masked (ADR 0010).
  permission: 'personal:read',
  description: 'Prepara per il back office i dati della prenotazione da confermare (codice, data, paziente).',
  variables: z.object({ appointmentId: z.string().min(1) }),
  headers: z.object({}),
  async handler({ variables, deps }) {
    const a = await deps.cup.getAppointment(variables.appointmentId);
    return {
      bookingCode: a?.bookingCode ?? null,
      appointmentStart: a?.start ?? null,
      patientId: a?.patientId ?? null,
      appointmentStatus: a?.status ?? 'unknown',
    };
  },
});
