import { z } from 'zod';
import { AppointmentStateError } from '../adapters/cup/cup.js';
import { Campaigns } from '../domain/campaigns/campaigns.js';
import { CLEANUP_OUTCOME_CODES } from '../domain/campaigns/outcomes.js';
import { defineWorker } from './framework/define.js';

/**
 * Records the outcome of one "pulitura agende" call; a patient who will not come is
 * cancelled with a note, and the freed slot goes to recall. The outcome is stored as every
 * campaign's is (domain/campaigns/), the booking as the contact's reference.
 */
export const recordCleanupOutcome = defineWorker({
  taskType: 'record-cleanup-outcome',
  permission: 'cup:contact',
  description:
    "Registra l'esito della chiamata di pulitura; se il paziente disdice, la prenotazione è disdetta e lo slot liberato.",
  variables: z.object({
    /** Left out by instances started before cleanups were campaigns: the campaign is made for the instance. */
    campaignId: z.uuid().nullish(),
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
    const campaigns = new Campaigns(deps.db, deps.now);
    const campaignId = v.campaignId ?? (await campaigns.ensureForInstance(job.processInstanceKey, 'agenda-cleanup'));
    await campaigns.recordReferenceOutcome({
      campaignId,
      kind: 'agenda-cleanup',
      packageNo: v.packageNo,
      reference: v.appointmentId,
      code: CLEANUP_OUTCOME_CODES[v.presenceOutcome],
      note: v.presenceNote,
      operator: v.taskCompletedBy,
    });
    return { freedSlotId };
  },
});
