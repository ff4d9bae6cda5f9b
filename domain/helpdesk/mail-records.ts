import type { DataSource } from 'typeorm';
import type { TicketFile } from '../../adapters/tickets/tickets.js';
import type { StoredContent } from '../../platform/content/content.js';
import { businessHoursBetween } from '../business-calendar.js';
import { MailBlobs } from './mail-blobs.js';
import type { MailChannel } from './mail-intake.js';

/** The contract's answer target for mail, fax and letters (§6), in business hours. */
export const ANSWER_TARGET_BUSINESS_HOURS = 24;

export interface MailboxBacklog {
  mailbox: string;
  /** Messages not dealt with yet (not archived). */
  open: number;
  quarantined: number;
  /** The oldest message still without a ticket or a decision. */
  oldestUnansweredAt: string | null;
  oldestUnansweredBusinessHours: number | null;
  overTarget: boolean;
}

export interface OutboxItem {
  id: string;
  purpose: string;
  reference: string;
  messageId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  ticketId: string | null;
  transport: string;
  status: 'sending' | 'sent';
  createdAt: string;
  sentAt: string | null;
  /** The PEC receipts (acceptance, delivery, errors) that came back for this message. */
  pecReceipts: { tipo: string; data: string; errore: string; consegna: string | null; mailId: string }[];
}

/** A received message as the flow's steps and the workspace read it. */
export interface MailRecord {
  id: string;
  mailbox: string;
  channel: MailChannel;
  uidValidity: string;
  uid: number;
  messageId: string | null;
  status: 'received' | 'quarantined' | 'duplicate';
  quarantineReason: string | null;
  automatic: string | null;
  fromAddress: string | null;
  fromName: string | null;
  replyTo: string | null;
  subject: string | null;
  sentAt: string | null;
  receivedAt: string;
  text: string;
  html: string | null;
  attachments: { index: number; filename: string; contentType: string; size: number; sha256: string }[];
  pec: Record<string, unknown> | null;
  suggestedQueue: string | null;
  processInstanceId: string | null;
  ticketId: string | null;
  archivedAt: string | null;
}

interface Row {
  id: string;
  mailbox: string;
  channel: MailChannel;
  uid_validity: string;
  uid: string;
  message_id: string | null;
  status: MailRecord['status'];
  quarantine_reason: string | null;
  automatic: string | null;
  from_address: string | null;
  from_name: string | null;
  reply_to: string | null;
  subject: string | null;
  sent_at: Date | null;
  received_at: Date;
  text_body: string | null;
  html_body: string | null;
  attachments: MailRecord['attachments'];
  pec: Record<string, unknown> | null;
  suggested_queue: string | null;
  process_instance_id: string | null;
  ticket_id: string | null;
  archived_at: Date | null;
}

