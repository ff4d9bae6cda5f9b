import { Router, type Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { contentSize, openContent } from '../../platform/content/content.js';
import type { TicketFile } from '../../adapters/tickets/tickets.js';
import { ALL_HELP_DESK_QUEUES } from '../../adapters/tickets/queues.js';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { parseWith } from '../problems.js';
import { allow, auditRead } from '../auth/access.js';
import { NotFoundError, UnavailableError, ValidationError } from '../../domain/errors.js';
import { RegionalTaxesUnavailableError } from '../../adapters/taxes/regional-taxes.js';
import { isBlockedFile } from '../../domain/helpdesk/mail-inspection.js';
import { actorOf } from '../auth/access.js';
import { idempotent } from '../idempotency.js';
import { HelpDeskContacts } from '../../domain/helpdesk/phone-contacts.js';
import { callSidField, carryingCallSid } from './cup.js';

const UUID = z.string().uuid('identificativo del messaggio non valido');
const TICKET_ID = z.string().regex(/^\d{1,12}$/, 'numero di ticket non valido');

/** What the operator may upload during a call, in all (the JSON body is limited to 4 MB). */
const MAX_DOCUMENTS_BYTES = 2_800_000;

const contactBody = z.object({
  channel: z.enum(['telefono', 'sportello']).default('telefono'),
  subject: z.string().trim().min(3, "indicare l'oggetto della richiesta").max(200),
  notes: z.string().trim().max(4000).optional(),
  callerName: z.string().trim().max(120).optional(),
  fiscalCode: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z0-9]{16}$|^\d{11}$/, 'codice fiscale o partita IVA non valido')
    .optional(),
  phone: z.string().trim().max(30).optional(),
  email: z.string().trim().toLowerCase().email('indirizzo email non valido').optional(),
  documents: z
    .array(
      z.object({
        filename: z.string().trim().min(1).max(200),
        contentType: z.string().trim().min(3).max(120),
        contentBase64: z.string().min(1),
      }),
    )
    .max(10, 'al massimo 10 documenti')
    .default([]),
  /** The call the contact was opened from, carried into the instance as `callSid`. */
  callSid: callSidField,
});

/** Attachments a browser may show inline; anything else is downloaded. */
const VIEWABLE = /^(application\/pdf|image\/(png|jpeg|gif|tiff)|text\/plain)$/;

/** A citizen's file, shown (PDF, images, text) or downloaded, never run: no script, no plugin, no same origin. */
async function sendCitizenFile(res: Response, file: TicketFile): Promise<void> {
  const inline = VIEWABLE.test(file.contentType);
  res.setHeader('Content-Type', inline ? file.contentType : 'application/octet-stream');
  res.setHeader(
    'Content-Disposition',
    `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(file.filename)}`,
  );
  res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'; img-src 'self'; object-src 'self'");
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Length', String(contentSize(file.content)));
  // Streamed from the store, piece by piece.
  await pipeline(openContent(file.content), res);
}

/**
 * The help desk's mail and tickets as the back office reads them beside a task: the received
 * message (sanitised HTML, attachments), what was sent, the backlog per mailbox, a ticket and
 * its history. Every read of a person's mail is audited.
 */
