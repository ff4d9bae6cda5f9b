/**
 * KPI benchmark (issue 12): five years of contact records imported through the real import
 * path, then the monthly SLA report, a year's K1 distribution and the live wallboard under new
 * call events, on one embedded PostgreSQL in a temporary folder (real migrations).
 *
 *   npm run bench:kpi                               # defaults: 5 years, CUP ×1, CSB ×5 (≈ 4 M rows)
 *   npm run bench:kpi -- --years 1 --scale 0.2      # a quick run (≈ 160 k rows)
 *   npm run bench:kpi -- --rate 20 --seconds 30     # the live wallboard's load (default)
 *   npm run bench:kpi -- --plans /tmp/kpi-plans.txt # every EXPLAIN (ANALYZE, BUFFERS) in full
 *
 * Options: --years N (default 5), --scale X (both lines' seed volume, default 1), --csb X (the
 * Contact Center line's seed volume on top of --scale, default 5), --written X (e-mail/PEC
 * contacts of the CSB line per phone call, default 0.15), --rate N events/s and --seconds N
 * for the live wallboard (default 20 and 30), --import N rows of the separate import (default
 * 100000, 0 skips it), --seed N (the PRNG's seed, default 1), --presence calls|shifts (below),
 * --plans FILE.
 *
 * Records: the seed's curves (`SEED_TRAFFIC`: calls a year, monthly, weekday and hourly shares)
 * give each Rome hour of every service day (Monday–Saturday, not a holiday) its expected calls;
 * a seeded PRNG (mulberry32) rounds them and draws each call: 2 % busy, 12 % abandoned in the
 * queue (patience exponential, mean 30 s), the rest answered after an IVR of 4–12 s and a queue
 * wait exponential with mean 7 s (so some 12 % wait more than 20 s), talk log-normal (median
 * 2′ CUP, 4′ CSB), wrap-up 10–40 s, outcomes 86 % resolved, 7 % escalated-l2 (resolvedAt a
 * log-normal 2 h median later, 8 % of them closed at level 3, 3 % never), 7 % out-of-scope.
 * The CSB line also has 5 % outbound calls and, per phone call, 0.15 written contacts (70 %
 * e-mail, 30 % PEC, closed after an exponential 9 business hours). The data runs from 1 January
 * of the first year to the wallboard's "now", Tuesday 30 December 2025 10:00 in Rome.
 *
 * One CSV file per month (both lines), as the Regione's export would be: generated as text,
 * then `parseContactsCsv` and `importContacts` (the path of `npm run contacts:import`), each
 * timed. Calls go to one of the line's operators on shift (CUP 40, CSB 8; odd ones 8–14, even
 * ones 14–20, on Saturday 3 in 5). Also in the database: the operators' presence log (sign-in,
 * pause, sign-out of each shift; with --presence calls also the three changes of every answered
 * call, in conversation, wrap-up, available, as the log held them before migration 32),
 * the IVR probe every minute, a maintenance window a month, the service values of every month.
 *
 * All migrations run first. Measures: EXPLAIN (ANALYZE, BUFFERS) of exactly the SQL the
 * report, the distribution and the wallboard send (a recording DataSource); the monthly report
 * of each of the last 12 complete months per line; the distribution of those 12 months by
 * month and by hour per line; the wallboard computed alone; then the live wallboard:
 * `KpiEventStream` as the API runs it (its own LISTEN connection, the 40 ms gathering) serves
 * two screens (CUP and CSB) over HTTP from a bare express route (no session middleware), read
 * by an HTTP client in this process, while an open loop writes RATE call events a second
 * through `CallRecords.record` (the voice channel's write path: a transaction per event, its
 * `call_events` insert notifies `kpi_changed`) for simulated CUP calls. Event to screen is from
 * an event's commit (the COMMIT answered) to the arrival of the first CUP wallboard computed
 * after it (the board's `at`, taken before its first query, later than the commit). Last, in
 * the final phase, one file of --import rows (a year before the data) is imported, imported
 * again (nothing changes) and removed.
 * Prints each figure as measured, then a markdown table; docs/benchmarks.md records them.
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import express from 'express';
import type { DataSource } from 'typeorm';
import { KpiEventStream } from '../api/kpi-events.js';
import { addBusinessHours, isHoliday, openDaysOfMonth } from '../domain/business-calendar.js';
import { importContacts, parseContactsCsv } from '../domain/kpi/contact-import.js';
import { Kpis } from '../domain/kpi/kpis.js';
import { MONTH_KEYS, SEED_TRAFFIC } from '../domain/kpi/seed-traffic.js';
import {
  IMPORT_OPTIONAL_COLUMNS,
  IMPORT_REQUIRED_COLUMNS,
  type DistributionBucket,
  type KpiLine,
  type Wallboard,
} from '../domain/kpi/types.js';
import { KpiBoards } from '../domain/kpi/wallboard.js';
import { dayInRome, nextDay, startOfDayInRome } from '../domain/time.js';
import { CallRecords, type CallEvent } from '../domain/voice/call-records.js';
import { createLogger } from '../platform/logger.js';
import { benchmarkRun, quantiles, machineLine, loadAverage, prng } from './platform.js';

const USAGE = `npm run bench:kpi -- [--years N] [--scale X] [--csb X] [--written X] [--rate N] [--seconds N]
                      [--import N] [--seed N] [--presence calls|shifts] [--plans FILE]
  --years    years of records before the wallboard's now (Tuesday 2025-12-30 10:00 Rome), default 5
  --scale    both lines' seed volume (CUP 724,131 and CSB 13,818 calls a year), default 1
  --csb      the CSB line's volume on top of --scale, default 5 (≈ 4 M rows in 5 years with CUP ×1)
  --written  e-mail/PEC contacts of the CSB line per CSB phone call, default 0.15
  --rate     call events a second during the live wallboard, default 20
  --seconds  length of the live wallboard run, default 30
  --import   rows of the separately timed import file, default 100000 (0: none)
  --seed     the PRNG's seed, default 1
  --presence the operators' presence log: shifts (the default: sign-in, pause, sign-out of each
             shift, what the log keeps), or calls (also the three changes of every answered call,
             as the log held them before migration 32, for comparison)
  --plans    write every EXPLAIN (ANALYZE, BUFFERS) in full to this file`;

const { values: args } = parseArgs({
  options: {
    years: { type: 'string', default: '5' },
    scale: { type: 'string', default: '1' },
    csb: { type: 'string', default: '5' },
    written: { type: 'string', default: '0.15' },
    rate: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '30' },
    import: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '1' },
    presence: { type: 'string', default: 'shifts' },
    plans: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const num = (name: keyof typeof args): number => {
  const v = Number(args[name]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a non-negative number\n${USAGE}`);
  return v;
};
const YEARS = Math.max(1, Math.round(num('years')));
const SCALE = num('scale');
const CSB_SCALE = num('csb');
const WRITTEN = num('written');
const RATE = Math.max(1, num('rate'));
const SECONDS = num('seconds');
const IMPORT_ROWS = Math.round(num('import'));
const SEED = num('seed');
const PRESENCE = args.presence === 'calls' ? 'calls' : 'shifts';

/** The wallboard's now: Tuesday 30 December 2025, 10:00 in Rome; the data ends there. */
const WALL_NOW = Date.parse('2025-12-30T09:00:00Z');
const LAST_YEAR = 2025;
const FIRST_YEAR = LAST_YEAR - YEARS + 1;
const CUP_NUMBER = '+39848821821';
const HOUR = 3_600_000;

