import { z } from 'zod';
import { defineWorker } from './framework/define.js';

/** Records that the back office cancelled the club's request, with its note; nothing was booked. */
export const closeSportsGroup = defineWorker({
  taskType: 'close-sports-group',
  permission: 'cup:contact',
  description:
    'Registra che il back office ha annullato la richiesta della società sportiva, con la sua nota; nessuna prenotazione.',
  variables: z.object({
    businessKey: z.string().min(1),
    backOfficeNote: z.string().max(1000).nullish(),
  }),
  headers: z.object({}),
  async handler({ variables: v, job, deps }) {
    await deps.db.query(
      `UPDATE cup_sports_groups
          SET status = 'cancelled', back_office_note = $2, process_instance_key = $3, updated_at = now()
        WHERE business_key = $1 AND status <> 'booked'`,
      [v.businessKey, v.backOfficeNote ?? null, job.processInstanceKey],
    );
    return {};
  },
});
