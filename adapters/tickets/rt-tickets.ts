import { z } from 'zod';
import { ContentMissingError } from '../../platform/content/content.js';
import { JsonWithFiles } from './rt-attachments.js';
import {
  TicketRejectedError,
  TicketsUnavailableError,
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

/** The ticket custom field that holds the request key a ticket was opened with. */
export const DEFAULT_REQUEST_KEY_FIELD = 'ContactCenterKey';
/** The transaction custom field that holds the request key a reply or a note was added with. */
export const DEFAULT_MESSAGE_KEY_FIELD = 'ContactCenterMessageKey';

export interface RtTicketsOptions {
  /** RT's web address, e.g. `http://127.0.0.1:8080`, without `/REST/2.0`. */
  baseUrl: string;
  /** An RT auth token (`Authorization: token …`). */
  token?: string;
  /** Basic auth, when there is no token. */
  user?: string;
  password?: string;
  /** Ticket custom field holding the request key (default `ContactCenterKey`). */
  requestKeyField?: string;
  /** Transaction custom field holding a message's request key (default `ContactCenterMessageKey`). */
  messageKeyField?: string;
  timeoutMs?: number;
}

const PER_PAGE = 100;
const TICKET_FIELDS = 'Subject,Status,Queue,Requestor,CustomFields,Created,LastUpdated';

const idSchema = z.union([z.string(), z.number()]).transform(String);
const refSchema = z.object({ id: idSchema });
const customFieldsSchema = z
  .array(z.object({ name: z.string(), values: z.array(z.unknown()) }))
  .nullish()
  .transform((cfs) => cfs ?? []);
const ticketSchema = z.object({
  id: idSchema,
  Subject: z.string().nullish(),
  Status: z.string(),
  Queue: refSchema,
  Requestor: z
    .array(refSchema)
    .nullish()
    .transform((r) => r ?? []),
  CustomFields: customFieldsSchema,
  Created: z.string(),
  LastUpdated: z.string(),
});
const pageSchema = z.object({
  items: z.array(z.unknown()),
  page: z.number().optional(),
  // RT leaves `total` and `pages` null when the user may not see every row (anything but a
  // ticket search by someone with a global ShowTicket right).
  pages: z.number().nullish(),
});
const transactionSchema = z.object({
  id: idSchema,
  Type: z.string(),
  Field: z.string().nullish(),
  OldValue: z.string().nullish(),
  NewValue: z.string().nullish(),
  Created: z.string(),
  Creator: refSchema,
  CustomFields: customFieldsSchema,
});
const attachmentItemSchema = z.object({
  id: idSchema,
  Filename: z.string().nullish(),
  ContentType: z.string().nullish(),
  TransactionId: z.union([idSchema, refSchema.transform((r) => r.id)]),
});
const attachmentSchema = z.object({
  Filename: z.string().nullish(),
  ContentType: z.string().nullish(),
  Content: z.string().nullish(),
});

interface Answer {
  status: number;
  body: unknown;
}

/**
 * The help desk's tickets in Request Tracker 5, through REST2 (`/REST/2.0/`).
 *
 * - A ticket carries its request key in a ticket custom field, so a create first looks the key
 *   up (TicketSQL `CF.{ContactCenterKey} = '…'`) and returns what it finds. Two creates racing
 *   (two processes; within one process they are serialized per key) may both open a ticket:
 *   each looks the key up again after its own create, the lowest id wins and the loser sets its
 *   own ticket `rejected`, so every caller gets the same ticket and only one stays active.
 * - A message carries its request key in a transaction custom field (`TxnCustomFields` of the
 *   correspond/comment call): nothing of it reaches the citizen. Before posting, the ticket's
 *   history is read and a transaction with that key means the message is already there (the
 *   first call succeeded and its answer was lost). RT writes the field in the same request,
 *   right after the message, so the key is missing only if RT itself dies between the two
 *   writes. Calls racing each other are serialized per ticket and key within this process;
 *   across processes RT offers no lock, so two posting the same message at the same moment
 *   (or a retry fired while the first call is still running in RT) can both post it: the
 *   engine's lock on the task keeps a second worker away meanwhile. The same history tells
 *   whether the field applies to the ticket's queue at all, so a missing field is refused
 *   before anything is sent instead of breaking idempotency silently.
 * - Every REST2 call costs RT a bcrypt check of the token (about 250 ms at RT's default
 *   `$BcryptCost` 12), so the adapter asks for whole pages of 100 and reads what it needs in
 *   as few calls as it can.
 * - RT reads the dates of a TicketSQL query in the user's time zone: the RT user this adapter
 *   logs in as must have the time zone UTC, as the queries of the app are written in UTC.
 */
export class RtTickets implements Tickets {
  readonly provider = 'rt' as const;
  private readonly api: string;
  private readonly shownUrl: string;
  private readonly authorization: string | undefined;
  private readonly requestKeyField: string;
  private readonly messageKeyField: string;
  private readonly timeoutMs: number;
  private readonly queueNames = new Map<string, Promise<string>>();
  private readonly userEmails = new Map<string, Promise<string>>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(options: RtTicketsOptions) {
    const base = options.baseUrl.replace(/\/+$/, '');
    this.api = `${base}/REST/2.0`;
    // The address as messages show it: never with credentials someone put into it.
    const shown = new URL(base);
    shown.username = '';
    shown.password = '';
    this.shownUrl = shown.toString().replace(/\/$/, '');
    if (options.token) this.authorization = `token ${options.token}`;
    else if (options.user !== undefined && options.password !== undefined) {
      this.authorization = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;
    }
    this.requestKeyField = options.requestKeyField ?? DEFAULT_REQUEST_KEY_FIELD;
    this.messageKeyField = options.messageKeyField ?? DEFAULT_MESSAGE_KEY_FIELD;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  create(ticket: NewTicket): Promise<Ticket> {
    return this.exclusive(`create\u0000${ticket.requestKey}`, async () => {
      const existing = await this.findByRequestKey(ticket.requestKey);
      if (existing) return existing;
      const created = await this.call(
        'POST',
        '/ticket',
        'la creazione del ticket',
        {
          Queue: ticket.queue,
          Subject: ticket.subject,
          ...(ticket.requestor ? { Requestor: ticket.requestor } : {}),
          Content: ticket.content,
          ContentType: 'text/plain',
          CustomFields: { ...ticket.customFields, [this.requestKeyField]: ticket.requestKey },
        },
        ticket.attachments,
      );
      const id = z.object({ id: idSchema }).parse(created).id;
      const withKey = await this.search(`CF.{${this.requestKeyField}} = ${quote(ticket.requestKey)}`);
      const winner = withKey[0];
      if (!winner) {
        throw new TicketRejectedError(
          `Request Tracker ha aperto il ticket ${id} senza il campo personalizzato ${this.requestKeyField}: ` +
            `verificare che il campo esista, sia applicato alla coda "${ticket.queue}" e che l'utente possa modificarlo`,
        );
      }
      if (winner.id !== id) {
        // Another process opened the same request at the same time: keep the first ticket.
        await this.call('PUT', `/ticket/${id}`, 'la chiusura del ticket doppio', { Status: 'rejected' }).catch(
          () => undefined,
        );
      }
      return winner;
    });
  }

  async findByRequestKey(requestKey: string): Promise<Ticket | undefined> {
    return (await this.search(`CF.{${this.requestKeyField}} = ${quote(requestKey)}`))[0];
  }

  async get(id: string): Promise<Ticket | undefined> {
    if (!isTicketId(id)) return undefined;
    const answer = await this.send('GET', `/ticket/${id}`);
    if (answer.status === 404) return undefined;
    this.check(answer, `la lettura del ticket ${id}`);
    return this.toTicket(this.parse(ticketSchema, answer.body));
  }

  addMessage(id: string, message: TicketMessage): Promise<void> {
    if (!isTicketId(id)) return Promise.reject(new TicketRejectedError(`identificativo di ticket non valido: ${id}`));
    return this.exclusive(`message\u0000${id}\u0000${message.requestKey}`, async () => {
      const transactions = await this.collect(
        `/ticket/${id}/history`,
        { fields: 'Type,CustomFields' },
        transactionSchema.pick({ id: true, Type: true, CustomFields: true }),
      );
      if (transactions.length === 0) throw new TicketRejectedError(`il ticket ${id} non esiste in Request Tracker`);
      const keyField = (t: (typeof transactions)[number]) =>
        t.CustomFields.find((cf) => cf.name === this.messageKeyField);
      if (!transactions.some(keyField)) {
        throw new TicketRejectedError(
          `il campo personalizzato di transazione ${this.messageKeyField} non è applicato alla coda del ticket ${id} ` +
            `in Request Tracker: senza di esso un messaggio ripetuto verrebbe inviato due volte`,
        );
      }
      if (transactions.some((t) => keyField(t)?.values.includes(message.requestKey))) return;
      const what = message.kind === 'correspond' ? 'la risposta al ticket' : 'la nota interna al ticket';
      const results = await this.call(
        'POST',
        `/ticket/${id}/${message.kind}`,
        `${what} ${id}`,
        {
          Content: message.content,
          ContentType: 'text/plain',
          TxnCustomFields: { [this.messageKeyField]: message.requestKey },
        },
        message.attachments,
      );
      const failed = z
        .array(z.unknown())
        .catch([])
        .parse(results)
        .find((r): r is string => typeof r === 'string' && /transaction custom field/i.test(r));
      if (failed) {
        throw new TicketRejectedError(
          `Request Tracker ha registrato ${what} ${id} ma non la sua chiave (${failed}): verificare il campo ${this.messageKeyField}`,
        );
      }
    });
  }

  async update(id: string, change: { queue?: string; status?: TicketStatus }): Promise<Ticket> {
    if (!isTicketId(id)) throw new TicketRejectedError(`identificativo di ticket non valido: ${id}`);
    const body: Record<string, string> = {};
    if (change.queue !== undefined) body.Queue = change.queue;
    if (change.status !== undefined) body.Status = change.status;
    let messages: unknown = [];
    if (Object.keys(body).length > 0) {
      const answer = await this.send('PUT', `/ticket/${id}`, body);
      if (answer.status === 404) throw new TicketRejectedError(`il ticket ${id} non esiste in Request Tracker`);
      messages = this.check(answer, `la modifica del ticket ${id}`);
    }
    const ticket = await this.get(id);
    if (!ticket) throw new TicketRejectedError(`il ticket ${id} non esiste in Request Tracker`);
    // RT answers 200 with its messages even when it refused a change (unknown queue, a status
    // the lifecycle does not allow, no right): the ticket as it is now says what was applied.
    if (
      (change.queue !== undefined && ticket.queue !== change.queue) ||
      (change.status !== undefined && ticket.status !== change.status)
    ) {
      const said = Array.isArray(messages) ? messages.filter((m) => typeof m === 'string').join('; ') : '';
      throw new TicketRejectedError(`Request Tracker non ha applicato la modifica del ticket ${id}: ${said}`);
    }
    return ticket;
  }

  async search(ticketSql: string): Promise<Ticket[]> {
    const items = await this.collect(
      '/tickets',
      { query: ticketSql, fields: TICKET_FIELDS, orderby: 'id', order: 'ASC' },
      ticketSchema,
    );
    return Promise.all(items.map((t) => this.toTicket(t)));
  }

  async history(id: string): Promise<TicketTransaction[]> {
    if (!isTicketId(id)) return [];
    const items = await this.collect(
      `/ticket/${id}/history`,
      { fields: 'Type,Field,OldValue,NewValue,Created,Creator' },
      transactionSchema.omit({ CustomFields: true }),
    );
    return Promise.all(
      items.map(async (t) => {
        // RT records a queue move with the queues' ids; the contract speaks of queue names.
        const queueMove = t.Type === 'Set' && t.Field === 'Queue';
        const value = async (v: string | null | undefined) =>
          v ? (queueMove && isTicketId(v) ? await this.queueName(v) : v) : undefined;
        return {
          id: t.id,
          type: t.Type,
          field: t.Field || undefined,
          oldValue: await value(t.OldValue),
          newValue: await value(t.NewValue),
          created: isoUtc(t.Created),
          creator: t.Creator.id,
        };
      }),
    );
  }

  async attachments(id: string): Promise<TicketAttachmentInfo[]> {
    if (!isTicketId(id)) return [];
    const items = await this.collect(
      `/ticket/${id}/attachments`,
      { fields: 'Filename,ContentType,TransactionId' },
      attachmentItemSchema,
    );
    // The message bodies and the multipart containers are attachments too in RT, without a name.
    return items
      .filter((a) => a.Filename)
      .map((a) => ({
        id: a.id,
        filename: a.Filename ?? '',
        contentType: a.ContentType || 'application/octet-stream',
        transactionId: a.TransactionId,
      }));
  }

  async lastMessage(
    id: string,
    after: string,
  ): Promise<{ content: string; created: string; creator: string } | undefined> {
    if (!isTicketId(id)) return undefined;
    const since = new Date(after).getTime();
    const latest = (await this.history(id))
      .filter((t) => (t.type === 'Correspond' || t.type === 'Comment') && new Date(t.created).getTime() > since)
      .at(-1);
    if (!latest) return undefined;
    // A message's text is the unnamed text/plain attachment of its transaction.
    const parts = await this.collect(
      `/ticket/${id}/attachments`,
      { fields: 'Filename,ContentType,TransactionId' },
      attachmentItemSchema,
    );
    const body = parts.find(
      (a) => a.TransactionId === latest.id && !a.Filename && (a.ContentType ?? '').startsWith('text/plain'),
    );
    if (!body) return { content: '', created: latest.created, creator: latest.creator };
    const answer = await this.send('GET', `/attachment/${body.id}`);
    const a = this.parse(attachmentSchema, this.check(answer, `la lettura del messaggio ${body.id}`));
    return {
      content: Buffer.from(a.Content ?? '', 'base64')
        .toString('utf8')
        .trim(),
      created: latest.created,
      creator: latest.creator,
    };
  }

  async attachmentContent(id: string, attachmentId: string): Promise<TicketFile | undefined> {
    if (!isTicketId(id) || !isTicketId(attachmentId)) return undefined;
    // Only an attachment of this ticket (RT also answers 500, not 404, for a missing one).
    if (!(await this.attachments(id)).some((a) => a.id === attachmentId)) return undefined;
    const answer = await this.send('GET', `/attachment/${attachmentId}`);
    if (answer.status === 404) return undefined;
    const a = this.parse(attachmentSchema, this.check(answer, `la lettura dell'allegato ${attachmentId}`));
    // REST2 sends an attachment's bytes in base64.
    return {
      filename: a.Filename ?? '',
      contentType: a.ContentType || 'application/octet-stream',
      content: Buffer.from(a.Content ?? '', 'base64'),
    };
  }

  private async toTicket(t: z.infer<typeof ticketSchema>): Promise<Ticket> {
    const customFields: Record<string, string> = {};
    for (const cf of t.CustomFields) {
      const values = cf.values.filter((v): v is string => typeof v === 'string');
      if (cf.name !== this.requestKeyField && values.length > 0) customFields[cf.name] = values.join(', ');
    }
    return {
      id: t.id,
      queue: await this.queueName(t.Queue.id),
      subject: t.Subject ?? '',
      // RT lifecycles may define more statuses than the default one the type lists.
      status: t.Status as TicketStatus,
      requestors: await Promise.all(t.Requestor.map((r) => this.userEmail(r.id))),
      customFields,
      created: isoUtc(t.Created),
      lastUpdated: isoUtc(t.LastUpdated),
    };
  }

  /** REST2 gives a ticket's queue by id; names change rarely, so they are remembered. */
  private queueName(id: string): Promise<string> {
    let name = this.queueNames.get(id);
    if (!name) {
      name = this.call('GET', `/queue/${id}`, `la lettura della coda ${id}`).then(
        (q) => z.object({ Name: z.string() }).parse(q).Name,
      );
      name.catch(() => this.queueNames.delete(id));
      this.queueNames.set(id, name);
    }
    return name;
  }

  /**
   * REST2 names a requestor by its user name, which is the email address for the users RT makes
   * from a message; any other user is looked up for its address.
   */
  private userEmail(name: string): Promise<string> {
    if (name.includes('@')) return Promise.resolve(name);
    let email = this.userEmails.get(name);
    if (!email) {
      email = this.send('GET', `/user/${encodeURIComponent(name)}`).then((answer) =>
        answer.status === 200
          ? z.object({ EmailAddress: z.string().nullish() }).catch({ EmailAddress: null }).parse(answer.body)
              .EmailAddress || name
          : name,
      );
      email.catch(() => this.userEmails.delete(name));
      this.userEmails.set(name, email);
    }
    return email;
  }

  /** Every item of a paged REST2 collection. */
  private async collect<S extends z.ZodTypeAny>(
    path: string,
    params: Record<string, string>,
    item: S,
  ): Promise<z.infer<S>[]> {
    const all: z.infer<S>[] = [];
    for (let page = 1; page < 100_000; page++) {
      const query = new URLSearchParams({ ...params, per_page: String(PER_PAGE), page: String(page) });
      const body = this.parse(pageSchema, await this.call('GET', `${path}?${query.toString()}`, describe(path)));
      for (const i of body.items) all.push(this.parse(item, i));
      // Without `pages`, a short page does not mean the end: RT leaves out the rows the user
      // may not see (e.g. the EmailRecord transactions) after paging, so only an empty page does.
      if (typeof body.pages === 'number' ? page >= body.pages : body.items.length === 0) break;
    }
    return all;
  }

  private async call(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    what: string,
    body?: Record<string, unknown>,
    files?: TicketFile[],
  ): Promise<unknown> {
    return this.check(await this.send(method, path, files?.length ? new JsonWithFiles(body ?? {}, files) : body), what);
  }

  /** A refusal (4xx) becomes `TicketRejectedError` with RT's own message. */
  private check(answer: Answer, what: string): unknown {
    if (answer.status >= 200 && answer.status < 300) return answer.body;
    const said = rtMessage(answer.body);
    if (answer.status === 401) {
      throw new TicketRejectedError(
        `Request Tracker a ${this.shownUrl} ha rifiutato le credenziali (401): verificare il token o utente e password configurati`,
      );
    }
    throw new TicketRejectedError(`Request Tracker ha rifiutato ${what} (${answer.status})${said ? `: ${said}` : ''}`);
  }

  private parse<S extends z.ZodTypeAny>(schema: S, body: unknown): z.infer<S> {
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new TicketRejectedError(
        `risposta inattesa da Request Tracker a ${this.shownUrl} (l'indirizzo punta davvero a RT 5?): ${parsed.error.issues[0]?.message ?? ''}`,
      );
    }
    return parsed.data;
  }

  /** One HTTP exchange; what is worth retrying (no answer, a timeout, 5xx) becomes `TicketsUnavailableError`. */
  private async send(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    // Attachments go out as they are read: the length is announced, the body streamed.
    if (body instanceof JsonWithFiles) headers['content-length'] = String(body.length);
    if (this.authorization) headers.authorization = this.authorization;
    const where = `${method} ${path.split('?')[0] ?? path}`;
    let status: number;
    let text: string;
    try {
      const res = await fetch(`${this.api}${path}`, {
        method,
        headers,
        ...(body instanceof JsonWithFiles
          ? { body: body.body() as unknown as NonNullable<RequestInit['body']>, duplex: 'half' }
          : body === undefined
            ? {}
            : { body: JSON.stringify(body) }),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      // A file to send that is not all there: RT is fine, the file is not; retrying will not help.
      const missing = [err, e.cause].find((x) => x instanceof ContentMissingError);
      if (missing) {
        throw new TicketRejectedError(
          `un allegato da inviare a Request Tracker non è più completo (${missing.message}): verificare il messaggio nell'archivio della posta`,
        );
      }
      if (e.name === 'TimeoutError' || e.name === 'AbortError') {
        throw new TicketsUnavailableError(
          `Request Tracker a ${this.shownUrl} non ha risposto entro ${this.timeoutMs / 1000} s (${where}): riprovare più tardi`,
        );
      }
      throw new TicketsUnavailableError(
        `Request Tracker non raggiungibile a ${this.shownUrl}: ${e.cause?.code ?? e.cause?.message ?? e.message}; ` +
          `verificare che il servizio sia attivo e che l'indirizzo configurato sia giusto`,
      );
    }
    let parsed: unknown = undefined;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (status >= 500 || status === 408 || status === 429) {
      const said = rtMessage(parsed);
      throw new TicketsUnavailableError(
        `Request Tracker a ${this.shownUrl} ha risposto ${status} a ${where}${said ? ` (${said})` : ''}: riprovare più tardi`,
      );
    }
    if (status >= 300 && status < 400) {
      throw new TicketRejectedError(
        `Request Tracker a ${this.shownUrl} ha risposto con un rinvio (${status}) a ${where}: verificare l'indirizzo configurato`,
      );
    }
    if (status < 300 && parsed === undefined && text !== '') {
      throw new TicketRejectedError(
        `risposta non JSON da Request Tracker a ${this.shownUrl} (${where}): l'indirizzo punta davvero a RT 5?`,
      );
    }
    return { status, body: parsed };
  }

  /** Runs `fn` after any earlier call with the same key in this process has finished. */
  private async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.running.get(key) ?? Promise.resolve();
    const run = before.then(fn);
    const done = run.then(
      () => undefined,
      () => undefined,
    );
    this.running.set(key, done);
    try {
      return await run;
    } finally {
      if (this.running.get(key) === done) this.running.delete(key);
    }
  }
}

/** A TicketSQL string literal: RT unescapes backslashes inside quotes. */
function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function isoUtc(rt: string): string {
  const d = new Date(rt);
  return Number.isNaN(d.getTime()) ? rt : d.toISOString();
}

function describe(path: string): string {
  if (path === '/tickets') return 'la ricerca dei ticket';
  if (path.endsWith('/history')) return 'la lettura della cronologia del ticket';
  if (path.endsWith('/attachments')) return 'la lettura degli allegati del ticket';
  return `la lettura di ${path}`;
}

/** RT's error body is `{"message": …}`; its results are a list of sentences. */
function rtMessage(body: unknown): string {
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string') {
    return body.message.trim();
  }
  if (Array.isArray(body)) return body.filter((m) => typeof m === 'string').join('; ');
  return '';
}
