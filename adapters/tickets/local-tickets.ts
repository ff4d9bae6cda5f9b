import type { DataSource, EntityManager } from 'typeorm';
import { returning } from '../../platform/database/query.js';
import { ChunkedFiles, type WrittenFile } from '../../platform/content/chunked-files.js';
import { openContent } from '../../platform/content/content.js';
import { DEFAULT_REQUEST_KEY_FIELD } from './rt-tickets.js';
import {
  TICKET_STATUSES,
  TicketRejectedError,
  type NewTicket,
  type Ticket,
  type TicketAttachmentInfo,
  type TicketFile,
  type TicketMessage,
  type Tickets,
  type TicketStatus,
  type TicketTransaction,
  isTicketId,
} from './tickets.js';

interface TicketRow {
  id: string;
  queue: string;
  subject: string;
  status: TicketStatus;
  requestors: string[];
  custom_fields: Record<string, string>;
  created_at: Date;
  last_updated: Date;
}

interface TransactionRow {
  id: string;
  type: string;
  field: string | null;
  old_value: string | null;
  new_value: string | null;
  creator: string;
  created_at: Date;
}

const TICKET_COLUMNS = 'id, queue, subject, status, requestors, custom_fields, created_at, last_updated';

/** The user RT's own automatic changes are recorded under (e.g. new → open on the first reply). */
const RT_SYSTEM = 'RT_System';

export interface LocalTicketsOptions {
  /** Who the transactions are recorded as created by, as RT records the API user. */
  user?: string;
}

/**
 * The help desk's tickets on the embedded default, in PostgreSQL, with Request Tracker's
 * semantics so the app cannot tell the two apart: known queues only, RT's default lifecycle
 * (the first reply moves a `new` ticket to `open`), a transaction for every change with its old
 * and new value, the files kept with the transaction that brought them, and a search that
 * understands the part of TicketSQL the app writes. A request key opens one ticket and adds
 * one message per ticket, settled by unique indexes, so concurrent calls need no lock.
 */
export class LocalTickets implements Tickets {
  readonly provider = 'local' as const;
  private readonly user: string;
  /** The attachments' bytes, in pieces. */
  private readonly files: ChunkedFiles;

  constructor(
    private readonly db: DataSource,
    options: LocalTicketsOptions = {},
  ) {
    this.user = options.user ?? 'contact-center';
    this.files = new ChunkedFiles(db);
  }

  async create(ticket: NewTicket): Promise<Ticket> {
    const known = await this.byKey(this.db.manager, ticket.requestKey);
    if (known) return toTicket(known);
    // The files are copied before the transaction: reading them needs connections of its own,
    // which a transaction holding one while it waits for them could starve the pool of.
    const files = await this.writeFiles(ticket.attachments);
    let used = false;
    try {
      return await this.db.transaction(async (m) => {
        const existing = await this.byKey(m, ticket.requestKey);
        if (existing) return toTicket(existing);
        await this.requireQueue(m, ticket.queue);
        const inserted = await m.query<TicketRow[]>(
          `INSERT INTO tickets (queue, subject, status, requestors, custom_fields, request_key)
         VALUES ($1, $2, 'new', $3, $4::jsonb, $5)
         ON CONFLICT (request_key) DO NOTHING
         RETURNING ${TICKET_COLUMNS}`,
          [
            ticket.queue,
            ticket.subject,
            ticket.requestor ? [ticket.requestor] : [],
            JSON.stringify(ticket.customFields ?? {}),
            ticket.requestKey,
          ],
        );
        const row = inserted[0];
        if (!row) {
          // A concurrent create with the same key committed first (the insert waited for it).
          const first = await this.byKey(m, ticket.requestKey);
          if (!first) throw new Error(`ticket con chiave ${ticket.requestKey} atteso e non trovato`);
          return toTicket(first);
        }
        const [txn] = await m.query<{ id: string }[]>(
          `INSERT INTO ticket_transactions (ticket_id, type, content, creator) VALUES ($1, 'Create', $2, $3) RETURNING id`,
          [row.id, ticket.content, this.user],
        );
        await this.saveFiles(m, row.id, txn!.id, files);
        used = true;
        return toTicket(row);
      });
    } finally {
      if (!used) await this.dropFiles(files);
    }
  }

  async findByRequestKey(requestKey: string): Promise<Ticket | undefined> {
    const row = await this.byKey(this.db.manager, requestKey);
    return row && toTicket(row);
  }

  async get(id: string): Promise<Ticket | undefined> {
    if (!isTicketId(id)) return undefined;
    const [row] = await this.db.query<TicketRow[]>(`SELECT ${TICKET_COLUMNS} FROM tickets WHERE id = $1`, [id]);
    return row && toTicket(row);
  }