const out = (s: string) => process.stdout.write(`${s}\n`);
const ms = (v: number) => (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
const s1 = (v: number) => (v / 1000).toFixed(1);
const n0 = (v: number) => Math.round(v).toLocaleString('en');
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

/** Teardown steps, run in reverse order once, on success, on error and on Ctrl-C. */
const bench = benchmarkRun(out);

// ---------------------------------------------------------------------------------------------
// 1. The records: the seed's curves, one CSV file a month
// ---------------------------------------------------------------------------------------------

/** The import's own columns (domain/kpi/types.ts), required then optional. */
const COLUMNS = [...IMPORT_REQUIRED_COLUMNS, ...IMPORT_OPTIONAL_COLUMNS] as const;
type Row = Partial<Record<(typeof COLUMNS)[number], string>>;

const REQUEST_TYPES: Record<KpiLine, string[]> = {
  cup: ['prenotazione', 'prenotazione', 'prenotazione', 'disdetta', 'spostamento', 'informazioni'],
  csb: ['tributi', 'tributi', 'bollo-auto', 'sanita', 'informazioni'],
};
const OPERATORS: Record<KpiLine, number> = { cup: 40, csb: 8 };

/**
 * Operator k (1-based) of a line: odd ones work 8–14, even ones 14–20 on weekdays; on Saturday
 * (8–14) those with k mod 5 < 3. A call goes to one of those on shift at its hour.
 */
function onShift(k: number, saturday: boolean, hour: number): boolean {
  if (saturday) return k % 5 < 3;
  return hour < 14 ? k % 2 === 1 : k % 2 === 0;
}
function shiftOf(k: number, saturday: boolean): number | undefined {
  if (saturday) return k % 5 < 3 ? 8 : undefined;
  return k % 2 === 1 ? 8 : 14;
}

class Generator {
  private readonly rnd: () => number;
  readonly counts = new Map<string, number>();

  constructor(seed: number) {
    this.rnd = prng(seed);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)] as T;
  }
  private exp(mean: number): number {
    return -Math.log(1 - this.rnd()) * mean;
  }
  /** Log-normal with this median and σ (Box–Muller). */
  private logNormal(median: number, sigma: number): number {
    const z = Math.sqrt(-2 * Math.log(1 - this.rnd())) * Math.cos(2 * Math.PI * this.rnd());
    return median * Math.exp(sigma * z);
  }
  /** A random whole count with this expectation (floor plus a Bernoulli of the fraction). */
  private round(x: number): number {
    const f = Math.floor(x);
    return f + (this.rnd() < x - f ? 1 : 0);
  }
  private count(k: string) {
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }

  /** The calls of one line in one Rome month, and (CSB) its written contacts, by start time. */
  month(line: KpiLine, year: number, month: number, volume: number, idPrefix: string): { at: number; row: Row }[] {
    const t = SEED_TRAFFIC[line];
    const monthCalls = (t.yearlyCalls * volume * (t.monthlyPct[MONTH_KEYS[month - 1] ?? 'jan'] ?? 0)) / 100;
    const first = `${year}-${String(month).padStart(2, '0')}-01`;
    const days = openDaysOfMonth(first.slice(0, 7)).map((d) => ({
      day: d.day,
      weight: t.weekdayPct[d.weekday] ?? 0,
      saturday: d.weekday === 'sat',
    }));
    const total = days.reduce((s, d) => s + d.weight, 0);
    const rows: { at: number; row: Row }[] = [];
    let seq = 0;
    const id = () => `${idPrefix}${line}-${first.slice(0, 7)}-${String(++seq).padStart(6, '0')}`;
    for (const d of days) {
      const dayCalls = (monthCalls * d.weight) / total;
      const curve = d.saturday ? t.hourlyPctSat : t.hourlyPctMonFri;
      const midnight = startOfDayInRome(d.day).getTime();
      for (const [h, pct] of Object.entries(curve)) {
        const hourStart = midnight + Number(h) * HOUR;
        const n = this.round((dayCalls * pct) / 100);
        const staff: string[] = [];
        for (let k = 1; k <= OPERATORS[line]; k++) {
          if (onShift(k, d.saturday, Number(h))) staff.push(`${line}.op${k}`);
        }
        for (let i = 0; i < n; i++) {
          const at = hourStart + Math.floor(this.rnd() * HOUR);
          if (at >= WALL_NOW) continue;
          const operator = this.pick(staff);
          const outbound = line === 'csb' && this.rnd() < 0.05;
          rows.push({ at, row: outbound ? this.outbound(id(), at, operator) : this.call(line, id(), at, operator) });
        }
      }
      if (line === 'csb' && WRITTEN > 0) {
        const n = this.round(dayCalls * WRITTEN);
        for (let i = 0; i < n; i++) {
          // Mail arrives at any hour, mostly in the working day.
          const at = midnight + Math.floor((this.rnd() < 0.8 ? 8 + this.rnd() * 10 : this.rnd() * 24) * HOUR);
          if (at < WALL_NOW) rows.push({ at, row: this.written(id(), at, this.pick(['csb.op1', 'csb.op2'])) });
        }
      }
    }
    return rows;
  }

  private call(line: KpiLine, contactId: string, at: number, operator: string): Row {
    const iso = (t: number) => new Date(Math.round(t)).toISOString();
    const requestType = this.pick(REQUEST_TYPES[line]);
    const base: Row = {
      contactId,
      line,
      channel: 'voice',
      direction: 'inbound',
      requestType,
      queue: line === 'cup' ? 'cup' : requestType === 'tributi' || requestType === 'bollo-auto' ? 'tributi' : 'csb',
      startedAt: iso(at),
    };
    const u = this.rnd();
    if (u < 0.02) {
      this.count(`${line} voice busy`);
      return { ...base, queue: undefined, endedAt: iso(at + 2000), outcome: 'busy' };
    }
    const offered = at + (4 + this.rnd() * 8) * 1000;
    if (u < 0.14) {
      this.count(`${line} voice abandoned`);
      const abandoned = offered + Math.min(900, this.exp(30)) * 1000;
      return {
        ...base,
        offeredAt: iso(offered),
        abandonedAt: iso(abandoned),
        endedAt: iso(abandoned),
        outcome: 'abandoned',
      };
    }
    const answered = offered + Math.min(600, this.exp(7)) * 1000;
    const ended = answered + Math.max(20, this.logNormal(line === 'cup' ? 120 : 240, 0.5)) * 1000;
    const wrapped = ended + (10 + this.rnd() * 30) * 1000;
    const o = this.rnd();
    const outcome = o < 0.86 ? 'resolved' : o < 0.93 ? 'escalated-l2' : 'out-of-scope';
    this.count(`${line} voice ${outcome}`);
    const row: Row = {
      ...base,
      offeredAt: iso(offered),
      answeredAt: iso(answered),
      endedAt: iso(ended),
      wrapUpEndedAt: iso(wrapped),
      operator,
      outcome,
    };
    if (outcome === 'escalated-l2' && this.rnd() >= 0.03) {
      row.resolvedAt = iso(wrapped + this.logNormal(2, 0.6) * HOUR);
      row.resolvedLevel = this.rnd() < 0.08 ? '3' : '2';
    }
    return row;
  }

  private outbound(contactId: string, at: number, operator: string): Row {
    const iso = (t: number) => new Date(Math.round(t)).toISOString();
    const base: Row = { contactId, line: 'csb', channel: 'voice', direction: 'outbound', requestType: 'campagna' };
    if (this.rnd() < 0.35) {
      this.count('csb outbound no answer');
      return { ...base, startedAt: iso(at), endedAt: iso(at + 30_000), outcome: 'negative' };
    }
    const answered = at + 8000;
    const ended = answered + this.logNormal(150, 0.5) * 1000;
    const outcome = this.rnd() < 0.7 ? 'positive' : 'negative';
    this.count(`csb outbound ${outcome}`);
    return {
      ...base,
      startedAt: iso(at),
      answeredAt: iso(answered),
      endedAt: iso(ended),
      wrapUpEndedAt: iso(ended + 15_000),
      operator,
      outcome,
    };
  }

  private written(contactId: string, at: number, operator: string): Row {
    const channel = this.rnd() < 0.7 ? 'email' : 'pec';
    this.count(`csb ${channel}`);
    const closed = addBusinessHours(new Date(at), Math.max(0.05, this.exp(9))).toISOString();
    return {
      contactId,
      line: 'csb',
      channel,
      direction: 'inbound',
      requestType: this.pick(REQUEST_TYPES.csb),
      queue: 'servizi-on-line',
      startedAt: new Date(at).toISOString(),
      endedAt: closed,
      resolvedAt: closed,
      operator,
      outcome: 'resolved',
    };
  }
}

