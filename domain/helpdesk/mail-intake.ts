import type { DataSource } from 'typeorm';
import type { InboxMessage, Mailbox } from '../../adapters/mail/mailbox.js';
import type { Logger } from '../../platform/logger.js';
import { newBusinessKey, type ProcessStarter } from '../processes/process-starter.js';
import { isDeliveryFailure, isReceipt } from './daticert.js';
import type { StoredContent } from '../../platform/content/content.js';
import { MailBlobs } from './mail-blobs.js';
import { inspectMail, quarantinedOnly, type BounceFacts, type InspectedMail } from './mail-inspection.js';
import { suggestQueue } from './queue-suggestion.js';
import { pause } from '../../platform/pause.js';

export type MailChannel = 'email' | 'pec' | 'fax';

/** One configured inbound mailbox: its name, what arrives there, and how it is read. */
export interface IntakeMailbox {
  name: string;
  channel: MailChannel;
  mailbox: Mailbox;
}

export const INTAKE_PROCESS = 'helpdesk-mail-intake';
/** Where the flow moves a message once it has been dealt with. */
export const ARCHIVE_FOLDER = 'Archivio';

export interface IntakeOptions {
  /** `X-Loop` value of our own mail. */
  loopId: string;
  /** A message larger than this is not fetched: it stays on the server, quarantined. */
  maxMessageBytes: number;
  /** Attachments beyond this in total: quarantined, and the sender told. */
  maxAttachmentBytes: number;
}

export type IntakeResult = 'started' | 'known' | 'duplicate';

/** How the quarantine reason of attachments over the limit begins (mail-inspection.ts). */
export const OVERSIZE_REASON = 'Allegati oltre il limite';

/**
 * Turns each message of a mailbox into one intake instance, exactly once: the message is
 * recorded under (mailbox, UIDVALIDITY, UID) with its raw bytes and attachments stored by
 * their SHA-256, then the instance is started with that identity as its idempotency key. A
 * crash between the two is finished at the next offer; the same message offered again, or
 * delivered again (same Message-ID, in this or another mailbox), starts nothing more.
 */
export class MailIntake {
  constructor(
    private readonly db: DataSource,
    private readonly starter: ProcessStarter,
    private readonly opts: IntakeOptions,
    private readonly log: Logger,
    private readonly blobs = new MailBlobs(db),
  ) {}

  async receive(box: IntakeMailbox, message: InboxMessage): Promise<IntakeResult> {
    const known: { id: string; status: string; process_instance_id: string | null; archived_at: Date | null }[] =
      await this.db.query(
        `SELECT id, status, process_instance_id, archived_at FROM mail_messages
          WHERE mailbox = $1 AND uid_validity = $2 AND uid = $3`,
        [box.name, message.uidValidity, message.uid],
      );
    const row = known[0];
    if (row?.status === 'duplicate') {
      if (!row.archived_at) await this.archiveDuplicate(box, row.id, message);
      return 'duplicate';
    }
    if (row?.process_instance_id) return 'known';
    const id = row?.id ?? (await this.record(box, message));
    const recorded: { status: string }[] = await this.db.query(`SELECT status FROM mail_messages WHERE id = $1`, [id]);
    if (recorded[0]?.status === 'duplicate') {
      await this.archiveDuplicate(box, id, message);
      return 'duplicate';
    }
    await this.start(box, id, message);
    return 'started';
  }

