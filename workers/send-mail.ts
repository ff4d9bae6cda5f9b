import { z } from 'zod';
import { MailRecords } from '../domain/helpdesk/mail-records.js';
import { PermanentError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';
import { jobErrorOfMail } from './mail-failure.js';

/**
 * Answers the requester of a received message with the email template named in the task's
 * `template` header (its first line is the subject, the rest the text), in the message's
 * thread, marked as automatic. One email per message and purpose, whatever the retries.
 */
export const sendMail = defineWorker({
  taskType: 'send-mail',
  permission: 'helpdesk:manage',
  description:
    "Invia al richiedente l'email del modello indicato nell'intestazione `template`, nel filo del suo messaggio; una sola volta per messaggio e scopo.",
  variables: z
    .object({
      mailId: z.string().uuid(),
      ticketId: z.string().min(1).optional(),
      queue: z.string().optional(),
    })
    .passthrough(),
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
    const mail = await deps.mail.records.get(variables.mailId);
    if (!mail)
      throw new PermanentError(`Messaggio ${variables.mailId} non trovato: verificare l'archivio della posta.`);
    const to = MailRecords.requester(mail);
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
      subject: mail.subject ?? '(senza oggetto)',
      ticketId: variables.ticketId ?? '',
      queue: variables.queue ?? '',
    });
    const [subjectLine, ...body] = rendered.split('\n');
    const purpose = headers.purpose ?? headers.template;
    try {
      const sent = await deps.mail.sender.sendOnce({
        purpose,
        reference: headers.per === 'step' ? `${mail.id}:${job.elementInstanceKey ?? job.key}` : mail.id,
        from: deps.mail.from,
        to,
        subject: (subjectLine ?? '').trim(),
        text: body.join('\n').trim(),
        inReplyTo: mail.messageId ?? undefined,
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
