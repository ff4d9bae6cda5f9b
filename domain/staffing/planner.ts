import { slaRow, type PeriodValues } from '../kpi/sla.js';
import type { KpiDefinitions, SlaRow } from '../kpi/types.js';
import {
  emptyDays,
  HALF_HOUR_S,
  HALF_HOURS,
  halfHourIndex,
  halfHourLabel,
  openHalfHours,
  PLAN_DAYS,
  type Demand,
  type PlanDay,
} from './demand.js';
import { erlangAFigures, erlangCFigures, type QueueFigures, type Traffic } from './erlang.js';
import { coverWithShifts, type Shift } from './shifts.js';

/** What the plan must reach, and how people work. */
export interface PlanOptions {
  /** `erlang-a` (callers hang up after their patience) or `erlang-c` (nobody hangs up). */
  model: 'erlang-a' | 'erlang-c';
  /** The wait limit: answered within this many seconds (§6.1: 20). */
  targetS: number;
  /** Share of calls to answer within the limit (§6.1: 0.9). */
  serviceLevel: number;
  /**
   * `answered`: answered within the limit over every call offered (a call lost counts as
   * missed); `contract`: a call lost within the limit counts as met too (§6.1's note, the
   * reports' default reading).
   */
  reading: 'answered' | 'contract';
  /** Largest share of calls lost (§6.1: 0.10). */
  maxLost: number;
  /** Largest share of the operators' time on calls. */
  maxOccupancy: number;
  /** Share of paid time not on the phones (breaks, training, absence): scheduled = on the phones / (1 − shrinkage). */
  shrinkage: number;
  /** Shift lengths allowed, hours. */
  shiftHours: number[];
  /** What an operator hour costs, € (for the what-if's comparison). */
  hourCostEur: number;
  /** Hours of a full-time operator a week (FTE). */
  fteHoursPerWeek: number;
}

export const DEFAULT_PLAN_OPTIONS: PlanOptions = {
  model: 'erlang-a',
  targetS: 20,
  serviceLevel: 0.9,
  reading: 'answered',
  maxLost: 0.1,
  maxOccupancy: 0.95,
  shrinkage: 0.3,
  shiftHours: [4, 6, 8],
  hourCostEur: 22,
  fteHoursPerWeek: 40,
};

export interface HalfHourFigures extends QueueFigures {
  /** `08:00`. */
  start: string;
  calls: number;
}

export interface DayPlan {
  day: PlanDay;
  /** Open days of this weekday in the month. */
  openDays: number;
  /** Half-hours the line takes calls in (its curve's), in order. */
  halfHours: (HalfHourFigures & { onPhones: number; scheduled: number })[];
  shifts: Shift[];
  /** Operator hours on the phones, and scheduled (with shrinkage), on one such day. */
  phoneHours: number;
  scheduledHours: number;
  /** Operator hours the shifts pay for on one such day (at least `scheduledHours`). */
  shiftHoursPaid: number;
}

/** A month's expected figures, weighted by each half-hour's calls and the days of each weekday. */
export interface MonthFigures {
  calls: number;
  answeredWithin: number;
  answeredOrLostWithin: number;
  lost: number;
  occupancy: number;
  /** Operator hours on the phones in the month. */
  phoneHours: number;
}

export interface MonthPlan {
  demand: Demand;
  options: PlanOptions;
  days: Record<PlanDay, DayPlan>;
  month: MonthFigures & {
    scheduledHours: number;
    shiftHoursPaid: number;
    /** Full-time equivalents the paid shift hours make (`fteHoursPerWeek` a week). */
    fte: number;
  };
}

const traffic = (d: Demand, o: PlanOptions, calls: number): Traffic => ({
  calls,
  periodS: HALF_HOUR_S,
  ahtS: d.ahtS,
  patienceS: o.model === 'erlang-c' ? null : d.patienceS,
  targetS: o.targetS,
});

/** The figures `servers` operators on the phones give one half-hour of `calls`. */
export function halfHourFigures(d: Demand, o: PlanOptions, calls: number, servers: number): QueueFigures {
  const t = traffic(d, o, calls);
  return o.model === 'erlang-c' ? erlangCFigures(t, servers) : erlangAFigures(t, servers);
}

/** The service level figures give under a reading: answered within the limit, or answered or lost within it. */
export const reached = (
  f: Pick<QueueFigures, 'answeredWithin' | 'answeredOrLostWithin'>,
  reading: PlanOptions['reading'] | KpiDefinitions['answeredWithin'],
) => (reading === 'contract' ? f.answeredOrLostWithin : f.answeredWithin);

