/**
 * CUP benchmark: earliest-slot search over a region of AGENDAS agendas × DAYS days of slots,
 * bookings per second under OPERATORS concurrent operators, and reminder SMS per second into
 * the Twilio stand-in for REMINDERS bookings of one day, through the real reminder process.
 *
 *   npm run bench:cup        # defaults: 200 agendas × 365 days, 300 queries per kind,
 *                            # 8 operators for 20 s, 10,000 reminders
 *   AGENDAS=400 DAYS=365 QUERIES=500 OPERATORS=16 BOOKING_SECONDS=30 REMINDERS=20000 npm run bench:cup
 *   LOST_ANSWERS=20 npm run bench:cup   # the stand-in takes 20 reminders and cuts their answers
 *
 * One embedded PostgreSQL in a temporary folder (real migrations and indexes) holds the
 * region for all three measures; the reminder run uses the real app started in-process on
 * that database with its own engine. Prints each figure as measured, then a markdown table;
 * docs/benchmarks.md records the figures.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { startApp, type RunningApp } from '../app.js';
import { SlotUnavailableError, type SlotQuery } from '../adapters/cup/cup.js';
import { generateSlots, seedDemoRegion } from '../adapters/cup/demo-region.js';
import { LocalCup } from '../adapters/cup/local-cup.js';
import { TwilioSms } from '../adapters/sms/twilio-sms.js';
import { dayInRome, nextDay, startOfDayInRome } from '../domain/time.js';
import { loadConfig } from '../platform/config.js';
import { startTwilioStandIn } from '../stand-ins/twilio/server.js';
import { freePorts } from '../test/support/ports.js';
import { sessionClient } from '../test/support/session-client.js';
import { BENCH_PASSWORD, quantiles, benchmarkRun, machineLine, loadAverage } from './platform.js';

const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number`);
  return v;
};
const AGENDAS = num('AGENDAS', 200);
const DAYS = num('DAYS', 365);
const QUERIES = num('QUERIES', 300);
const OPERATORS = num('OPERATORS', 8);
const BOOKING_SECONDS = num('BOOKING_SECONDS', 20);
/** When set, the booking run stops after this many bookings instead of after BOOKING_SECONDS. */
const BOOKINGS = num('BOOKINGS', 0);
const REMINDERS = num('REMINDERS', 10_000);
const REMINDER_TIMEOUT_S = num('REMINDER_TIMEOUT_S', 240);
/** Reminders whose answer the stand-in cuts after taking them: sends left in doubt, to be settled. */
const LOST_ANSWERS = num('LOST_ANSWERS', 0);

const out = (s: string) => process.stdout.write(`${s}\n`);
const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(1));
const pick = <T>(xs: readonly T[]): T => {
  const x = xs[Math.floor(Math.random() * xs.length)];
  if (x === undefined) throw new Error('empty list');
  return x;
};

/** Teardown steps, run in reverse order once, on success, on error and on Ctrl-C. */
const bench = benchmarkRun(out);
const cleanup = bench.steps;

/** A DataSource stand-in that records the SQL LocalCup sends, to EXPLAIN exactly that. */
function capturingDb(db: DataSource): { db: DataSource; last: () => { sql: string; params: unknown[] } } {
  let last = { sql: '', params: [] as unknown[] };
  const proxy = {
    query: (sql: string, params: unknown[] = []) => {
      last = { sql, params };
      return db.query(sql, params);
    },
  };
  return { db: proxy as unknown as DataSource, last: () => last };
}

// ---------------------------------------------------------------------------------------------
// 1. The region: structures, services and offers of the demo, AGENDAS agendas, DAYS of slots
// ---------------------------------------------------------------------------------------------

interface Region {
  slots: number;
  free: number;
  agendas: number;
  offers: { serviceCode: string; structureId: string }[];
  services: string[];
  scheduleIds: string[];
  seconds: number;
}

