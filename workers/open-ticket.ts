import { z } from 'zod';
import { TicketRejectedError, TicketsUnavailableError } from '../adapters/tickets/tickets.js';
import { MailRecords } from '../domain/helpdesk/mail-records.js';
import { PermanentError, TransientError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';

const CHANNEL_LABELS = { email: 'email', pec: 'pec', fax: 'fax' } as const;

/**
 * Opens the Request Tracker ticket of a received message, in the queue the pre-check chose,
 * with the message's text and every attachment. One ticket per message whatever the
 * retries: the message is the ticket's request key, which RT is asked for before creating.
 */
export const openTicket = defineWorker({
  taskType: 'open-ticket',
  permission: 'helpdesk:manage',
  description:
    'Apre su Request Tracker il ticket del messaggio ricevuto, nella coda scelta, con testo e allegati; un solo ticket per messaggio.',
  variables: z.object({
    mailId: z.string().uuid(),
    queue: z.string().min(1),
    precheckNote: z.string().optional(),
  }),
  headers: z.object({}).passthrough(),
  async handler({ variables, deps, once }) {
    const mail = await deps.mail.records.get(variables.mailId);
    if (!mail) {
      throw new PermanentError(`Messaggio ${variables.mailId} non trovato: verificare l'archivio della posta.`);
    }
    const attachments = await deps.mail.records.attachments(mail.id);
    // A PEC's evidence is the provider's signed envelope (daticert.xml and signature inside).
    const envelope = mail.pec ? await deps.mail.records.raw(mail.id) : undefined;
    if (envelope) attachments.push({ filename: 'busta-pec.eml', contentType: 'application/octet-stream', content: envelope });
    const header = [
      `Ricevuto da: ${mail.fromName ? `${mail.fromName} <${mail.fromAddress ?? ''}>` : (mail.fromAddress ?? 'mittente sconosciuto')}`,
      `Casella: ${mail.mailbox} (${CHANNEL_LABELS[mail.channel]})`,
      mail.pec ? `PEC certificata: identificativo ${String(mail.pec.identificativo)}, ${String(mail.pec.data)}` : '',
      variables.precheckNote ? `Nota della verifica preliminare: ${variables.precheckNote}` : '',
    ].filter(Boolean);
    const ticket = await once(`mail:${mail.id}`, async () => {
      try {
        const t = await deps.tickets.create({
          queue: variables.queue,
          subject: mail.subject ?? '(senza oggetto)',
          requestor: MailRecords.requester(mail),
          content: `${header.join('\n')}\n\n${mail.text}`,
          attachments,
          customFields: { Canale: mail.channel },
          requestKey: `mail:${mail.id}`,
        });
        return { id: t.id, queue: t.queue };
      } catch (err) {
        if (err instanceof TicketRejectedError) {
          throw new PermanentError(
            `Request Tracker ha rifiutato il ticket: ${err.message}. Verificare la coda «${variables.queue}» e i permessi dell'utente del contact center, poi riprovare.`,
          );
        }
        if (err instanceof TicketsUnavailableError) throw new TransientError(err.message);
        throw err;
      }
    });
    await deps.mail.records.linkTicket(mail.id, ticket.id);
    return { ticketId: ticket.id, queue: ticket.queue };
  },
});
