import { z } from 'zod';
import { MailRecords } from '../domain/helpdesk/mail-records.js';
import { helpDeskContact, receivedMail } from './helpdesk-records.js';
import { defineWorker, type WorkerDeps } from './framework/define.js';
import { jobErrorOfMail } from './mail-failure.js';

/**
 * Answers the requester of a received message (or of a call the front office forwarded, at
 * the email the caller gave) with the email template named in the task's `template` header
 * (its first line is the subject, the rest the text), in the message's thread, marked as
 * automatic. One email per message (or contact) and purpose, whatever the retries.
 */
export const sendMail = defineWorker({
  taskType: 'send-mail',
  permission: 'helpdesk:manage',
  description:
    "Invia al richiedente l'email del modello indicato nell'intestazione `template`, nel filo del suo messaggio; una sola volta per messaggio e scopo.",
  variables: z
    .object({
      // One of the two; a subprocess passes the other one on as null.
      mailId: z.string().uuid().nullish(),
      contactId: z.string().uuid().nullish(),
      ticketId: z.string().min(1).optional(),
      queue: z.string().optional(),
    })
    .passthrough()
    .refine((v) => Boolean(v.mailId) !== Boolean(v.contactId), 'serve mailId oppure contactId'),
  headers: z.object({
    template: z.string().min(1),
    purpose: z.string().min(1).optional(),
    /**
     * `message` (default): one such email per received message. `step`: one per visit of this
     * step, for a flow that asks again in a loop (documents still missing).
     */
    per: z.enum(['message', 'step']).default('message'),
  }),
  async handler({ variables, headers, deps, job }) {
    const origin = await originOf(deps, variables.mailId, variables.contactId);
    const to = origin.to;
    if (!to) return { mailStatus: 'no-address' };
    // Templates render strictly (a missing field is an error): the fields a form may leave
    // out have their empty value here, the process's variables override them.
    const rendered = deps.templates.render('email', headers.template, {
      missingNote: '',
      outcomeText: '',
      identityDocument: false,
      signedRequest: false,
      legibleAttachments: false,
      ...variables,
      actNumberPresent: typeof variables.actNumber === 'string' && variables.actNumber.trim() !== '',
      subject: origin.subject,
      ticketId: variables.ticketId ?? '',
      queue: variables.queue ?? '',
    });
    const [subjectLine, ...body] = rendered.split('\n');
    const purpose = headers.purpose ?? headers.template;
    try {
      const sent = await deps.mail.sender.sendOnce({
        purpose,
        reference:
          headers.per === 'step' ? `${origin.reference}:${job.elementInstanceKey ?? job.key}` : origin.reference,
        from: deps.mail.from,
        to,
        subject: (subjectLine ?? '').trim(),
        text: body.join('\n').trim(),
        inReplyTo: origin.inReplyTo,
        ticketId: variables.ticketId,
      });
      return { mailStatus: 'sent', sentMessageId: sent.messageId };
    } catch (err) {
      throw jobErrorOfMail(
        err,
        (reason) =>
          `Email a ${to.replace(/^(.).*@/, '$1…@')} rifiutata: ${reason}. Verificare l'indirizzo del richiedente e riprovare.`,
      );
    }
  },
});

/** Who is answered, about what, in which thread: a received message, or a call's contact. */
async function originOf(
  deps: WorkerDeps,
  mailId: string | null | undefined,
  contactId: string | null | undefined,
): Promise<{ to: string | undefined; subject: string; reference: string; inReplyTo: string | undefined }> {
  if (mailId) {
    const mail = await receivedMail(deps, mailId);
    return {
      to: MailRecords.requester(mail),
      subject: mail.subject ?? '(senza oggetto)',
      reference: mail.id,
      inReplyTo: mail.messageId ?? undefined,
    };
  }
  const contact = await helpDeskContact(deps, contactId ?? '');
  // Keyed apart from messages: a contact's id is not a message's.
  return {
    to: contact.email ?? undefined,
    subject: contact.subject,
    reference: `contact:${contact.id}`,
    inReplyTo: undefined,
  };
}