async function buildRegion(db: DataSource): Promise<Region> {
  const t0 = performance.now();
  // The demo's structures, services, one agenda per (structure, service) it offers, patients.
  await seedDemoRegion(db, 0);
  const base: { id: string; structure_id: string; service_code: string; name: string; monitored: boolean }[] =
    await db.query('SELECT id, structure_id, service_code, name, monitored FROM cup_schedules ORDER BY id');
  // More agendas (other surgeries, other doctors) for the same offers, round robin.
  for (let i = base.length; i < AGENDAS; i++) {
    const b = base[i % base.length];
    if (!b) break;
    const k = Math.floor(i / base.length) + 1;
    await db.query(
      'INSERT INTO cup_schedules (id, structure_id, service_code, name, monitored) VALUES ($1, $2, $3, $4, $5)',
      [`${b.id}:${k}`, b.structure_id, b.service_code, `${b.name} (ambulatorio ${k})`, b.monitored],
    );
  }
  await generateSlots(db, DAYS);
  // The generator leaves everything after two weeks free; a real CUP has a waiting list that
  // thins out over the months: busy 60% up to day 60, 30% up to day 120, then 10%.
  await db.query(
    `UPDATE cup_slots SET status = 'busy'
      WHERE status = 'free'
        AND abs(hashtext(id::text)) % 100 < CASE WHEN starts_at < now() + interval '60 days' THEN 60
                                                WHEN starts_at < now() + interval '120 days' THEN 30
                                                ELSE 10 END`,
  );
  await db.query('VACUUM ANALYZE cup_slots');
  await db.query('ANALYZE cup_schedules');
  const counts: { slots: string; free: string; agendas: string }[] = await db.query(
    `SELECT (SELECT count(*) FROM cup_slots) AS slots,
            (SELECT count(*) FROM cup_slots WHERE status = 'free') AS free,
            (SELECT count(*) FROM cup_schedules WHERE active) AS agendas`,
  );
  const offers: { service_code: string; structure_id: string }[] = await db.query(
    'SELECT DISTINCT service_code, structure_id FROM cup_schedules WHERE active ORDER BY 1, 2',
  );
  const schedules: { id: string }[] = await db.query('SELECT id FROM cup_schedules WHERE active ORDER BY id');
  return {
    slots: Number(counts[0]?.slots),
    free: Number(counts[0]?.free),
    agendas: Number(counts[0]?.agendas),
    offers: offers.map((o) => ({ serviceCode: o.service_code, structureId: o.structure_id })),
    services: [...new Set(offers.map((o) => o.service_code))],
    scheduleIds: schedules.map((s) => s.id),
    seconds: (performance.now() - t0) / 1000,
  };
}

interface SearchFigure {
  kind: string;
  p50: number;
  p95: number;
  max: number;
  n: number;
  plan: string[];
  planMs: number;
}

async function slotSearch(db: DataSource, region: Region): Promise<SearchFigure[]> {
  const cup = new LocalCup(db);
  const horizonMs = DAYS * 86_400_000;
  const kinds: { kind: string; query: () => SlotQuery }[] = [
    { kind: 'region-wide, by service', query: () => ({ serviceCode: pick(region.services), limit: 5 }) },
    {
      kind: 'one structure',
      query: () => {
        const o = pick(region.offers);
        return { serviceCode: o.serviceCode, structureId: o.structureId, limit: 5 };
      },
    },
    {
      kind: 'after a date (region-wide)',
      query: () => ({
        serviceCode: pick(region.services),
        after: new Date(Date.now() + Math.random() * horizonMs),
        limit: 5,
      }),
    },
  ];
  // Warm the caches and the connection pool.
  for (let i = 0; i < 30; i++) await cup.findEarliestSlots(pick(kinds).query());

  const figures: SearchFigure[] = [];
  for (const k of kinds) {
    const samples: number[] = [];
    let slowest: { t: number; q: SlotQuery } = { t: -1, q: k.query() };
    for (let i = 0; i < QUERIES; i++) {
      const q = k.query();
      const t0 = performance.now();
      await cup.findEarliestSlots(q);
      const t = performance.now() - t0;
      samples.push(t);
      if (t > slowest.t) slowest = { t, q };
    }
    // The plan of the slowest query of the kind, with the SQL LocalCup really sends.
    const spy = capturingDb(db);
    await new LocalCup(spy.db).findEarliestSlots(slowest.q);
    const { sql, params } = spy.last();
    const planRows: { 'QUERY PLAN': string }[] = await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
    const plan = planRows.map((r) => r['QUERY PLAN']);
    const planMs = Number(/Execution Time: ([\d.]+)/.exec(plan.join('\n'))?.[1] ?? NaN);
    const f = { kind: k.kind, ...quantiles(samples), n: samples.length, plan, planMs };
    figures.push(f);
    out(
      `slot search, ${k.kind}: p50 ${ms(f.p50)} ms, p95 ${ms(f.p95)} ms, max ${ms(f.max)} ms over ${f.n} queries` +
        ` (slowest: ${JSON.stringify({ ...slowest.q, after: slowest.q.after?.toISOString() })}, re-run under EXPLAIN ANALYZE: ${ms(planMs)} ms)`,
    );
    for (const line of plan) out(`    ${line}`);
  }
  return figures;
}