const toRecord = (r: Row): MailRecord => ({
  id: r.id,
  mailbox: r.mailbox,
  channel: r.channel,
  uidValidity: r.uid_validity,
  uid: Number(r.uid),
  messageId: r.message_id,
  status: r.status,
  quarantineReason: r.quarantine_reason,
  automatic: r.automatic,
  fromAddress: r.from_address,
  fromName: r.from_name,
  replyTo: r.reply_to,
  subject: r.subject,
  sentAt: r.sent_at?.toISOString() ?? null,
  receivedAt: r.received_at.toISOString(),
  text: r.text_body ?? '',
  html: r.html_body,
  attachments: r.attachments,
  pec: r.pec,
  suggestedQueue: r.suggested_queue,
  processInstanceId: r.process_instance_id,
  ticketId: r.ticket_id,
  archivedAt: r.archived_at?.toISOString() ?? null,
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The help desk's received mail, read and marked by the flow's steps and the workspace. */
export class MailRecords {
  private readonly blobs: MailBlobs;

  constructor(private readonly db: DataSource) {
    this.blobs = new MailBlobs(db);
  }

  async get(id: string): Promise<MailRecord | undefined> {
    if (!UUID.test(id)) return undefined;
    const rows: Row[] = await this.db.query(`SELECT * FROM mail_messages WHERE id = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /** One attachment, by its position in the message: its bytes are read as a stream. */
  async attachment(id: string, index: number): Promise<TicketFile | undefined> {
    const mail = await this.get(id);
    const a = mail?.attachments.find((x) => x.index === index);
    const content = a && (await this.blobs.get(a.sha256));
    return a && content ? { filename: a.filename, contentType: a.contentType, content } : undefined;
  }

  async attachments(id: string): Promise<TicketFile[]> {
    const mail = await this.get(id);
    const files: TicketFile[] = [];
    for (const a of mail?.attachments ?? []) {
      const f = await this.attachment(id, a.index);
      if (f) files.push(f);
    }
    return files;
  }

  /** The message's raw bytes as received (for a PEC, the provider's signed envelope), as a stream. */
  async raw(id: string): Promise<StoredContent | undefined> {
    const rows: { raw_sha256: string | null }[] = await this.db.query(
      `SELECT raw_sha256 FROM mail_messages WHERE id = $1`,
      [id],
    );
    return rows[0]?.raw_sha256 ? this.blobs.get(rows[0].raw_sha256) : undefined;
  }

  async linkTicket(id: string, ticketId: string): Promise<void> {
    await this.db.query(`UPDATE mail_messages SET ticket_id = $2 WHERE id = $1`, [id, ticketId]);
  }

  async markArchived(id: string): Promise<void> {
    await this.db.query(`UPDATE mail_messages SET archived_at = coalesce(archived_at, now()) WHERE id = $1`, [id]);
  }

  /** Per mailbox: what waits, and how long the oldest unanswered message has waited in business hours. */
  async backlog(mailboxes: readonly string[], now: Date): Promise<MailboxBacklog[]> {
    const rows: { mailbox: string; open: string; quarantined: string; oldest: Date | null }[] = await this.db.query(
      `SELECT mailbox,
              count(*) FILTER (WHERE archived_at IS NULL) AS open,
              count(*) FILTER (WHERE archived_at IS NULL AND status = 'quarantined') AS quarantined,
              min(received_at) FILTER (WHERE archived_at IS NULL AND ticket_id IS NULL) AS oldest
         FROM mail_messages WHERE status <> 'duplicate'
        GROUP BY mailbox`,
    );
    const by = new Map(rows.map((r) => [r.mailbox, r]));
    return mailboxes.map((mailbox) => {
      const r = by.get(mailbox);
      const hours = r?.oldest ? Math.round(businessHoursBetween(r.oldest, now) * 10) / 10 : null;
      return {
        mailbox,
        open: Number(r?.open ?? 0),
        quarantined: Number(r?.quarantined ?? 0),
        oldestUnansweredAt: r?.oldest?.toISOString() ?? null,
        oldestUnansweredBusinessHours: hours,
        overTarget: hours !== null && hours >= ANSWER_TARGET_BUSINESS_HOURS,
      };
    });
  }

  /** What the help desk sent (or is sending), newest first: the local outbox on the embedded default. */
  async outbox(limit: number, reference?: string): Promise<OutboxItem[]> {
    const rows: {
      id: string;
      purpose: string;
      reference: string;
      message_id: string;
      from_address: string;
      to_address: string;
      subject: string;
      text_body: string;
      ticket_id: string | null;
      transport: string;
      status: 'sending' | 'sent';
      created_at: Date;
      sent_at: Date | null;
      receipts: OutboxItem['pecReceipts'];
    }[] = await this.db.query(
      // A flow asking again in a loop keys each email by the message and the step's visit.
      // A PEC receipt names the message it certifies by its Message-ID (daticert's msgid).
      `SELECT o.*,
              coalesce((SELECT jsonb_agg(jsonb_build_object('tipo', r.pec->>'tipo', 'data', r.pec->>'data',
                                   'errore', r.pec->>'errore', 'consegna', r.pec->>'consegna', 'mailId', r.id)
                                 ORDER BY r.pec->>'data')
                          FROM mail_messages r
                         WHERE r.automatic = 'pec-receipt' AND '<' || (r.pec->>'msgid') || '>' = o.message_id),
                       '[]') AS receipts
         FROM mail_outbox o
        WHERE ($2::text IS NULL OR o.reference = $2 OR o.reference LIKE $2 || ':%')
        ORDER BY o.created_at DESC LIMIT $1`,
      [limit, reference ?? null],
    );
    return rows.map((r) => ({
      id: r.id,
      purpose: r.purpose,
      reference: r.reference,
      messageId: r.message_id,
      from: r.from_address,
      to: r.to_address,
      subject: r.subject,
      text: r.text_body,
      ticketId: r.ticket_id,
      transport: r.transport,
      status: r.status,
      createdAt: r.created_at.toISOString(),
      sentAt: r.sent_at?.toISOString() ?? null,
      pecReceipts: r.receipts,
    }));
  }

  /** Who answers go to: Reply-To when the sender set one. */
  static requester(m: Pick<MailRecord, 'replyTo' | 'fromAddress'>): string | undefined {
    return m.replyTo ?? m.fromAddress ?? undefined;
  }
}
