import type { HelpDeskContact } from '../domain/helpdesk/phone-contacts.js';
import type { MailRecord } from '../domain/helpdesk/mail-records.js';
import { PermanentError } from './framework/errors.js';
import type { WorkerDeps } from './framework/define.js';

/** The received message a help-desk step works on; gone, a person must look (never retried). */
export async function receivedMail(deps: WorkerDeps, mailId: string): Promise<MailRecord> {
  const mail = await deps.mail.records.get(mailId);
  if (!mail) throw new PermanentError(`Messaggio ${mailId} non trovato: verificare l'archivio della posta.`);
  return mail;
}

/** The front office's contact for a call a help-desk step works on; gone, it must be opened again. */
export async function helpDeskContact(deps: WorkerDeps, contactId: string): Promise<HelpDeskContact> {
  const contact = await deps.mail.contacts.get(contactId);
  if (!contact) throw new PermanentError(`Contatto ${contactId} non trovato: riaprirlo da «Nuovo contatto».`);
  return contact;
}