// ---------------------------------------------------------------------------------------------
// 2. Concurrent operators: find the earliest slots, book one, on collision the next offer
// ---------------------------------------------------------------------------------------------

interface BookingFigure {
  booked: number;
  collisions: number;
  requeries: number;
  errors: number;
  firstError: string | undefined;
  seconds: number;
  latency: { p50: number; p95: number; max: number };
  doubleBooked: number;
  bookedNotBusy: number;
  inDatabase: number;
}

async function concurrentBookings(db: DataSource, region: Region): Promise<BookingFigure> {
  const cup = new LocalCup(db);
  await db.query(
    `INSERT INTO cup_patients (id, fiscal_code, given_name, family_name, birth_date, mobile)
     SELECT 'bench-op-pat-' || n, upper(substr(md5('bench-op-pat-' || n), 1, 16)), 'Prova', 'Operatore',
            date '1970-01-01', '+39341' || lpad(n::text, 7, '0')
       FROM generate_series(1, 500) AS n`,
  );
  const fig: BookingFigure = {
    booked: 0,
    collisions: 0,
    requeries: 0,
    errors: 0,
    firstError: undefined,
    seconds: 0,
    latency: { p50: 0, p95: 0, max: 0 },
    doubleBooked: 0,
    bookedNotBusy: 0,
    inDatabase: 0,
  };
  const latencies: number[] = [];
  const t0 = performance.now();
  const deadline = t0 + BOOKING_SECONDS * 1000;
  const more = () => (BOOKINGS > 0 ? fig.booked < BOOKINGS : performance.now() < deadline);
  let seq = 0;

  const operator = async (op: number) => {
    while (more()) {
      const started = performance.now();
      const serviceCode = pick(region.services);
      let done = false;
      while (!done && more()) {
        const offers = await cup.findEarliestSlots({ serviceCode, limit: 5 });
        if (offers.length === 0) break;
        for (const offer of offers) {
          try {
            await cup.book({
              slotId: offer.slotId,
              serviceCode,
              patientId: `bench-op-pat-${1 + (seq % 500)}`,
              requestKey: `bench-op-${op}-${seq++}`,
            });
            fig.booked++;
            latencies.push(performance.now() - started);
            done = true;
            break;
          } catch (err) {
            if (err instanceof SlotUnavailableError) {
              fig.collisions++;
              continue;
            }
            fig.errors++;
            fig.firstError ??= (err as Error).message;
            done = true;
            break;
          }
        }
        if (!done) fig.requeries++;
      }
    }
  };
  await Promise.all(Array.from({ length: OPERATORS }, (_, i) => operator(i)));
  fig.seconds = (performance.now() - t0) / 1000;
  fig.latency = quantiles(latencies);

  const checks: { double: string; not_busy: string; booked: string }[] = await db.query(
    `SELECT (SELECT count(*) FROM (SELECT slot_id FROM cup_appointments WHERE status = 'booked'
                                     GROUP BY slot_id HAVING count(*) > 1) d) AS double,
            (SELECT count(*) FROM cup_appointments a JOIN cup_slots s ON s.id = a.slot_id
              WHERE a.status = 'booked' AND s.status <> 'busy') AS not_busy,
            (SELECT count(*) FROM cup_appointments WHERE request_key LIKE 'bench-op-%' AND status = 'booked') AS booked`,
  );
  fig.doubleBooked = Number(checks[0]?.double);
  fig.bookedNotBusy = Number(checks[0]?.not_busy);
  fig.inDatabase = Number(checks[0]?.booked);
  return fig;
}