export function helpDeskRoutes({ helpDesk, db, starter }: ApiDeps): Router {
  const r = Router();
  const once = idempotent(db);
  const { records, tickets, mailboxes, contacts, taxes } = helpDesk;

  /** A taxpayer's regional tax position (SITR) for the operator answering about it (R7), audited. */
  r.get('/taxes/:fiscalCode', allow('helpdesk:manage', 'helpdesk:contact'), async (req, res) => {
    const fiscalCode = parseWith(
      z
        .string()
        .trim()
        .toUpperCase()
        .regex(/^[A-Z0-9]{16}$|^\d{11}$/, 'codice fiscale o partita IVA non valido'),
      req.params.fiscalCode,
    );
    await auditRead(req, 'tax-position', fiscalCode);
    let position;
    try {
      position = await taxes.position(fiscalCode);
    } catch (err) {
      if (err instanceof RegionalTaxesUnavailableError) {
        throw new UnavailableError('Il sistema tributario regionale (SITR) non risponde: riprovare tra poco.');
      }
      throw err;
    }
    if (!position) throw new NotFoundError(`Nessuna posizione tributaria per ${fiscalCode}.`);
    res.json(position);
  });

  /** The front office opens a contact for a call: closed in line or forwarded as a ticket. */
  r.post('/contacts', allow('helpdesk:contact'), once, async (req, res) => {
    const body = parseWith(contactBody, req.body ?? {});
    const documents = body.documents.map((d) => ({
      filename: d.filename.replace(/[\\/\r\n]/g, '_'),
      contentType: d.contentType.toLowerCase(),
      content: Buffer.from(d.contentBase64, 'base64'),
    }));
    const blocked = documents.find((d) => isBlockedFile(d));
    if (blocked)
      throw new ValidationError(`Documento non ammesso (programma o archivio compresso): ${blocked.filename}`);
    if (documents.reduce((n, d) => n + d.content.length, 0) > MAX_DOCUMENTS_BYTES) {
      throw new ValidationError('Documenti oltre 2,8 MB in tutto: caricare solo quelli necessari.');
    }
    const { documents: _uploaded, callSid, ...contact } = body;
    const linked = callSid ? new HelpDeskContacts(db, carryingCallSid(starter, callSid)) : contacts;
    res.status(201).json(await linked.open({ ...contact, documents }, actorOf(req).id));
  });

  r.get('/contacts/:id', allow('helpdesk:contact', 'helpdesk:manage'), async (req, res) => {
    const id = parseWith(z.string().uuid('identificativo del contatto non valido'), req.params.id);
    const contact = await contacts.get(id);
    if (!contact) throw new NotFoundError('Contatto non trovato.');
    await auditRead(req, 'helpdesk-contact', id);
    res.json(contact);
  });

  r.get('/mail/:id', allow('helpdesk:manage'), async (req, res) => {
    const id = parseWith(UUID, req.params.id);
    const mail = await records.get(id);
    if (!mail) throw new NotFoundError('Messaggio non trovato.');
    await auditRead(req, 'mail-message', id);
    const outbox = await records.outbox(20, id);
    res.json({ ...mail, sent: outbox });
  });

  r.get('/mail/:id/attachments/:index', allow('helpdesk:manage'), async (req, res) => {
    const id = parseWith(UUID, req.params.id);
    const index = parseWith(z.coerce.number().int().min(0), req.params.index);
    const file = await records.attachment(id, index);
    if (!file) throw new NotFoundError('Allegato non trovato.');
    await auditRead(req, 'mail-attachment', `${id}/${index}`);
    await sendCitizenFile(res, file);
  });

  r.get('/outbox', allow('helpdesk:manage'), async (req, res) => {
    const q = parseWith(z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }), req.query);
    await auditRead(req, 'mail-outbox', '*', { limit: q.limit });
    res.json({ items: await records.outbox(q.limit) });
  });

  r.get('/backlog', allow('helpdesk:manage', 'tasks:view-all'), async (_req, res) => {
    res.json({ items: await records.backlog(mailboxes, new Date()) });
  });

  r.get('/tickets/:id', allow('tickets:view', 'helpdesk:manage'), async (req, res) => {
    const id = parseWith(TICKET_ID, req.params.id);
    const ticket = await tickets.get(id);
    // Only the help desk's own queues: the region's RT holds other offices' tickets too.
    if (!ticket || !(ALL_HELP_DESK_QUEUES as readonly string[]).includes(ticket.queue)) {
      throw new NotFoundError(`Ticket ${id} non trovato.`);
    }
    await auditRead(req, 'ticket', id);
    res.json({ ticket, history: await tickets.history(id), attachments: await tickets.attachments(id) });
  });

  r.get('/tickets/:id/attachments/:attachmentId', allow('tickets:view', 'helpdesk:manage'), async (req, res) => {
    const id = parseWith(TICKET_ID, req.params.id);
    const attachmentId = parseWith(z.string().regex(/^\d{1,12}$/, 'allegato non valido'), req.params.attachmentId);
    const ticket = await tickets.get(id);
    if (!ticket || !(ALL_HELP_DESK_QUEUES as readonly string[]).includes(ticket.queue)) {
      throw new NotFoundError(`Ticket ${id} non trovato.`);
    }
    const file = await tickets.attachmentContent(id, attachmentId);
    if (!file) throw new NotFoundError('Allegato non trovato.');
    await auditRead(req, 'ticket-attachment', `${id}/${attachmentId}`);
    await sendCitizenFile(res, file);
  });
  return r;
}