function toCsv(rows: { row: Row }[]): string {
  const lines = [COLUMNS.join(',')];
  for (const { row } of rows) lines.push(COLUMNS.map((c) => row[c] ?? '').join(','));
  return `${lines.join('\n')}\n`;
}

/** The months of the data, first to last (the last one ends at the wallboard's now). */
function months(): { year: number; month: number }[] {
  const xs: { year: number; month: number }[] = [];
  for (let y = FIRST_YEAR; y <= LAST_YEAR; y++) for (let m = 1; m <= 12; m++) xs.push({ year: y, month: m });
  return xs;
}

const volume = (line: KpiLine) => SCALE * (line === 'csb' ? CSB_SCALE : 1);

interface ImportFigures {
  rows: number;
  files: number;
  generateMs: number;
  parseMs: number;
  importMs: number;
  presenceMs: number;
  presenceRows: number;
  perFileImport: number[];
  analyzeMs: number;
  byKind: Map<string, number>;
  tableMiB: number;
  indexMiB: number;
}

async function importYears(db: DataSource): Promise<ImportFigures> {
  const gen = new Generator(SEED);
  const f: ImportFigures = {
    rows: 0,
    files: 0,
    generateMs: 0,
    parseMs: 0,
    importMs: 0,
    presenceMs: 0,
    presenceRows: 0,
    perFileImport: [],
    analyzeMs: 0,
    byKind: gen.counts,
    tableMiB: 0,
    indexMiB: 0,
  };
  let yearRows = 0;
  let yearT0 = performance.now();
  for (const { year, month } of months()) {
    const t0 = performance.now();
    const rows = [
      ...gen.month('cup', year, month, volume('cup'), ''),
      ...gen.month('csb', year, month, volume('csb'), ''),
    ].sort((a, b) => a.at - b.at);
    if (rows.length === 0) continue;
    const text = toCsv(rows);
    const t1 = performance.now();
    const parsed = parseContactsCsv(text);
    const t2 = performance.now();
    const file = `bench-${year}-${String(month).padStart(2, '0')}.csv`;
    const r = await importContacts(db, file, parsed);
    const t3 = performance.now();
    if (r.inserted !== rows.length) throw new Error(`${file}: ${r.inserted} of ${rows.length} rows inserted`);
    if (PRESENCE === 'calls') {
      // The ACD's log of each answered call: in conversation, wrap-up, available again.
      const ev: { u: string; p: string; at: string }[] = [];
      for (const { row: r } of rows) {
        if (!r.answeredAt || !r.operator || r.channel !== 'voice') continue;
        ev.push({ u: r.operator, p: 'in-conversazione', at: r.answeredAt });
        if (r.endedAt) ev.push({ u: r.operator, p: 'post-chiamata', at: r.endedAt });
        ev.push({ u: r.operator, p: 'disponibile', at: r.wrapUpEndedAt ?? r.endedAt ?? r.answeredAt });
      }
      ev.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
      const tp = performance.now();
      await insertPresence(db, ev);
      f.presenceMs += performance.now() - tp;
      f.presenceRows += ev.length;
    }
    f.generateMs += t1 - t0;
    f.parseMs += t2 - t1;
    f.importMs += t3 - t2;
    f.perFileImport.push(t3 - t1);
    f.rows += rows.length;
    f.files++;
    yearRows += rows.length;
    if (month === 12) {
      const secs = (performance.now() - yearT0) / 1000;
      out(
        `imported ${year}: ${n0(yearRows)} rows in ${secs.toFixed(1)} s (${n0(yearRows / secs)} rows/s generate + parse + import); ` +
          `total ${n0(f.rows)}`,
      );
      yearRows = 0;
      yearT0 = performance.now();
    }
  }
  const t0 = performance.now();
  await db.query(`VACUUM (ANALYZE) imported_contacts`);
  f.analyzeMs = performance.now() - t0;
  await db.query(`VACUUM (ANALYZE) voice_presence_events`);
  const [size] = await db.query<{ t: number; i: number }[]>(
    `SELECT pg_table_size('imported_contacts')::float8 / 1048576 AS t, pg_indexes_size('imported_contacts')::float8 / 1048576 AS i`,
  );
  f.tableMiB = size?.t ?? 0;
  f.indexMiB = size?.i ?? 0;
  return f;
}

