import type { DataSource } from 'typeorm';
import { openDaysOfMonth } from '../business-calendar.js';
import { MONTH_KEYS, SEED_TRAFFIC } from '../kpi/seed-traffic.js';
import type { KpiLine } from '../kpi/types.js';
import { startOfDayInRome } from '../time.js';
import { addMonths } from '../voice/lines.js';

/** The days a roster is planned for: each weekday of the month has its own (the line is closed on Sunday). */
export const PLAN_DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type PlanDay = (typeof PLAN_DAYS)[number];

/** Half-hours of a day: index 0 is 00:00–00:30, 16 is 08:00–08:30, 47 is 23:30–24:00. */
export const HALF_HOURS = 48;
export const HALF_HOUR_S = 1800;

/** `16` → `08:00`, `17` → `08:30`. */
export const halfHourLabel = (i: number) => `${String(Math.floor(i / 2)).padStart(2, '0')}:${i % 2 ? '30' : '00'}`;
/** `08:30` → `17`: the index of a half-hour's start. */
export const halfHourIndex = (start: string) => Number(start.slice(0, 2)) * 2 + (start.slice(3, 5) === '30' ? 1 : 0);

/** What a line is asked to answer in one month, as the planner takes it. */
export interface Demand {
  line: KpiLine;
  /** `YYYY-MM`. */
  month: string;
  source: 'seed' | 'records';
  /** Calls offered in each half-hour of an average open day of each weekday (0 when closed). */
  calls: Record<PlanDay, number[]>;
  /** Open days of each weekday in the month (holidays and the line's closures left out). */
  days: Record<PlanDay, number>;
  /** Average handle time: talk and after-call work, seconds. */
  ahtS: number;
  /** The after-call work's share of the handle time (the simulation holds the operator for it). */
  wrapUpShare: number;
  /** Mean patience of a waiting caller (seconds), or `null` when callers are taken never to hang up. */
  patienceS: number | null;
  /** Share of the calls that book (answered first, seed §2.1: «priorità di risposta a chi deve effettuare una prenotazione»). */
  bookingShare: number;
  /** Where each figure came from, in words (shown beside the plan). */
  notes: string[];
}

/** Which days a line is closed beyond the national holidays (the voice configuration's closures). */
export type ClosedDay = (day: string) => boolean;

/** The open days of a month (`YYYY-MM`): Monday to Saturday, not a holiday nor a closure. */
export const openDays = openDaysOfMonth;

/** A zero for each half-hour of each weekday. */
export const emptyDays = (): Record<PlanDay, number[]> =>
  Object.fromEntries(PLAN_DAYS.map((d) => [d, new Array<number>(HALF_HOURS).fill(0)])) as Record<PlanDay, number[]>;

/** How many of the days are of each weekday. */
export function countByWeekday(days: readonly { weekday: PlanDay }[]): Record<PlanDay, number> {
  const counts = Object.fromEntries(PLAN_DAYS.map((d) => [d, 0])) as Record<PlanDay, number>;
  for (const d of days) counts[d.weekday]++;
  return counts;
}

/** The half-hours a day of the demand takes calls in (calls > 0), in order. */
export function openHalfHours(d: Demand, day: PlanDay): number[] {
  const out: number[] = [];
  for (let i = 0; i < HALF_HOURS; i++) if ((d.calls[day][i] ?? 0) > 0) out.push(i);
  return out;
}

/**
 * The specification's demand (seed 000 §2.1.4–2.1.5, §2.2.4–2.2.5; `SEED_TRAFFIC`): the year's
 * calls times the month's share, spread over the month's open days in proportion to their
 * weekday's share of the week (the KPI benchmark's reading), then over the hours by the
 * Monday–Friday or the Saturday curve; each hour's calls split evenly over its two half-hours
 * (the seed gives hours only). The line's hours are the hours its curves have (08–20, Saturday
 * 08–14), the same as the IVR model's default opening hours.
 */
