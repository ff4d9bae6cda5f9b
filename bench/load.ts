/**
 * The mixed load of the fault runs (bench/faults.ts), against a running platform over HTTP, and
 * the checks that afterwards every effect happened exactly once.
 *
 * The load: bookings whose operator step is a bot (start through the API, wait for the task,
 * claim, complete with a slot), reminder runs over a day of appointments seeded for them, mail
 * into the local mailbox by SMTP (its pre-check completed by the same bot), calls placed by
 * the Twilio stand-in's call simulator (menu, key, queue, hang-up), and timers of a probe
 * process deployed by the bench (a timer, then an external task the bench itself works: the
 * count of its deliveries says how often the timer fired).
 *
 * Where each effect is checked (the tables the integration tests read): bookings in
 * `cup_appointments` by request key `pi:<instance>:slot:<slot>` and their confirmations in
 * `sms_messages` (purpose `cup-booking-confirmation`, reference the appointment); reminders in
 * `sms_messages` (purpose `cup-reminder`); every SMS also at the provider (the stand-in's list of
 * messages it accepted, by booking code in the text); mails in `mail_messages` by Message-ID,
 * their ticket in `tickets` (request key `mail:<id>`) and acknowledgement in `mail_outbox`; calls
 * in `call_records` by CallSid; the instances, their end events, incidents and timers in the
 * engine's own tables (`act_hi_procinst`, `act_hi_actinst`, `act_ru_incident`, `act_hi_incident`).
 * An effect in doubt is one whose send was cut: an SMS record still `submitting` (listed by
 * `GET /api/sms/messages?inDoubt=true`), a mail still `sending`; a message at the provider with
 * no record at all would be an effect in doubt without a visible record.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import nodemailer from 'nodemailer';
import type pg from 'pg';
import type { DataSource } from 'typeorm';
import type { EngineClient, LockedExternalTask } from '../platform/engine/operaton.js';
import type { StandInMessage } from '../stand-ins/twilio/server.js';
import type { SimulatedCall, VoiceSimulator } from '../stand-ins/twilio/voice.js';
import { sessionClient, type ApiResponse, type SessionClient } from '../test/support/session-client.js';
import { timerProbeBpmn } from '../test/support/timer-probe.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Why a request failed, short: the socket error's code (ECONNREFUSED…) or the error's name. */
export function reasonOf(err: unknown): string {
  const e = err as { cause?: { code?: string }; code?: string; name?: string; message?: string };
  return e.cause?.code ?? e.code ?? e.name ?? String(err);
}