  private async record(box: IntakeMailbox, message: InboxMessage): Promise<string> {
    let raw: StoredContent | undefined;
    let inspected: InspectedMail;
    if (message.size > this.opts.maxMessageBytes) {
      inspected = quarantinedOnly(
        `Messaggio di ${(message.size / 1_048_576).toFixed(1)} MB, oltre il limite di ${Math.round(this.opts.maxMessageBytes / 1_048_576)} MB: resta sul server di posta`,
      );
    } else {
      // Streamed from the server into the store, then read from there: never held whole.
      raw = await this.blobs.put(await message.open(), { limit: this.opts.maxMessageBytes });
      inspected = await inspectMail(raw, {
        loopId: this.opts.loopId,
        maxAttachmentBytes: this.opts.maxAttachmentBytes,
        pecExpected: box.channel === 'pec',
        store: this.blobs,
      });
    }
    const rawSha = raw?.sha256 ?? null;
    const automatic = inspected.pec && isReceipt(inspected.pec) ? 'pec-receipt' : (inspected.automatic ?? null);
    const values = [
      box.name,
      box.channel,
      message.uidValidity,
      message.uid,
      inspected.messageId ?? null,
      rawSha,
      raw?.size ?? message.size,
      inspected.quarantineReason ? 'quarantined' : 'received',
      inspected.quarantineReason ?? null,
      automatic,
      inspected.fromAddress ?? null,
      inspected.fromName ?? null,
      inspected.replyTo ?? null,
      inspected.subject ?? null,
      inspected.sentAt ?? null,
      inspected.inReplyTo ?? null,
      inspected.text.replace(/\0/g, ''),
      inspected.html?.replace(/\0/g, '') ?? null,
      JSON.stringify(
        inspected.attachments.map(({ index, filename, contentType, size, sha256 }) => ({
          index,
          filename,
          contentType,
          size,
          sha256,
        })),
      ),
      inspected.pec ? JSON.stringify(inspected.pec).replace(/\\u0000/g, '') : null,
      suggestQueue(box.name, inspected.subject, inspected.text),
      inspected.originalSha256 ?? null,
    ];
    const insert = (duplicateOf: string | null) =>
      this.db.query<{ id: string }[]>(
        `INSERT INTO mail_messages (mailbox, channel, uid_validity, uid, message_id, raw_sha256, size, status,
            quarantine_reason, automatic, from_address, from_name, reply_to, subject, sent_at, in_reply_to,
            text_body, html_body, attachments, pec, suggested_queue, original_sha256, duplicate_of)
         VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $23::uuid IS NULL THEN $8 ELSE 'duplicate' END, $9, $10, $11,
            $12, $13, $14, $15, $16, $17, $18, $19::jsonb, $20::jsonb, $21, $22, $23::uuid)
         ON CONFLICT (mailbox, uid_validity, uid) DO NOTHING
         RETURNING id`,
        [...values, duplicateOf],
      );
    const original = async () =>
      inspected.messageId
        ? ((
            await this.db.query<{ id: string }[]>(
              `SELECT id FROM mail_messages WHERE message_id = $1 AND status <> 'duplicate'`,
              [inspected.messageId],
            )
          )[0]?.id ?? null)
        : null;
    let inserted: { id: string }[];
    try {
      inserted = await insert(await original());
    } catch (err) {
      // Another watcher recorded the same Message-ID at this moment (a copy in another mailbox).
      if ((err as { code?: string }).code !== '23505') throw err;
      inserted = await insert(await original());
    }
    if (inserted[0]) {
      if (automatic === 'bounce') await this.linkBounce(inserted[0].id, inspected.bounce);
      // A PEC provider's notice that one of our PEC messages was not delivered: the same as a bounce.
      if (automatic === 'pec-receipt' && inspected.pec && isDeliveryFailure(inspected.pec) && inspected.pec.msgid) {
        await this.linkFailed(inserted[0].id, [`<${inspected.pec.msgid}>`]);
      }
      return inserted[0].id;
    }
    const again: { id: string }[] = await this.db.query(
      `SELECT id FROM mail_messages WHERE mailbox = $1 AND uid_validity = $2 AND uid = $3`,
      [box.name, message.uidValidity, message.uid],
    );
    if (!again[0]) throw new Error('messaggio non registrato');
    return again[0].id;
  }

