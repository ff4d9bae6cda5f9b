import { z } from 'zod';
import { AppointmentStateError } from '../adapters/cup/cup.js';
import { defineWorker } from './framework/define.js';

/**
 * Records the outcome of one "pulitura agende" call; a patient who will not come is
 * cancelled with a note, and the freed slot goes to recall.
 */
export const recordCleanupOutcome = defineWorker({
  taskType: 'record-cleanup-outcome',
  permission: 'cup:contact',
  description:
    "Registra l'esito della chiamata di pulitura; se il paziente disdice, la prenotazione è disdetta e lo slot liberato.",
  variables: z.object({
    appointmentId: z.string().min(1),
    presenceOutcome: z.enum(['confirmed', 'cancelled', 'no-answer']),
    presenceNote: z.string().max(500).nullish(),
    packageNo: z.number().int().min(1),
    taskCompletedBy: z.string().nullish(),
  }),
  headers: z.object({}),
  async handler({ variables: v, job, deps }) {
    let freedSlotId: string | null = null;
    if (v.presenceOutcome === 'cancelled') {
      try {
        const cancelled = await deps.cup.cancel({
          appointmentId: v.appointmentId,
          reason: `Disdetta durante la pulitura agenda${v.presenceNote ? `: ${v.presenceNote}` : ''}`,
        });
        freedSlotId = cancelled.slotId;
      } catch (err) {
        if (!(err instanceof AppointmentStateError)) throw err;
      }
    }
    // The campaign is the parent of this contact: its key is the process instance key.
    await deps.db.query(
      `INSERT INTO cup_cleanup_contacts (campaign_instance_key, package_no, appointment_id, outcome, note, operator)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (campaign_instance_key, appointment_id) DO NOTHING`,
      [
        job.processInstanceKey,
        v.packageNo,
        v.appointmentId,
        v.presenceOutcome,
        v.presenceNote ?? null,
        v.taskCompletedBy ?? null,
      ],
    );
    return { freedSlotId };
  },
});
