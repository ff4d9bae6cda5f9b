import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { MailParser, type AddressObject, type AttachmentStream, type MessageText } from 'mailparser';
import sanitizeHtml from 'sanitize-html';
import {
  ContentIoError,
  markingFailures,
  memoryStore,
  openContent,
  openMarked,
  type Content,
  type ContentStore,
} from '../../platform/content/content.js';
import { automaticKind, type AutomaticKind } from './automatic-mail.js';
import { isReceipt, type Daticert } from './daticert.js';
import { openPecEnvelope, PecEnvelopeError } from './pec-envelope.js';

/** An attachment as stored: its bytes are in the store, under `sha256`. */
export interface InspectedAttachment {
  index: number;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
}

/** What a delivery status report says, read from its lines: whether it failed, and the Message-IDs it quotes. */
export interface BounceFacts {
  /** An `Action: failed` line; `notFailed`: a delayed, relayed, expanded or delivered one. */
  failed: boolean;
  notFailed: boolean;
  messageIds: string[];
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
  /** For a PEC envelope: the citizen's own message, as stored. */
  originalSha256: string | undefined;
  /** The report lines a bounce is linked to its message by. */
  bounce: BounceFacts;
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
    originalSha256: undefined,
    bounce: { failed: false, notFailed: false, messageIds: [] },
    quarantineReason: reason,
  };
}

/** Attachments that run code or hide other files: never passed on to a ticket unseen. */
const BLOCKED_EXTENSIONS =
  /\.(exe|com|bat|cmd|scr|pif|cpl|msi|msp|jar|js|jse|vbs|vbe|wsf|wsh|ps1|psm1|hta|lnk|reg|dll|sys|iso|img|vhd|zip|rar|7z|gz|tgz|tar|bz2|xz|cab|ace|arj|docm|xlsm|pptm)$/i;
const BLOCKED_TYPES =
  /^application\/(x-msdownload|x-msdos-program|x-dosexec|x-executable|x-sh|x-bat|java-archive|x-java-archive|javascript|x-javascript|zip|x-zip-compressed|x-rar-compressed|vnd\.rar|x-7z-compressed|gzip|x-gzip|x-tar|x-iso9660-image|vnd\.ms-cab-compressed)$/i;

const first = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a[0] : a)?.value[0];

/** What one pass over the raw lines finds: enough to judge the structure without holding the message. */
interface RawFacts {
  header: Buffer;
  /** The message's own header block was longer than what is read of it. */
  headerTooLong: boolean;
  charsets: Set<string>;
  /** The MIME boundaries declared, and those whose closing delimiter (`--b--`) was seen. */
  boundaries: Set<string>;
  closed: Set<string>;
  inlineMessage: boolean;
  bounce: BounceFacts;
}

const MAX_HEADER_BYTES = 256 * 1024;
/** A line longer than this is read in windows of it (with an overlap), never whole. */
const WINDOW_BYTES = 64 * 1024;
const OVERLAP_BYTES = 512;
const MAX_FACTS = 1000;

/**
 * Reads the raw message line by line, as it streams, for the facts the structural checks
 * need: each header line unfolded (a folded `boundary=` or `Content-Type:` is one line, as a
 * parser reads it), every part of every line searched, nothing held but a window.
 */