/** The fewest operators on the phones that meet every target in a half-hour of `calls`. */
export function operatorsNeeded(d: Demand, o: PlanOptions, calls: number): QueueFigures {
  if (calls <= 0) return halfHourFigures(d, o, 0, 0);
  const erlangs = (calls / HALF_HOUR_S) * d.ahtS;
  // No fewer can do: the answered calls' work (at least 1 − maxLost of the load) over the
  // largest occupancy allowed.
  const fewest = Math.max(1, Math.floor((erlangs * (1 - o.maxLost)) / o.maxOccupancy));
  for (let n = fewest; n <= fewest + MAX_SEARCH; n++) {
    const f = halfHourFigures(d, o, calls, n);
    const ok = reached(f, o.reading) >= o.serviceLevel - 1e-12 && f.lost <= o.maxLost + 1e-12;
    if (ok && f.occupancy <= o.maxOccupancy + 1e-12) return f;
  }
  throw new RangeError(
    `nessun numero di operatori fino a ${fewest + MAX_SEARCH} raggiunge gli obiettivi in una mezz'ora di ${Math.round(calls)} chiamate`,
  );
}

/** How far above the lower bound the search for the fewest operators goes. */
const MAX_SEARCH = 2000;

/** The plan: per weekday and half-hour, the operators needed on the phones and scheduled, the shifts, and the figures. */
export function planMonth(d: Demand, options: Partial<PlanOptions> = {}): MonthPlan {
  const o = { ...DEFAULT_PLAN_OPTIONS, ...options };
  validateOptions(o);
  const roster = Object.fromEntries(
    PLAN_DAYS.map((day) => [day, d.calls[day].map((calls) => (calls > 0 ? operatorsNeeded(d, o, calls).servers : 0))]),
  ) as Record<PlanDay, number[]>;
  return evaluateRoster(d, roster, o);
}

/**
 * What a roster (operators on the phones per weekday and half-hour, index as in `Demand`)
 * gives: each half-hour's expected figures, the scheduled operators with shrinkage, shifts
 * that cover them, and the month's figures weighted by calls.
 */
export function evaluateRoster(
  d: Demand,
  roster: Record<PlanDay, number[]>,
  options: Partial<PlanOptions> = {},
): MonthPlan {
  const o = { ...DEFAULT_PLAN_OPTIONS, ...options };
  validateOptions(o);
  const days = {} as Record<PlanDay, DayPlan>;
  const sum = { calls: 0, within: 0, withinOrLost: 0, lost: 0, busy: 0, phone: 0, scheduled: 0, paid: 0 };
  for (const day of PLAN_DAYS) {
    const open = openHalfHours(d, day);
    const halfHours = open.map((i) => {
      const calls = d.calls[day][i] ?? 0;
      const onPhones = Math.max(0, Math.round(roster[day]?.[i] ?? 0));
      const f = halfHourFigures(d, o, calls, onPhones);
      return {
        ...f,
        start: halfHourLabel(i),
        calls,
        onPhones,
        scheduled: Math.ceil(onPhones / (1 - o.shrinkage) - 1e-9),
      };
    });
    const required = new Array<number>(HALF_HOURS).fill(0);
    for (const [k, i] of open.entries()) required[i] = halfHours[k]?.scheduled ?? 0;
    const shifts = open.length
      ? coverWithShifts(required, (open[0] ?? 0) / 2, ((open.at(-1) ?? 0) + 1) / 2, o.shiftHours)
      : [];
    const phoneHours = halfHours.reduce((s, h) => s + h.onPhones / 2, 0);
    const scheduledHours = halfHours.reduce((s, h) => s + h.scheduled / 2, 0);
    const shiftHoursPaid = shifts.reduce((s, x) => s + x.count * x.hours, 0);
    days[day] = { day, openDays: d.days[day], halfHours, shifts, phoneHours, scheduledHours, shiftHoursPaid };
    const n = d.days[day];
    for (const h of halfHours) {
      sum.calls += n * h.calls;
      sum.within += n * h.calls * h.answeredWithin;
      sum.withinOrLost += n * h.calls * h.answeredOrLostWithin;
      sum.lost += n * h.calls * h.lost;
      sum.busy += n * h.occupancy * h.onPhones;
    }
    sum.phone += n * phoneHours;
    sum.scheduled += n * scheduledHours;
    sum.paid += n * shiftHoursPaid;
  }
  const openDayCount = PLAN_DAYS.reduce((s, x) => s + d.days[x], 0);
  // Weeks in the month: its open days over six a week (Monday to Saturday).
  const weeks = Math.max(openDayCount, 1) / 6;
  const phoneHalfHours = sum.phone * 2;
  return {
    demand: d,
    options: o,
    days,
    month: {
      calls: sum.calls,
      answeredWithin: sum.calls ? sum.within / sum.calls : 1,
      answeredOrLostWithin: sum.calls ? sum.withinOrLost / sum.calls : 1,
      lost: sum.calls ? sum.lost / sum.calls : 0,
      occupancy: phoneHalfHours ? sum.busy / phoneHalfHours : 0,
      phoneHours: sum.phone,
      scheduledHours: sum.scheduled,
      shiftHoursPaid: sum.paid,
      fte: sum.paid / (o.fteHoursPerWeek * weeks),
    },
  };
}