  async addMessage(id: string, message: TicketMessage): Promise<void> {
    if (message.kind !== 'correspond' && message.kind !== 'comment') {
      throw new TicketRejectedError(`tipo di messaggio sconosciuto: ${String(message.kind)}`);
    }
    const files = await this.writeFiles(message.attachments);
    let used = false;
    try {
      await this.db.transaction(async (m) => {
        const ticket = await this.lock(m, id);
        const [txn] = await m.query<{ id: string }[]>(
          `INSERT INTO ticket_transactions (ticket_id, type, content, request_key, creator)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (ticket_id, request_key) WHERE request_key IS NOT NULL DO NOTHING
         RETURNING id`,
          [
            id,
            message.kind === 'correspond' ? 'Correspond' : 'Comment',
            message.content,
            message.requestKey,
            this.user,
          ],
        );
        if (!txn) return; // already added: a retry
        await this.saveFiles(m, id, txn.id, files);
        used = true;
        // RT's default lifecycle: replying to a new ticket opens it, as RT_System.
        if (message.kind === 'correspond' && ticket.status === 'new') {
          await this.setField(m, id, 'Status', 'new', 'open', RT_SYSTEM);
        }
        await m.query('UPDATE tickets SET last_updated = now() WHERE id = $1', [id]);
      });
    } finally {
      if (!used) await this.dropFiles(files);
    }
  }

  async update(id: string, change: { queue?: string; status?: TicketStatus }): Promise<Ticket> {
    return this.db.transaction(async (m) => {
      const ticket = await this.lock(m, id);
      let changed = false;
      if (change.queue !== undefined && change.queue !== ticket.queue) {
        await this.requireQueue(m, change.queue);
        await this.setField(m, id, 'Queue', ticket.queue, change.queue, this.user);
        changed = true;
      }
      if (change.status !== undefined && change.status !== ticket.status) {
        if (!TICKET_STATUSES.includes(change.status)) {
          throw new TicketRejectedError(`stato "${String(change.status)}" non valido per il ticket ${id}`);
        }
        await this.setField(m, id, 'Status', ticket.status, change.status, this.user);
        changed = true;
      }
      const [row] = changed
        ? await returning<TicketRow>(
            m,
            `UPDATE tickets SET last_updated = now() WHERE id = $1 RETURNING ${TICKET_COLUMNS}`,
            [id],
          )
        : [ticket];
      return toTicket(row!);
    });
  }

  async search(ticketSql: string): Promise<Ticket[]> {
    const { where, params } = compileTicketSql(ticketSql);
    // As RT, a search never shows deleted tickets.
    const rows = await this.db.query<TicketRow[]>(
      `SELECT ${TICKET_COLUMNS} FROM tickets WHERE status <> 'deleted' AND (${where}) ORDER BY id`,
      params,
    );
    return rows.map(toTicket);
  }

  async history(id: string): Promise<TicketTransaction[]> {
    if (!isTicketId(id)) return [];
    const rows = await this.db.query<TransactionRow[]>(
      `SELECT id, type, field, old_value, new_value, creator, created_at
       FROM ticket_transactions WHERE ticket_id = $1 ORDER BY id`,
      [id],
    );
    return rows.map((t) => ({
      id: String(t.id),
      type: t.type,
      field: t.field ?? undefined,
      oldValue: t.old_value ?? undefined,
      newValue: t.new_value ?? undefined,
      created: t.created_at.toISOString(),
      creator: t.creator,
    }));
  }

  async lastMessage(
    id: string,
    after: string,
  ): Promise<{ content: string; created: string; creator: string } | undefined> {
    if (!isTicketId(id)) return undefined;
    const rows = await this.db.query<{ content: string | null; created_at: Date; creator: string }[]>(
      `SELECT content, created_at, creator FROM ticket_transactions
        WHERE ticket_id = $1 AND type IN ('Correspond', 'Comment') AND created_at > $2 AND content IS NOT NULL
        ORDER BY id DESC LIMIT 1`,
      [id, new Date(after)],
    );
    const r = rows[0];
    return r ? { content: r.content ?? '', created: r.created_at.toISOString(), creator: r.creator } : undefined;
  }

  async attachments(id: string): Promise<TicketAttachmentInfo[]> {
    if (!isTicketId(id)) return [];
    const rows = await this.db.query<{ id: string; filename: string; content_type: string; transaction_id: string }[]>(
      `SELECT id, filename, content_type, transaction_id FROM ticket_attachments WHERE ticket_id = $1 ORDER BY id`,
      [id],
    );
    return rows.map((a) => ({
      id: String(a.id),
      filename: a.filename,
      contentType: a.content_type,
      transactionId: String(a.transaction_id),
    }));
  }

