import { z } from 'zod';
import { PecRejectedError, PecUnavailableError, type PecHolder } from '../adapters/pec/pec-provider.js';
import { PermanentError, TransientError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';
import { present } from './pec-holder-message.js';

export const PEC_CHANGES = ['holder', 'quota', 'delete'] as const;

/**
 * Applies an approved change to a PEC mailbox with the provider's postmaster: the holder's
 * data, the size, or the deletion, as the `change` header says (or the `pecChange` variable).
 * Once per visit of the step whatever the retries (the provider's request key). A refusal is
 * an outcome of the flow (`pecOutcome` `rejected`, the reason in Italian), which goes back to
 * the back office.
 */
export const changePecMailbox = defineWorker({
  taskType: 'change-pec-mailbox',
  permission: 'helpdesk:manage',
  description:
    'Applica presso il gestore PEC la variazione approvata (dati del titolare, dimensione, cancellazione) una sola volta; un rifiuto torna al back office.',
  variables: z
    .object({
      pecAddress: z.string().trim().min(3),
      pecChange: z.string().nullish(),
      pecQuotaMb: z.coerce.number().int().positive().nullish(),
      newGivenName: z.string().nullish(),
      newFamilyName: z.string().nullish(),
      newFiscalCode: z.string().nullish(),
      newEmail: z.string().nullish(),
      newPhone: z.string().nullish(),
    })
    .passthrough(),
  headers: z.object({ change: z.enum(PEC_CHANGES).optional() }).passthrough(),
  async handler({ variables, headers, deps, job }) {
    const change = headers.change ?? variables.pecChange;
    if (!change || !(PEC_CHANGES as readonly string[]).includes(change)) {
      throw new PermanentError(
        `Variazione «${change ?? ''}» non prevista: indicare nel modello (intestazione change) o nella variabile pecChange holder, quota o delete.`,
      );
    }
    const requestKey = `pec-change:${job.processInstanceKey}:${job.elementInstanceKey ?? job.elementId}`;
    const address = variables.pecAddress.toLowerCase();
    try {
      if (change === 'quota') {
        if (!variables.pecQuotaMb) {
          throw new PermanentError('Nuova dimensione della casella mancante: indicare pecQuotaMb e riprovare.');
        }
        const m = await deps.pec.changeQuota({ address, quotaMb: variables.pecQuotaMb, requestKey });
        return { pecOutcome: 'changed', pecQuotaMb: m.quotaMb, pecRejectionCode: null, pecRejectionNote: '' };
      }
      if (change === 'delete') {
        await deps.pec.deleteMailbox({ address, requestKey });
        return { pecOutcome: 'changed', pecRejectionCode: null, pecRejectionNote: '' };
      }
      const holder: Partial<PecHolder> = {};
      const set = <K extends keyof PecHolder>(k: K, v: string | null | undefined) => {
        const p = present(v);
        if (p !== undefined) holder[k] = p;
      };
      set('givenName', variables.newGivenName);
      set('familyName', variables.newFamilyName);
      set('fiscalCode', variables.newFiscalCode?.toUpperCase());
      set('email', variables.newEmail);
      set('phone', variables.newPhone);
      if (Object.keys(holder).length === 0) {
        throw new PermanentError(
          'Nessun dato del titolare da modificare: indicare almeno un nuovo valore nella variazione e riprovare.',
        );
      }
      await deps.pec.updateHolder({ address, holder, requestKey });
      return { pecOutcome: 'changed', pecRejectionCode: null, pecRejectionNote: '' };
    } catch (err) {
      if (err instanceof PecRejectedError) {
        return {
          pecOutcome: 'rejected',
          pecRejectionCode: err.code,
          pecRejectionNote: `Il gestore PEC ha rifiutato la variazione della casella ${address}: ${err.message}. Correggere i dati e approvare di nuovo, oppure respingere la richiesta.`,
        };
      }
      if (err instanceof PecUnavailableError) {
        throw new TransientError(`Gestore PEC non raggiungibile: ${err.message}`);
      }
      throw err;
    }
  },
});