/** The hour's figure the command's `plan` gives: the larger of its two half-hours' operators. */
export function hourly(plan: MonthPlan): {
  plan: Record<PlanDay, Record<string, number>>;
  expected: Record<PlanDay, Record<string, HourFigures>>;
} {
  const out = { plan: {}, expected: {} } as ReturnType<typeof hourly>;
  for (const day of PLAN_DAYS) {
    const byStart = new Map(plan.days[day].halfHours.map((h) => [h.start, h]));
    out.plan[day] = {};
    out.expected[day] = {};
    for (let hour = 8; hour <= 19; hour++) {
      const key = String(hour).padStart(2, '0');
      const halves = [byStart.get(`${key}:00`), byStart.get(`${key}:30`)].filter((h) => h !== undefined);
      out.plan[day][key] = Math.max(0, ...halves.map((h) => h.onPhones));
      const calls = halves.reduce((s, h) => s + h.calls, 0);
      const weighted = (f: (h: (typeof halves)[number]) => number) =>
        calls ? halves.reduce((s, h) => s + h.calls * f(h), 0) / calls : null;
      out.expected[day][key] = {
        calls: round(calls, 1),
        onPhones: out.plan[day][key],
        scheduled: Math.max(0, ...halves.map((h) => h.scheduled)),
        serviceLevel: pct(weighted((h) => reached(h, plan.options.reading))),
        answeredWithin: pct(weighted((h) => h.answeredWithin)),
        lost: pct(weighted((h) => h.lost)),
        occupancy: pct(halves.length ? halves.reduce((s, h) => s + h.occupancy, 0) / halves.length : null),
        meanWaitS: round(
          weighted((h) => h.meanWaitS),
          1,
        ),
      };
    }
  }
  return out;
}

export interface HourFigures {
  calls: number | null;
  onPhones: number;
  scheduled: number;
  /** Percent, under the plan's reading. */
  serviceLevel: number | null;
  answeredWithin: number | null;
  lost: number | null;
  occupancy: number | null;
  meanWaitS: number | null;
}

const round = (x: number | null, digits: number) =>
  x === null || !Number.isFinite(x) ? null : Math.round(x * 10 ** digits) / 10 ** digits;
const pct = (x: number | null) => (x === null ? null : round(x * 100, 2));

/**
 * The §6.1 rows the month's expected figures give under the reports' definitions: the
 * answered-within-20 s and lost-calls SLAs with their points short and penalty (% and € of
 * the month's service value, when known).
 */
export function expectedPenalties(plan: MonthPlan, defs: KpiDefinitions, values: PeriodValues): SlaRow[] {
  // The reports' wait limit, whatever the plan was asked for (`exclude-short` read as strict:
  // the formulas do not tell the short abandons apart).
  const m =
    plan.options.targetS === defs.waitLimitS
      ? plan.month
      : evaluateRoster(plan.demand, rosterOf(plan), { ...plan.options, targetS: defs.waitLimitS }).month;
  const within = reached(m, defs.answeredWithin);
  const base = m.calls;
  return [
    slaRow('answered-within-20s', { met: within * base, base, pending: 0 }, defs, values, 'contacts'),
    slaRow('lost-calls', { met: m.lost * base, base, pending: 0 }, defs, values, 'contacts'),
  ];
}

function validateOptions(o: PlanOptions): void {
  const bad: string[] = [];
  if (!(o.targetS > 0)) bad.push('il limite di attesa deve essere positivo');
  if (!(o.serviceLevel > 0 && o.serviceLevel < 1)) bad.push('il livello di servizio deve essere tra 0 e 100 %');
  if (!(o.maxLost > 0 && o.maxLost <= 1)) bad.push('la quota massima di chiamate perse deve essere tra 0 e 100 %');
  if (!(o.maxOccupancy >= 0.3 && o.maxOccupancy <= 1)) bad.push("l'occupazione massima deve essere tra 30 e 100 %");
  if (!(o.shrinkage >= 0 && o.shrinkage <= 0.9)) bad.push('lo shrinkage deve essere tra 0 e 90 %');
  if (!o.shiftHours.length || o.shiftHours.some((h) => !(h >= 1 && h <= 12 && Number.isInteger(h * 2))))
    bad.push('i turni devono durare da 1 a 12 ore, a mezz’ore');
  if (!(o.hourCostEur >= 0)) bad.push('il costo orario non può essere negativo');
  if (!(o.fteHoursPerWeek > 0 && o.fteHoursPerWeek <= 60))
    bad.push('le ore settimanali di un FTE devono essere tra 1 e 60');
  if (bad.length) throw new RangeError(bad.join('; '));
}

/** The plan's operators on the phones per weekday and half-hour (to simulate, or to edit as a roster). */
export function rosterOf(plan: MonthPlan): Record<PlanDay, number[]> {
  const out = emptyDays();
  for (const day of PLAN_DAYS) for (const h of plan.days[day].halfHours) out[day][halfHourIndex(h.start)] = h.onPhones;
  return out;
}
