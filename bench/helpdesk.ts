/**
 * Help desk mail benchmark (issue 10): the mail intake on the embedded default (local
 * mailboxes, local ticket store, local outbox), the real app started in-process with its own
 * embedded PostgreSQL and engine in a temporary folder.
 *
 *   npm run bench:helpdesk        # defaults: 1000 mails with two attachments of 50–200 KB,
 *                                 # 50 paced mails, one mail with a 25 MiB attachment
 *   MAILS=100 PACED=10 BIG_MB=5 npm run bench:helpdesk      # a quick run
 *   COMPLETE_VIA=inbox npm run bench:helpdesk               # pre-check claimed and completed
 *                                                           # through the app's tasklist
 *
 * Mail arrives as the local SMTP listener would put it: `deliverLocally` into the `helpdesk`
 * mailbox, raw RFC 5322 built beforehand with nodemailer's stream transport. The pre-check is a
 * human user task; here the script completes it (outcome `ticket`, queue «Servizi on line») as
 * soon as it appears in the engine's task list. Three measures:
 *
 * 1. burst: MAILS mails delivered as fast as possible; the rate from the first arrival to the
 *    last pre-check task (intake only) and to the last ticket (open-ticket done: the ticket row
 *    written and `mail_messages.ticket_id` set), and the time of each stage per mail;
 * 2. paced: PACED mails, one in the system at a time, each after a random pause of up to 1 s
 *    (the local mailbox is polled every second): arrival → pre-check task without queueing;
 * 3. memory: one mail with a BIG_MB MiB attachment from arrival to its ticket, the process's
 *    RSS and heap sampled every 50 ms (process.memoryUsage()) plus the kernel's peak RSS.
 *
 * Per mail, arrival is the benchmark's clock when `deliverLocally` has committed; recorded is
 * `mail_messages.received_at`; the other moments are the engine's history (pre-check task
 * created and completed, open-ticket and archive-mail done). One host, one wall clock.
 * Prints each figure as measured, then a markdown table; docs/benchmarks.md records them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import nodemailer from 'nodemailer';
import { startApp, type RunningApp } from '../app.js';
import { deliverLocally } from '../adapters/mail/local-mailbox.js';
import { INTAKE_PROCESS } from '../domain/helpdesk/mail-intake.js';
import { isoFromEngine } from '../domain/tasks/inbox.js';
import { loadConfig } from '../platform/config.js';
import { findJava } from '../platform/engine/java.js';
import type { EngineTask } from '../platform/engine/operaton.js';
import { freePorts } from '../test/support/ports.js';
import { quantiles, benchmarkRun, machineLine, loadAverage } from './platform.js';

const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number`);
  return v;
};
const MAILS = num('MAILS', 1000);
const MIN_KB = num('MIN_KB', 50);
const MAX_KB = num('MAX_KB', 200);
const PACED = num('PACED', 50);
/** The large attachment, in MiB (0: no memory measure). 25 is MAIL_MAX_ATTACHMENTS_MB's default. */
const BIG_MB = num('BIG_MB', 25);
const WARMUP = num('WARMUP', 20);
/** Pre-check completions in flight at once. */
const OPERATORS = Math.max(1, num('OPERATORS', 8));
const TIMEOUT_S = num('TIMEOUT_S', 900);
const COMPLETE_VIA = process.env.COMPLETE_VIA === 'inbox' ? 'inbox' : 'engine';

const MAILBOX = 'helpdesk';
const QUEUE = 'Servizi on line';
const out = (s: string) => process.stdout.write(`${s}\n`);
const ms = (v: number) => (v < 10 ? v.toFixed(1) : v.toFixed(0));
const mib = (bytes: number) => (bytes / 1_048_576).toFixed(1);
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

/** Teardown steps, run in reverse order once, on success, on error and on Ctrl-C. */
const bench = benchmarkRun(out);
const cleanup = bench.steps;

/** A full garbage collection, to read a baseline that is not yesterday's garbage. */
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// ---------------------------------------------------------------------------------------------
// Mail, as a citizen's client writes it (test/integration/support/mail.ts `citizenMail`)
// ---------------------------------------------------------------------------------------------