export function seedDemand(
  line: KpiLine,
  month: string,
  o: { ahtS?: number; patienceS?: number | null; wrapUpShare?: number; bookingShare?: number; closed?: ClosedDay } = {},
): Demand {
  const t = SEED_TRAFFIC[line];
  const monthIndex = Number(month.slice(5, 7));
  const monthCalls = (t.yearlyCalls * (t.monthlyPct[MONTH_KEYS[monthIndex - 1] ?? 'jan'] ?? 0)) / 100;
  const open = openDays(month, o.closed);
  const days = countByWeekday(open);
  const weight = open.reduce((s, d) => s + (t.weekdayPct[d.weekday] ?? 0), 0);
  const calls = emptyDays();
  for (const d of PLAN_DAYS) {
    if (days[d] === 0 || weight === 0) continue;
    const dayCalls = (monthCalls * (t.weekdayPct[d] ?? 0)) / weight;
    const curve = d === 'sat' ? t.hourlyPctSat : t.hourlyPctMonFri;
    for (const [hour, pct] of Object.entries(curve)) {
      const h = Number(hour);
      const perHalf = (dayCalls * pct) / 100 / 2;
      calls[d][2 * h] = perHalf;
      calls[d][2 * h + 1] = perHalf;
    }
  }
  const handling = SEED_HANDLING[line];
  const ahtS = o.ahtS ?? handling.ahtS;
  return {
    line,
    month,
    source: 'seed',
    calls,
    days,
    ahtS,
    wrapUpShare: o.wrapUpShare ?? handling.wrapUpShare,
    patienceS: o.patienceS === undefined ? DEFAULT_PATIENCE_S : o.patienceS,
    bookingShare: o.bookingShare ?? (line === 'cup' ? DEFAULT_CUP_BOOKING_SHARE : 0),
    notes: [
      `Domanda del capitolato (proiezione 2014): ${Math.round(monthCalls)} chiamate nel mese, ripartite sui ${open.length} giorni di apertura secondo le quote dei giorni della settimana e le curve orarie; ogni ora divisa a metà tra le sue due mezz'ore.`,
      o.ahtS === undefined
        ? `Durata media di gestione dal capitolato: ${ahtS} s (conversazione ${Math.round((1 - handling.wrapUpShare) * 100)} %, post-chiamata ${Math.round(handling.wrapUpShare * 100)} %).`
        : `Durata media di gestione indicata: ${ahtS} s.`,
      o.patienceS === undefined
        ? `Pazienza media dei chiamanti: ${DEFAULT_PATIENCE_S} s (valore predefinito: il capitolato non la indica).`
        : o.patienceS === null
          ? 'Nessun abbandono (Erlang C).'
          : `Pazienza media dei chiamanti indicata: ${o.patienceS} s.`,
    ],
  };
}

/** Handle time and its after-call share per line (seed 000 §2.1.5, §2.2.5). */
export const SEED_HANDLING: Record<KpiLine, { ahtS: number; wrapUpShare: number }> = {
  cup: { ahtS: 240, wrapUpShare: 0.23 },
  csb: { ahtS: 540, wrapUpShare: 0.38 },
};
/** When neither the user nor the records say: two minutes (a common planning default). */
export const DEFAULT_PATIENCE_S = 120;
/** The CUP calls that book, when the records do not say (the IVR's menu option 1). */
export const DEFAULT_CUP_BOOKING_SHARE = 0.6;

/**
 * What the contact records of a period measured (`kpi_contacts`: the platform's calls and the
 * imported ones): inbound calls per weekday and half-hour (Europe/Rome) over the period's open
 * days of that weekday; the handle time as talk (answer to end) plus after-call work (end to
 * wrap-up end) of the answered calls; the patience as the waiting time of every call over the
 * number that hung up (the exponential patience's estimate when answered calls' waits are
 * censored); the share of booking calls by request type. `null` when the period has no calls.
 */