/** Counts by label, printed as `3× label; 1× other`. */
export class Tally {
  readonly counts = new Map<string, number>();
  bump(label: string, n = 1): void {
    this.counts.set(label, (this.counts.get(label) ?? 0) + n);
  }
  get total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }
  toString(): string {
    if (this.counts.size === 0) return 'none';
    return [...this.counts]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${n}× ${k}`)
      .join('; ');
  }
}

// ---------------------------------------------------------------------------------------------
// The users' one address: a proxy in front of the API processes
// ---------------------------------------------------------------------------------------------

export interface FailoverProxy {
  url: string;
  /** Requests passed on; moved to the next process after a refused connection; cut in flight (502); no process (503). */
  stats: { requests: number; failedOver: number; cut: number; noProcess: number };
  close(): Promise<void>;
}

/**
 * What README suggests in front of the API processes: any HTTP proxy. This one passes each
 * request to the processes in turn; a refused connection (the request never left) goes to the
 * next one, a request cut in flight answers 502 and is not repeated (it may have been carried
 * out), as the engine client does for the engine's nodes (ADR 0016). Responses are streamed
 * (the task events). No keep-alive towards the processes, so a dead one is a refused connection.
 */
export async function startFailoverProxy(upstreams: readonly string[]): Promise<FailoverProxy> {
  const stats = { requests: 0, failedOver: 0, cut: 0, noProcess: 0 };
  let next = 0;
  const forward = (
    target: URL,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer,
  ): Promise<'refused' | 'done'> =>
    new Promise((resolve) => {
      const up = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host, connection: 'close' },
          agent: false,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('error', () => res.destroy());
          resolve('done');
        },
      );
      up.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ECONNREFUSED' && !res.headersSent) {
          resolve('refused');
          return;
        }
        stats.cut++;
        if (!res.headersSent) {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end('cut');
        } else res.destroy();
        resolve('done');
      });
      res.on('close', () => {
        if (!res.writableFinished) up.destroy();
      });
      up.end(body);
    });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        stats.requests++;
        const body = Buffer.concat(chunks);
        const first = next++;
        for (let i = 0; i < upstreams.length; i++) {
          const target = new URL(upstreams[(first + i) % upstreams.length] ?? '');
          if ((await forward(target, req, res, body)) === 'done') return;
          stats.failedOver++;
        }
        stats.noProcess++;
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('no API process answers');
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// The API as one signed-in user
// ---------------------------------------------------------------------------------------------

/** A browser-like session (cookie, CSRF) of one user; signs in again when the session is gone. */
export class Api {
  private readonly client: SessionClient;
  private signedIn: Promise<void> | undefined;

  constructor(
    readonly base: string,
    private readonly username: string,
    private readonly password: string,
  ) {
    this.client = sessionClient(base);
  }

  cookie(): string {
    return this.client.cookie();
  }

  private signIn(): Promise<void> {
    this.signedIn ??= (async () => {
      const res = await this.client.signIn(this.username, this.password);
      if (res.status !== 200) throw new Error(`sign-in answered ${res.status}`);
    })().catch((err: unknown) => {
      this.signedIn = undefined;
      throw err;
    });
    return this.signedIn;
  }

  /** One request; throws when no answer came (the caller decides whether to repeat it). */
  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiResponse<T>> {
    for (let attempt = 0; ; attempt++) {
      await this.signIn();
      const res = method === 'GET' ? await this.client.get<T>(path) : await this.client.post<T>(path, body);
      // A session lost (or a CSRF token of an older session): sign in again, once.
      if ((res.status === 401 || res.status === 403) && attempt === 0) {
        this.signedIn = undefined;
        continue;
      }
      return res;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Bookings and the operator bot
// ---------------------------------------------------------------------------------------------

/** The same services and demo patients (with a mobile) as `npm run bench`. */
const SERVICES = ['89.7A.3', '95.02', '89.7A.7', '89.52', '88.74.1'];
const PATIENTS = ['pat-0001', 'pat-0002', 'pat-0003', 'pat-0004', 'pat-0005', 'pat-0006', 'pat-0007'];

export type BookingKind = 'load' | 'probe' | 'parked';

/**
 * Booking flows: started through the API (a new NRE at each attempt, so a start whose answer
 * was lost is a second booking, as an operator's second try would be, and the checks find both
 * in the engine), their completion seen in `job_outcomes` (the confirmation SMS's job done).
 */
export class Bookings {
  readonly started = new Map<string, { at: number; kind: BookingKind }>();
  readonly confirmedAt = new Map<string, number>();
  readonly startErrors = new Tally();
  /** Flows the bot leaves open (the inbox clients' fixed points) until `release`. */
  readonly parked = new Set<string>();
  private seq = 0;
  private lastOutcome = 0;
  private readonly waiters = new Map<string, () => void>();

  constructor(
    private readonly api: Api,
    private readonly db: DataSource,
    /** Two letters that make this run's NREs its own (170 + 2 alphanumerics + 10 digits). */
    private readonly tag: string,
  ) {}

  /** Starts one booking, trying again (with a new NRE) until the API says 201 or `running` turns false. */
  async start(kind: BookingKind, running: () => boolean): Promise<string | undefined> {
    while (running()) {
      const i = this.seq++;
      try {
        const res = await this.api.call<{ processInstanceKey: string }>('POST', '/api/cup/bookings', {
          prescriptionNre: `170${this.tag}${String(1_000_000_000 + i).slice(-10)}`,
          serviceCode: SERVICES[i % SERVICES.length],
          patientId: PATIENTS[i % PATIENTS.length],
        });
        if (res.status === 201) {
          const pi = res.body.processInstanceKey;
          this.started.set(pi, { at: performance.now(), kind });
          if (kind === 'parked') this.parked.add(pi);
          return pi;
        }
        this.startErrors.bump(`HTTP ${res.status}`);
      } catch (err) {
        this.startErrors.bump(reasonOf(err));
      }
      await sleep(300);
    }
    return undefined;
  }

  /** Reads the confirmations done since the last look (one query, by id); wakes their waiters. */
  async poll(): Promise<void> {
    const rows: { id: string; pi: string }[] = await this.db.query(
      `SELECT id, process_instance_key AS pi FROM job_outcomes
        WHERE id > $1 AND bpmn_process_id = 'cup-booking' AND element_id = 'send-confirmation' AND outcome = 'completed'
        ORDER BY id`,
      [this.lastOutcome],
    );
    const now = performance.now();
    for (const r of rows) {
      this.lastOutcome = Math.max(this.lastOutcome, Number(r.id));
      if (!this.confirmedAt.has(r.pi)) this.confirmedAt.set(r.pi, now);
      this.waiters.get(r.pi)?.();
    }
  }

  /** Polls the confirmations every 200 ms until stopped (errors, e.g. the database down, are retried). */
  watch(): { stop: () => Promise<void> } {
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        await this.poll().catch(() => undefined);
        await sleep(200);
      }
    })();
    return {
      stop: async () => {
        stopped = true;
        await loop;
      },
    };
  }

  /** Resolves when the flow's confirmation is done, or after `timeoutMs`. */
  confirmed(pi: string, timeoutMs: number): Promise<boolean> {
    if (this.confirmedAt.has(pi)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(pi);
        resolve(false);
      }, timeoutMs);
      this.waiters.set(pi, () => {
        clearTimeout(timer);
        this.waiters.delete(pi);
        resolve(true);
      });
    });
  }

  /** `n` agents, each starting a booking and waiting for its confirmation, while `running()`. */
  async agents(n: number, running: () => boolean, max = Infinity): Promise<void> {
    let budget = max;
    await Promise.all(
      Array.from({ length: n }, async () => {
        while (running() && budget-- > 0) {
          const pi = await this.start('load', running);
          if (pi) await this.confirmed(pi, 180_000);
        }
      }),
    );
  }

  release(): void {
    this.parked.clear();
  }
}

export interface OperatorStats {
  completed: Tally;
  errors: Tally;
  /** Slot options already chosen by another flow (the CUP answers "taken" and proposes again). */
  collisions: number;
}

interface TaskItem {
  key: string;
  processInstanceKey: string;
  elementId: string;
}

/**
 * The operator, automated: every open `choose-slot` task of a booking (a slot no other flow
 * chose, when there is one) and every mail pre-check (outcome ticket, queue «Servizi on line»)
 * is claimed and completed through the API, up to 8 at a time. Flows in `skip` are left open.
 */
export function startOperator(
  api: Api,
  skip: (pi: string) => boolean,
): { stats: OperatorStats; stop: () => Promise<void> } {
  const stats: OperatorStats = { completed: new Tally(), errors: new Tally(), collisions: 0 };
  const used = new Set<string>();
  const busy = new Set<string>();
  let stopped = false;
  const work = async (t: TaskItem): Promise<void> => {
    let variables: Record<string, unknown>;
    if (t.elementId === 'choose-slot') {
      const detail = await api.call<{ variables: { slotOptions?: { value: string }[] } }>('GET', `/api/tasks/${t.key}`);
      if (detail.status !== 200) throw new Error(`read ${detail.status}`);
      const options = detail.body.variables.slotOptions ?? [];
      const pick = options.find((o) => !used.has(o.value)) ?? options[0];
      if (!pick) throw new Error('no slot option');
      if (used.has(pick.value)) stats.collisions++;
      used.add(pick.value);
      variables = { slotId: pick.value };
    } else {
      variables = { precheckOutcome: 'ticket', queue: 'Servizi on line' };
    }
    const claim = await api.call('POST', `/api/tasks/${t.key}/claim`);
    if (claim.status !== 200) throw new Error(`claim ${claim.status}`);
    const done = await api.call('POST', `/api/tasks/${t.key}/complete`, { variables });
    if (done.status !== 200) throw new Error(`complete ${done.status}`);
    stats.completed.bump(t.elementId);
  };
  const loop = (async () => {
    while (!stopped) {
      let found = 0;
      for (const [process, element] of [
        ['cup-booking', 'choose-slot'],
        ['helpdesk-mail-intake', 'precheck'],
      ] as const) {
        let items: TaskItem[] = [];
        try {
          const res = await api.call<{ items: TaskItem[] }>('GET', `/api/tasks?process=${process}&limit=200`);
          if (res.status === 200) items = res.body.items;
          else stats.errors.bump(`list ${res.status}`);
        } catch (err) {
          stats.errors.bump(`list: ${reasonOf(err)}`);
        }
        const todo = items.filter((t) => t.elementId === element && !skip(t.processInstanceKey) && !busy.has(t.key));
        found += todo.length;
        let next = 0;
        await Promise.all(
          Array.from({ length: Math.min(8, todo.length) }, async () => {
            while (next < todo.length) {
              const t = todo[next++];
              if (!t) break;
              busy.add(t.key);
              await work(t)
                .catch((err: unknown) =>
                  stats.errors.bump(`${t.elementId}: ${(err as Error).message ?? reasonOf(err)}`),
                )
                .finally(() => busy.delete(t.key));
            }
          }),
        );
      }
      if (found === 0) await sleep(150);
    }
  })();
  return {
    stats,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Reminder runs
// ---------------------------------------------------------------------------------------------

export interface ReminderDay {
  day: string;
  /** Appointment id → booking code. */
  appointments: Map<string, string>;
  runs: string[];
}

/**
 * `count` fictitious patients booked on `day` on an agenda of their own, straight in the local
 * CUP's tables (as the reminder tests do): the appointments a reminder run of that day reminds.
 */
export async function seedReminderDay(db: DataSource, day: string, count: number, tag: string): Promise<ReminderDay> {
  const schedule = `bench-faults-${tag}`;
  const people = `bf-${tag}`;
  await db.query(
    `INSERT INTO cup_schedules (id, structure_id, service_code, name) VALUES ($1, 'aor-san-carlo', '89.52', $1)`,
    [schedule],
  );
  await db.query(
    `INSERT INTO cup_slots (schedule_id, starts_at, ends_at, status)
     SELECT $1, ($2::date + time '08:00') AT TIME ZONE 'Europe/Rome' + n * interval '1 second',
            ($2::date + time '08:10') AT TIME ZONE 'Europe/Rome' + n * interval '1 second', 'busy'
       FROM generate_series(0, $3::int - 1) AS n`,
    [schedule, day, count],
  );
  await db.query(
    `INSERT INTO cup_patients (id, fiscal_code, given_name, family_name, birth_date, mobile)
     SELECT $1 || '-' || n, upper(substr(md5($1 || n), 1, 16)), 'Prova', 'Promemoria', date '1970-01-01',
            '+39340' || lpad((abs(hashtext($1 || n)) % 10000000)::text, 7, '0')
       FROM generate_series(1, $2::int) AS n`,
    [people, count],
  );
  const rows: { id: string; code: string }[] = await db.query(
    `INSERT INTO cup_appointments (id, booking_code, slot_id, patient_id, service_code)
     SELECT $1 || '-' || s.n, upper($1) || '-' || s.n, s.id, $1 || '-' || s.n, '89.52'
       FROM (SELECT id, row_number() OVER (ORDER BY starts_at) AS n FROM cup_slots WHERE schedule_id = $2) s
     RETURNING id, booking_code AS code`,
    [people, schedule],
  );
  return { day, appointments: new Map(rows.map((r) => [r.id, r.code])), runs: [] };
}

/** Starts the day's reminder run through the API (back-office permission), trying until 201. */
export async function startReminderRun(api: Api, d: ReminderDay, running: () => boolean): Promise<string | undefined> {
  while (running()) {
    try {
      const res = await api.call<{ processInstanceKey: string }>('POST', '/api/cup/reminder-runs', {
        reminderDate: d.day,
      });
      if (res.status === 201) {
        d.runs.push(res.body.processInstanceKey);
        return res.body.processInstanceKey;
      }
    } catch {
      // not answered: the API is down; try again
    }
    await sleep(500);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Mail into the local mailbox, by SMTP
// ---------------------------------------------------------------------------------------------

export interface SentMail {
  messageId: string;
  attempts: number;
  /** Attempts that failed after the message may have been taken (the answer to DATA lost). */
  inDoubt: number;
  accepted: boolean;
}

/**
 * A citizen's mail client: each mail (a fictitious sender, one small attachment) is sent to
 * `helpdesk@helpdesk.local` on the local SMTP listener until it answers 250. A refused
 * connection is tried again; so is an attempt cut after DATA (a real MTA does the same), whose
 * copy, when it arrived, the intake records as a duplicate of the same Message-ID.
 */
export class Mails {
  readonly sent: SentMail[] = [];
  readonly errors = new Tally();
  private seq = 0;
  private readonly run = randomBytes(4).toString('hex');

  constructor(private readonly port: () => number) {}

  async send(running: () => boolean): Promise<void> {
    const n = this.seq++;
    const mail: SentMail = {
      messageId: `fault-${this.run}-${n}@example.test`,
      attempts: 0,
      inDoubt: 0,
      accepted: false,
    };
    this.sent.push(mail);
    while (running() && !mail.accepted) {
      mail.attempts++;
      const transport = nodemailer.createTransport({
        host: '127.0.0.1',
        port: this.port(),
        secure: false,
        ignoreTLS: true,
        connectionTimeout: 5000,
        greetingTimeout: 5000,
        socketTimeout: 20_000,
      });
      try {
        await transport.sendMail({
          from: 'Cittadino Prova <cittadino.prova@example.test>',
          to: 'helpdesk@helpdesk.local',
          subject: `Richiesta di assistenza ${n}`,
          text: 'Buongiorno, non riesco a completare la domanda sul portale. Allego la ricevuta.',
          messageId: `<${mail.messageId}>`,
          attachments: [{ filename: 'ricevuta.pdf', content: randomBytes(8 * 1024), contentType: 'application/pdf' }],
        });
        mail.accepted = true;
      } catch (err) {
        const e = err as { code?: string; command?: string; responseCode?: number };
        this.errors.bump(
          `${e.code ?? 'error'}${e.command ? ` at ${e.command}` : ''}${e.responseCode ? ` ${e.responseCode}` : ''}`,
        );
        // Cut once the message was on its way: it may be in the mailbox.
        // (A server's answer, e.g. 450 while the database is down, is a refusal: not in doubt.)
        if (!e.responseCode && e.command !== 'CONN' && (e.command === 'DATA' || e.code === 'ETIMEDOUT')) {
          mail.inDoubt++;
        }
        await sleep(1000);
      } finally {
        transport.close();
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Calls through the call simulator
// ---------------------------------------------------------------------------------------------

export interface CallResult {
  sid: string | undefined;
  /**
   * queued: menu, key, queue, hung up waiting; closed: the line's closed message (out of hours);
   * apology: the platform's "problema tecnico" message and the end; failed: anything else.
   */
  outcome: 'queued' | 'closed' | 'apology' | 'failed';
  failure?: string;
  /** Webhooks (and status callbacks) the platform did not answer 2xx: the call met a fault. */
  webhookFailures: number;
}

export const CUP_LINE = '+39848821821';

/**
 * A caller (as bench/voice.ts's, with the closed line too: the run's clock is the real one):
 * dials the CUP line; at the menu presses 1–4, waits `polls` waitUrl announcements in the queue
 * and hangs up; or hears the closed-line message and is hung up on.
 */
export class Calls {
  readonly results: CallResult[] = [];
  private seq = 0;

  constructor(
    private readonly sim: VoiceSimulator,
    private readonly rnd: () => number,
  ) {}

  async place(): Promise<void> {
    const i = this.seq++;
    const key = String(1 + Math.floor(this.rnd() * 4));
    const polls = 1 + Math.floor(this.rnd() * 2);
    let call: SimulatedCall | undefined;
    const result: CallResult = { sid: undefined, outcome: 'failed', webhookFailures: 0 };
    this.results.push(result);
    try {
      call = await this.sim.call({ from: `+39333${String(9_000_000 + i).slice(-7)}`, to: CUP_LINE });
      result.sid = call.sid;
      const first = await call.waitFor((e) => e.kind === 'gather' || e.kind === 'hangup' || e.kind === 'error', 30_000);
      if (first.kind === 'gather') {
        await call.press(key);
        await call.waitFor((e) => e.kind === 'enqueue', 30_000);
        await call.waitFor(
          (e, all) =>
            e.kind === 'pause' &&
            all.slice(all.findIndex((x) => x.kind === 'enqueue')).filter((x) => x.kind === 'pause').length >= polls,
          30_000,
        );
        await call.hangUp();
        result.outcome = 'queued';
      } else if (first.kind === 'hangup') {
        // The closed line's message, or the platform's apology when it could not serve the call.
        result.outcome = /problema tecnico/.test(call.heard()) ? 'apology' : 'closed';
      } else if (first.kind === 'error') {
        result.failure = first.message.replace(/CA[0-9a-f]{32}/g, 'CA…').replace(/:\d+\//, ':…/');
      }
      await Promise.race([call.ended, sleep(30_000)]);
    } catch (err) {
      const e = call?.events.find((x) => x.kind === 'error');
      result.failure = (e && e.kind === 'error' ? e.message : (err as Error).message)
        .replace(/CA[0-9a-f]{32}/g, 'CA…')
        .replace(/127\.0\.0\.1:\d+/g, '…')
        .slice(0, 160);
      if (call) await call.hangUp().catch(() => undefined);
    }
    if (call) {
      result.webhookFailures =
        call.requests.filter((r) => r.status < 200 || r.status > 299).length +
        call.statusCallbacks.filter((s) => s.status < 200 || s.status > 299).length;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Timers: a probe process deployed by the bench
// ---------------------------------------------------------------------------------------------

const TIMER_PROCESS = 'bench-faults-timer';
const TIMER_TOPIC = 'bench-faults-timer';
const TIMER_BPMN = timerProbeBpmn(TIMER_PROCESS, TIMER_TOPIC, '${delay}');

/**
 * Instances of a timer (`delay`, ISO 8601) followed by an external task that only the bench
 * works: its deliveries per instance say how often the timer fired (cluster.integration.spec's
 * probe, with the bench as its worker, so the instances end).
 */
export class Timers {
  /** Instance → when its timer was due (ms, performance clock). */
  readonly due = new Map<string, number>();
  readonly deliveries = new Map<string, number>();
  readonly errors = new Tally();

  constructor(private readonly engine: EngineClient) {}

  async deploy(): Promise<void> {
    await this.engine.deploy({
      name: TIMER_PROCESS,
      source: 'bench',
      resources: [{ name: `${TIMER_PROCESS}.bpmn`, content: TIMER_BPMN }],
    });
  }

  /** Starts one instance whose timer is due in `seconds`. */
  async start(seconds: number): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        const pi = await this.engine.startProcess(TIMER_PROCESS, { variables: { delay: `PT${seconds}S` } });
        this.due.set(pi.id, performance.now() + seconds * 1000);
        return;
      } catch (err) {
        this.errors.bump(`start: ${reasonOf(err)}`);
        await sleep(1000);
      }
    }
  }

  /** The bench's worker for the probe's topic, one loop per engine node. */
  work(): { stop: () => Promise<void> } {
    const stop = new AbortController();
    const loop = async (node: number) => {
      while (!stop.signal.aborted) {
        let tasks: LockedExternalTask[] = [];
        try {
          tasks = await this.engine.fetchAndLock(
            {
              workerId: `bench-faults-${node}`,
              maxTasks: 20,
              asyncResponseTimeout: 1000,
              topics: [{ topicName: TIMER_TOPIC, lockDuration: 30_000 }],
            },
            { node, signal: stop.signal },
          );
        } catch {
          if (stop.signal.aborted) return;
          await sleep(500);
        }
        for (const t of tasks) {
          try {
            await this.engine.completeExternalTask(t.id, `bench-faults-${node}`, {});
            const pi = t.processInstanceId ?? '';
            this.deliveries.set(pi, (this.deliveries.get(pi) ?? 0) + 1);
          } catch (err) {
            this.errors.bump(`complete: ${reasonOf(err)}`);
          }
        }
      }
    };
    const loops = Array.from({ length: this.engine.nodes }, (_, i) => loop(i));
    return {
      stop: async () => {
        stop.abort();
        await Promise.allSettled(loops);
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// A person's task list: the live events and the list, as the workspace reads them
// ---------------------------------------------------------------------------------------------

export interface InboxStats {
  connects: number;
  /** Stream ends the client did not ask for. */
  drops: number;
  /** From a drop to the next stream open, ms. */
  reconnectMs: number[];
  events: number;
  lists: number;
  /** Lists that held a task key twice. */
  listsWithDuplicates: number;
  listErrors: Tally;
  /** Why a stream could not be opened, or ended. */
  streamErrors: Tally;
}

/**
 * The workspace's tasklist, as a browser runs it: the event stream `/api/events` of one API
 * process, and on each event (and on each reconnect) the list `/api/tasks` read again from the
 * same place. When the stream drops it reconnects, to `fallback` (the users' address, the
 * proxy) when given, else to the same process.
 */
export class Inbox {
  readonly stats: InboxStats = {
    connects: 0,
    drops: 0,
    reconnectMs: [],
    events: 0,
    lists: 0,
    listsWithDuplicates: 0,
    listErrors: new Tally(),
    streamErrors: new Tally(),
  };
  /** The keys of the last list read, and when it was read. */
  last: { keys: string[]; at: number } = { keys: [], at: 0 };
  private base: string;
  private readonly stop = new AbortController();
  private refetch: Promise<void> | undefined;
  private again = false;
  private loop: Promise<void> | undefined;

  constructor(
    readonly label: string,
    private readonly api: Api,
    first: string,
    private readonly fallback?: string,
  ) {
    this.base = first;
  }

  /** Where it reads from now. */
  get at(): string {
    return this.base;
  }

  start(): void {
    this.loop = this.run();
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.loop;
    await this.refetch;
  }

  /** Reads the list again now and waits for it (one at a time; a request meanwhile reads once more after). */
  async read(): Promise<void> {
    if (this.refetch !== undefined) {
      this.again = true;
      await this.refetch;
      if (this.refetch !== undefined) await this.refetch;
      return;
    }
    this.refetch = (async () => {
      do {
        this.again = false;
        try {
          const res = await fetch(`${this.base}/api/tasks?limit=500`, {
            headers: { cookie: this.api.cookie() },
            signal: AbortSignal.timeout(20_000),
          });
          if (res.status !== 200) {
            this.stats.listErrors.bump(`HTTP ${res.status}`);
            await res.body?.cancel();
          } else {
            const body = (await res.json()) as { items: { key: string }[] };
            const keys = body.items.map((t) => t.key);
            this.stats.lists++;
            if (new Set(keys).size !== keys.length) this.stats.listsWithDuplicates++;
            this.last = { keys, at: performance.now() };
          }
        } catch (err) {
          this.stats.listErrors.bump(reasonOf(err));
        }
      } while (this.again && !this.stop.signal.aborted);
    })().finally(() => {
      this.refetch = undefined;
    });
    await this.refetch;
  }

  private async run(): Promise<void> {
    let droppedAt: number | undefined;
    while (!this.stop.signal.aborted) {
      try {
        const res = await fetch(`${this.base}/api/events`, {
          headers: { cookie: this.api.cookie(), accept: 'text/event-stream' },
          signal: this.stop.signal,
        });
        if (res.status !== 200 || !res.body) {
          await res.body?.cancel();
          throw new Error(`HTTP ${res.status}`);
        }
        this.stats.connects++;
        if (droppedAt !== undefined) this.stats.reconnectMs.push(performance.now() - droppedAt);
        droppedAt = undefined;
        void this.read();
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = (await reader.read()) as { value?: Uint8Array; done: boolean };
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const chunk = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            if (/^event: task$/m.test(chunk)) {
              this.stats.events++;
              void this.read();
            }
          }
        }
        throw new Error('stream ended');
      } catch (err) {
        if (this.stop.signal.aborted) return;
        this.stats.streamErrors.bump(
          err instanceof Error && !('cause' in err && err.cause) ? err.message : reasonOf(err),
        );
        if (droppedAt === undefined) {
          droppedAt = performance.now();
          this.stats.drops++;
          if (this.fallback) this.base = this.fallback;
        }
        // The workspace's EventSource waits `retry: 2000`; this client tries again a little sooner.
        await sleep(500);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

export interface Check {
  what: string;
  ok: boolean;
  /** The figure, as printed. */
  value: string;
  /** Evidence when it failed: ids and rows, no personal data. */
  evidence: string[];
}

export interface EffectsUnderTest {
  db: DataSource;
  engineDb: pg.Pool;
  provider: StandInMessage[];
  bookings: Bookings;
  reminders: ReminderDay[];
  mails: Mails;
  calls: Calls;
  timers: Timers;
}

const first = <T>(xs: T[], n = 5) => xs.slice(0, n);
const count = <K>(xs: K[]) => {
  const m = new Map<K, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
};

/** The instances of a process, with their state and end event (the engine's history tables). */
async function instancesOf(
  engineDb: pg.Pool,
  key: string,
): Promise<Map<string, { state: string; end: string | null; business: string | null }>> {
  const r = await engineDb.query<{ pi: string; state: string; end_act: string | null; bk: string | null }>(
    `SELECT proc_inst_id_ AS pi, state_ AS state, end_act_id_ AS end_act, business_key_ AS bk
       FROM act_hi_procinst WHERE proc_def_key_ = $1`,
    [key],
  );
  return new Map(r.rows.map((x) => [x.pi, { state: x.state, end: x.end_act, business: x.bk }]));
}

/** Still running: instances of the processes under load that have not ended. */
export async function unfinished(engineDb: pg.Pool): Promise<Map<string, number>> {
  const r = await engineDb.query<{ key: string; n: string }>(
    `SELECT proc_def_key_ AS key, count(*) AS n FROM act_hi_procinst
      WHERE state_ = 'ACTIVE' AND proc_def_key_ = ANY ($1) GROUP BY 1`,
    [['cup-booking', 'cup-sms-reminders', 'helpdesk-mail-intake', 'inbound-call', TIMER_PROCESS]],
  );
  return new Map(r.rows.map((x) => [x.key, Number(x.n)]));
}

/**
 * Every check of one scenario, after its load drained. `parkedOpen` when the parked flows are
 * expected still open (they are not, by the end).
 */
export async function checkEffects(t: EffectsUnderTest): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (what: string, ok: boolean, value: string, evidence: string[] = []) =>
    checks.push({ what, ok, value, evidence: ok ? [] : evidence });

  // ---- provider: what the SMS provider accepted, by booking code
  const confirmationsAt = count(
    t.provider.map((m) => /prenotazione (\S+) confermata/.exec(m.body)?.[1]).filter((c): c is string => !!c),
  );
  const remindersAt = count(
    t.provider.map((m) => /ricordiamo la prenotazione (\S+) del/.exec(m.body)?.[1]).filter((c): c is string => !!c),
  );
  const sms: {
    purpose: string;
    reference: string;
    status: string;
    provider_sid: string | null;
    reconciled: boolean;
  }[] = await t.db.query(
    `SELECT purpose, reference, status, provider_sid, reconciled_at IS NOT NULL AS reconciled FROM sms_messages`,
  );
  const smsBy = new Map<string, typeof sms>();
  for (const s of sms) {
    const k = `${s.purpose}|${s.reference}`;
    smsBy.set(k, [...(smsBy.get(k) ?? []), s]);
  }
  const recordedSids = new Set(sms.map((s) => s.provider_sid).filter(Boolean));

  // ---- bookings
  const bookings = await instancesOf(t.engineDb, 'cup-booking');
  const appts: { pi: string; id: string; code: string; status: string }[] = await t.db.query(
    `SELECT split_part(request_key, ':', 2) AS pi, id, booking_code AS code, status
       FROM cup_appointments WHERE request_key LIKE 'pi:%'`,
  );
  const apptsBy = new Map<string, typeof appts>();
  for (const a of appts) apptsBy.set(a.pi, [...(apptsBy.get(a.pi) ?? []), a]);
  const notCompleted: string[] = [];
  const wrongAppts: string[] = [];
  const wrongSms: string[] = [];
  const wrongAtProvider: string[] = [];
  let noSlot = 0;
  let confirmed = 0;
  for (const [pi, b] of bookings) {
    if (b.state !== 'COMPLETED') {
      notCompleted.push(`${pi} ${b.state}`);
      continue;
    }
    const booked = (apptsBy.get(pi) ?? []).filter((a) => a.status === 'booked');
    if (b.end === 'no-availability') {
      noSlot++;
      if (booked.length > 0) wrongAppts.push(`${pi}: no-availability with ${booked.length} appointments`);
      continue;
    }
    if (b.end !== 'booking-confirmed' || booked.length !== 1) {
      wrongAppts.push(`${pi}: end ${b.end}, ${booked.length} booked (${booked.map((a) => a.id).join(', ')})`);
      continue;
    }
    const a = booked[0] as (typeof appts)[number];
    const rows = smsBy.get(`cup-booking-confirmation|${a.id}`) ?? [];
    if (rows.length !== 1 || rows[0]?.status === 'submitting') {
      wrongSms.push(
        `${pi} appointment ${a.id}: ${rows.length} confirmation records (${rows.map((r) => r.status).join(', ')})`,
      );
    }
    const atProvider = confirmationsAt.get(a.code) ?? 0;
    if (atProvider !== 1) wrongAtProvider.push(`${pi} booking ${a.code}: ${atProvider} confirmations at the provider`);
    confirmed++;
  }
  const ownStarts = [...t.bookings.started.keys()];
  const unknownToEngine = ownStarts.filter((pi) => !bookings.has(pi));
  add(
    'bookings: every flow started (201) is in the engine',
    unknownToEngine.length === 0,
    `${ownStarts.length} started, ${bookings.size} in the engine (${bookings.size - ownStarts.length + unknownToEngine.length} whose answer was lost)`,
    first(unknownToEngine),
  );
  add(
    'bookings: every flow completed',
    notCompleted.length === 0,
    `${bookings.size - notCompleted.length} of ${bookings.size}`,
    first(notCompleted),
  );
  add(
    'bookings: one appointment each (none where no slot was left)',
    wrongAppts.length === 0,
    `${confirmed} booked once${noSlot ? `, ${noSlot} ended "no slot left"` : ''}; ${wrongAppts.length} wrong`,
    first(wrongAppts),
  );
  add(
    'bookings: one confirmation SMS record each, none in doubt',
    wrongSms.length === 0,
    `${wrongSms.length} wrong`,
    first(wrongSms),
  );
  add(
    'bookings: one confirmation SMS each at the provider',
    wrongAtProvider.length === 0,
    `${wrongAtProvider.length} wrong`,
    first(wrongAtProvider),
  );

  // ---- reminders
  const runs = await instancesOf(t.engineDb, 'cup-sms-reminders');
  const wrongRuns: string[] = [];
  const wrongReminders: string[] = [];
  let reminded = 0;
  for (const d of t.reminders) {
    for (const pi of d.runs)
      if (runs.get(pi)?.state !== 'COMPLETED') wrongRuns.push(`${pi} ${runs.get(pi)?.state ?? 'unknown'}`);
    for (const [id, code] of d.appointments) {
      const rows = smsBy.get(`cup-reminder|${id}`) ?? [];
      const atProvider = remindersAt.get(code) ?? 0;
      if (rows.length !== 1 || rows[0]?.status === 'submitting' || atProvider !== 1) {
        wrongReminders.push(
          `${id}: ${rows.length} records (${rows.map((r) => r.status).join(', ')}), ${atProvider} at the provider`,
        );
      } else reminded++;
    }
  }
  const appointmentsToRemind = t.reminders.reduce((n, d) => n + d.appointments.size, 0);
  if (t.reminders.length > 0) {
    add(
      'reminder runs completed',
      wrongRuns.length === 0,
      `${t.reminders.flatMap((d) => d.runs).length - wrongRuns.length} of ${t.reminders.flatMap((d) => d.runs).length}`,
      first(wrongRuns),
    );
    add(
      'reminders: one SMS per appointment, recorded and at the provider',
      wrongReminders.length === 0,
      `${reminded} of ${appointmentsToRemind}`,
      first(wrongReminders),
    );
  }

  // ---- SMS at the provider without a record
  const unrecorded = t.provider.filter((m) => !recordedSids.has(m.sid));
  const invisible = unrecorded.filter((m) => {
    const code = /prenotazione (\S+) (confermata|del)/.exec(m.body)?.[1];
    const appt =
      appts.find((a) => a.code === code)?.id ??
      [...t.reminders.flatMap((d) => [...d.appointments])].find(([, c]) => c === code)?.[0];
    const purpose = / confermata/.test(m.body) ? 'cup-booking-confirmation' : 'cup-reminder';
    return !(smsBy.get(`${purpose}|${appt}`) ?? []).some((r) => r.status === 'submitting');
  });
  const inDoubtSms = sms.filter((s) => s.status === 'submitting');
  add(
    'SMS: every message at the provider has its record',
    invisible.length === 0,
    `${t.provider.length} at the provider, ${unrecorded.length} without the provider's id (${unrecorded.length - invisible.length} of them in doubt with a visible record); reconciled after a cut send: ${sms.filter((s) => s.reconciled).length}`,
    first(invisible.map((m) => `${m.sid} ${m.body.slice(0, 48)}`)),
  );

  // ---- mails
  const mailRows: {
    id: string;
    mid: string;
    status: string;
    ticket: string | null;
    archived: boolean;
    pi: string | null;
  }[] = await t.db.query(
    `SELECT id, trim(both '<>' from message_id) AS mid, status, ticket_id AS ticket, archived_at IS NOT NULL AS archived,
            process_instance_id AS pi
       FROM mail_messages WHERE message_id LIKE '%fault-%'`,
  );
  const tickets: { key: string; n: string }[] = await t.db.query(
    `SELECT request_key AS key, count(*) AS n FROM tickets WHERE request_key LIKE 'mail:%' GROUP BY 1`,
  );
  const ticketsBy = new Map(tickets.map((x) => [x.key, Number(x.n)]));
  const acks: { reference: string; status: string }[] = await t.db.query(
    `SELECT reference, status FROM mail_outbox WHERE purpose = 'helpdesk-acknowledgement'`,
  );
  const acksBy = new Map<string, string[]>();
  for (const a of acks) acksBy.set(a.reference, [...(acksBy.get(a.reference) ?? []), a.status]);
  const intakes = await instancesOf(t.engineDb, 'helpdesk-mail-intake');
  const wrongMail: string[] = [];
  let duplicates = 0;
  let ticketed = 0;
  const accepted = t.mails.sent.filter((m) => m.accepted);
  for (const m of t.mails.sent) {
    const rows = mailRows.filter((r) => r.mid === m.messageId);
    const received = rows.filter((r) => r.status === 'received');
    duplicates += rows.filter((r) => r.status === 'duplicate').length;
    if (!m.accepted && received.length === 0) continue;
    const r = received[0];
    if (received.length !== 1 || !r) {
      wrongMail.push(`${m.messageId}: ${received.length} records received (${rows.map((x) => x.status).join(', ')})`);
      continue;
    }
    const nTickets = ticketsBy.get(`mail:${r.id}`) ?? 0;
    const ack = acksBy.get(r.id) ?? [];
    const state = r.pi ? intakes.get(r.pi)?.state : undefined;
    if (!r.ticket || nTickets !== 1 || !r.archived || ack.length !== 1 || ack[0] !== 'sent' || state !== 'COMPLETED') {
      wrongMail.push(
        `mail ${r.id}: ticket ${r.ticket ?? 'none'} (${nTickets} with its key), archived ${r.archived}, acknowledgements ${ack.join(',') || 'none'}, intake ${r.pi ?? '-'} ${state ?? ''}`,
      );
      continue;
    }
    ticketed++;
  }
  add(
    'mails: each one record, one ticket, one acknowledgement, archived',
    wrongMail.length === 0,
    `${ticketed} of ${accepted.length} accepted (${t.mails.sent.length - accepted.length} never accepted); ${duplicates} copies recorded as duplicates; sends tried again after a cut: ${t.mails.sent.reduce((n, m) => n + m.inDoubt, 0)}`,
    first(wrongMail),
  );

  // ---- calls
  const sids = t.calls.results.map((c) => c.sid).filter((s): s is string => !!s);
  const callRows: { sid: string; ended: boolean; outcome: string | null; entry: string | null }[] = await t.db.query(
    `SELECT r.call_sid AS sid, r.ended_at IS NOT NULL AS ended, r.outcome, e.state AS entry
       FROM call_records r LEFT JOIN voice_queue_entries e ON e.call_sid = r.call_sid WHERE r.call_sid = ANY ($1)`,
    [sids],
  );
  const callsBy = new Map(callRows.map((r) => [r.sid, r]));
  const wrongCalls: string[] = [];
  let faulted = 0;
  let recorded = 0;
  for (const c of t.calls.results) {
    const row = c.sid ? callsBy.get(c.sid) : undefined;
    const clean = (c.outcome === 'queued' || c.outcome === 'closed') && c.webhookFailures === 0;
    if (!clean) faulted++;
    if (row && row.ended && row.outcome && row.entry !== 'waiting' && row.entry !== 'offered') {
      recorded++;
      continue;
    }
    // A call that met a fault (a webhook refused while a process or the database was down) may
    // have no complete record: counted apart, not a failure.
    if (!clean) continue;
    wrongCalls.push(
      `${c.sid ?? 'no sid'} (${c.outcome}): ${row ? `ended ${row.ended}, outcome ${row.outcome}, queue entry ${row.entry}` : 'no record'}`,
    );
  }
  add(
    'calls: each call one contact record, ended, with its outcome',
    wrongCalls.length === 0,
    `${recorded} of ${t.calls.results.length} (${faulted} met a fault: a webhook not answered 2xx, the platform's apology, or the call cut)`,
    first(wrongCalls),
  );
  const outcomes = count(t.calls.results.map((c) => c.outcome));
  const callInstances = await instancesOf(t.engineDb, 'inbound-call');
  const runningCalls = [...callInstances].filter(([, v]) => v.state === 'ACTIVE');
  const stuck: string[] = [];
  for (const [pi, v] of first(runningCalls)) {
    const at = await t.engineDb.query<{ act: string }>(
      `SELECT act_id_ AS act FROM act_ru_execution WHERE proc_inst_id_ = $1 AND act_id_ IS NOT NULL`,
      [pi],
    );
    const [rec]: { status: string; ended: boolean; entry: string | null }[] = await t.db.query(
      `SELECT r.status, r.ended_at IS NOT NULL AS ended, e.state AS entry
         FROM call_records r LEFT JOIN voice_queue_entries e ON e.call_sid = r.call_sid WHERE r.call_sid = $1`,
      [v.business],
    );
    const caller = t.calls.results.find((c) => c.sid === v.business);
    stuck.push(
      `instance ${pi} (call ${v.business}) waits at ${at.rows.map((r) => r.act).join(', ') || '?'}; record status ${rec?.status ?? 'none'}, ` +
        `ended ${rec?.ended ?? '-'}, queue entry ${rec?.entry ?? 'none'}; caller side: ${caller ? `${caller.outcome}, ${caller.webhookFailures} webhooks or status callbacks not answered 2xx${caller.failure ? `, ${caller.failure}` : ''}` : 'not placed by the bench'}`,
    );
  }
  add(
    'calls: no inbound-call instance left running',
    runningCalls.length === 0,
    `${runningCalls.length} running of ${callInstances.size}; callers: ${[...outcomes].map(([k, n]) => `${k} ${n}`).join(', ')}`,
    stuck,
  );

  // ---- timers
  if (t.timers.due.size > 0) {
    const acts = await t.engineDb.query<{ pi: string; act: string; n: string; open: string }>(
      `SELECT proc_inst_id_ AS pi, act_id_ AS act, count(*) AS n, count(*) FILTER (WHERE end_time_ IS NULL) AS open
         FROM act_hi_actinst WHERE proc_def_key_ = $1 AND act_id_ IN ('wait', 'probe') GROUP BY 1, 2`,
      [TIMER_PROCESS],
    );
    const wrongTimers: string[] = [];
    const probes = await instancesOf(t.engineDb, TIMER_PROCESS);
    for (const pi of t.timers.due.keys()) {
      const wait = acts.rows.find((a) => a.pi === pi && a.act === 'wait');
      const probe = acts.rows.find((a) => a.pi === pi && a.act === 'probe');
      const delivered = t.timers.deliveries.get(pi) ?? 0;
      if (
        probes.get(pi)?.state !== 'COMPLETED' ||
        wait?.n !== '1' ||
        wait.open !== '0' ||
        probe?.n !== '1' ||
        delivered !== 1
      ) {
        wrongTimers.push(
          `${pi}: ${probes.get(pi)?.state}, timer ${wait?.n ?? 0}×, probe ${probe?.n ?? 0}×, delivered ${delivered}×`,
        );
      }
    }
    add(
      'timers: each fired once, its instance completed',
      wrongTimers.length === 0,
      `${t.timers.due.size - wrongTimers.length} of ${t.timers.due.size}`,
      first(wrongTimers),
    );
  }

  // ---- incidents, effects in doubt, tasks left
  const open = await t.engineDb.query<{ id: string; pi: string; type: string; msg: string | null }>(
    `SELECT id_ AS id, proc_inst_id_ AS pi, incident_type_ AS type, left(incident_msg_, 200) AS msg FROM act_ru_incident`,
  );
  const ever = await t.engineDb.query<{ n: string }>(`SELECT count(*) AS n FROM act_hi_incident`);
  const jobIncidents: { n: string }[] = await t.db.query(
    `SELECT count(*) AS n FROM job_outcomes WHERE outcome = 'incident'`,
  );
  add(
    'no open incidents',
    open.rows.length === 0,
    `${open.rows.length} open, ${ever.rows[0]?.n ?? 0} ever raised; ${jobIncidents[0]?.n ?? 0} worker outcomes "incident"`,
    first(open.rows.map((r) => `${r.id} instance ${r.pi} ${r.type}: ${r.msg ?? ''}`)),
  );
  const mailInDoubt: { n: string }[] = await t.db.query(
    `SELECT count(*) AS n FROM mail_outbox WHERE status = 'sending'`,
  );
  add(
    'no effect left in doubt (SMS submitting, mail sending)',
    inDoubtSms.length === 0 && Number(mailInDoubt[0]?.n ?? 0) === 0,
    `${inDoubtSms.length} SMS, ${mailInDoubt[0]?.n ?? 0} mails`,
    first(inDoubtSms.map((s) => `sms ${s.purpose} ${s.reference}`)),
  );
  const tasks = await t.engineDb.query<{ id: string; pi: string; key: string }>(
    `SELECT id_ AS id, proc_inst_id_ AS pi, task_def_key_ AS key FROM act_ru_task`,
  );
  add(
    'no user task left open',
    tasks.rows.length === 0,
    String(tasks.rows.length),
    first(tasks.rows.map((r) => `${r.id} ${r.key} of ${r.pi}`)),
  );
  return checks;
}