async function insertPresence(db: DataSource, ev: { u: string; p: string; at: Date | string }[]): Promise<void> {
  for (let i = 0; i < ev.length; i += 20_000) {
    const b = ev.slice(i, i + 20_000);
    await db.query(
      `INSERT INTO voice_presence_events (username, presence, at) SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])`,
      [b.map((e) => e.u), b.map((e) => e.p), b.map((e) => e.at)],
    );
  }
}

/** The shifts' presence log, the probe, maintenance windows and service values the report and wallboard read. */
async function supportingData(db: DataSource): Promise<{ presence: number; probes: number }> {
  const rnd = prng(SEED + 7);
  const today = dayInRome(new Date(WALL_NOW));
  const ev: { u: string; p: string; at: Date }[] = [];
  for (let d = `${FIRST_YEAR}-01-01`; d < today; d = nextDay(d)) {
    const x = new Date(`${d}T12:00:00Z`);
    const wd = x.getUTCDay();
    if (wd === 0 || isHoliday(x.getUTCFullYear(), x.getUTCMonth() + 1, x.getUTCDate())) continue;
    const midnight = startOfDayInRome(d).getTime();
    for (const line of ['cup', 'csb'] as const) {
      for (let k = 1; k <= OPERATORS[line]; k++) {
        const shift = shiftOf(k, wd === 6);
        if (shift === undefined) continue;
        const u = `${line}.op${k}`;
        const start = midnight + shift * HOUR - Math.floor(rnd() * 300_000);
        const pause = start + 3 * HOUR + Math.floor(rnd() * 1_800_000);
        ev.push({ u, p: 'disponibile', at: new Date(start) });
        ev.push({ u, p: 'pausa', at: new Date(pause) });
        ev.push({ u, p: 'disponibile', at: new Date(pause + 900_000) });
        ev.push({ u, p: 'assente', at: new Date(start + 6 * HOUR + 600_000) });
      }
    }
  }
  ev.sort((a, b) => a.at.getTime() - b.at.getTime());
  await insertPresence(db, ev);
  // Today's morning shift is signed in since 08:00 (the trigger logs each row's presence).
  const users: string[] = [];
  const morning: boolean[] = [];
  for (const line of ['cup', 'csb'] as const) {
    for (let k = 1; k <= OPERATORS[line]; k++) {
      users.push(`${line}.op${k}`);
      morning.push(k % 2 === 1);
    }
  }
  const eight = new Date(startOfDayInRome(today).getTime() + 8 * HOUR);
  await db.query(
    `INSERT INTO voice_operators (username, code, presence, presence_since, idle_since, skills)
     SELECT u, (2000 + n)::text, CASE WHEN m THEN 'disponibile' ELSE 'assente' END, $3, $3, ARRAY[split_part(u, '.', 1)]
       FROM unnest($1::text[], $2::boolean[]) WITH ORDINALITY AS x(u, m, n)`,
    [users, morning, eight],
  );
  const [probes] = await db.query<{ n: number }[]>(
    `WITH ins AS (
       INSERT INTO voice_probes (at, ok, latency_ms)
       SELECT t, (extract(epoch FROM t)::bigint / 60) % 7919 <> 0, 20 + (extract(epoch FROM t)::bigint / 60) % 37
         FROM generate_series($1::timestamptz, $2::timestamptz, interval '1 minute') t RETURNING 1)
     SELECT count(*)::int AS n FROM ins`,
    [startOfDayInRome(`${FIRST_YEAR}-01-01`), new Date(WALL_NOW)],
  );
  // A planned window on the first Sunday of each month, 02:00–04:00 Rome; the service values.
  for (const { year, month } of months()) {
    let d = `${year}-${String(month).padStart(2, '0')}-01`;
    while (new Date(`${d}T12:00:00Z`).getUTCDay() !== 0) d = nextDay(d);
    const s = startOfDayInRome(d).getTime() + 2 * HOUR;
    if (s < WALL_NOW) {
      await db.query(
        `INSERT INTO maintenance_windows (starts_at, ends_at, reason, entered_by) VALUES ($1, $2, 'bench', 'bench')`,
        [new Date(s), new Date(s + 2 * HOUR)],
      );
    }
    const m = `${year}-${String(month).padStart(2, '0')}-01`;
    await db.query(
      `INSERT INTO kpi_service_values (line, month, service_value_eur, outbound_value_eur, entered_by)
       VALUES ('cup', $1, 150000, NULL, 'bench'), ('csb', $1, 40000, 5000, 'bench')`,
      [m],
    );
  }
  await db.query(`VACUUM (ANALYZE) voice_presence_events`);
  await db.query(`VACUUM (ANALYZE) voice_probes`);
  return { presence: ev.length + users.length, probes: probes?.n ?? 0 };
}

