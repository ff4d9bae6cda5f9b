import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import sanitizeHtml from 'sanitize-html';
import { automaticKind, type AutomaticKind } from './automatic-mail.js';
import { isReceipt, type Daticert } from './daticert.js';
import { openPecEnvelope, PecEnvelopeError } from './pec-envelope.js';

export interface InspectedAttachment {
  index: number;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  content: Buffer;
}

/** What the intake learns from a raw message, and why it must be quarantined if it must. */
export interface InspectedMail {
  messageId: string | undefined;
  fromAddress: string | undefined;
  fromName: string | undefined;
  replyTo: string | undefined;
  subject: string | undefined;
  sentAt: Date | undefined;
  inReplyTo: string | undefined;
  text: string;
  /** Sanitised: no script, no handler, no remote resource. */
  html: string | undefined;
  attachments: InspectedAttachment[];
  automatic: AutomaticKind | undefined;
  /** For a PEC envelope: what daticert.xml certifies. */
  pec: Daticert | undefined;
  /** In Italian, for the back office; undefined when the message may go on. */
  quarantineReason: string | undefined;
}

/** A message known only by why it is quarantined (it could not be read, or was not fetched). */
export function quarantinedOnly(reason: string | undefined): InspectedMail {
  return {
    messageId: undefined,
    fromAddress: undefined,
    fromName: undefined,
    replyTo: undefined,
    subject: undefined,
    sentAt: undefined,
    inReplyTo: undefined,
    text: '',
    html: undefined,
    attachments: [],
    automatic: undefined,
    pec: undefined,
    quarantineReason: reason,
  };
}

/** Attachments that run code or hide other files: never passed on to a ticket unseen. */
const BLOCKED_EXTENSIONS =
  /\.(exe|com|bat|cmd|scr|pif|cpl|msi|msp|jar|js|jse|vbs|vbe|wsf|wsh|ps1|psm1|hta|lnk|reg|dll|sys|iso|img|vhd|zip|rar|7z|gz|tgz|tar|bz2|xz|cab|ace|arj|docm|xlsm|pptm)$/i;
const BLOCKED_TYPES =
  /^application\/(x-msdownload|x-msdos-program|x-dosexec|x-executable|x-sh|x-bat|java-archive|x-java-archive|javascript|x-javascript|zip|x-zip-compressed|x-rar-compressed|vnd\.rar|x-7z-compressed|gzip|x-gzip|x-tar|x-iso9660-image|vnd\.ms-cab-compressed)$/i;

const first = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a[0] : a)?.value[0];

function headerBlock(raw: Buffer): Buffer {
  let end = raw.indexOf('\r\n\r\n');
  if (end < 0) end = raw.indexOf('\n\n');
  return end < 0 ? raw : raw.subarray(0, end);
}

/** Problems a lenient parser would paper over: the back office must see them. */
function structuralProblem(raw: Buffer): string | undefined {
  const headers = headerBlock(raw);
  if (!isUtf8(headers)) return 'Intestazioni con caratteri a 8 bit non codificati: il mittente non è affidabile';
  const text = raw.toString('latin1');
  for (const m of text.matchAll(/charset\s*=\s*"?([^";\s]+)"?/gi)) {
    const label = m[1] ?? '';
    try {
      new TextDecoder(label);
    } catch {
      return `Set di caratteri sconosciuto (${label.slice(0, 40)}): il testo non si può leggere con certezza`;
    }
  }
  for (const m of text.matchAll(/boundary\s*=\s*(?:"([^"\r\n]+)"|([^;\s\r\n]+))/gi)) {
    const boundary = m[1] ?? m[2] ?? '';
    if (!text.includes(`--${boundary}--`)) return 'Messaggio troncato: una parte MIME non è chiusa';
  }
  return undefined;
}

/** Whether a file is a program or an archive, which the help desk never passes on unseen. */
export function isBlockedFile(a: { filename: string; contentType: string }): boolean {
  return BLOCKED_EXTENSIONS.test(a.filename) || BLOCKED_TYPES.test(a.contentType);
}

function attachmentProblem(a: { filename: string; contentType: string }, isPec: boolean): string | undefined {
  if (isBlockedFile(a)) {
    return `Allegato non ammesso (programma o archivio compresso): ${a.filename}`;
  }
  if (a.contentType.toLowerCase() === 'message/rfc822' && !isPec) {
    return `Messaggio inoltrato come allegato (${a.filename}): da aprire e verificare a mano`;
  }
  return undefined;
}

/**
 * Reads a raw message for the intake: for a PEC envelope the citizen's own message inside it
 * (its certification data kept apart), parsed with mailparser; machine-sent mail recognised;
 * anything hostile or malformed given a reason to be quarantined. Never throws on bad
 * input: a message that cannot be read at all comes back with only its reason.
 */
