import { z } from 'zod';
import {
  PecRejectedError,
  PecUnavailableError,
  PEC_REJECTION_REASONS,
  type PecRejectionCode,
} from '../adapters/pec/pec-provider.js';
import { TransientError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';
import { present } from './pec-holder-message.js';

/** What the operator is told to do about each refusal, after the postmaster's reason. */
const WHAT_TO_DO: Partial<Record<PecRejectionCode, string>> = {
  'address-taken': 'scegliere un altro indirizzo (per esempio con un secondo nome o un numero) e riprovare.',
  'invalid-address': "correggere l'indirizzo (lettere, cifre, punti, trattini) e riprovare.",
  'domain-not-managed':
    "il dominio non è attivo presso il gestore: scegliere pec.basilicatanet.it o il dominio dedicato dell'ente, oppure chiederne l'attivazione.",
  'quota-over-limit': 'scegliere una dimensione consentita per il dominio e riprovare.',
  'invalid-fiscal-code': 'il codice fiscale va corretto con una nuova richiesta: respingere questa.',
  'invalid-holder': 'i dati del titolare vanno completati con una nuova richiesta: respingere questa.',
};

/**
 * Creates the approved PEC mailbox with the provider's postmaster, once per request whatever
 * the retries (the process instance is the provider's request key). A refusal is an outcome
 * of the flow, not an incident: `pecOutcome` is `rejected` with the reason in Italian, and the
 * operator chooses another address, domain or size, or gives the request up.
 */
export const createPecMailbox = defineWorker({
  taskType: 'create-pec-mailbox',
  permission: 'helpdesk:manage',
  description:
    "Crea la casella PEC approvata presso il gestore (una sola per richiesta); un rifiuto (indirizzo già esistente, codice fiscale non valido, quota oltre il limite, dominio non gestito) torna all'operatore.",
  variables: z
    .object({
      holderFiscalCode: z.string().trim().min(1),
      holderGivenName: z.string().trim().min(1),
      holderFamilyName: z.string().trim().min(1),
      pecMailboxName: z.string().trim().min(1),
      pecDomain: z.string().trim().min(1),
      pecQuotaMb: z.coerce.number().int().positive(),
      deliveryEmail: z.string().nullish(),
      deliveryMobile: z.string().nullish(),
    })
    .passthrough(),
  headers: z.object({}).passthrough(),
  async handler({ variables, deps, job }) {
    const address = `${variables.pecMailboxName}@${variables.pecDomain}`.toLowerCase();
    try {
      const mailbox = await deps.pec.createMailbox({
        address,
        holder: {
          fiscalCode: variables.holderFiscalCode,
          givenName: variables.holderGivenName,
          familyName: variables.holderFamilyName,
          email: present(variables.deliveryEmail),
          phone: present(variables.deliveryMobile),
        },
        quotaMb: variables.pecQuotaMb,
        requestKey: `pec-issue:${job.processInstanceKey}`,
      });
      return {
        pecOutcome: 'created',
        pecAddress: mailbox.address,
        pecQuotaMb: mailbox.quotaMb,
        pecRejectionCode: null,
        pecRejectionNote: '',
      };
    } catch (err) {
      if (err instanceof PecRejectedError) {
        return {
          pecOutcome: 'rejected',
          pecAddress: address,
          pecRejectionCode: err.code,
          pecRejectionNote: `Il gestore PEC ha rifiutato la casella ${address}: ${err.message}. ${
            WHAT_TO_DO[err.code] ?? `(${PEC_REJECTION_REASONS[err.code]})`
          }`,
        };
      }
      if (err instanceof PecUnavailableError) {
        throw new TransientError(`Gestore PEC non raggiungibile: ${err.message}`);
      }
      throw err;
    }
  },
});