// ---------------------------------------------------------------------------------------------
// 2. The plans: EXPLAIN (ANALYZE, BUFFERS) of exactly the SQL the domain sends
// ---------------------------------------------------------------------------------------------

/** A DataSource stand-in that records every statement sent through it. */
function recordingDb(db: DataSource): { db: DataSource; sent: { sql: string; params: unknown[] }[] } {
  const sent: { sql: string; params: unknown[] }[] = [];
  const proxy = {
    query: (sql: string, params: unknown[] = []) => {
      sent.push({ sql, params });
      return db.query(sql, params);
    },
  };
  return { db: proxy as unknown as DataSource, sent };
}

interface Plan {
  what: string;
  ms: number;
  /** The plan's scan nodes, one line each (what was read and how). */
  scans: string[];
  text: string;
}

const READS = /kpi_contacts|voice_presence_events|voice_probes|call_records|voice_queue_entries/;

async function explain(
  db: DataSource,
  what: string,
  sent: { sql: string; params: unknown[] }[],
  only: RegExp = READS,
): Promise<Plan[]> {
  const plans: Plan[] = [];
  let i = 0;
  for (const q of sent) {
    if (!only.test(q.sql) || !/^\s*(WITH|SELECT)/i.test(q.sql)) continue;
    const rows = await db.query<{ 'QUERY PLAN': string }[]>(`EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`, q.params);
    const text = rows.map((r) => r['QUERY PLAN']).join('\n');
    const time = /Execution Time: ([\d.]+) ms/.exec(text);
    const from = READS.exec(q.sql)?.[0] ?? '?';
    plans.push({
      what: `${what} #${++i} (${from})`,
      ms: Number(time?.[1] ?? NaN),
      scans: text
        .split('\n')
        .filter((l) => /(Seq Scan|Index Scan|Index Only Scan|Bitmap Heap Scan|Function Scan) /.test(l))
        .map((l) => l.replace(/^[\s>-]+/, '').replace(/\s+\(cost=[^)]*\)/, '')),
      text: `-- ${what} #${i}\n${q.sql.trim()}\n-- params: ${JSON.stringify(q.params)}\n${text}\n`,
    });
  }
  return plans;
}

function printPlans(label: string, plans: Plan[]) {
  for (const p of plans) {
    out(`plan [${label}] ${p.what}: ${ms(p.ms)} ms`);
    for (const s of p.scans.slice(0, 12)) out(`    ${s}`);
    if (p.scans.length > 12) out(`    … ${p.scans.length - 12} more scan nodes`);
  }
}

// ---------------------------------------------------------------------------------------------
// 3. The measures: reports, distributions, the wallboard alone and under events
// ---------------------------------------------------------------------------------------------

/** The last 12 complete months before the wallboard's month that the data holds. */
function reportMonths(): { from: string; to: string }[] {
  const xs: { from: string; to: string }[] = [];
  for (let i = 12; i >= 1; i--) {
    const d = new Date(Date.UTC(LAST_YEAR, 11 - i, 1));
    if (d.getUTCFullYear() < FIRST_YEAR) continue;
    const from = d.toISOString().slice(0, 10);
    const to = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).toISOString().slice(0, 10);
    xs.push({ from, to });
  }
  return xs;
}

/** A clock that runs from the wallboard's now, started at the first wallboard measure. */
let clockOffset: number | undefined;
const wallClock = () => {
  clockOffset ??= WALL_NOW - Date.now();
  return new Date(Date.now() + clockOffset);
};
const fixedNow = () => new Date(WALL_NOW);

/** The wallboard computations, timed, as the event stream asks for them. */
class TimedBoards extends KpiBoards {
  readonly computeMs: Record<KpiLine, number[]> = { cup: [], csb: [] };
  override async wallboard(line: KpiLine): Promise<Wallboard> {
    const t0 = performance.now();
    const b = await super.wallboard(line);
    this.computeMs[line].push(performance.now() - t0);
    return b;
  }
}

interface LiveFigures {
  events: number;
  eventErrors: number;
  firstError: string | undefined;
  latency: ReturnType<typeof quantiles>;
  unseen: number;
  pushes: Record<KpiLine, number>;
  computeMs: Record<KpiLine, ReturnType<typeof quantiles>>;
  commitMs: ReturnType<typeof quantiles>;
  logged: Map<string, number>;
  startLagP99: number;
}

/** One screen: the SSE stream of a line, each wallboard's arrival time and `at`. */
function openScreen(url: string): Promise<{ boards: { arrived: number; at: number }[]; close: () => void }> {
  return new Promise((resolve, reject) => {
    const boards: { arrived: number; at: number }[] = [];
    let buffer = '';
    const req = http.get(url, (res) => {
      if (res.statusCode !== 200) reject(new Error(`stream answered ${res.statusCode}`));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const arrived = performance.now();
        buffer += chunk;
        for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (!block.includes('event: wallboard') || !data) continue;
          const b = JSON.parse(data.slice(6)) as Wallboard;
          boards.push({ arrived, at: Date.parse(b.at) });
          if (boards.length === 1) resolve({ boards, close: () => req.destroy() });
        }
      });
      res.on('error', () => undefined);
    });
    req.on('error', reject);
  });
}

