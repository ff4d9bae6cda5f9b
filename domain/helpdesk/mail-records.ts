import type { DataSource } from 'typeorm';
import type { TicketFile } from '../../adapters/tickets/tickets.js';
import type { MailChannel } from './mail-intake.js';

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
  constructor(private readonly db: DataSource) {}

  async get(id: string): Promise<MailRecord | undefined> {
    if (!UUID.test(id)) return undefined;
    const rows: Row[] = await this.db.query(`SELECT * FROM mail_messages WHERE id = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /** One attachment's bytes, by its position in the message. */
  async attachment(id: string, index: number): Promise<TicketFile | undefined> {
    const mail = await this.get(id);
    const a = mail?.attachments.find((x) => x.index === index);
    if (!a) return undefined;
    const rows: { content: Buffer }[] = await this.db.query(`SELECT content FROM mail_blobs WHERE sha256 = $1`, [
      a.sha256,
    ]);
    return rows[0] ? { filename: a.filename, contentType: a.contentType, content: rows[0].content } : undefined;
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

  async linkTicket(id: string, ticketId: string): Promise<void> {
    await this.db.query(`UPDATE mail_messages SET ticket_id = $2 WHERE id = $1`, [id, ticketId]);
  }

  async markArchived(id: string): Promise<void> {
    await this.db.query(`UPDATE mail_messages SET archived_at = coalesce(archived_at, now()) WHERE id = $1`, [id]);
  }

  /** Who answers go to: Reply-To when the sender set one. */
  static requester(m: Pick<MailRecord, 'replyTo' | 'fromAddress'>): string | undefined {
    return m.replyTo ?? m.fromAddress ?? undefined;
  }
}