  private async start(box: IntakeMailbox, id: string, message: InboxMessage): Promise<void> {
    const rows: {
      status: string;
      automatic: string | null;
      suggested_queue: string;
      from_address: string | null;
      reply_to: string | null;
      subject: string | null;
      in_reply_to: string | null;
      quarantine_reason: string | null;
    }[] = await this.db.query(
      `SELECT status, automatic, suggested_queue, from_address, reply_to, subject, in_reply_to, quarantine_reason
         FROM mail_messages WHERE id = $1`,
      [id],
    );
    const m = rows[0];
    if (!m) return;
    const replyToTicket = await this.ticketAnswered(m.subject, m.in_reply_to, [m.from_address, m.reply_to]);
    const bounced: { ticket_id: string | null }[] = await this.db.query(
      `SELECT o.ticket_id FROM mail_messages m JOIN mail_outbox o ON o.message_id = m.bounced_message_id WHERE m.id = $1`,
      [id],
    );
    const started = await this.starter.start({
      bpmnProcessId: INTAKE_PROCESS,
      businessKey: newBusinessKey('MAIL'),
      idempotencyKey: `mail:${box.name}:${message.uidValidity}:${message.uid}`,
      startedBy: `mailbox:${box.name}`,
      // Identifiers and decisions only: what the message says is read from the platform.
      variables: {
        mailId: id,
        mailbox: box.name,
        channel: box.channel,
        quarantined: m.status === 'quarantined',
        automatic: m.automatic ?? 'no',
        // The queue the pre-check proposes; the form shows it chosen, the operator may change it.
        queue: m.suggested_queue,
        // A fax's sender is the fax gateway, not the citizen: nobody to answer by mail.
        hasRequester: box.channel !== 'fax' && Boolean(m.reply_to ?? m.from_address),
        replyToTicket: replyToTicket ?? 'none',
        // A failure report about one of our mails: the back office must reach the requester another way.
        bouncedTicket: bounced[0] ? (bounced[0].ticket_id ?? 'unknown') : 'none',
        // Attachments over the limit are refused with a notice to the sender, not reviewed.
        refusal: m.quarantine_reason?.startsWith(OVERSIZE_REASON) ? 'oversize' : 'none',
        limitMb: Math.round(this.opts.maxAttachmentBytes / 1_048_576),
      },
    });
    await this.db.query(`UPDATE mail_messages SET process_instance_id = $2 WHERE id = $1`, [
      id,
      started.processInstanceKey,
    ]);
    this.log.info({ mailbox: box.name, mailId: id, processInstanceKey: started.processInstanceKey }, 'mail received');
  }

  /**
   * A delivery failure report quotes the headers of the message that failed: when that is one
   * of ours, the report is linked to it (and so to its ticket).
   */
  private async linkBounce(id: string, bounce: BounceFacts): Promise<void> {
    // A report that the message is only delayed or relayed is not a failure.
    if (bounce.notFailed && !bounce.failed) return;
    // The returned headers' Message-ID, not any identifier quoted anywhere (References, text).
    await this.linkFailed(id, bounce.messageIds);
  }

  /** Links a failure report to the newest of our messages among `ids` it is about. */
  private async linkFailed(id: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const ours: { message_id: string }[] = await this.db.query(
      `SELECT message_id FROM mail_outbox WHERE message_id = ANY($1::text[]) ORDER BY created_at DESC LIMIT 1`,
      [ids],
    );
    if (ours[0]) {
      await this.db.query(`UPDATE mail_messages SET bounced_message_id = $2 WHERE id = $1`, [id, ours[0].message_id]);
    }
  }

