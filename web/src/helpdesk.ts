/**
 * The help desk's mail and tickets as the API answers them (api/routes/helpdesk.ts), and how
 * they are called on screen. The shapes mirror domain/helpdesk/mail-records.ts and
 * adapters/tickets/tickets.ts: the workspace does not compile the server's modules.
 */

export type MailChannel = 'email' | 'pec' | 'fax';

export interface MailAttachment {
  index: number;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
}

/** What daticert.xml certifies about a PEC message (the facts the workspace shows). */
export interface PecFacts {
  tipo?: string;
  mittente?: string;
  identificativo?: string;
  data?: string;
  errore?: string;
  gestoreEmittente?: string;
  consegna?: string;
  erroreEsteso?: string;
}

export interface PecReceipt {
  tipo: string;
  data: string;
  errore: string;
  consegna: string | null;
  mailId: string;
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
  /** Absent on servers older than the PEC receipts. */
  pecReceipts?: PecReceipt[];
}

export interface MailRecord {
  id: string;
  mailbox: string;
  channel: MailChannel;
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
  /** Sanitised by the server; still shown only inside a sandboxed frame. */
  html: string | null;
  attachments: MailAttachment[];
  pec: PecFacts | null;
  suggestedQueue: string | null;
  processInstanceId: string | null;
  ticketId: string | null;
  archivedAt: string | null;
  /** What we sent about this message (acknowledgements, requests for documents…), newest first. */
  sent: OutboxItem[];
}

export interface MailboxBacklog {
  mailbox: string;
  open: number;
  quarantined: number;
  oldestUnansweredAt: string | null;
  oldestUnansweredBusinessHours: number | null;
  overTarget: boolean;
}

export interface Ticket {
  id: string;
  queue: string;
  subject: string;
  status: string;
  requestors: string[];
  customFields: Record<string, string>;
  created: string;
  lastUpdated: string;
}

export interface TicketTransaction {
  id: string;
  type: string;
  field?: string;
  oldValue?: string;
  newValue?: string;
  created: string;
  creator: string;
}

export interface TicketAttachmentInfo {
  id: string;
  filename: string;
  contentType: string;
  transactionId: string;
}

export interface TicketView {
  ticket: Ticket;
  history: TicketTransaction[];
  attachments: TicketAttachmentInfo[];
}

/** The contract's answer target for mail, fax and letters (§6), as the backlog measures it. */
export const ANSWER_TARGET_BUSINESS_HOURS = 24;

export const CHANNEL_LABELS: Record<MailChannel, string> = { email: 'Email', pec: 'PEC', fax: 'Fax' };

export const MAILBOX_LABELS: Record<string, string> = {
  helpdesk: 'Help desk',
  tributi: 'Tributi',
  pec: 'PEC',
  fax: 'Fax',
};

/** Why a message was recognised as written by a machine (domain/helpdesk/automatic-mail.ts). */
export const AUTOMATIC_LABELS: Record<string, string> = {
  'auto-reply': 'risposta automatica (fuori ufficio, conferma di ricezione)',
  bulk: 'posta massiva (newsletter, lista di distribuzione)',
  loop: 'messaggio inviato da noi stessi (ciclo di posta)',
  bounce: 'notifica di mancato recapito',
  'pec-receipt': 'ricevuta del gestore PEC',
};

export const PEC_TYPE_LABELS: Record<string, string> = {
  'posta-certificata': 'Posta certificata',
  accettazione: 'Ricevuta di accettazione',
  'non-accettazione': 'Avviso di non accettazione',
  'presa-in-carico': 'Ricevuta di presa in carico',
  'avvenuta-consegna': 'Ricevuta di avvenuta consegna',
  'errore-consegna': 'Avviso di mancata consegna',
  'preavviso-errore-consegna': 'Preavviso di mancata consegna',
  'rilevazione-virus': 'Avviso di rilevazione virus',
};

/** Request Tracker's lifecycle. */
export const TICKET_STATUS_LABELS: Record<string, string> = {
  new: 'Nuovo',
  open: 'Aperto',
  stalled: 'In attesa',
  resolved: 'Risolto',
  rejected: 'Respinto',
  deleted: 'Eliminato',
};

/** Request Tracker's transaction types. */
export const TRANSACTION_LABELS: Record<string, string> = {
  Create: 'Apertura',
  Correspond: 'Risposta al richiedente',
  Comment: 'Nota interna',
  Status: 'Cambio di stato',
  Set: 'Modifica',
  CustomField: 'Campo personalizzato',
  AddWatcher: 'Aggiunta di un osservatore',
  DelWatcher: 'Rimozione di un osservatore',
  AddLink: 'Collegamento',
  DeleteLink: 'Collegamento rimosso',
  SetWatcher: 'Osservatore impostato',
  Give: 'Assegnazione',
  Steal: 'Assegnazione',
  Take: 'Presa in carico',
  Untake: 'Rilascio',
  EmailRecord: 'Email inviata',
  CommentEmailRecord: 'Email di nota inviata',
};

export const OUTBOX_STATUS_LABELS: Record<OutboxItem['status'], string> = { sending: 'In invio', sent: 'Inviato' };

export const mailboxLabel = (name: string) => MAILBOX_LABELS[name] ?? name;
export const ticketStatusLabel = (s: string) => TICKET_STATUS_LABELS[s] ?? s;
export const pecTypeLabel = (t: string | undefined) => (t ? (PEC_TYPE_LABELS[t] ?? t) : '—');

const number1 = new Intl.NumberFormat('it-IT', { maximumFractionDigits: 1 });

/** "850 byte", "12,4 kB", "3,1 MB". */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} byte`;
  if (bytes < 1024 * 1024) return `${number1.format(bytes / 1024)} kB`;
  return `${number1.format(bytes / (1024 * 1024))} MB`;
}

/** "12,5 ore lavorative". */
export function businessHours(hours: number): string {
  return `${number1.format(hours)} ${hours === 1 ? 'ora lavorativa' : 'ore lavorative'}`;
}

/** "Mario Rossi <mario.rossi@example.test>", or whichever of the two the message has. */
export function sender(m: Pick<MailRecord, 'fromName' | 'fromAddress'>): string {
  if (m.fromName && m.fromAddress) return `${m.fromName} <${m.fromAddress}>`;
  return m.fromName ?? m.fromAddress ?? 'mittente sconosciuto';
}

/** A ticket number a flow variable may carry (`none`, `unknown` and the like are not tickets). */
export function ticketIdOf(value: unknown): string | undefined {
  return typeof value === 'string' && /^\d{1,12}$/.test(value) ? value : undefined;
}

/** A message id a flow variable may carry. */
export function mailIdOf(value: unknown): string | undefined {
  return typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
    ? value
    : undefined;
}

export const attachmentUrl = (mailId: string, index: number) =>
  `/api/helpdesk/mail/${encodeURIComponent(mailId)}/attachments/${index}`;

/**
 * The document the sandboxed frame shows: the server's sanitised HTML under a policy that
 * allows nothing but inline style, so even markup that slipped through loads and runs nothing.
 */
export function htmlDocument(html: string): string {
  return [
    '<!doctype html><html lang="it"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="referrer" content="no-referrer">',
    '<style>body{font-family:system-ui,sans-serif;font-size:15px;line-height:1.45;margin:0.5rem;color:#1b1f23;word-wrap:break-word}</style>',
    `</head><body>${html}</body></html>`,
  ].join('');
}