const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
const RUN = randomUUID().slice(0, 8);

async function citizenMail(
  tag: string,
  attachments: { filename: string; content: Buffer; contentType: string }[],
): Promise<Buffer> {
  const info = (await transport.sendMail({
    from: 'Mario Rossi <mario.rossi@example.test>',
    to: `${MAILBOX}@helpdesk.local`,
    subject: `Richiesta di assistenza ${tag}`,
    text: 'Buongiorno, non riesco a completare la domanda sul portale. Allego la ricevuta e un documento.',
    messageId: `<bench-${RUN}-${tag}@example.test>`,
    attachments,
  })) as { message: Buffer };
  return info.message;
}

const kb = () => Math.round((MIN_KB + Math.random() * (MAX_KB - MIN_KB)) * 1024);
const ordinaryMail = (tag: string) =>
  citizenMail(tag, [
    { filename: 'ricevuta.pdf', content: randomBytes(kb()), contentType: 'application/pdf' },
    { filename: 'documento.png', content: randomBytes(kb()), contentType: 'image/png' },
  ]);

async function buildMails(prefix: string, n: number): Promise<Buffer[]> {
  const mails: Buffer[] = [];
  for (let i = 0; i < n; i++) mails.push(await ordinaryMail(`${prefix}-${i}`));
  return mails;
}

// ---------------------------------------------------------------------------------------------
// The human step, done by the script: every open pre-check completed as soon as it is listed
// ---------------------------------------------------------------------------------------------

interface Operator {
  completed: () => number;
  errors: () => number;
  firstError: () => string | undefined;
  stop: () => Promise<void>;
}

