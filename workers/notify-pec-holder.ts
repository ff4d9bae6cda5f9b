import { z } from 'zod';
import { PermanentError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';
import { sendToHolder } from './pec-holder-message.js';

/** The notices a PEC holder receives, each a template `templates/{email,sms}/<notice>.hbs`. */
export const PEC_NOTICES = [
  'pec-request-refused',
  'pec-change-refused',
  'pec-holder-changed',
  'pec-quota-changed',
  'pec-deleted',
] as const;

/** The notice of a change done, by the change (`pecChange`). */
const NOTICE_OF_CHANGE: Record<string, (typeof PEC_NOTICES)[number]> = {
  holder: 'pec-holder-changed',
  quota: 'pec-quota-changed',
  delete: 'pec-deleted',
};

/**
 * Tells the PEC holder what became of the request: refused (with the back office's reason),
 * or the change made. The notice is the `notice` header, or follows `pecChange`. By personal
 * email, else SMS; once per visit of the step. Without any contact it completes with
 * `noticeStatus` `no-contact` (the ticket keeps the outcome).
 */
export const notifyPecHolder = defineWorker({
  taskType: 'notify-pec-holder',
  permission: 'helpdesk:manage',
  description:
    "Informa il titolare dell'esito della richiesta PEC (respinta, o la variazione fatta) per email personale o SMS; una sola volta per passaggio.",
  variables: z
    .object({
      pecAddress: z.string().trim().min(3),
      pecChange: z.string().nullish(),
      pecQuotaMb: z.coerce.number().int().nullish(),
      deliveryEmail: z.string().nullish(),
      deliveryMobile: z.string().nullish(),
      ticketId: z.string().nullish(),
      refusalNote: z.string().nullish(),
    })
    .passthrough(),
  headers: z.object({ notice: z.enum(PEC_NOTICES).optional() }).passthrough(),
  async handler({ variables, headers, deps, job }) {
    const notice = headers.notice ?? NOTICE_OF_CHANGE[variables.pecChange ?? ''];
    if (!notice) {
      throw new PermanentError(
        `Nessun avviso previsto per la variazione «${variables.pecChange ?? ''}»: indicare nel modello l'intestazione notice (${PEC_NOTICES.join(', ')}).`,
      );
    }
    const sent = await sendToHolder(deps, {
      template: notice,
      purpose: notice,
      reference: `${job.processInstanceKey}:${job.elementInstanceKey ?? job.elementId}`,
      contacts: { email: variables.deliveryEmail, mobile: variables.deliveryMobile },
      ticketId: variables.ticketId ?? undefined,
      data: {
        pecAddress: variables.pecAddress.toLowerCase(),
        pecQuotaMb: variables.pecQuotaMb ?? '',
        refusalNote: variables.refusalNote?.trim() ?? '',
      },
    });
    return { noticeStatus: sent ? 'sent' : 'no-contact', noticeChannel: sent?.channel ?? null };
  },
});