  async attachmentContent(id: string, attachmentId: string): Promise<TicketFile | undefined> {
    if (!isTicketId(id) || !isTicketId(attachmentId)) return undefined;
    const [row] = await this.db.query<
      { filename: string; content_type: string; content: Buffer | null; file_id: string | null; size: string | null }[]
    >(
      `SELECT filename, content_type, CASE WHEN file_id IS NULL THEN content END AS content, file_id, size
         FROM ticket_attachments WHERE ticket_id = $1 AND id = $2`,
      [id, attachmentId],
    );
    if (!row) return undefined;
    const { file_id: fileId } = row;
    const size = Number(row.size ?? 0);
    const content = fileId ? { size, open: () => this.files.read(fileId, size) } : row.content;
    return content ? { filename: row.filename, contentType: row.content_type, content } : undefined;
  }

  private async byKey(q: EntityManager, requestKey: string): Promise<TicketRow | undefined> {
    const [row] = await q.query<TicketRow[]>(`SELECT ${TICKET_COLUMNS} FROM tickets WHERE request_key = $1`, [
      requestKey,
    ]);
    return row;
  }

  /** The ticket, locked until the transaction ends, so changes to one ticket go one at a time. */
  private async lock(m: EntityManager, id: string): Promise<TicketRow> {
    const [row] = isTicketId(id)
      ? await m.query<TicketRow[]>(`SELECT ${TICKET_COLUMNS} FROM tickets WHERE id = $1 FOR UPDATE`, [id])
      : [];
    if (!row) throw new TicketRejectedError(`il ticket ${id} non esiste`);
    return row;
  }

  private async requireQueue(m: EntityManager, queue: string): Promise<void> {
    const found = await m.query<unknown[]>('SELECT 1 FROM ticket_queues WHERE name = $1', [queue]);
    // RT's own answer to a ticket in a queue it does not have.
    if (found.length === 0)
      throw new TicketRejectedError(`la coda "${queue}" non esiste: impossibile usarla per il ticket`);
  }

  /** Changes a column and records RT's transaction for it (`Status`, or `Set` with the field). */
  private async setField(
    m: EntityManager,
    id: string,
    field: 'Status' | 'Queue',
    oldValue: string,
    newValue: string,
    creator: string,
  ): Promise<void> {
    await m.query(`UPDATE tickets SET ${field === 'Status' ? 'status' : 'queue'} = $2 WHERE id = $1`, [id, newValue]);
    await m.query(
      `INSERT INTO ticket_transactions (ticket_id, type, field, old_value, new_value, creator)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, field === 'Status' ? 'Status' : 'Set', field, oldValue, newValue, creator],
    );
  }

  /** The files copied in pieces, as RT keeps its own copy: a large file is never held whole. */
  private async writeFiles(files: TicketFile[] = []): Promise<{ file: TicketFile; written: WrittenFile }[]> {
    const out: { file: TicketFile; written: WrittenFile }[] = [];
    try {
      for (const file of files) out.push({ file, written: await this.files.write(openContent(file.content)) });
    } catch (err) {
      await this.dropFiles(out);
      throw err;
    }
    return out;
  }

  private async dropFiles(files: { written: WrittenFile }[]): Promise<void> {
    for (const f of files) await this.files.remove(f.written.fileId).catch(() => undefined);
  }

  private async saveFiles(
    m: EntityManager,
    ticketId: string,
    transactionId: string,
    files: { file: TicketFile; written: WrittenFile }[],
  ) {
    for (const { file, written } of files) {
      await m.query(
        `INSERT INTO ticket_attachments (ticket_id, transaction_id, filename, content_type, file_id, size)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [ticketId, transactionId, file.filename, file.contentType, written.fileId, written.size],
      );
    }
  }
}

function toTicket(r: TicketRow): Ticket {
  return {
    id: String(r.id),
    queue: r.queue,
    subject: r.subject,
    status: r.status,
    requestors: r.requestors,
    customFields: { ...r.custom_fields },
    created: r.created_at.toISOString(),
    lastUpdated: r.last_updated.toISOString(),
  };
}

type Token =
  | { kind: 'word'; text: string }
  | { kind: 'cf'; name: string }
  | { kind: 'string'; text: string }
  | { kind: 'number'; text: string }
  | { kind: 'op'; text: string }
  | { kind: '(' | ')' };

function unsupported(ticketSql: string, why: string): TicketRejectedError {
  return new TicketRejectedError(`query non supportata dal gestore locale dei ticket: ${ticketSql} (${why})`);
}