export async function measuredDemand(
  db: DataSource,
  line: KpiLine,
  from: string,
  to: string,
  o: { closed?: ClosedDay } = {},
): Promise<Demand | null> {
  const start = startOfDayInRome(from);
  const end = startOfDayInRome(to);
  if (!(end > start)) throw new RangeError('il periodo deve finire dopo il suo inizio');
  // The calls that asked for an operator (reached a queue), by when they did: not those the
  // IVR answered by itself (closed hours, retired numbers), which need nobody.
  const offered = `line = $1 AND channel = 'voice' AND direction = 'inbound' AND offered_at IS NOT NULL
      AND offered_at >= $2 AND offered_at < $3`;
  const rows: { day: string; half: number; n: string }[] = await db.query(
    `SELECT to_char(offered_at AT TIME ZONE 'Europe/Rome', 'YYYY-MM-DD') AS day,
            (extract(hour FROM offered_at AT TIME ZONE 'Europe/Rome') * 2
              + floor(extract(minute FROM offered_at AT TIME ZONE 'Europe/Rome') / 30))::int AS half,
            count(*) AS n
       FROM kpi_contacts WHERE ${offered}
      GROUP BY 1, 2`,
    [line, start, end],
  );
  // The period's open days: a call on a holiday or a closure (an emergency opening) is not a
  // day's demand.
  const inPeriod: { day: string; weekday: PlanDay }[] = [];
  for (let m = from.slice(0, 7); m <= to.slice(0, 7); m = addMonths(`${m}-01`, 1).slice(0, 7)) {
    inPeriod.push(...openDays(m, o.closed).filter((d) => d.day >= from && d.day < to));
  }
  const counts = countByWeekday(inPeriod);
  const weekdayOf = new Map(inPeriod.map((d) => [d.day, d.weekday]));
  const open = rows.filter((r) => weekdayOf.has(r.day));
  if (open.length === 0) return null;
  const stats: {
    talk: number | null;
    wrap: number | null;
    answered: string;
    waited: number | null;
    lost: string;
    booking: string;
    typed: string;
  }[] = await db.query(
    `SELECT avg(extract(epoch FROM ended_at - answered_at)) FILTER (WHERE answered_at IS NOT NULL AND ended_at > answered_at)::float8 AS talk,
            avg(extract(epoch FROM wrap_up_ended_at - ended_at)) FILTER (WHERE answered_at IS NOT NULL AND wrap_up_ended_at >= ended_at)::float8 AS wrap,
            count(*) FILTER (WHERE answered_at IS NOT NULL) AS answered,
            sum(extract(epoch FROM coalesce(answered_at, abandoned_at, ended_at) - offered_at))
              FILTER (WHERE coalesce(answered_at, abandoned_at, ended_at) >= offered_at)::float8 AS waited,
            count(*) FILTER (WHERE abandoned_at IS NOT NULL AND answered_at IS NULL) AS lost,
            count(*) FILTER (WHERE request_type = 'booking') AS booking,
            count(*) FILTER (WHERE request_type IS NOT NULL) AS typed
       FROM kpi_contacts WHERE ${offered}`,
    [line, start, end],
  );
  const s = stats[0];
  const calls = emptyDays();
  for (const r of open) {
    const day = weekdayOf.get(r.day) as PlanDay;
    const list = calls[day];
    list[r.half] = (list[r.half] ?? 0) + Number(r.n) / counts[day];
  }
  const talk = s?.talk ?? null;
  const wrap = s?.wrap ?? 0;
  const handling = SEED_HANDLING[line];
  const ahtS = talk === null ? handling.ahtS : talk + wrap;
  const lost = Number(s?.lost ?? 0);
  const patienceS = lost > 0 && s?.waited ? s.waited / lost : null;
  const typed = Number(s?.typed ?? 0);
  const total = open.reduce((x, r) => x + Number(r.n), 0);
  return {
    line,
    month: from.slice(0, 7),
    source: 'records',
    calls,
    days: counts,
    ahtS,
    wrapUpShare: talk === null ? handling.wrapUpShare : wrap / Math.max(1, talk + wrap),
    patienceS,
    bookingShare: typed > 0 ? Number(s?.booking ?? 0) / typed : line === 'cup' ? DEFAULT_CUP_BOOKING_SHARE : 0,
    notes: [
      `Domanda misurata sui contatti dal ${from} al ${to} (escluso): ${total} chiamate arrivate in coda nei giorni di apertura.`,
      talk === null
        ? `Nessuna chiamata risposta nel periodo: durata media di gestione dal capitolato (${ahtS} s).`
        : `Durata media di gestione misurata: ${Math.round(ahtS)} s (conversazione ${Math.round(talk)} s, post-chiamata ${Math.round(wrap)} s).`,
      patienceS === null
        ? 'Nessun abbandono nel periodo: calcolo senza abbandoni (Erlang C).'
        : `Pazienza media stimata dagli abbandoni: ${Math.round(patienceS)} s (${lost} chiamate perse).`,
    ],
  };
}