async function liveWallboard(
  db: DataSource,
  databaseUrl: string,
  label: string,
  boards: TimedBoards,
): Promise<LiveFigures> {
  const logged = new Map<string, number>();
  const log = createLogger('warn', {
    write(line: string) {
      const o = JSON.parse(line) as { msg?: string; err?: { message?: string } };
      const k = `${o.msg}${o.err?.message ? `: ${o.err.message}` : ''}`;
      logged.set(k, (logged.get(k) ?? 0) + 1);
    },
  });
  const stream = new KpiEventStream(databaseUrl, boards, log);
  await stream.start();
  const app = express();
  app.get('/stream', (req, res) => {
    void stream.subscribe(req, res, req.query.line === 'csb' ? 'csb' : 'cup');
  });
  const server: http.Server = await new Promise((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const cup = await openScreen(`${base}/stream?line=cup`);
  const csb = await openScreen(`${base}/stream?line=csb`);
  boards.computeMs.cup.length = 0;
  boards.computeMs.csb.length = 0;
  const cupBefore = cup.boards.length;
  const csbBefore = csb.boards.length;

  // Simulated CUP calls, each a sequence of events written one after the other.
  const records = new CallRecords(db);
  const rnd = prng(SEED + 11);
  interface Call {
    sid: string;
    steps: ((at: Date) => CallEvent)[];
    busy: boolean;
  }
  let callNo = 0;
  const newCall = (): Call => {
    const sid = `CAbenchkpi${label}${String(++callNo).padStart(6, '0')}`;
    const op = `cup.op${1 + Math.floor(rnd() * OPERATORS.cup)}`;
    const answered = rnd() < 0.8;
    const ev = (e: object) => (at: Date) => ({ callSid: sid, at, ...e }) as CallEvent;
    const steps = [
      ev({ type: 'arrived', line: 'cup', direction: 'inbound', from: '+393331234567', to: CUP_NUMBER }),
      ev({ type: 'ivr-entered' }),
      ev({ type: 'queued', queue: 'cup', requestType: 'prenotazione', priority: 0 }),
      ...(answered
        ? [
            ev({ type: 'answered', operator: op }),
            ev({ type: 'status', status: 'completed', sequence: 1, durationSeconds: 60 }),
            ev({ type: 'wrap-up-ended', operator: op, outcome: 'resolved' }),
          ]
        : [ev({ type: 'status', status: 'completed', sequence: 1, durationSeconds: 20 })]),
    ];
    return { sid, steps, busy: false };
  };
  const calls: Call[] = [];
  const commits: number[] = [];
  const commitMs: number[] = [];
  const lags: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const pending: Promise<void>[] = [];
  const count = Math.round(RATE * SECONDS);
  const interval = 1000 / RATE;
  const t0 = performance.now();
  let rr = 0;
  for (let i = 0; i < count; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    lags.push(performance.now() - due);
    // Up to 12 calls in progress; the next event of the next call whose previous one committed.
    let call: Call | undefined;
    for (let k = 0; k < calls.length && !call; k++) {
      const c = calls[(rr + k) % calls.length];
      if (c && !c.busy) call = c;
    }
    rr++;
    if (!call || calls.length < 12) {
      call = newCall();
      calls.push(call);
    }
    const step = call.steps.shift();
    if (!step) continue;
    const c = call;
    c.busy = true;
    const sent = performance.now();
    pending.push(
      records
        .record(step(wallClock()))
        .then(() => {
          const done = performance.now();
          commits.push(done);
          commitMs.push(done - sent);
        })
        .catch((err: Error) => {
          errors++;
          firstError ??= err.message;
        })
        .finally(() => {
          c.busy = false;
          if (c.steps.length === 0) calls.splice(calls.indexOf(c), 1);
        }),
    );
  }
  await Promise.all(pending);
  // Until the CUP screen shows a board computed after the last commit (at most 60 s).
  const toPerf = (at: number) => at - (clockOffset ?? 0) - performance.timeOrigin;
  const last = Math.max(...commits);
  for (let k = 0; k < 600 && !cup.boards.some((b) => toPerf(b.at) > last); k++) await sleep(100);
  await sleep(200);
  cup.close();
  csb.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await stream.close();

  // Each commit's first CUP board computed after it (its `at` later than the commit).
  const shown = cup.boards.slice(cupBefore);
  const latencies: number[] = [];
  let unseen = 0;
  let j = 0;
  for (const c of [...commits].sort((a, b) => a - b)) {
    while (j < shown.length && toPerf(shown[j]?.at ?? 0) <= c) j++;
    const b = shown[j];
    if (b) latencies.push(b.arrived - c);
    else unseen++;
  }
  return {
    events: commits.length,
    eventErrors: errors,
    firstError,
    latency: quantiles(latencies),
    unseen,
    pushes: { cup: shown.length, csb: csb.boards.length - csbBefore },
    computeMs: { cup: quantiles(boards.computeMs.cup), csb: quantiles(boards.computeMs.csb) },
    commitMs: quantiles(commitMs),
    logged,
    startLagP99: quantiles(lags).p99,
  };
}

interface PhaseFigures {
  label: string;
  plans: Plan[];
  reports: Record<KpiLine, { ms: number[]; rows: number[] }>;
  distributions: { line: KpiLine; by: DistributionBucket; first: number; second: number }[];
  wallboard: Record<KpiLine, ReturnType<typeof quantiles>>;
  live: LiveFigures | undefined;
}

async function measure(db: DataSource, databaseUrl: string, label: string): Promise<PhaseFigures> {
  const reportsIn = reportMonths();
  const year = { from: reportsIn[0]?.from ?? `${LAST_YEAR}-01-01`, to: reportsIn.at(-1)?.to ?? `${LAST_YEAR}-11-30` };
  out(`\n== ${label} ==`);

  // The plans of one month's report, the year's distribution by month, one wallboard (CUP).
  const rec = recordingDb(db);
  const month = reportsIn.at(-1) ?? year;
  await new Kpis(rec.db, fixedNow).slaReport({ line: 'cup', ...month });
  const reportPlans = await explain(db, `report cup ${month.from.slice(0, 7)}`, rec.sent.splice(0));
  await new KpiBoards(rec.db, new Kpis(rec.db, fixedNow), fixedNow).distribution('cup', year.from, year.to, 'month');
  const distPlans = await explain(db, `distribution cup ${year.from}..${year.to} by month`, rec.sent.splice(0));
  await new KpiBoards(rec.db, new Kpis(rec.db, wallClock), wallClock).wallboard('cup');
  const wallPlans = await explain(db, 'wallboard cup', rec.sent.splice(0));
  const plans = [...reportPlans, ...distPlans, ...wallPlans];
  printPlans(label, plans);

  // The monthly report, each month of the last 12 per line.
  const reports: PhaseFigures['reports'] = { cup: { ms: [], rows: [] }, csb: { ms: [], rows: [] } };
  const kpis = new Kpis(db, fixedNow);
  for (const line of ['cup', 'csb'] as const) {
    for (const p of reportsIn) {
      const t0 = performance.now();
      const r = await kpis.slaReport({ line, ...p });
      const took = performance.now() - t0;
      reports[line].ms.push(took);
      const [n] = await db.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM kpi_contacts WHERE line = $1 AND started_at >= $2 AND started_at < $3`,
        [line, startOfDayInRome(p.from), startOfDayInRome(nextDay(p.to))],
      );
      reports[line].rows.push(n?.n ?? 0);
      out(
        `[${label}] report ${line} ${p.from.slice(0, 7)}: ${ms(took)} ms over ${n0(n?.n ?? 0)} contacts ` +
          `(offered ${n0(r.offered)}, answered within 20 s ${r.sla[0]?.reachedPct ?? '—'} %, lost ${r.sla[2]?.reachedPct ?? '—'} %)`,
      );
    }
  }

  // The year's distribution, by month and by hour, twice each (the second with the cache warm).
  const distributions: PhaseFigures['distributions'] = [];
  const boards = new KpiBoards(db, kpis, fixedNow);
  for (const line of ['cup', 'csb'] as const) {
    for (const by of ['month', 'hour'] as const) {
      const times: number[] = [];
      let rows = 0;
      // Again with the cache warm, unless the first took 10 s or more.
      for (let k = 0; k < 2 && (times[0] ?? 0) < 10_000; k++) {
        const t0 = performance.now();
        const d = await boards.distribution(line, year.from, year.to, by);
        times.push(performance.now() - t0);
        rows = d.rows.reduce((s, r) => s + r.inbound + r.outbound, 0);
      }
      distributions.push({ line, by, first: times[0] ?? NaN, second: times[1] ?? NaN });
      out(
        `[${label}] distribution ${line} ${year.from}..${year.to} by ${by}: ${ms(times[0] ?? NaN)} ms, again ` +
          `${times[1] === undefined ? '—' : ms(times[1])} ms (${n0(rows)} calls)`,
      );
    }
  }

  const wb = await wallboardFigures(db, databaseUrl, label, new TimedBoards(db, new Kpis(db, wallClock), wallClock));
  return { label, plans, reports, distributions, wallboard: wb.wallboard, live: wb.live };
}

/** The wallboard alone (10 computations per line), then live under the call events. */
async function wallboardFigures(
  db: DataSource,
  databaseUrl: string,
  label: string,
  boards: TimedBoards,
): Promise<{ wallboard: Record<KpiLine, ReturnType<typeof quantiles>>; live: LiveFigures | undefined }> {
  const wallboard = {} as Record<KpiLine, ReturnType<typeof quantiles>>;
  for (const line of ['cup', 'csb'] as const) {
    const t: number[] = [];
    for (let k = 0; k < 10; k++) {
      const t0 = performance.now();
      await boards.wallboard(line);
      t.push(performance.now() - t0);
    }
    wallboard[line] = quantiles(t);
    out(
      `[${label}] wallboard ${line} alone: p50 ${ms(wallboard[line].p50)} / p95 ${ms(wallboard[line].p95)} / ` +
        `max ${ms(wallboard[line].max)} ms (10 computations)`,
    );
  }
  let live: LiveFigures | undefined;
  if (SECONDS > 0) {
    live = await liveWallboard(db, databaseUrl, label.replace(/[^a-z]/g, ''), boards);
    out(
      `[${label}] live: ${live.events} call events at ${RATE}/s for ${SECONDS} s (${live.eventErrors} failed` +
        `${live.firstError ? `, first: ${live.firstError}` : ''}; commit p50 ${ms(live.commitMs.p50)} / p95 ` +
        `${ms(live.commitMs.p95)} ms; start lag p99 ${ms(live.startLagP99)} ms); event → CUP screen p50 ` +
        `${ms(live.latency.p50)} / p95 ${ms(live.latency.p95)} / p99 ${ms(live.latency.p99)} / max ${ms(live.latency.max)} ms ` +
        `(${live.unseen} events without a later board); pushes CUP ${live.pushes.cup}, CSB ${live.pushes.csb}; ` +
        `computation under load CUP p50 ${ms(live.computeMs.cup.p50)} / p95 ${ms(live.computeMs.cup.p95)} ms, ` +
        `CSB p50 ${ms(live.computeMs.csb.p50)} / p95 ${ms(live.computeMs.csb.p95)} ms; logged: ` +
        `${live.logged.size === 0 ? 'nothing' : [...live.logged].map(([k, n]) => `${n}× ${k}`).join('; ')}`,
    );
  }
  return { wallboard, live };
}

// ---------------------------------------------------------------------------------------------
// 4. One file of IMPORT_ROWS rows, imported, imported again, removed
// ---------------------------------------------------------------------------------------------

async function importOneFile(
  db: DataSource,
): Promise<{ rows: number; generateMs: number; parseMs: number; importMs: number; againMs: number }> {
  const gen = new Generator(SEED + 3);
  const rows: { at: number; row: Row }[] = [];
  for (let m = 1; rows.length < IMPORT_ROWS && m <= 120; m++) {
    const year = FIRST_YEAR - 1 - Math.floor((m - 1) / 12);
    rows.push(...gen.month('cup', year, ((m - 1) % 12) + 1, 1, 'x-'));
  }
  const file = rows.slice(0, IMPORT_ROWS);
  const t0 = performance.now();
  const text = toCsv(file);
  const t1 = performance.now();
  const parsed = parseContactsCsv(text);
  const t2 = performance.now();
  const r = await importContacts(db, 'bench-one-file.csv', parsed);
  const t3 = performance.now();
  const again = await importContacts(db, 'bench-one-file.csv', parseContactsCsv(text));
  const t4 = performance.now();
  if (r.inserted !== file.length || again.unchanged !== file.length) {
    throw new Error(`one file: inserted ${r.inserted}, again unchanged ${again.unchanged} of ${file.length}`);
  }
  await db.query(`DELETE FROM imported_contacts WHERE import_file = 'bench-one-file.csv'`);
  await db.query(`VACUUM (ANALYZE) imported_contacts`);
  return { rows: file.length, generateMs: t1 - t0, parseMs: t2 - t1, importMs: t3 - t2, againMs: t4 - t3 };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  out(machineLine());
  out(
    `records: ${YEARS} years (${FIRST_YEAR}-01-01 to 2025-12-30 10:00 Rome), CUP ×${volume('cup')} and CSB ×${volume('csb')} ` +
      `of the seed's calls a year, CSB written contacts ${WRITTEN} per phone call, seed ${SEED}`,
  );
  const tmp = await bench.tempDir('cc-bench-kpi-');
  const { db, url: pgUrl, version, startMs } = await bench.database(tmp, 'kpi_bench', 20);
  out(`PostgreSQL ${version} (embedded, default settings), all migrations, in ${s1(startMs)} s`);

  const tSup = performance.now();
  const sup = await supportingData(db);
  out(
    `presence log ${n0(sup.presence)} changes, ${n0(sup.probes)} probes, maintenance windows and service values in ` +
      `${s1(performance.now() - tSup)} s`,
  );
  const imp = await importYears(db);
  const fileQ = quantiles(imp.perFileImport);
  const rate = imp.rows / ((imp.parseMs + imp.importMs) / 1000);
  out(
    `imported ${n0(imp.rows)} rows in ${imp.files} monthly files: generate ${s1(imp.generateMs)} s, parse ${s1(imp.parseMs)} s, ` +
      `import ${s1(imp.importMs)} s (${n0(rate)} rows/s parse + import; per file p50 ${s1(fileQ.p50)} / max ${s1(fileQ.max)} s); ` +
      `VACUUM ANALYZE ${s1(imp.analyzeMs)} s; table ${n0(imp.tableMiB)} MiB, indexes ${n0(imp.indexMiB)} MiB; ` +
      `presence log of the calls ${n0(imp.presenceRows)} changes in ${s1(imp.presenceMs)} s`,
  );
  out(
    `  by kind: ${[...imp.byKind]
      .sort()
      .map(([k, n]) => `${k} ${n0(n)}`)
      .join(', ')}`,
  );

  const phases: PhaseFigures[] = [await measure(db, pgUrl, 'as is')];

  const one = IMPORT_ROWS > 0 ? await importOneFile(db) : undefined;
  if (one) {
    out(
      `\none file of ${n0(one.rows)} rows into the full table: parse ${s1(one.parseMs)} s + import ${s1(one.importMs)} s = ` +
        `${s1(one.parseMs + one.importMs)} s; the same file again (nothing changes) ${s1(one.againMs)} s; removed`,
    );
  }
  if (args.plans) {
    writeFileSync(
      args.plans,
      phases.map((p) => p.plans.map((x) => `-- [${p.label}]\n${x.text}`).join('\n')).join('\n'),
    );
    out(`plans written to ${args.plans}`);
  }
  out(`load average at end ${loadAverage()}`);

  const cols = phases.map((p) => p.label);
  const row = (k: string, f: (p: PhaseFigures) => string): [string, string[]] => [k, phases.map(f)];
  const rq = (xs: number[]) => {
    const q = quantiles(xs);
    return `p50 ${ms(q.p50)} / max ${ms(q.max)} ms`;
  };
  const table: [string, string[]][] = [
    row(`contact records (${YEARS} years, ${imp.files} monthly files)`, () => n0(imp.rows)),
    row(
      'import, parse + import (per file p50 / max)',
      () => `${n0(rate)} rows/s (${s1(fileQ.p50)} / ${s1(fileQ.max)} s)`,
    ),
    ...(one
      ? [
          row(
            `one file of ${n0(one.rows)} rows: parse + import / again (unchanged)`,
            () => `${s1(one.parseMs + one.importMs)} s / ${s1(one.againMs)} s`,
          ),
        ]
      : []),
    row('presence log (changes)', () => n0(sup.presence + imp.presenceRows)),
    ...(['cup', 'csb'] as const).map((l) =>
      row(
        `monthly SLA report, ${l.toUpperCase()} (12 months, ~${n0(quantiles(phases[0]?.reports[l].rows ?? []).p50)} contacts each)`,
        (p) => rq(p.reports[l].ms),
      ),
    ),
    ...(phases[0]?.distributions ?? []).map((d, i) =>
      row(`distribution ${d.line.toUpperCase()}, 12 months by ${d.by}: first / again`, (p) => {
        const x = p.distributions[i];
        return x ? `${ms(x.first)} / ${Number.isNaN(x.second) ? '—' : ms(x.second)} ms` : '—';
      }),
    ),
    ...(['cup', 'csb'] as const).map((l) =>
      row(
        `wallboard ${l.toUpperCase()} computed alone, p50 / p95`,
        (p) => `${ms(p.wallboard[l].p50)} / ${ms(p.wallboard[l].p95)} ms`,
      ),
    ),
    row(`event → CUP screen at ${RATE} events/s, p50 / p95 / max`, (p) =>
      p.live ? `${ms(p.live.latency.p50)} / ${ms(p.live.latency.p95)} / ${ms(p.live.latency.max)} ms` : '—',
    ),
    row('wallboard computation under the events, CUP p50 / p95', (p) =>
      p.live ? `${ms(p.live.computeMs.cup.p50)} / ${ms(p.live.computeMs.cup.p95)} ms` : '—',
    ),
    row('pushes CUP / CSB, events without a later board', (p) =>
      p.live ? `${p.live.pushes.cup} / ${p.live.pushes.csb}, ${p.live.unseen}` : '—',
    ),
  ];
  out(`\n| measure | ${cols.join(' | ')} |\n| --- |${cols.map(() => ' --- |').join('')}`);
  for (const [k, v] of table) out(`| ${k} | ${v.join(' | ')} |`);
}

bench.main(main);