  /**
   * The ticket a message answers: one of our mails it replies to (In-Reply-To), or the
   * `[Ticket #N]` our subjects carry, when that ticket came from this help desk.
   */
  private async ticketAnswered(
    subject: string | null,
    inReplyTo: string | null,
    senders: (string | null)[],
  ): Promise<string | undefined> {
    if (inReplyTo) {
      const ours: { ticket_id: string | null }[] = await this.db.query(
        `SELECT ticket_id FROM mail_outbox WHERE message_id = $1 AND ticket_id IS NOT NULL`,
        [inReplyTo],
      );
      if (ours[0]?.ticket_id) return ours[0].ticket_id;
    }
    const n = /\[Ticket #(\d{1,12})\]/i.exec(subject ?? '')?.[1];
    if (!n) return undefined;
    // The number in a subject is anyone's to write: it counts only from the ticket's requester.
    const requester: unknown[] = await this.db.query(
      `SELECT 1 FROM mail_messages WHERE ticket_id = $1 AND coalesce(reply_to, from_address) = ANY($2::text[])
       UNION ALL SELECT 1 FROM helpdesk_contacts WHERE ticket_id = $1 AND email = ANY($2::text[]) LIMIT 1`,
      [n, senders.filter((x): x is string => Boolean(x))],
    );
    return requester.length > 0 ? n : undefined;
  }

  private async archiveDuplicate(box: IntakeMailbox, id: string, message: InboxMessage): Promise<void> {
    await box.mailbox.archive(message, ARCHIVE_FOLDER);
    await this.db.query(`UPDATE mail_messages SET archived_at = now() WHERE id = $1`, [id]);
  }
}

/**
 * Watches each mailbox and takes in what arrives, in one process at a time per mailbox: a
 * process reads a mailbox only while it holds that mailbox's lease, a PostgreSQL advisory lock
 * on a connection of its own. Other processes (a cluster's other worker or API processes) try
 * again every `leaseRetryMs`; when the holder dies its connection closes, the lock is released
 * and another takes over. A holder that loses its connection (PostgreSQL restarted) stops
 * reading at the next check and competes again, so two never read one mailbox for long.
 */
export function startMailIntake(
  intake: MailIntake,
  boxes: readonly IntakeMailbox[],
  log: Logger,
  lease: { db: DataSource; retryMs?: number } | undefined = undefined,
): () => Promise<void> {
  const stop = new AbortController();
  const retryMs = lease?.retryMs ?? 5000;
  const watch = (box: IntakeMailbox, signal: AbortSignal) =>
    box.mailbox.watch(async (message) => {
      try {
        await intake.receive(box, message);
      } catch (err) {
        log.warn(
          {
            mailbox: box.name,
            uid: message.uid,
            err: { name: (err as Error).name, message: (err as Error).message },
          },
          'mail not taken in yet: offered again later',
        );
        throw err;
      }
    }, signal);
  const leased = async (box: IntakeMailbox, db: DataSource): Promise<void> => {
    while (!stop.signal.aborted) {
      const runner = db.createQueryRunner();
      try {
        await runner.connect();
        const [got] = await runner.manager.query<{ ok: boolean }[]>(
          'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok',
          [`mailbox-intake:${box.name}`],
        );
        if (got?.ok) {
          log.info({ mailbox: box.name }, 'reading the mailbox (lease taken)');
          const held = new AbortController();
          const onStop = () => held.abort();
          stop.signal.addEventListener('abort', onStop);
          const check = setInterval(() => {
            runner.query('SELECT 1').catch(() => held.abort());
          }, retryMs);
          try {
            await watch(box, held.signal);
          } finally {
            clearInterval(check);
            stop.signal.removeEventListener('abort', onStop);
          }
          await runner
            .query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`mailbox-intake:${box.name}`])
            .catch(() => undefined);
          if (!stop.signal.aborted) log.warn({ mailbox: box.name }, 'mailbox lease lost: competing again');
        }
      } catch (err) {
        log.warn({ mailbox: box.name, err: { name: (err as Error).name } }, 'mailbox lease not taken: trying again');
      } finally {
        await runner.release().catch(() => undefined);
      }
      await pause(retryMs, stop.signal);
    }
  };
  const watching = boxes.map((box) =>
    (lease ? leased(box, lease.db) : watch(box, stop.signal)).catch((err: Error) =>
      log.error({ mailbox: box.name, err: { name: err.name } }, 'mailbox watcher stopped'),
    ),
  );
  return async () => {
    stop.abort();
    await Promise.all(watching);
  };
}
