import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LocalTickets } from '../../adapters/tickets/local-tickets.js';
import { ALL_HELP_DESK_QUEUES } from '../../adapters/tickets/queues.js';
import { RtTickets } from '../../adapters/tickets/rt-tickets.js';
import {
  TicketRejectedError,
  TicketsUnavailableError,
  type NewTicket,
  type Tickets,
  type TicketTransaction,
} from '../../adapters/tickets/tickets.js';
import { openDatabase } from '../../platform/database/data-source.js';
import { startRequestTracker } from '../support/help-desk/request-tracker.js';
import { freePorts } from '../support/ports.js';
import { readContent, type Content } from '../../platform/content/content.js';

interface Subject {
  tickets: Tickets;
  /** A second adapter on the same store, as a second process of the app would have. */
  other: Tickets;
  close(): Promise<void>;
}

const file = (filename: string, contentType: string, content: Content) => ({ filename, contentType, content });
/** A date as TicketSQL takes it, in UTC. */
const ticketSqlDate = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
const only = (history: TicketTransaction[], type: string) => history.filter((t) => t.type === type);

/** One contract, two ticket systems: what the app may rely on whichever it is configured with. */
function ticketsContract(name: string, open: () => Promise<Subject>) {
  describe(name, () => {
    let subject: Subject | undefined;
    let tickets: Tickets;
    const newTicket = (over: Partial<NewTicket> = {}): NewTicket => ({
      queue: 'Tributi CSB',
      subject: 'Richiesta TARI 2026',
      requestor: 'mario.rossi@example.test',
      content: "Buongiorno, allego l'avviso di pagamento ricevuto.",
      customFields: { Canale: 'email' },
      requestKey: `prova-${randomUUID()}`,
      ...over,
    });

    beforeAll(async () => {
      subject = await open();
      tickets = subject.tickets;
    });
    afterAll(async () => {
      await subject?.close();
    });

    it('apre un ticket con due allegati e restituisce i loro byte identici', async () => {
      const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(4096), Buffer.from([0, 255, 13, 10])]);
      const note = Buffer.from('Nota del cittadino: è già stato pagato il 3 novembre.\n', 'utf8');
      const ticket = await tickets.create(
        newTicket({
          attachments: [file('avviso.pdf', 'application/pdf', pdf), file('nota.txt', 'text/plain', note)],
          customFields: { Canale: 'pec' },
        }),
      );

      expect(ticket).toMatchObject({
        queue: 'Tributi CSB',
        subject: 'Richiesta TARI 2026',
        status: 'new',
        requestors: ['mario.rossi@example.test'],
        customFields: { Canale: 'pec' },
      });
      expect(ticket.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(ticket.lastUpdated).toMatch(/Z$/);
      expect(await tickets.get(ticket.id)).toEqual(ticket);

      const files = await tickets.attachments(ticket.id);
      expect(files.map((f) => [f.filename, f.contentType])).toEqual([
        ['avviso.pdf', 'application/pdf'],
        ['nota.txt', 'text/plain'],
      ]);
      expect(files[0]!.transactionId).toBe(files[1]!.transactionId);
      const [first, second] = await Promise.all(files.map((f) => tickets.attachmentContent(ticket.id, f.id)));
      expect(first && (await readContent(first.content)).equals(pdf)).toBe(true);
      expect(first).toMatchObject({ filename: 'avviso.pdf', contentType: 'application/pdf' });
      expect(second && (await readContent(second.content)).equals(note)).toBe(true);
      expect(only(await tickets.history(ticket.id), 'Create')).toHaveLength(1);
    });

    it('riceve un allegato grande letto a pezzi (un flusso, non un Buffer) e lo restituisce identico', async () => {
      // Not a multiple of 3: the base64 written while reading must end with its padding.
      const big = randomBytes(3 * 1024 * 1024 + 2);
      const source = {
        size: big.length,
        open: () =>
          Readable.from(
            (function* () {
              for (let i = 0; i < big.length; i += 100_000) yield big.subarray(i, i + 100_000);
            })(),
          ),
      };
      const ticket = await tickets.create(
        newTicket({
          attachments: [
            file('scansione.pdf', 'application/pdf', source),
            file('nota.txt', 'text/plain', Buffer.from('ok')),
          ],
        }),
      );
      const files = await tickets.attachments(ticket.id);
      expect(files.map((f) => f.filename)).toEqual(['scansione.pdf', 'nota.txt']);
      const stored = await tickets.attachmentContent(ticket.id, files[0]!.id);
      expect(stored && (await readContent(stored.content)).equals(big)).toBe(true);
    });

    it('restituisce il ticket già aperto a una seconda apertura con la stessa chiave, senza aprirne un altro', async () => {
      const request = newTicket();
      const first = await tickets.create(request);
      const again = await tickets.create({ ...request, subject: 'Un altro oggetto' });

      expect(again).toEqual(first);
      expect(await tickets.findByRequestKey(request.requestKey)).toEqual(first);
      expect(await tickets.findByRequestKey(`prova-${randomUUID()}`)).toBeUndefined();
      expect(only(await tickets.history(first.id), 'Create')).toHaveLength(1);
    });

    it('apre un solo ticket attivo quando due aperture con la stessa chiave arrivano insieme, anche da due processi', async () => {
      const same = newTicket();
      const fromOne = await Promise.all([tickets.create(same), tickets.create(same)]);
      expect(fromOne[1].id).toBe(fromOne[0].id);

      const racing = newTicket();
      const fromTwo = await Promise.all([tickets.create(racing), subject!.other.create(racing)]);
      expect(fromTwo[1].id).toBe(fromTwo[0].id);
      const active = await tickets.search(`CF.{ContactCenterKey} = '${racing.requestKey}' AND Status != 'rejected'`);
      expect(active.map((t) => t.id)).toEqual([fromTwo[0].id]);
      expect((await tickets.findByRequestKey(racing.requestKey))?.id).toBe(fromTwo[0].id);
    });

    it('porta il ticket da new a open alla prima risposta al cittadino e la registra nella cronologia', async () => {
      const ticket = await tickets.create(newTicket());
      await tickets.addMessage(ticket.id, {
        kind: 'correspond',
        content: 'Gentile cittadino, il pagamento risulta registrato.',
        attachments: [file('ricevuta.pdf', 'application/pdf', Buffer.from('%PDF-1.4 ricevuta'))],
        requestKey: `risposta-${randomUUID()}`,
      });

      expect((await tickets.get(ticket.id))?.status).toBe('open');
      const history = await tickets.history(ticket.id);
      expect(history.map((t) => t.type)).toEqual(['Create', 'Correspond', 'Status']);
      expect(history[2]).toMatchObject({ field: 'Status', oldValue: 'new', newValue: 'open' });
      expect(history[0]!.created).toMatch(/Z$/);
      const files = await tickets.attachments(ticket.id);
      expect(files.map((f) => f.filename)).toEqual(['ricevuta.pdf']);
      expect(files[0]!.transactionId).toBe(history[1]!.id);
    });

    it('aggiunge una nota interna senza cambiare lo stato del ticket', async () => {
      const ticket = await tickets.create(newTicket());
      await tickets.addMessage(ticket.id, {
        kind: 'comment',
        content: 'Verificare con il dipartimento.',
        requestKey: `nota-${randomUUID()}`,
      });

      expect((await tickets.get(ticket.id))?.status).toBe('new');
      expect((await tickets.history(ticket.id)).map((t) => t.type)).toEqual(['Create', 'Comment']);
    });

    it('legge il testo dell’ultima risposta o nota scritta dopo un istante, e nulla prima', async () => {
      const ticket = await tickets.create(newTicket());
      const moved = await tickets.update(ticket.id, { queue: 'Dipartimento Tributi' });
      // RT keeps times to the second: the office writes after the move.
      await new Promise((r) => setTimeout(r, 1100));
      expect(await tickets.lastMessage(ticket.id, moved.lastUpdated)).toBeUndefined();
      await tickets.addMessage(ticket.id, {
        kind: 'comment',
        content: 'Esito: avviso annullato.',
        requestKey: `esito-${randomUUID()}`,
      });
      expect((await tickets.lastMessage(ticket.id, moved.lastUpdated))?.content).toBe('Esito: avviso annullato.');
    });

    // Across processes a repeat comes after the first call (the task's lock moved on, or its
    // answer was lost), which the second adapter stands for; two calls racing are one process's.
    it('aggiunge un messaggio una volta sola quando la stessa chiamata viene ripetuta, anche in contemporanea', async () => {
      const ticket = await tickets.create(newTicket());
      const reply = { kind: 'correspond' as const, content: 'Risposta unica.', requestKey: `risposta-${randomUUID()}` };
      await tickets.addMessage(ticket.id, reply);
      await tickets.addMessage(ticket.id, reply);
      await subject!.other.addMessage(ticket.id, reply);
      const note = { kind: 'comment' as const, content: 'Nota unica.', requestKey: `nota-${randomUUID()}` };
      await Promise.all([tickets.addMessage(ticket.id, note), tickets.addMessage(ticket.id, note)]);
      await tickets.addMessage(ticket.id, { ...reply, requestKey: `risposta-${randomUUID()}` });

      const history = await tickets.history(ticket.id);
      expect(only(history, 'Correspond')).toHaveLength(2);
      expect(only(history, 'Comment')).toHaveLength(1);
      expect(only(history, 'Status')).toHaveLength(1);
    });

    it('sposta il ticket in un’altra coda e lo risolve, e la cronologia mostra entrambe le modifiche', async () => {
      const ticket = await tickets.create(newTicket());
      const moved = await tickets.update(ticket.id, { queue: 'Dipartimento Tributi', status: 'resolved' });

      expect(moved).toMatchObject({ id: ticket.id, queue: 'Dipartimento Tributi', status: 'resolved' });
      expect(await tickets.get(ticket.id)).toEqual(moved);
      const history = await tickets.history(ticket.id);
      expect(only(history, 'Set')).toMatchObject([
        { field: 'Queue', oldValue: 'Tributi CSB', newValue: 'Dipartimento Tributi' },
      ]);
      expect(only(history, 'Status')).toMatchObject([{ field: 'Status', oldValue: 'new', newValue: 'resolved' }]);
      expect(only(history, 'Status')[0]!.creator).toBe(only(history, 'Create')[0]!.creator);
    });

    it('trova i ticket per coda, stato, ultima modifica, identificativo e campo personalizzato', async () => {
      const before = ticketSqlDate(new Date(Date.now() - 60_000));
      const later = ticketSqlDate(new Date(Date.now() + 3_600_000));
      const fax = await tickets.create(newTicket({ queue: 'Formazione', customFields: { Canale: 'fax' } }));
      const phone = await tickets.create(newTicket({ queue: 'Formazione', customFields: { Canale: 'telefono' } }));
      await tickets.update(phone.id, { status: 'open' });
      const ids = async (query: string) =>
        (await tickets.search(query)).map((t) => t.id).filter((id) => id === fax.id || id === phone.id);

      expect(await ids(`Queue = 'Formazione' AND LastUpdated > '${before}'`)).toEqual([fax.id, phone.id]);
      expect(await ids(`Queue = 'Formazione' AND Status = 'new'`)).toEqual([fax.id]);
      expect(await ids(`(Queue = 'Formazione') AND (Status != 'new')`)).toEqual([phone.id]);
      expect(await ids(`Queue = 'Formazione' AND LastUpdated > '${later}'`)).toEqual([]);
      expect(await ids(`Queue = 'PEC' AND LastUpdated > '${before}'`)).toEqual([]);
      expect(await ids(`CF.{Canale} = 'fax' AND LastUpdated > '${before}'`)).toEqual([fax.id]);
      expect(await tickets.search(`id = ${phone.id}`)).toEqual([await tickets.get(phone.id)]);
    });

    it('rifiuta un ticket in una coda che non esiste, e lo spostamento verso di essa', async () => {
      await expect(tickets.create(newTicket({ queue: 'Coda inesistente' }))).rejects.toBeInstanceOf(
        TicketRejectedError,
      );
      const ticket = await tickets.create(newTicket());
      await expect(tickets.update(ticket.id, { queue: 'Coda inesistente' })).rejects.toBeInstanceOf(
        TicketRejectedError,
      );
      expect((await tickets.get(ticket.id))?.queue).toBe('Tributi CSB');
    });

    it('rifiuta una query non valida e non trova ticket o allegati che non esistono', async () => {
      await expect(tickets.search(`Queue = = 'PEC'`)).rejects.toBeInstanceOf(TicketRejectedError);
      expect(await tickets.get('987654321')).toBeUndefined();
      const ticket = await tickets.create(newTicket());
      expect(await tickets.attachmentContent(ticket.id, '987654321')).toBeUndefined();
      await expect(
        tickets.addMessage('987654321', { kind: 'comment', content: 'x', requestKey: `nota-${randomUUID()}` }),
      ).rejects.toBeInstanceOf(TicketRejectedError);
    });
  });
}