function startOperator(app: RunningApp): Operator {
  const actor = { id: 'bench.helpdesk', groups: ['helpdesk-back-office'] };
  const values = { precheckOutcome: 'ticket', queue: QUEUE };
  let completed = 0;
  let errors = 0;
  let firstError: string | undefined;
  let stopped = false;
  const complete = async (t: EngineTask) => {
    try {
      if (COMPLETE_VIA === 'inbox') {
        await app.inbox.claim(t.id, actor);
        await app.inbox.complete(t.id, actor, values);
      } else {
        await app.engine.completeTask(t.id, { ...values, taskCompletedBy: actor.id });
      }
      completed++;
    } catch (err) {
      errors++;
      firstError ??= (err as Error).message;
    }
  };
  const loop = (async () => {
    while (!stopped) {
      let tasks: EngineTask[] = [];
      try {
        // One page of the open pre-checks, oldest first; those completed leave the list.
        tasks = await app.engine.tasks(
          {
            processDefinitionKey: INTAKE_PROCESS,
            taskDefinitionKey: 'precheck',
            sorting: [{ sortBy: 'created', sortOrder: 'asc' }],
          },
          { first: 0, max: 200 },
        );
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
      }
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(OPERATORS, tasks.length) }, async () => {
          while (next < tasks.length) {
            const t = tasks[next++];
            if (t) await complete(t);
          }
        }),
      );
      if (tasks.length === 0) await sleep(25);
    }
  })();
  return {
    completed: () => completed,
    errors: () => errors,
    firstError: () => firstError,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Delivery and what became of each mail
// ---------------------------------------------------------------------------------------------

/** Delivers the mails one after the other; the arrival time (ms) of each, by UID. */
async function deliver(app: RunningApp, mails: Buffer[]): Promise<Map<number, number>> {
  const arrivals = new Map<number, number>();
  for (let i = 0; i < mails.length; i++) {
    const raw = mails[i];
    if (!raw) continue;
    const uid = await deliverLocally(app.db, MAILBOX, raw);
    arrivals.set(uid, Date.now());
    // The citizen's copy is not the app's memory.
    mails[i] = Buffer.alloc(0);
  }
  return arrivals;
}

/** Waits until every one of these mails is archived (the end of its flow). */
async function waitArchived(app: RunningApp, uids: number[], what: string, op: Operator): Promise<void> {
  const t0 = performance.now();
  let lastReport = t0;
  for (;;) {
    const r: { archived: string; ticket: string; started: string }[] = await app.db.query(
      `SELECT count(*) FILTER (WHERE archived_at IS NOT NULL) AS archived,
              count(*) FILTER (WHERE ticket_id IS NOT NULL) AS ticket,
              count(*) FILTER (WHERE process_instance_id IS NOT NULL) AS started
         FROM mail_messages WHERE mailbox = $1 AND uid = ANY($2::bigint[])`,
      [MAILBOX, uids],
    );
    const archived = Number(r[0]?.archived);
    if (archived >= uids.length) return;
    const elapsed = (performance.now() - t0) / 1000;
    if (elapsed > TIMEOUT_S) {
      const outcomes: unknown[] = await app.db.query(
        `SELECT task_type, outcome, message FROM job_outcomes ORDER BY id DESC LIMIT 5`,
      );
      throw new Error(
        `${what}: only ${archived} of ${uids.length} archived after ${TIMEOUT_S} s; ` +
          `pre-check errors ${op.errors()} (${op.firstError() ?? 'none'}); last job outcomes ${JSON.stringify(outcomes)}`,
      );
    }
    if (performance.now() - lastReport > 10_000) {
      out(
        `${what}: ${r[0]?.started} started, ${op.completed()} pre-checks completed, ${r[0]?.ticket} tickets, ` +
          `${archived} archived of ${uids.length} after ${elapsed.toFixed(0)} s`,
      );
      lastReport = performance.now();
    }
    await sleep(100);
  }
}

interface HistoricActivity {
  processInstanceId: string;
  activityId: string;
  startTime: string;
  endTime: string | null;
}

const engineMs = (s: string | null | undefined) => {
  const iso = isoFromEngine(s);
  return iso ? Date.parse(iso) : NaN;
};

/** Every instance of an activity of the intake since `since`, paged, by process instance. */
async function activities(app: RunningApp, activityId: string, since: Date): Promise<Map<string, HistoricActivity>> {
  const def = await app.engine.latestDefinition(INTAKE_PROCESS);
  const found = new Map<string, HistoricActivity>();
  for (let first = 0; ; first += 500) {
    const page = await app.engine.request<HistoricActivity[]>('GET', '/history/activity-instance', {
      query: {
        processDefinitionId: def?.id,
        activityId,
        startedAfter: since.toISOString().replace('Z', '+0000'),
        sortBy: 'startTime',
        sortOrder: 'asc',
        firstResult: first,
        maxResults: 500,
      },
    });
    for (const a of page) found.set(a.processInstanceId, a);
    if (page.length < 500) return found;
  }
}

interface MailTimes {
  uid: number;
  arrival: number;
  recorded: number;
  task: number;
  completed: number;
  ticket: number;
  archived: number;
}

/** The moments of each mail's way, from the database and the engine's history. */
async function timesOf(app: RunningApp, arrivals: Map<number, number>, since: Date): Promise<MailTimes[]> {
  const rows: { uid: string; process_instance_id: string | null; received_at: Date; status: string }[] =
    await app.db.query(
      `SELECT uid, process_instance_id, received_at, status FROM mail_messages
        WHERE mailbox = $1 AND uid = ANY($2::bigint[])`,
      [MAILBOX, [...arrivals.keys()]],
    );
  const [precheck, ticket, archive] = await Promise.all(
    ['precheck', 'open-ticket', 'archive-mail'].map((a) => activities(app, a, since)),
  );
  const times: MailTimes[] = [];
  for (const r of rows) {
    const pi = r.process_instance_id ?? '';
    const p = precheck?.get(pi);
    times.push({
      uid: Number(r.uid),
      arrival: arrivals.get(Number(r.uid)) ?? NaN,
      recorded: r.received_at.getTime(),
      task: engineMs(p?.startTime),
      completed: engineMs(p?.endTime),
      ticket: engineMs(ticket?.get(pi)?.endTime),
      archived: engineMs(archive?.get(pi)?.endTime),
    });
  }
  return times.sort((a, b) => a.uid - b.uid);
}

type Stage = [label: string, from: keyof MailTimes, to: keyof MailTimes];
const STAGES: Stage[] = [
  ['arrival → recorded (mailbox poll, read, parse, blobs stored)', 'arrival', 'recorded'],
  ['recorded → pre-check task (idempotency lookup, process start)', 'recorded', 'task'],
  ['pre-check task → completed by the script', 'task', 'completed'],
  ['completed → ticket (open-ticket: ticket with both files, ticket_id set)', 'completed', 'ticket'],
  ['ticket → archived (acknowledgement, archive-mail)', 'ticket', 'archived'],
  ['arrival → pre-check task', 'arrival', 'task'],
  ['arrival → ticket', 'arrival', 'ticket'],
];

const span = (ts: MailTimes[], from: keyof MailTimes, to: keyof MailTimes) =>
  ts.map((t) => t[to] - t[from]).filter((v) => Number.isFinite(v));

function stageLine(ts: MailTimes[], [label, from, to]: Stage): string {
  const q = quantiles(span(ts, from, to));
  return `${label}: p50 ${ms(q.p50)} / p95 ${ms(q.p95)} / max ${ms(q.max)} ms`;
}

// ---------------------------------------------------------------------------------------------
// 1. Burst
// ---------------------------------------------------------------------------------------------

interface BurstFigure {
  n: number;
  buildSeconds: number;
  deliverSeconds: number;
  intakeSeconds: number;
  ticketSeconds: number;
  archivedSeconds: number;
  times: MailTimes[];
  rawMb: number;
  complete: number;
}

async function burst(app: RunningApp, op: Operator): Promise<BurstFigure> {
  const tBuild = performance.now();
  const mails = await buildMails('burst', MAILS);
  const rawBytes = mails.reduce((n, m) => n + m.length, 0);
  const buildSeconds = (performance.now() - tBuild) / 1000;
  out(
    `burst: ${MAILS} mails built in ${buildSeconds.toFixed(1)} s (two attachments of ${MIN_KB}–${MAX_KB} KB each, ` +
      `${mib(rawBytes / Math.max(1, MAILS))} MiB raw on average, ${mib(rawBytes)} MiB in all)`,
  );
  const since = new Date(Date.now() - 1000);
  const t0 = Date.now();
  const arrivals = await deliver(app, mails);
  const deliverSeconds = (Date.now() - t0) / 1000;
  out(
    `burst: delivered in ${deliverSeconds.toFixed(1)} s (${(MAILS / deliverSeconds).toFixed(0)} mails/s into the mailbox)`,
  );
  await waitArchived(app, [...arrivals.keys()], 'burst', op);
  const times = await timesOf(app, arrivals, since);
  const last = (k: keyof MailTimes) => (Math.max(...times.map((t) => t[k])) - t0) / 1000;
  const complete = times.filter((t) => Number.isFinite(t.ticket)).length;
  return {
    n: MAILS,
    buildSeconds,
    deliverSeconds,
    intakeSeconds: last('task'),
    ticketSeconds: last('ticket'),
    archivedSeconds: last('archived'),
    times,
    rawMb: rawBytes / 1_048_576 / Math.max(1, MAILS),
    complete,
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Paced: one mail in the system at a time
// ---------------------------------------------------------------------------------------------

async function paced(app: RunningApp, op: Operator): Promise<MailTimes[]> {
  const mails = await buildMails('paced', PACED);
  const since = new Date(Date.now() - 1000);
  const arrivals = new Map<number, number>();
  for (const raw of mails) {
    // A random phase against the mailbox's one-second poll.
    await sleep(Math.random() * 1000);
    const uid = await deliverLocally(app.db, MAILBOX, raw);
    arrivals.set(uid, Date.now());
    await waitArchived(app, [uid], 'paced', op);
  }
  return timesOf(app, arrivals, since);
}

// ---------------------------------------------------------------------------------------------
// 3. Memory with one large attachment
// ---------------------------------------------------------------------------------------------

interface Sample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

interface MemoryFigure {
  attachmentBytes: number;
  rawBytes: number;
  baseline: Sample;
  peak: Sample;
  peakAt: Record<keyof Sample, number>;
  hwmBytes: number | undefined;
  samples: number;
  longestGapMs: number;
  times: MailTimes | undefined;
}

const sample = (): Sample => {
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  };
};

/** The kernel's peak RSS of this process since the last reset (VmHWM), if readable. */
function highWaterMark(): number | undefined {
  const kb = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return kb ? Number(kb) * 1024 : undefined;
}
function resetHighWaterMark(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

async function bigMail(app: RunningApp, op: Operator): Promise<MemoryFigure> {
  const attachmentBytes = Math.round(BIG_MB * 1_048_576);
  // Built before the baseline: the citizen's copy is the benchmark's, not the app's.
  const raw = await citizenMail('big', [
    { filename: 'scansione.pdf', content: randomBytes(attachmentBytes), contentType: 'application/pdf' },
  ]);
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(300);
  }
  const base: Sample[] = [];
  for (let i = 0; i < 20; i++) {
    base.push(sample());
    await sleep(50);
  }
  const median = (k: keyof Sample) => quantiles(base.map((s) => s[k])).p50;
  const baseline: Sample = {
    rss: median('rss'),
    heapUsed: median('heapUsed'),
    heapTotal: median('heapTotal'),
    external: median('external'),
    arrayBuffers: median('arrayBuffers'),
  };
  const hwmReset = resetHighWaterMark();
  const peak = { ...baseline };
  const peakAt = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
  let samples = 0;
  let longestGapMs = 0;
  let last = performance.now();
  const t0 = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
    samples++;
    const s = sample();
    for (const k of Object.keys(s) as (keyof Sample)[]) {
      if (s[k] > peak[k]) {
        peak[k] = s[k];
        peakAt[k] = now - t0;
      }
    }
  }, 50);
  const since = new Date(Date.now() - 1000);
  let times: MailTimes | undefined;
  try {
    const uid = await deliverLocally(app.db, MAILBOX, raw);
    const arrivals = new Map([[uid, Date.now()]]);
    await waitArchived(app, [uid], 'large attachment', op);
    clearInterval(timer);
    times = (await timesOf(app, arrivals, since))[0];
  } finally {
    clearInterval(timer);
  }
  return {
    attachmentBytes,
    rawBytes: raw.length,
    baseline,
    peak,
    peakAt,
    hwmBytes: hwmReset ? highWaterMark() : undefined,
    samples,
    longestGapMs,
    times,
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  out(machineLine());
  const tmp = await bench.tempDir('cc-bench-helpdesk-');
  const [port, pgPort, enginePort] = (await freePorts(3)) as [number, number, number];
  const passThrough = Object.fromEntries(
    ['JAVA_HOME', 'ENGINE_HEAP_MB', 'WORKER_MAX_JOBS', 'MAIL_MAX_MESSAGE_MB', 'MAIL_MAX_ATTACHMENTS_MB']
      .filter((k) => process.env[k])
      .map((k) => [k, process.env[k]]),
  );
  const config = loadConfig({
    ...passThrough,
    DATA_DIR: tmp,
    PORT: String(port),
    EMBEDDED_PG_PORT: String(pgPort),
    ENGINE_PORT: String(enginePort),
    // deliverLocally is what the listener does; no SMTP port needed.
    LOCAL_SMTP_PORT: '0',
    LOG_LEVEL: 'silent',
  });
  const java = await findJava(config.JAVA_HOME);
  const tApp = performance.now();
  const app = await startApp(config);
  cleanup.push({ what: 'app (API, workers, mailbox watchers, engine, PostgreSQL)', run: () => app.stop() });
  const version: { v: string }[] = await app.db.query(`SELECT current_setting('server_version') AS v`);
  const engineVersion = await app.engine.request<{ version: string }>('GET', '/version');
  out(
    `app started on the embedded default in ${((performance.now() - tApp) / 1000).toFixed(1)} s: Node.js ` +
      `${process.version}, PostgreSQL ${version[0]?.v}, Operaton ${engineVersion.version} on Java ${java.version} ` +
      `(heap ${config.ENGINE_HEAP_MB} MiB), ${config.WORKER_MAX_JOBS} jobs per worker poll`,
  );
  out(
    `the pre-check (a human user task) is completed by this script as soon as it is listed, ` +
      `${COMPLETE_VIA === 'inbox' ? "through the app's tasklist (claim, then complete with the form checked)" : 'by one engine REST call (POST /task/{id}/complete)'}, ` +
      `outcome ticket, queue «${QUEUE}», ${OPERATORS} completions at once`,
  );

  const op = startOperator(app);
  cleanup.push({ what: 'pre-check bot', run: () => op.stop() });

  if (WARMUP > 0) {
    const arrivals = await deliver(app, await buildMails('warmup', WARMUP));
    await waitArchived(app, [...arrivals.keys()], 'warm-up', op);
    out(`warm-up: ${WARMUP} mails through to their ticket (not timed)`);
  }

  const mem = BIG_MB > 0 ? await bigMail(app, op) : undefined;
  if (mem) {
    const d = (k: keyof Sample) => mem.peak[k] - mem.baseline[k];
    out(
      `large attachment: ${mib(mem.attachmentBytes)} MiB attachment, ${mib(mem.rawBytes)} MiB raw message (base64); ` +
        `arrival → pre-check ${ms((mem.times?.task ?? NaN) - (mem.times?.arrival ?? NaN))} ms, ` +
        `arrival → ticket ${ms((mem.times?.ticket ?? NaN) - (mem.times?.arrival ?? NaN))} ms`,
    );
    if (mem.times)
      for (const s of STAGES.slice(0, 5))
        out(`large attachment: ${stageLine([mem.times], s).replace(/: p50 ([\d.]+) .*/, ': $1 ms')}`);
    for (const k of ['rss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers'] as const) {
      out(
        `large attachment: ${k.padEnd(12)} baseline ${mib(mem.baseline[k]).padStart(7)} MiB, peak ` +
          `${mib(mem.peak[k]).padStart(7)} MiB (+${mib(d(k))} MiB = ${(d(k) / mem.attachmentBytes).toFixed(1)}× the attachment) ` +
          `at ${(mem.peakAt[k] / 1000).toFixed(1)} s`,
      );
    }
    out(
      `large attachment: kernel peak RSS (VmHWM, reset before the arrival) ` +
        `${mem.hwmBytes === undefined ? 'not readable' : `${mib(mem.hwmBytes)} MiB (+${mib(mem.hwmBytes - mem.baseline.rss)} MiB)`}; ` +
        `${mem.samples} samples, longest gap between two ${ms(mem.longestGapMs)} ms (the event loop was busy)`,
    );
  }

  const pace = PACED > 0 ? await paced(app, op) : [];
  if (pace.length > 0) {
    out(`paced: ${pace.length} mails, one at a time, random phase against the 1 s mailbox poll`);
    for (const s of STAGES) out(`paced: ${stageLine(pace, s)}`);
  }

  const b = MAILS > 0 ? await burst(app, op) : undefined;
  if (b) {
    out(
      `burst: ${b.n} mails, ${b.complete} with a ticket; intake (first arrival → last pre-check task) ` +
        `${b.intakeSeconds.toFixed(1)} s = ${(b.n / b.intakeSeconds).toFixed(1)} mails/s; ` +
        `to the last ticket ${b.ticketSeconds.toFixed(1)} s = ${(b.n / b.ticketSeconds).toFixed(1)} mails/s; ` +
        `to the last archive ${b.archivedSeconds.toFixed(1)} s`,
    );
    for (const s of STAGES) out(`burst: ${stageLine(b.times, s)}`);
    // Does the intake slow down as the engine's history grows?
    const tenth = Math.max(1, Math.floor(b.times.length / 10));
    const p50 = (ts: MailTimes[], from: keyof MailTimes, to: keyof MailTimes) => ms(quantiles(span(ts, from, to)).p50);
    out(
      `burst: recorded → pre-check task, first ${tenth} mails p50 ${p50(b.times.slice(0, tenth), 'recorded', 'task')} ms, ` +
        `last ${tenth} p50 ${p50(b.times.slice(-tenth), 'recorded', 'task')} ms; arrival → recorded, first ` +
        `${p50(b.times.slice(0, tenth), 'arrival', 'recorded')} ms, last ${p50(b.times.slice(-tenth), 'arrival', 'recorded')} ms`,
    );
  }
  const incidents = await app.engine.incidents({ processDefinitionKey: INTAKE_PROCESS });
  const quarantined: { n: string }[] = await app.db.query(
    `SELECT count(*) AS n FROM mail_messages WHERE status = 'quarantined'`,
  );
  out(
    `checks: ${op.completed()} pre-checks completed by the script, ${op.errors()} errors` +
      `${op.firstError() ? ` (first: ${op.firstError()})` : ''}; ${incidents.length} incidents; ` +
      `${quarantined[0]?.n} mails quarantined`,
  );
  out(`load average at end ${loadAverage()}`);

  const table: [string, string][] = [];
  const q = (ts: MailTimes[], from: keyof MailTimes, to: keyof MailTimes) => {
    const v = quantiles(span(ts, from, to));
    return `${ms(v.p50)} / ${ms(v.p95)} ms`;
  };
  if (b) {
    table.push(
      [
        `burst of ${b.n} mails (2 attachments of ${MIN_KB}–${MAX_KB} KB, ${b.rawMb.toFixed(2)} MiB raw each): arrival → ticket`,
        `${(b.n / b.ticketSeconds).toFixed(1)} mails/s (${b.ticketSeconds.toFixed(1)} s)`,
      ],
      [
        'same burst, intake only: arrival → pre-check task',
        `${(b.n / b.intakeSeconds).toFixed(1)} mails/s (${b.intakeSeconds.toFixed(1)} s)`,
      ],
      ['same burst, delivery into the local mailbox', `${(b.n / b.deliverSeconds).toFixed(0)} mails/s`],
      ['burst: arrival → pre-check task, p50 / p95 (queueing included)', q(b.times, 'arrival', 'task')],
      ['burst: arrival → ticket, p50 / p95', q(b.times, 'arrival', 'ticket')],
    );
  }
  if (pace.length > 0) {
    table.push(
      [`paced (${pace.length} mails, one at a time): arrival → pre-check task, p50 / p95`, q(pace, 'arrival', 'task')],
      ['paced: of which arrival → recorded (mailbox poll, read, parse, store)', q(pace, 'arrival', 'recorded')],
      ['paced: of which recorded → pre-check task (process start)', q(pace, 'recorded', 'task')],
      ['paced: pre-check completed → ticket', q(pace, 'completed', 'ticket')],
    );
  }
  if (mem) {
    const d = (k: keyof Sample) => `+${mib(mem.peak[k] - mem.baseline[k])}`;
    table.push(
      [
        `one mail with a ${mib(mem.attachmentBytes)} MiB attachment: app RSS baseline / peak (delta)`,
        `${mib(mem.baseline.rss)} / ${mib(mem.peak.rss)} MiB (${d('rss')} MiB, ${((mem.peak.rss - mem.baseline.rss) / mem.attachmentBytes).toFixed(1)}×)`,
      ],
      ['same: heap used / external (Buffers) peak delta', `${d('heapUsed')} / ${d('external')} MiB`],
      [
        'same: kernel peak RSS (VmHWM)',
        mem.hwmBytes === undefined ? 'n/a' : `${mib(mem.hwmBytes)} MiB (+${mib(mem.hwmBytes - mem.baseline.rss)} MiB)`,
      ],
    );
  }
  out('\n| measure | value |\n|---|---|');
  for (const [k, v] of table) out(`| ${k} | ${v} |`);
}

bench.main(main);