async function scanRaw(raw: Readable): Promise<RawFacts> {
  const facts: RawFacts = {
    header: Buffer.alloc(0),
    headerTooLong: false,
    charsets: new Set(),
    boundaries: new Set(),
    closed: new Set(),
    inlineMessage: false,
    bounce: { failed: false, notFailed: false, messageIds: [] },
  };
  const header: Buffer[] = [];
  let headerBytes = 0;
  let inHeader = true;
  const add = (set: Set<string>, v: string) => set.size < MAX_FACTS && set.add(v);
  /** What can be anywhere in a line: parameters. */
  const params = (text: string) => {
    for (const m of text.matchAll(/charset\s*=\s*"?([^";\s]+)"?/gi)) add(facts.charsets, m[1] ?? '');
    for (const m of text.matchAll(/boundary\s*=\s*(?:"([^"\r\n]+)"|([^;\s\r\n]+))/gi)) {
      add(facts.boundaries, m[1] ?? m[2] ?? '');
    }
  };
  /** What must begin a (logical, unfolded) line: fields. */
  const fields = (text: string) => {
    params(text);
    if (/^content-type:\s*message\/rfc822/i.test(text)) facts.inlineMessage = true;
    const action = /^action:\s*(\S+)\s*$/i.exec(text)?.[1]?.toLowerCase();
    if (action === 'failed') facts.bounce.failed = true;
    else if (action && ['delayed', 'relayed', 'expanded', 'delivered'].includes(action)) facts.bounce.notFailed = true;
    const id = /^message-id:\s*(<[^<>\s]{1,200}@[^<>\s]{1,200}>)/i.exec(text)?.[1];
    if (id && !facts.bounce.messageIds.includes(id) && facts.bounce.messageIds.length < 50) {
      facts.bounce.messageIds.push(id);
    }
  };
  let logical = '';
  const flush = () => {
    if (logical) fields(logical);
    logical = '';
  };
  /** One physical line (its start when `continued` is false), at most a window of it. */
  const line = (bytes: Buffer, continued: boolean) => {
    // A header line longer than a window is not a header a sender writes.
    if (inHeader && continued) facts.headerTooLong = true;
    if (inHeader && !continued) {
      if (bytes.length === 0 || (bytes.length === 1 && bytes[0] === 0x0d)) inHeader = false;
      else if (headerBytes < MAX_HEADER_BYTES) {
        header.push(bytes, Buffer.from('\n'));
        headerBytes += bytes.length + 1;
      } else facts.headerTooLong = true;
    }
    const text = bytes.toString('latin1').replace(/\r$/, '');
    if (continued) {
      params(text);
      return;
    }
    // A boundary's closing delimiter (declared earlier in the message, as MIME requires).
    const start = text.trimStart();
    if (start.startsWith('--')) {
      for (const b of facts.boundaries) if (start.startsWith(`--${b}--`)) facts.closed.add(b);
    }
    if (/^[ \t]/.test(text) && logical) {
      // A folded header line continues the one before.
      logical = `${logical} ${start}`.slice(0, WINDOW_BYTES);
      return;
    }
    flush();
    logical = text.slice(0, WINDOW_BYTES);
    if (text.length > WINDOW_BYTES) params(text);
  };
  let carry = Buffer.alloc(0);
  let continued = false;
  for await (const chunk of raw) {
    let data = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    let at: number;
    while ((at = data.indexOf(0x0a)) >= 0) {
      line(data.subarray(0, at), continued);
      continued = false;
      data = data.subarray(at + 1);
    }
    // A line longer than a window is read a window at a time, overlapping, from its start.
    while (data.length > WINDOW_BYTES) {
      line(data.subarray(0, WINDOW_BYTES), continued);
      continued = true;
      data = data.subarray(WINDOW_BYTES - OVERLAP_BYTES);
    }
    carry = Buffer.from(data);
  }
  if (carry.length) line(carry, continued);
  flush();
  facts.header = Buffer.concat(header);
  return facts;
}

