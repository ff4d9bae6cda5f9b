import type { Content } from '../../platform/content/content.js';

/**
 * The help desk's tickets: Request Tracker 5 over REST2 in production (`rt-tickets.ts`), a
 * store in PostgreSQL with RT's semantics on the embedded default (`local-tickets.ts`).
 * Both pass the same contract test (test/integration/tickets.integration.spec.ts).
 */
export interface Tickets {
  readonly provider: 'local' | 'rt';
  /**
   * Opens a ticket, at most once per `requestKey`: when a ticket with this key exists
   * (a retry, a delivery that died after RT answered) it is returned and nothing is created.
   */
  create(ticket: NewTicket): Promise<Ticket>;
  /** The ticket opened with this request key, if any. */
  findByRequestKey(requestKey: string): Promise<Ticket | undefined>;
  get(id: string): Promise<Ticket | undefined>;
  /**
   * Adds a reply to the requestors (`correspond`) or an internal note (`comment`), at most
   * once per `requestKey` on this ticket.
   */
  addMessage(id: string, message: TicketMessage): Promise<void>;
  /** Moves the ticket to another queue and/or sets its status. */
  update(id: string, change: { queue?: string; status?: TicketStatus }): Promise<Ticket>;
  /** Tickets matching a TicketSQL query, e.g. `Queue = 'PEC' AND LastUpdated > '2026-12-01 10:00:00'`. */
  search(ticketSql: string): Promise<Ticket[]>;
  /** The ticket's transactions, oldest first. */
  history(id: string): Promise<TicketTransaction[]>;
  /** The files attached to the ticket's transactions (not the message bodies). */
  attachments(id: string): Promise<TicketAttachmentInfo[]>;
  /** One attachment's bytes. */
  attachmentContent(id: string, attachmentId: string): Promise<TicketFile | undefined>;
  /**
   * The text of the latest reply or comment written after `after` (ISO instant): what a
   * department answered once the ticket reached its queue.
   */
  lastMessage(id: string, after: string): Promise<{ content: string; created: string; creator: string } | undefined>;
}

/** A ticket or attachment number as RT gives it (a positive integer): nothing else is asked for. */
export function isTicketId(id: string): boolean {
  return /^[1-9]\d{0,17}$/.test(id);
}

/** RT's default lifecycle. */
export type TicketStatus = 'new' | 'open' | 'stalled' | 'resolved' | 'rejected' | 'deleted';
export const TICKET_STATUSES: readonly TicketStatus[] = ['new', 'open', 'stalled', 'resolved', 'rejected', 'deleted'];

export interface TicketFile {
  filename: string;
  contentType: string;
  /** A Buffer, or for a large file a source read as a stream (never held whole). */
  content: Content;
}

export interface NewTicket {
  queue: string;
  subject: string;
  /** Email address of the citizen, when there is one. */
  requestor?: string | undefined;
  /** The message's text (plain text). */
  content: string;
  attachments?: TicketFile[];
  /** Ticket custom fields by name (e.g. `Canale`: `email`, `pec`, `fax`, `telefono`). */
  customFields?: Record<string, string>;
  /** Identifies the request: a second create with the same key returns the first ticket. */
  requestKey: string;
}

export interface Ticket {
  id: string;
  queue: string;
  subject: string;
  status: TicketStatus;
  requestors: string[];
  customFields: Record<string, string>;
  /** ISO 8601 UTC. */
  created: string;
  lastUpdated: string;
}

export interface TicketMessage {
  kind: 'correspond' | 'comment';
  content: string;
  attachments?: TicketFile[];
  requestKey: string;
}

export interface TicketTransaction {
  id: string;
  /** RT's transaction type: Create, Correspond, Comment, Status, Set, … */
  type: string;
  field?: string | undefined;
  oldValue?: string | undefined;
  newValue?: string | undefined;
  /** ISO 8601 UTC. */
  created: string;
  creator: string;
}

export interface TicketAttachmentInfo {
  id: string;
  filename: string;
  contentType: string;
  transactionId: string;
}

/** The ticket system could not be reached or answered with a server error: worth retrying. */
export class TicketsUnavailableError extends Error {
  override name = 'TicketsUnavailableError';
}

/** The ticket system refused the request for good (unknown queue, no right, bad field): a person must act. */
export class TicketRejectedError extends Error {
  override name = 'TicketRejectedError';
}
