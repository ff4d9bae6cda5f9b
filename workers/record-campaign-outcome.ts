import { z } from 'zod';
import { Campaigns } from '../domain/campaigns/campaigns.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { PermanentError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';

/**
 * Records the outcome code the operator chose for one call of a campaign, with the note and
 * who called; whether it is positive comes from the kind's catalogue. A retry keeps the first.
 */
export const recordCampaignOutcome = defineWorker({
  taskType: 'record-campaign-outcome',
  permission: 'helpdesk:contact',
  description:
    "Registra l'esito della chiamata della campagna (codice del catalogo del tipo di campagna, nota, operatore).",
  variables: z.object({
    campaignId: z.uuid(),
    contactId: z.union([z.string(), z.number()]).transform(String),
    outcomeCode: z.string().min(1),
    outcomeNote: z.string().max(500).nullish(),
    taskCompletedBy: z.string().nullish(),
  }),
  headers: z.object({}),
  async handler({ variables: v, deps }) {
    const recorded = await new Campaigns(deps.db, deps.now)
      .recordOutcome({
        campaignId: v.campaignId,
        contactId: v.contactId,
        code: v.outcomeCode,
        note: v.outcomeNote,
        operator: v.taskCompletedBy,
      })
      .catch((err: unknown) => {
        // Retrying cannot mend a contact that is not there or a code of another catalogue.
        if (err instanceof NotFoundError || err instanceof ValidationError) throw new PermanentError(err.message);
        throw err;
      });
    return { outcomePositive: recorded.positive };
  },
});
