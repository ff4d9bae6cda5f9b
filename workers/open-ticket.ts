import { z } from 'zod';
import { TicketRejectedError, TicketsUnavailableError, type NewTicket } from '../adapters/tickets/tickets.js';
import { MailRecords } from '../domain/helpdesk/mail-records.js';
import { PermanentError, TransientError } from './framework/errors.js';
import { helpDeskContact, receivedMail } from './helpdesk-records.js';
import { defineWorker, type WorkerDeps } from './framework/define.js';

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
  variables: z
    .object({
      /** A received message, or a contact the front office opened for a call (one of the two). */
      mailId: z.string().uuid().optional(),
      contactId: z.string().uuid().optional(),
      queue: z.string().min(1),
      precheckNote: z.string().optional(),
      forwardNote: z.string().optional(),
    })
    .refine((v) => (v.mailId === undefined) !== (v.contactId === undefined), 'serve mailId oppure contactId'),
  headers: z.object({}).passthrough(),
  async handler({ variables, deps, once }) {
    const request = variables.contactId
      ? await contactTicket(deps, variables.contactId, variables.forwardNote)
      : await mailTicket(deps, variables.mailId ?? '', variables.precheckNote);
    const { link, ...fields } = request;
    const ticket = await once(request.requestKey, async () => {
      try {
        const t = await deps.tickets.create({ ...fields, queue: variables.queue });
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
    await link(ticket.id);
    return { ticketId: ticket.id, queue: ticket.queue };
  },
});

type TicketRequest = Omit<NewTicket, 'queue'> & { link: (ticketId: string) => Promise<void> };

/** A received message's ticket: its text, attachments, for a PEC the signed envelope. */
async function mailTicket(deps: WorkerDeps, mailId: string, note: string | undefined): Promise<TicketRequest> {
  const mail = await receivedMail(deps, mailId);
  const attachments = await deps.mail.records.attachments(mail.id);
  // A PEC's evidence is the provider's signed envelope (daticert.xml and signature inside).
  const envelope = mail.pec ? await deps.mail.records.raw(mail.id) : undefined;
  if (envelope)
    attachments.push({ filename: 'busta-pec.eml', contentType: 'application/octet-stream', content: envelope });
  const header = [
    `Ricevuto da: ${mail.fromName ? `${mail.fromName} <${mail.fromAddress ?? ''}>` : (mail.fromAddress ?? 'mittente sconosciuto')}`,
    `Casella: ${mail.mailbox} (${CHANNEL_LABELS[mail.channel]})`,
    mail.pec ? `PEC certificata: identificativo ${String(mail.pec.identificativo)}, ${String(mail.pec.data)}` : '',
    note ? `Nota della verifica preliminare: ${note}` : '',
  ].filter(Boolean);
  return {
    subject: mail.subject ?? '(senza oggetto)',
    requestor: MailRecords.requester(mail),
    content: `${header.join('\n')}\n\n${mail.text}`,
    attachments,
    customFields: { Canale: mail.channel },
    requestKey: `mail:${mail.id}`,
    link: (ticketId) => deps.mail.records.linkTicket(mail.id, ticketId),
  };
}

/** A call the front office forwards: who called, what about, the notes and the documents. */
async function contactTicket(deps: WorkerDeps, contactId: string, note: string | undefined): Promise<TicketRequest> {
  const c = await helpDeskContact(deps, contactId);
  const header = [
    `Contatto ${c.channel === 'telefono' ? 'telefonico' : 'allo sportello'} del ${c.openedAt}, operatore ${c.openedBy}`,
    c.callerName ? `Richiedente: ${c.callerName}` : '',
    c.fiscalCode ? `Codice fiscale: ${c.fiscalCode}` : '',
    c.phone ? `Telefono: ${c.phone}` : '',
    note ? `Nota per l'inoltro: ${note}` : '',
  ].filter(Boolean);
  return {
    subject: c.subject,
    requestor: c.email ?? undefined,
    content: `${header.join('\n')}\n\n${c.notes ?? ''}`,
    attachments: await deps.mail.contacts.documents(c.id),
    customFields: { Canale: c.channel },
    requestKey: `contact:${c.id}`,
    link: (ticketId) => deps.mail.contacts.linkTicket(c.id, ticketId),
  };
}