function tokenize(ticketSql: string): Token[] {
  const tokens: Token[] = [];
  const re =
    /\s+|(\()|(\))|(!=|<>|>=|<=|=|>|<)|'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(CF\.\{[^}]*\}|CF\.\w+)|(\d+)(?![\w.])|([A-Za-z_]\w*)/iy;
  let at = 0;
  while (at < ticketSql.length) {
    re.lastIndex = at;
    const m = re.exec(ticketSql);
    if (!m) throw unsupported(ticketSql, `carattere inatteso alla posizione ${at + 1}`);
    at = re.lastIndex;
    if (m[1]) tokens.push({ kind: '(' });
    else if (m[2]) tokens.push({ kind: ')' });
    else if (m[3]) tokens.push({ kind: 'op', text: m[3] === '<>' ? '!=' : m[3] });
    else if (m[4] !== undefined || m[5] !== undefined) {
      // As RT: a backslash inside quotes takes the next character as it is.
      tokens.push({ kind: 'string', text: (m[4] ?? m[5]!).replace(/\\(.)/g, '$1') });
    } else if (m[6]) tokens.push({ kind: 'cf', name: m[6].replace(/^CF\.\{?|\}$/gi, '') });
    else if (m[7]) tokens.push({ kind: 'number', text: m[7] });
    else if (m[8]) tokens.push({ kind: 'word', text: m[8] });
  }
  return tokens;
}

const DATE_VALUE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * The part of TicketSQL the app writes, as a parameterized WHERE clause: `Queue`, `Status`
 * (`=`, `!=`), `LastUpdated` (`>`, `>=`, `<`, `<=` a UTC date and time), `id = N`,
 * `CF.{Name} = '…'`, joined by AND, with parentheses. Anything else is refused rather than
 * read differently from RT.
 */
export function compileTicketSql(ticketSql: string): { where: string; params: unknown[] } {
  const tokens = tokenize(ticketSql);
  if (tokens.length === 0) return { where: 'true', params: [] };
  const params: unknown[] = [];
  const param = (v: unknown) => `$${params.push(v)}`;
  let i = 0;
  const next = () => tokens[i++];

  const condition = (): string => {
    const field = next();
    const op = next();
    const value = next();
    if (!field || !op || op.kind !== 'op' || !value || (value.kind !== 'string' && value.kind !== 'number')) {
      throw unsupported(ticketSql, 'atteso campo, operatore e valore');
    }
    if (field.kind === 'cf') {
      if (op.text !== '=') throw unsupported(ticketSql, `operatore ${op.text} su CF.{${field.name}}`);
      // The request key is a column of its own, searched by the name RT keeps it under.
      if (field.name === DEFAULT_REQUEST_KEY_FIELD) return `request_key = ${param(value.text)}`;
      return `custom_fields ->> ${param(field.name)} = ${param(value.text)}`;
    }
    if (field.kind !== 'word') throw unsupported(ticketSql, 'atteso un campo');
    const name = field.text.toLowerCase();
    if (name === 'queue' || name === 'status') {
      if (op.text !== '=' && op.text !== '!=') throw unsupported(ticketSql, `operatore ${op.text} su ${field.text}`);
      // RT compares queue names and statuses without regard to case.
      return `lower(${name}) ${op.text === '=' ? '=' : '<>'} lower(${param(value.text)})`;
    }
    if (name === 'lastupdated') {
      if (!['>', '>=', '<', '<='].includes(op.text))
        throw unsupported(ticketSql, `operatore ${op.text} su LastUpdated`);
      const d = DATE_VALUE.exec(value.text);
      if (!d) throw unsupported(ticketSql, `data "${value.text}" non nel formato 'AAAA-MM-GG HH:MM:SS'`);
      const iso = `${d[1]}-${d[2]}-${d[3]}T${d[4] ?? '00'}:${d[5] ?? '00'}:${d[6] ?? '00'}Z`;
      if (Number.isNaN(Date.parse(iso))) throw unsupported(ticketSql, `data "${value.text}" non valida`);
      return `last_updated ${op.text} ${param(iso)}::timestamptz`;
    }
    if (name === 'id') {
      if (op.text !== '=' || !isTicketId(value.text))
        throw unsupported(ticketSql, 'id si confronta solo con = e un numero');
      return `id = ${param(value.text)}`;
    }
    throw unsupported(ticketSql, `campo ${field.text}`);
  };

  const term = (): string => {
    if (tokens[i]?.kind === '(') {
      i++;
      const inner = expression();
      if (next()?.kind !== ')') throw unsupported(ticketSql, 'parentesi non chiusa');
      return `(${inner})`;
    }
    return condition();
  };

  const expression = (): string => {
    const parts = [term()];
    for (;;) {
      const t = tokens[i];
      if (t?.kind !== 'word') break;
      if (t.text.toUpperCase() !== 'AND') throw unsupported(ticketSql, `${t.text} non è ammesso, solo AND`);
      i++;
      parts.push(term());
    }
    return parts.join(' AND ');
  };

  const where = expression();
  if (i < tokens.length) throw unsupported(ticketSql, 'testo in più dopo la condizione');
  return { where, params };
}