// ---------------------------------------------------------------------------------------------
// 3. Reminders: REMINDERS bookings of one day, the real reminder run into the Twilio stand-in
// ---------------------------------------------------------------------------------------------

interface ReminderFigure {
  appStartSeconds: number;
  seconds: number;
  firstSmsSeconds: number;
  steadyRate: number;
  rows: number;
  requests: number;
  duplicates: number;
  missing: number;
  reconciled: number;
  inDoubt: number;
}

async function reminders(
  db: DataSource,
  databaseUrl: string,
  region: Region,
  dataDir: string,
): Promise<ReminderFigure> {
  // A day past the slot horizon, so that only these bookings fall on it.
  const day = dayInRome(new Date(Date.now() + (DAYS + 30) * 86_400_000));
  const dayStart = startOfDayInRome(day);
  const t0 = performance.now();
  await db.query(
    `INSERT INTO cup_patients (id, fiscal_code, given_name, family_name, birth_date, mobile)
     SELECT 'bench-rem-pat-' || n, upper(substr(md5('bench-rem-pat-' || n), 1, 16)), 'Prova', 'Promemoria',
            date '1970-01-01', '+39340' || lpad(n::text, 7, '0')
       FROM generate_series(1, $1::int) AS n`,
    [REMINDERS],
  );
  // Spread over the region's agendas from 07:00, one a minute per agenda.
  await db.query(
    `INSERT INTO cup_slots (schedule_id, starts_at, ends_at, status)
     SELECT ($3::text[])[1 + n % array_length($3::text[], 1)],
            $1::timestamptz + interval '7 hours' + (n / array_length($3::text[], 1)) * interval '1 minute',
            $1::timestamptz + interval '7 hours' + (n / array_length($3::text[], 1) + 1) * interval '1 minute',
            'busy'
       FROM generate_series(0, $2::int - 1) AS n`,
    [dayStart, REMINDERS, region.scheduleIds],
  );
  await db.query(
    `INSERT INTO cup_appointments (id, booking_code, slot_id, patient_id, service_code, request_key)
     SELECT 'bench-rem-' || s.n, 'BENCH-' || s.n, s.id, 'bench-rem-pat-' || s.n, s.service_code, 'bench-rem-' || s.n
       FROM (SELECT sl.id, sc.service_code, row_number() OVER (ORDER BY sl.starts_at, sl.id) AS n
               FROM cup_slots sl JOIN cup_schedules sc ON sc.id = sl.schedule_id
              WHERE sl.starts_at >= $1 AND sl.starts_at < $1::timestamptz + interval '1 day') s`,
    [dayStart],
  );
  await db.query('ANALYZE cup_slots');
  await db.query('ANALYZE cup_appointments');
  await db.query('ANALYZE cup_patients');
  out(`reminders: ${REMINDERS} bookings on ${day} inserted in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const standIn = await startTwilioStandIn();
  cleanup.push({ what: 'Twilio stand-in', run: () => standIn.close() });
  const [port, enginePort] = (await freePorts(2)) as [number, number];
  const passThrough = Object.fromEntries(
    ['JAVA_HOME', 'ENGINE_HEAP_MB', 'WORKER_MAX_JOBS'].filter((k) => process.env[k]).map((k) => [k, process.env[k]]),
  );
  const config = loadConfig({
    ...passThrough,
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    PORT: String(port),
    ENGINE_PORT: String(enginePort),
    LOG_LEVEL: 'silent',
  });
  const tApp = performance.now();
  const sms = new TwilioSms({
    accountSid: standIn.accountSid,
    authToken: standIn.authToken,
    from: '+390971000000',
    apiBaseUrl: standIn.url,
  });
  const running: RunningApp = await startApp(config, { sms });
  // Stopped before the stand-in (registered earlier, so popped later).
  cleanup.push({ what: 'app (API, workers, engine)', run: () => running.stop() });
  const appStartSeconds = (performance.now() - tApp) / 1000;
  out(`reminders: app started (own engine, database server shared) in ${appStartSeconds.toFixed(1)} s`);

  const before = standIn.requests;
  if (LOST_ANSWERS > 0) standIn.loseNextAnswer(LOST_ANSWERS);
  const tRun = performance.now();
  await running.users
    // A benchmark account needs no one-time password: that would block its session.
    .create({
      username: 'bench.backoffice',
      displayName: 'Bench',
      roles: ['back-office-1'],
      password: BENCH_PASSWORD,
      mustChangePassword: false,
    })
    .catch(() => undefined);
  const api = sessionClient(running.url ?? '');
  await api.signIn('bench.backoffice', BENCH_PASSWORD);
  const res = await api.post<{ processInstanceKey: string }>('/api/cup/reminder-runs', { reminderDate: day });
  if (res.status !== 201) throw new Error(`POST /api/cup/reminder-runs: ${res.status} ${JSON.stringify(res.body)}`);
  const run = res.body;

  let firstSmsSeconds = NaN;
  let rows = 0;
  let lastReport = performance.now();
  for (;;) {
    if (Number.isNaN(firstSmsSeconds) && standIn.requests > before) firstSmsSeconds = (performance.now() - tRun) / 1000;
    // A row counts once the provider has answered (status no longer `submitting`).
    const r: { n: string }[] = await db.query(
      `SELECT count(*) AS n FROM sms_messages
        WHERE purpose = 'cup-reminder' AND reference LIKE 'bench-rem-%' AND status <> 'submitting'`,
    );
    rows = Number(r[0]?.n);
    if (rows >= REMINDERS) break;
    if (performance.now() - tRun > REMINDER_TIMEOUT_S * 1000) {
      const outcomes: unknown[] = await db.query(
        `SELECT task_type, outcome, message FROM job_outcomes WHERE process_instance_key = $1 ORDER BY id DESC LIMIT 5`,
        [run.processInstanceKey],
      );
      throw new Error(
        `only ${rows} of ${REMINDERS} reminders after ${REMINDER_TIMEOUT_S} s; last job outcomes: ${JSON.stringify(outcomes)}`,
      );
    }
    if (performance.now() - lastReport > 5000) {
      out(`reminders: ${rows} / ${REMINDERS} after ${((performance.now() - tRun) / 1000).toFixed(0)} s`);
      lastReport = performance.now();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const seconds = (performance.now() - tRun) / 1000;

  // The CUP extract each batch reads, with the SQL LocalCup really sends.
  const spy = capturingDb(db);
  await new LocalCup(spy.db).upcoming({ from: dayStart, to: startOfDayInRome(nextDay(day)), limit: 500 });
  const { sql, params } = spy.last();
  const extractPlan: { 'QUERY PLAN': string }[] = await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
  const extractMs = Number(/Execution Time: ([\d.]+)/.exec(extractPlan.map((r) => r['QUERY PLAN']).join('\n'))?.[1]);
  out(`reminders: one batch of the CUP extract (500 entries) under EXPLAIN ANALYZE: ${ms(extractMs)} ms`);
  for (const r of extractPlan) out(`    ${r['QUERY PLAN']}`);

  const perCode = new Map<string, number>();
  const times: number[] = [];
  for (const m of standIn.messages) {
    const code = /prenotazione (BENCH-\d+) /.exec(m.body)?.[1];
    if (!code) continue;
    perCode.set(code, (perCode.get(code) ?? 0) + 1);
    times.push(m.dateCreated.getTime());
  }
  const duplicates = [...perCode.values()].filter((n) => n > 1).length;
  const missing = REMINDERS - perCode.size;
  // Sends cut before their answer was recorded: settled against the stand-in's list, or still in doubt.
  const settled: { reconciled: string; in_doubt: string }[] = await db.query(
    `SELECT count(*) FILTER (WHERE reconciled_at IS NOT NULL) AS reconciled,
            count(*) FILTER (WHERE status = 'submitting') AS in_doubt
       FROM sms_messages WHERE purpose = 'cup-reminder' AND reference LIKE 'bench-rem-%'`,
  );
  times.sort((a, b) => a - b);
  const span = ((times.at(-1) ?? 0) - (times[0] ?? 0)) / 1000;
  const steadyRate = span > 0 ? (times.length - 1) / span : NaN;
  return {
    appStartSeconds,
    seconds,
    firstSmsSeconds,
    steadyRate,
    rows,
    requests: standIn.requests - before,
    duplicates,
    missing,
    reconciled: Number(settled[0]?.reconciled),
    inDoubt: Number(settled[0]?.in_doubt),
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  out(machineLine());
  const tmp = await bench.tempDir('cc-bench-cup-');
  const { db, url: pgUrl, version, startMs } = await bench.database(tmp, 'cup_bench', 30);
  out(`PostgreSQL ${version} (embedded, fresh, migrations applied) in ${(startMs / 1000).toFixed(1)} s`);

  const region = await buildRegion(db);
  out(
    `region: ${region.agendas} agendas over ${new Set(region.offers.map((o) => o.structureId)).size} structures and ` +
      `${region.services.length} services, ${DAYS} days: ${region.slots.toLocaleString('en')} slots ` +
      `(${region.free.toLocaleString('en')} free) generated in ${region.seconds.toFixed(1)} s`,
  );

  const search = await slotSearch(db, region);

  const booking = await concurrentBookings(db, region);
  const rate = booking.booked / booking.seconds;
  out(
    `bookings: ${booking.booked} in ${booking.seconds.toFixed(1)} s = ${rate.toFixed(1)}/s with ${OPERATORS} operators; ` +
      `${booking.collisions} collisions (${booking.requeries} re-searches), ${booking.errors} other errors` +
      `${booking.firstError ? ` (first: ${booking.firstError})` : ''}; find+book p50 ${ms(booking.latency.p50)} ms, ` +
      `p95 ${ms(booking.latency.p95)} ms`,
  );
  out(
    `bookings check: ${booking.doubleBooked} slots with two booked appointments, ${booking.bookedNotBusy} booked ` +
      `appointments on a slot not busy, ${booking.inDatabase} bench bookings in the database`,
  );

  const appDir = path.join(tmp, 'app');
  await mkdir(appDir);
  const rem = REMINDERS > 0 ? await reminders(db, pgUrl, region, appDir) : undefined;
  if (rem) {
    out(
      `reminders: ${rem.rows} in ${rem.seconds.toFixed(1)} s = ${(rem.rows / rem.seconds).toFixed(0)} messages/s ` +
        `from POST to the last answer (first SMS after ${rem.firstSmsSeconds.toFixed(2)} s; ` +
        `first to last SMS ${rem.steadyRate.toFixed(0)}/s); stand-in requests ${rem.requests}, ` +
        `booking codes with more than one SMS ${rem.duplicates}, without one ${rem.missing}; ` +
        `lost answers ${LOST_ANSWERS}: settled from the provider's list ${rem.reconciled}, left in doubt ${rem.inDoubt}`,
    );
  }

  out(`load average at end ${loadAverage()}`);

  const table: [string, string][] = [
    [
      'region',
      `${region.agendas} agendas × ${DAYS} days: ${region.slots.toLocaleString('en')} slots, ${region.free.toLocaleString('en')} free`,
    ],
    ...search.map((f): [string, string] => [
      `earliest-slot search, ${f.kind} (${f.n} queries)`,
      `p50 ${ms(f.p50)} / p95 ${ms(f.p95)} / max ${ms(f.max)} ms`,
    ]),
    [
      `bookings, ${OPERATORS} concurrent operators (find + book, next offer on collision)`,
      `${rate.toFixed(1)} bookings/s (${booking.booked} in ${booking.seconds.toFixed(0)} s)`,
    ],
    ['collisions (slot taken by another operator) / re-searches', `${booking.collisions} / ${booking.requeries}`],
    ['slots holding two booked appointments (SQL check)', String(booking.doubleBooked)],
  ];
  if (rem) {
    table.push(
      [
        `reminder run, ${REMINDERS.toLocaleString('en')} bookings into the Twilio stand-in`,
        `${(rem.rows / rem.seconds).toFixed(0)} messages/s (${rem.seconds.toFixed(1)} s)`,
      ],
      ['booking codes with more than one reminder / without one', `${rem.duplicates} / ${rem.missing}`],
      [
        `sends whose answer was lost (${LOST_ANSWERS}): settled from Twilio's list / left in doubt`,
        `${rem.reconciled} / ${rem.inDoubt}`,
      ],
    );
  }
  out('\n| measure | value |\n|---|---|');
  for (const [k, v] of table) out(`| ${k} | ${v} |`);
}

bench.main(main);
