import nodemailer from 'nodemailer';
import type { RunningApp } from '../../../app.js';
import { openTaskOf } from './booking.js';
import type { ApiClient } from './test-app.js';
import { waitFor } from './test-app.js';

/** A message a citizen writes, with attachments, as raw RFC 5322 (built by nodemailer). */
export async function citizenMail(opts: {
  from?: string;
  to?: string;
  subject: string;
  text: string;
  messageId?: string;
  attachments?: { filename: string; content: Buffer; contentType?: string }[];
  headers?: Record<string, string>;
}): Promise<Buffer> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const info = (await transport.sendMail({
    from: opts.from ?? 'Mario Rossi <mario.rossi@example.test>',
    to: opts.to ?? 'helpdesk@helpdesk.local',
    subject: opts.subject,
    text: opts.text,
    messageId: opts.messageId,
    attachments: opts.attachments,
    headers: opts.headers,
  })) as { message: Buffer };
  return info.message;
}

/** Sends a raw message to the app's local SMTP listener (as a person's mail client would). */
export async function sendToLocalMailbox(app: RunningApp, raw: Buffer, to = 'helpdesk@helpdesk.local'): Promise<void> {
  const port = app.helpDesk.localSmtpPort;
  if (!port) throw new Error('the local SMTP listener is not running');
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  await transport.sendMail({ envelope: { from: 'mario.rossi@example.test', to: [to] }, raw });
}

/** The intake instance the message with this Message-ID started. */
export async function intakeOf(app: RunningApp, messageId: string): Promise<{ id: string; processInstanceId: string }> {
  return waitFor(async () => {
    const rows: { id: string; process_instance_id: string | null }[] = await app.db.query(
      `SELECT id, process_instance_id FROM mail_messages WHERE message_id = $1 AND status <> 'duplicate'`,
      [messageId],
    );
    const r = rows[0];
    return r?.process_instance_id ? { id: r.id, processInstanceId: r.process_instance_id } : undefined;
  }, `the intake of ${messageId}`);
}

/** Claims and completes the pre-check of an intake instance. */
export async function precheck(
  backOffice: ApiClient,
  processInstanceId: string,
  variables: Record<string, unknown>,
): Promise<number> {
  const task = await openTaskOf(backOffice, processInstanceId, 'precheck', 'helpdesk-mail-intake');
  await backOffice.post(`/api/tasks/${task.key}/claim`);
  return (await backOffice.post(`/api/tasks/${task.key}/complete`, { variables })).status;
}
