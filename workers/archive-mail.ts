import { z } from 'zod';
import { MailboxUnavailableError } from '../adapters/mail/mailbox.js';
import { ARCHIVE_FOLDER } from '../domain/helpdesk/mail-intake.js';
import { PermanentError, TransientError } from './framework/errors.js';
import { receivedMail } from './helpdesk-records.js';
import { defineWorker } from './framework/define.js';

/** Moves a message that has been dealt with out of its mailbox's inbox into the archive folder. */
export const archiveMail = defineWorker({
  taskType: 'archive-mail',
  permission: 'helpdesk:manage',
  description: "Sposta il messaggio trattato dalla casella in arrivo alla cartella d'archivio.",
  variables: z.object({ mailId: z.string().uuid() }),
  headers: z.object({}).passthrough(),
  async handler({ variables, deps }) {
    const mail = await receivedMail(deps, variables.mailId);
    const mailbox = deps.mail.mailboxes.get(mail.mailbox);
    if (!mailbox) {
      throw new PermanentError(
        `La casella «${mail.mailbox}» non è più configurata: archiviare il messaggio a mano o ripristinarne la configurazione.`,
      );
    }
    let moved: 'moved' | 'gone';
    try {
      moved = await mailbox.archive(mail, ARCHIVE_FOLDER);
    } catch (err) {
      if (err instanceof MailboxUnavailableError) throw new TransientError(err.message);
      throw err;
    }
    await deps.mail.records.markArchived(mail.id);
    return { archived: moved === 'moved' ? 'moved' : 'already' };
  },
});
