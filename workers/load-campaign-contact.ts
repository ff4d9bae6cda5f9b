import { z } from 'zod';
import { Campaigns } from '../domain/campaigns/campaigns.js';
import { outcomeOptions } from '../domain/campaigns/outcomes.js';
import { NotFoundError } from '../domain/errors.js';
import { PermanentError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';

/** Puts on the call task what the operator needs: who to call, the campaign's script, the outcome codes of its kind. */
export const loadCampaignContact = defineWorker({
  taskType: 'load-campaign-contact',
  // It changes nothing but returns the person's name and numbers (ADR 0010).
  permission: 'personal:read',
  description:
    'Prepara per l’operatore il contatto da chiamare (nome, telefono, email, altre colonne dell’elenco), il copione e gli esiti della campagna.',
  variables: z.object({ contactId: z.union([z.string(), z.number()]).transform(String) }),
  headers: z.object({}),
  async handler({ variables, deps }) {
    const contact = await new Campaigns(deps.db, deps.now).contactForCall(variables.contactId).catch((err: unknown) => {
      if (err instanceof NotFoundError) {
        throw new PermanentError(`Il contatto ${variables.contactId} della campagna non esiste più.`);
      }
      throw err;
    });
    return {
      contactName: contact.name,
      contactPhone: contact.phone,
      contactEmail: contact.email,
      contactFiscalCode: contact.fiscalCode,
      // The list's other columns, one line each ("Comune: Potenza").
      contactDetailsNote:
        Object.entries(contact.extra)
          .map(([k, v]) => `${k}: ${v}`)
          .join('\n') || null,
      campaignName: contact.campaign.name,
      campaignKindLabel: contact.campaign.kindLabel,
      campaignScript: contact.campaign.script,
      outcomeOptions: outcomeOptions(contact.campaign.kind),
    };
  },
});