export async function inspectMail(
  raw: Buffer,
  opts: { loopId: string; maxAttachmentBytes: number; pecExpected: boolean },
): Promise<InspectedMail> {
  const empty = quarantinedOnly(undefined);
  const problem = structuralProblem(raw);
  let message = raw;
  let pec: Daticert | undefined;
  const head = headerBlock(raw).toString('latin1');
  const looksPec = /^x-(trasporto|ricevuta):/im.test(head);
  // Only the PEC mailbox receives envelopes from the provider: elsewhere, PEC headers are
  // someone's claim, not a certification (the envelope's signature is not checked here).
  if (looksPec && !opts.pecExpected) {
    return {
      ...empty,
      quarantineReason:
        'Busta PEC non valida: intestazioni PEC in un messaggio arrivato a una casella ordinaria, certificazione non verificabile',
    };
  }
  if (opts.pecExpected) {
    try {
      const envelope = await openPecEnvelope(raw);
      pec = envelope.daticert;
      if (envelope.original && !isReceipt(pec)) message = envelope.original;
    } catch (err) {
      if (!(err instanceof PecEnvelopeError) && (err as Error).name !== 'DaticertError') throw err;
      if (looksPec) return { ...empty, quarantineReason: `Busta PEC non valida: ${(err as Error).message}` };
      // An ordinary message reached the PEC mailbox: read it as such.
    }
  }
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(message, { skipImageLinks: true, maxHtmlLengthToParse: 2_000_000 });
  } catch (err) {
    return { ...empty, pec, quarantineReason: `Struttura MIME non leggibile: ${(err as Error).message.slice(0, 200)}` };
  }
  // The headers as written (mailparser turns From, Return-Path and List-* into structures):
  // the first value of each, and every X-Loop, since each relay adds its own.
  const headers = new Map<string, string>();
  for (const h of parsed.headerLines) {
    const value = h.line
      .slice(h.line.indexOf(':') + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim();
    const known = headers.get(h.key);
    if (known === undefined) headers.set(h.key, value);
    else if (h.key === 'x-loop') headers.set(h.key, `${known}, ${value}`);
  }
  const attachments: InspectedAttachment[] = parsed.attachments.map((a, index) => ({
    index,
    // No path separators and no control characters (PostgreSQL refuses NUL in text and jsonb).
    // eslint-disable-next-line no-control-regex
    filename: (a.filename ?? `allegato-${index + 1}`).replace(/[\\/\u0000-\u001f\u007f]/g, '_').slice(0, 200),
    contentType: (a.contentType || 'application/octet-stream').toLowerCase(),
    size: a.size ?? a.content.length,
    sha256: createHash('sha256').update(a.content).digest('hex'),
    content: a.content,
  }));
  const rawHtml = typeof parsed.html === 'string' ? parsed.html : undefined;
  const from = first(parsed.from);
  // eslint-disable-next-line no-control-regex
  const line = (v: string | undefined) => v?.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim() || undefined;
  const inspected: InspectedMail = {
    messageId: line(parsed.messageId),
    fromAddress: line(from?.address?.toLowerCase()),
    fromName: line(from?.name),
    replyTo: line(first(parsed.replyTo)?.address?.toLowerCase()),
    subject: line(parsed.subject),
    sentAt: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : undefined,
    inReplyTo: line(parsed.inReplyTo),
    text: parsed.text ?? (rawHtml ? sanitizeHtml(rawHtml, { allowedTags: [], allowedAttributes: {} }) : ''),
    html: rawHtml ? sanitise(rawHtml) : undefined,
    attachments,
    automatic: automaticKind(headers, opts.loopId),
    pec,
    quarantineReason: undefined,
  };
  const total = attachments.reduce((n, a) => n + a.size, 0);
  inspected.quarantineReason =
    problem ??
    (inspected.messageId ? undefined : 'Manca l’intestazione Message-ID: il messaggio non si può identificare') ??
    attachments.map((a) => attachmentProblem(a, pec !== undefined)).find(Boolean) ??
    // mailparser folds an inline message/rfc822 into the body: it is found in the raw parts.
    (!pec && /^content-type:\s*message\/rfc822/im.test(message.toString('latin1'))
      ? 'Messaggio inoltrato all’interno del testo (message/rfc822): da aprire e verificare a mano'
      : undefined) ??
    (rawHtml && /<script\b|\son\w+\s*=|javascript:/i.test(rawHtml)
      ? 'Il testo HTML contiene codice attivo (script): mostrato ripulito, da verificare'
      : undefined) ??
    (total > opts.maxAttachmentBytes
      ? `Allegati oltre il limite di ${Math.round(opts.maxAttachmentBytes / 1_048_576)} MB (${(total / 1_048_576).toFixed(1)} MB)`
      : undefined);
  return inspected;
}

/** HTML a page may show: text formatting and links only, no script, style, form or remote image. */
export function sanitise(html: string): string {
  return sanitizeHtml(html, {
    allowedTags: sanitizeHtml.defaults.allowedTags.filter((t) => t !== 'img'),
    allowedAttributes: { a: ['href', 'title', 'rel', 'target'] },
    allowedSchemes: ['http', 'https', 'mailto'],
    transformTags: { a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer nofollow', target: '_blank' }) },
  });
}