/** Problems a lenient parser would paper over: the back office must see them. */
function structuralProblem(facts: RawFacts): string | undefined {
  if (facts.headerTooLong) return 'Intestazioni oltre 256 KB: il messaggio non si può leggere con certezza';
  if (!isUtf8(facts.header)) return 'Intestazioni con caratteri a 8 bit non codificati: il mittente non è affidabile';
  for (const label of facts.charsets) {
    try {
      new TextDecoder(label);
    } catch {
      return `Set di caratteri sconosciuto (${label.slice(0, 40)}): il testo non si può leggere con certezza`;
    }
  }
  for (const boundary of facts.boundaries) {
    if (!facts.closed.has(boundary)) return 'Messaggio troncato: una parte MIME non è chiusa';
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

interface ParsedParts {
  headers: Map<string, unknown>;
  headerLines: { key: string; line: string }[];
  text: string | undefined;
  html: string | undefined;
  attachments: InspectedAttachment[];
}

/**
 * Parses a message as it streams (mailparser's `MailParser`, not `simpleParser`, which
 * gathers every attachment into a Buffer): each attachment is written to `store` as it is
 * decoded and only its description is kept.
 */
async function parseMessage(raw: Readable, store: ContentStore): Promise<ParsedParts> {
  const parser = new MailParser({ checksumAlgo: false, maxHtmlLengthToParse: 2_000_000 });
  const out: ParsedParts = { headers: new Map(), headerLines: [], text: undefined, html: undefined, attachments: [] };
  parser.on('headers', (headers: Map<string, unknown>) => {
    out.headers = headers;
    out.headerLines = (parser as unknown as { headerLines: ParsedParts['headerLines'] }).headerLines;
  });
  raw.on('error', (err: Error) => parser.destroy(err));
  raw.pipe(parser);
  try {
    for await (const data of parser as AsyncIterable<AttachmentStream | MessageText>) {
      if (data.type === 'text') {
        out.text = data.text;
        out.html = typeof data.html === 'string' ? data.html : undefined;
      } else {
        const index = out.attachments.length;
        const stored = await store.put(data.content);
        data.release?.();
        out.attachments.push({
          index,
          // No path separators and no control characters (PostgreSQL refuses NUL in text and jsonb).
          // eslint-disable-next-line no-control-regex
          filename: (data.filename ?? `allegato-${index + 1}`).replace(/[\\/\u0000-\u001f\u007f]/g, '_').slice(0, 200),
          contentType: (data.contentType || 'application/octet-stream').toLowerCase(),
          size: stored.size,
          sha256: stored.sha256,
        });
      }
    }
  } finally {
    raw.destroy();
  }
  return out;
}

/**
 * Reads a raw message for the intake: for a PEC envelope the citizen's own message inside it
 * (its certification data kept apart), parsed with mailparser; machine-sent mail recognised;
 * anything hostile or malformed given a reason to be quarantined. Streams throughout: the
 * message is read in passes, attachments (and a PEC's original) go to `store` as they are
 * decoded, never held whole. Never throws on bad input: a message that cannot be read at all
 * comes back with only its reason.
 */
export async function inspectMail(
  raw: Content,
  opts: { loopId: string; maxAttachmentBytes: number; pecExpected: boolean; store?: ContentStore },
): Promise<InspectedMail> {
  // A failure to read the message or to store its parts is not the message's fault: it is
  // passed on (the intake offers the message again), never taken for malformed MIME.
  const store = markingFailures(opts.store ?? memoryStore());
  const empty = quarantinedOnly(undefined);
  const facts = await scanRaw(openContent(raw));
  const problem = structuralProblem(facts);
  let message: Content = raw;
  let pec: Daticert | undefined;
  let originalSha256: string | undefined;
  const looksPec = /^x-(trasporto|ricevuta):/im.test(facts.header.toString('latin1'));
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
      const envelope = await openPecEnvelope(raw, store);
      pec = envelope.daticert;
      originalSha256 = envelope.original?.sha256;
      if (envelope.original && !isReceipt(pec)) message = envelope.original;
    } catch (err) {
      if (err instanceof ContentIoError) throw err.failure;
      if (!(err instanceof PecEnvelopeError) && (err as Error).name !== 'DaticertError') throw err;
      if (err instanceof PecEnvelopeError && err.anomaly) {
        return {
          ...empty,
          quarantineReason:
            'Busta di anomalia del gestore PEC: il messaggio contenuto non è certificato (ad esempio inviato da una casella ordinaria); aprirlo e verificarlo a mano',
        };
      }
      if (looksPec) return { ...empty, quarantineReason: `Busta PEC non valida: ${(err as Error).message}` };
      // An ordinary message reached the PEC mailbox: read it as such.
    }
  }
  let parsed: ParsedParts;
  try {
    parsed = await parseMessage(openMarked(message), store);
  } catch (err) {
    if (err instanceof ContentIoError) throw err.failure;
    return {
      ...empty,
      pec,
      originalSha256,
      quarantineReason: `Struttura MIME non leggibile: ${(err as Error).message.slice(0, 200)}`,
    };
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
  const attachments = parsed.attachments;
  const rawHtml = parsed.html;
  const h = parsed.headers;
  const from = first(h.get('from') as AddressObject | undefined);
  const date = h.get('date');
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  // eslint-disable-next-line no-control-regex
  const line = (v: string | undefined) => v?.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim() || undefined;
  const inspected: InspectedMail = {
    messageId: line(text(h.get('message-id'))),
    fromAddress: line(from?.address?.toLowerCase()),
    fromName: line(from?.name),
    replyTo: line(first(h.get('reply-to') as AddressObject | undefined)?.address?.toLowerCase()),
    subject: line(text(h.get('subject'))),
    sentAt: date instanceof Date && !Number.isNaN(date.getTime()) ? date : undefined,
    inReplyTo: line(text(h.get('in-reply-to'))),
    text: parsed.text ?? (rawHtml ? sanitizeHtml(rawHtml, { allowedTags: [], allowedAttributes: {} }) : ''),
    html: rawHtml ? sanitise(rawHtml) : undefined,
    attachments,
    automatic: automaticKind(headers, opts.loopId),
    pec,
    originalSha256,
    bounce: facts.bounce,
    quarantineReason: undefined,
  };
  const total = attachments.reduce((n, a) => n + a.size, 0);
  inspected.quarantineReason =
    problem ??
    (inspected.messageId ? undefined : 'Manca l’intestazione Message-ID: il messaggio non si può identificare') ??
    attachments.map((a) => attachmentProblem(a, pec !== undefined)).find(Boolean) ??
    // mailparser folds an inline message/rfc822 into the body: it is found in the raw parts.
    (!pec && facts.inlineMessage
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
