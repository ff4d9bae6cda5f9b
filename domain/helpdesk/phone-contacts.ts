import type { DataSource } from 'typeorm';
import type { TicketFile } from '../../adapters/tickets/tickets.js';
import { newBusinessKey, type ProcessStarter, type StartedInstance } from '../processes/process-starter.js';
import { MailBlobs } from './mail-blobs.js';

export const PHONE_CONTACT_PROCESS = 'helpdesk-phone-contact';

export interface NewHelpDeskContact {
  channel: 'telefono' | 'sportello';
  subject: string;
  notes?: string | undefined;
  callerName?: string | undefined;
  fiscalCode?: string | undefined;
  phone?: string | undefined;
  email?: string | undefined;
  /** Documents the caller sent during the call (uploaded by the operator). */
  documents?: TicketFile[];
}

export interface HelpDeskContact {
  id: string;
  channel: string;
  subject: string;
  notes: string | null;
  callerName: string | null;
  fiscalCode: string | null;
  phone: string | null;
  email: string | null;
  attachments: { index: number; filename: string; contentType: string; size: number; sha256: string }[];
  processInstanceId: string | null;
  ticketId: string | null;
  openedBy: string;
  openedAt: string;
}

/**
 * Help-desk contacts the front office opens for a call (R1, seed §2.2.1: the contact center
 * answers in line or forwards to the right office): the record with the caller's documents,
 * and the `helpdesk-phone-contact` instance where the operator closes it as resolved in line
 * or forwards it as a ticket.
 */
export class HelpDeskContacts {
  private readonly blobs: MailBlobs;

  constructor(
    private readonly db: DataSource,
    private readonly starter: ProcessStarter,
  ) {
    this.blobs = new MailBlobs(db);
  }

  async open(contact: NewHelpDeskContact, openedBy: string): Promise<StartedInstance & { contactId: string }> {
    const attachments = [];
    for (const [index, d] of (contact.documents ?? []).entries()) {
      const stored = await this.blobs.put(Buffer.isBuffer(d.content) ? d.content : d.content.open());
      attachments.push({
        index,
        filename: d.filename,
        contentType: d.contentType,
        size: stored.size,
        sha256: stored.sha256,
      });
    }
    const rows: { id: string; opened_at: Date }[] = await this.db.query(
      `INSERT INTO helpdesk_contacts (channel, subject, notes, caller_name, fiscal_code, phone, email, attachments, opened_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9) RETURNING id, opened_at`,
      [
        contact.channel,
        contact.subject,
        contact.notes ?? null,
        contact.callerName ?? null,
        contact.fiscalCode ?? null,
        contact.phone ?? null,
        contact.email ?? null,
        JSON.stringify(attachments),
        openedBy,
      ],
    );
    const row = rows[0];
    if (!row) throw new Error('contatto non registrato');
    const started = await this.starter.start({
      bpmnProcessId: PHONE_CONTACT_PROCESS,
      businessKey: newBusinessKey('HD'),
      startedBy: openedBy,
      idempotencyKey: `contact:${row.id}`,
      variables: {
        contactId: row.id,
        channel: contact.channel,
        openedAt: row.opened_at.toISOString(),
        hasRequester: Boolean(contact.email),
      },
    });
    await this.db.query(`UPDATE helpdesk_contacts SET process_instance_id = $2 WHERE id = $1`, [
      row.id,
      started.processInstanceKey,
    ]);
    return { ...started, contactId: row.id };
  }

  async get(id: string): Promise<HelpDeskContact | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const rows: {
      id: string;
      channel: string;
      subject: string;
      notes: string | null;
      caller_name: string | null;
      fiscal_code: string | null;
      phone: string | null;
      email: string | null;
      attachments: HelpDeskContact['attachments'];
      process_instance_id: string | null;
      ticket_id: string | null;
      opened_by: string;
      opened_at: Date;
    }[] = await this.db.query(`SELECT * FROM helpdesk_contacts WHERE id = $1`, [id]);
    const r = rows[0];
    return r
      ? {
          id: r.id,
          channel: r.channel,
          subject: r.subject,
          notes: r.notes,
          callerName: r.caller_name,
          fiscalCode: r.fiscal_code,
          phone: r.phone,
          email: r.email,
          attachments: r.attachments,
          processInstanceId: r.process_instance_id,
          ticketId: r.ticket_id,
          openedBy: r.opened_by,
          openedAt: r.opened_at.toISOString(),
        }
      : undefined;
  }

  async documents(id: string): Promise<TicketFile[]> {
    const c = await this.get(id);
    const files: TicketFile[] = [];
    for (const a of c?.attachments ?? []) {
      const content = await this.blobs.get(a.sha256);
      if (content) files.push({ filename: a.filename, contentType: a.contentType, content });
    }
    return files;
  }

  async linkTicket(id: string, ticketId: string): Promise<void> {
    await this.db.query(`UPDATE helpdesk_contacts SET ticket_id = $2 WHERE id = $1`, [id, ticketId]);
  }
}
