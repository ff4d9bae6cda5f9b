import type { Readable } from 'node:stream';

/**
 * One inbound mailbox of the help desk (`helpdesk`, `tributi`, `pec`, `fax`): IMAP in
 * production (`imap-mailbox.ts`), a local store fed by an SMTP listener on the embedded
 * default (`local-mailbox.ts`). Messages stay in the inbox until the flow archives them, so a
 * watcher that restarts offers them again; the intake deduplicates.
 */
export interface Mailbox {
  /** The mailbox's name in the configuration (`helpdesk`, `tributi`, `pec`, `fax`). */
  readonly name: string;
  /**
   * Offers every message of the inbox, then each new one as it arrives, to `onMessage`, one
   * at a time in UID order, until `signal` aborts. Survives drops: it reconnects (a new
   * client each time) with a backoff and offers the inbox again. A message whose handler
   * throws is offered again at the next reconnect or pass. Resolves once stopped.
   */
  watch(onMessage: (message: InboxMessage) => Promise<void>, signal: AbortSignal): Promise<void>;
  /**
   * Moves the message out of the inbox into `folder` (created when missing). `gone` when it
   * is no longer in the inbox (already moved: a retry).
   */
  archive(ref: MessageRef, folder: string): Promise<'moved' | 'gone'>;
  /**
   * Deletes from `folder` (the archive) every message that arrived before `before`: the
   * retention of the mailbox's own copies (R2). Answers how many; a folder that does not
   * exist has none.
   */
  purge(folder: string, before: Date): Promise<number>;
}

export interface MessageRef {
  /** UIDVALIDITY of the inbox, as a decimal string (IMAP's is a 32-bit unsigned number). */
  uidValidity: string;
  uid: number;
}

export interface InboxMessage extends MessageRef {
  /** Size in bytes as the server reports it. */
  size: number;
  /** The raw RFC 5322 message, streamed. */
  open(): Promise<Readable>;
}

/** The mailbox server could not be reached or refused the login. */
export class MailboxUnavailableError extends Error {
  override name = 'MailboxUnavailableError';
}
