import { z } from 'zod';
import { TicketRejectedError, TicketsUnavailableError } from '../adapters/tickets/tickets.js';
import { PermanentError, TransientError } from './framework/errors.js';
import { receivedMail } from './helpdesk-records.js';
import { defineWorker } from './framework/define.js';

/** The BPMN message a flow waiting for the citizen's answer catches (correlated by `ticketId`). */
export const CITIZEN_REPLY = 'citizen-reply';

/**
 * A citizen's answer about a ticket (its number in the subject, or a reply to our mail):
 * added to the ticket with its attachments, once, and handed to the flow waiting for it
 * (a tributi request waiting for missing documents), once.
 */
export const linkReply = defineWorker({
  taskType: 'link-reply',
  permission: 'helpdesk:manage',
  description:
    'Aggiunge al ticket la risposta del cittadino con i suoi allegati e la consegna al flusso che la attende, una sola volta.',
  variables: z.object({ mailId: z.string().uuid(), replyToTicket: z.string().regex(/^\d+$/) }),
  headers: z.object({}).passthrough(),
  async handler({ variables, deps, once }) {
    const mail = await receivedMail(deps, variables.mailId);
    try {
      await deps.tickets.addMessage(variables.replyToTicket, {
        kind: 'comment',
        content: `Risposta del richiedente (${mail.fromAddress ?? 'mittente sconosciuto'}), oggetto «${mail.subject ?? ''}»:\n\n${mail.text}`,
        attachments: await deps.mail.records.attachments(mail.id),
        requestKey: `mail:${mail.id}`,
      });
    } catch (err) {
      if (err instanceof TicketRejectedError) {
        throw new PermanentError(
          `Il ticket ${variables.replyToTicket} citato dalla risposta non accetta messaggi: ${err.message}. Verificare il numero e collegare la risposta a mano.`,
        );
      }
      if (err instanceof TicketsUnavailableError) throw new TransientError(err.message);
      throw err;
    }
    await deps.mail.records.linkTicket(mail.id, variables.replyToTicket);
    const delivered = await once(`reply:${mail.id}`, () =>
      deps.correlate(CITIZEN_REPLY, { ticketId: variables.replyToTicket }, { lastReplyMailId: mail.id }),
    );
    return { replyDelivered: delivered > 0 };
  },
});