ticketsContract('ticket su Request Tracker 5 (RtTickets)', async () => {
  const rt = await startRequestTracker();
  process.stderr.write(`[tickets] Request Tracker pronto su ${rt.url} in ${rt.startSeconds.toFixed(1)} s\n`);
  return {
    tickets: new RtTickets({ baseUrl: rt.url, token: rt.token }),
    other: new RtTickets({ baseUrl: rt.url, token: rt.token }),
    close: () => rt.stop(),
  };
});

ticketsContract('ticket nel gestore locale su PostgreSQL (LocalTickets)', async () => {
  const db: DataSource = await openDatabase(inject('databaseUrl'), 4);
  return { tickets: new LocalTickets(db), other: new LocalTickets(db), close: () => db.destroy() };
});

describe('Request Tracker che non risponde o rifiuta le credenziali', () => {
  const servers: (http.Server | net.Server)[] = [];
  const sockets = new Set<net.Socket>();
  const listen = async (server: http.Server | net.Server) => {
    servers.push(server);
    // fetch keeps its connections open, and the silent server never ends its own: close() would wait for them.
    server.on('connection', (socket: net.Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    for (const s of servers) await new Promise((resolve) => s.close(resolve));
  });

  it('segnala un server irraggiungibile come indisponibile, con l’indirizzo e senza il token', async () => {
    const [port] = (await freePorts(1)) as [number];
    const token = '1-99-segretissimo0123456789';
    const tickets = new RtTickets({ baseUrl: `http://127.0.0.1:${port}`, token });
    const err = (await tickets.get('1').catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(TicketsUnavailableError);
    expect(err.message).toContain(`Request Tracker non raggiungibile a http://127.0.0.1:${port}`);
    expect(err.message).not.toContain(token);
    await expect(tickets.create({ queue: 'PEC', subject: 's', content: 'c', requestKey: 'k' })).rejects.toBeInstanceOf(
      TicketsUnavailableError,
    );
  });

  it('segnala come indisponibile un server che non risponde in tempo o risponde con un errore 5xx', async () => {
    const silent = await listen(net.createServer(() => undefined));
    await expect(new RtTickets({ baseUrl: silent, timeoutMs: 300 }).get('1')).rejects.toBeInstanceOf(
      TicketsUnavailableError,
    );
    const failing = await listen(
      http.createServer((_req, res) => {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{"message":"Service Unavailable"}');
      }),
    );
    await expect(new RtTickets({ baseUrl: failing }).search("Queue = 'PEC'")).rejects.toThrow(
      /Request Tracker a http:\/\/127\.0\.0\.1:\d+ ha risposto 503/,
    );
  });

  it('rifiuta per sempre credenziali sbagliate, senza ripetere la password nel messaggio', async () => {
    const refusing = await listen(
      http.createServer((_req, res) => {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"message":"Unauthorized"}');
      }),
    );
    const err = (await new RtTickets({ baseUrl: refusing, user: 'contact-center', password: 'parola-segreta' })
      .get('1')
      .catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(TicketRejectedError);
    expect(err.message).toMatch(/credenziali/);
    expect(err.message).not.toContain('parola-segreta');
  });
});

describe('gestore locale dei ticket', () => {
  let db: DataSource;
  beforeAll(async () => {
    db = await openDatabase(inject('databaseUrl'), 2);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('ha le code dell’help desk, di primo e di terzo livello', async () => {
    const rows = await db.query<{ name: string }[]>('SELECT name FROM ticket_queues');
    expect(rows.map((r) => r.name).sort()).toEqual([...ALL_HELP_DESK_QUEUES].sort());
  });

  it('rifiuta in italiano la parte di TicketSQL che non conosce, senza eseguirla', async () => {
    const tickets = new LocalTickets(db);
    for (const query of [
      `Queue = 'PEC' OR Status = 'new'`,
      `Subject LIKE 'TARI'`,
      `LastUpdated > 'ieri'`,
      `Queue = 'PEC'; DROP TABLE tickets`,
    ]) {
      await expect(tickets.search(query)).rejects.toThrow(/^query non supportata dal gestore locale dei ticket: /);
    }
    expect(await tickets.search(`Queue = 'x\\' OR 1=1 --'`)).toEqual([]);
  });
});
