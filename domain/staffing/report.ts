import type { KpiDefinitions, SlaRow } from '../kpi/types.js';
import type { PeriodValues } from '../kpi/sla.js';
import { emptyDays, PLAN_DAYS, type Demand, type PlanDay } from './demand.js';
import {
  evaluateRoster,
  expectedPenalties,
  hourly,
  planMonth,
  reached,
  rosterOf,
  type HourFigures,
  type MonthPlan,
  type PlanOptions,
} from './planner.js';
import { simulate, type SimulationOptions, type SimulationResult } from './simulation.js';
import type { Shift } from './shifts.js';

/**
 * What the CUP line reached in 2024 (seed 003, values at 31/05/2024) and how the specification
 * staffed it (seed 000 §2.1: 38.1 FTE front end, 45 people), for the comparison beside a plan.
 */
export const REFERENCE: Record<
  Demand['line'],
  { frontEndFte: number; reported2024: { answeredWithinPct: number; lostPct: number } | null }
> = {
  cup: { frontEndFte: 38.1, reported2024: { answeredWithinPct: 42.46, lostPct: 20.73 } },
  csb: { frontEndFte: 4.5, reported2024: null },
};

export { rosterOf };

/** A roster as people write it: per weekday, hour (`08`) or half-hour (`08:30`) → operators on the phones. */
export type RosterInput = Partial<Record<PlanDay, Record<string, number>>>;

/** A written roster as the planner takes it: per weekday, 48 half-hours; an hour fills both its halves. */
export function rosterFromInput(input: RosterInput): Record<PlanDay, number[]> {
  const out = emptyDays();
  const bad: string[] = [];
  for (const [day, hours] of Object.entries(input)) {
    if (!(PLAN_DAYS as readonly string[]).includes(day)) {
      bad.push(`giorno sconosciuto: ${day} (mon … sat)`);
      continue;
    }
    for (const [key, n] of Object.entries(hours ?? {})) {
      const m = /^([01]\d|2[0-3])(?::(00|30))?$/.exec(key);
      if (!m) {
        bad.push(`${day}: ora non valida ${key} (HH o HH:MM a mezz'ore)`);
        continue;
      }
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 10_000) {
        bad.push(`${day} ${key}: il numero di operatori deve essere un intero da 0 a 10000`);
        continue;
      }
      const h = Number(m[1]);
      const list = out[day as PlanDay];
      if (m[2] === undefined) {
        list[2 * h] = n;
        list[2 * h + 1] = n;
      } else list[2 * h + (m[2] === '30' ? 1 : 0)] = n;
    }
  }
  if (bad.length) throw new RangeError(bad.join('; '));
  return out;
}

export interface StaffingReport {
  line: Demand['line'];
  month: string;
  source: Demand['source'];
  model: PlanOptions['model'];
  inputs: {
    ahtS: number;
    patienceS: number | null;
    wrapUpShare: number;
    bookingShare: number;
    targetS: number;
    serviceLevelPct: number;
    reading: PlanOptions['reading'];
    maxLostPct: number;
    maxOccupancyPct: number;
    shrinkagePct: number;
    shiftHours: number[];
    hourCostEur: number;
    fteHoursPerWeek: number;
  };
  /** Open days of each weekday in the month. */
  days: Record<PlanDay, number>;
  /** Per weekday, hour `08`…`19` → operators on the phones (the larger of its two half-hours; 0 when closed). */
  plan: Record<PlanDay, Record<string, number>>;
  /** Per weekday and hour: calls, operators, expected service level, lost calls, occupancy (percent). */
  expected: Record<PlanDay, Record<string, HourFigures>>;
  halfHours: Record<
    PlanDay,
    {
      start: string;
      calls: number;
      onPhones: number;
      scheduled: number;
      serviceLevelPct: number;
      answeredWithinPct: number;
      lostPct: number;
      occupancyPct: number;
      meanWaitS: number | null;
    }[]
  >;
  shifts: Record<PlanDay, Shift[]>;
  totals: {
    calls: number;
    serviceLevelPct: number;
    answeredWithinPct: number;
    answeredOrLostWithinPct: number;
    lostPct: number;
    occupancyPct: number;
    phoneHours: number;
    scheduledHours: number;
    shiftHoursPaid: number;
    fte: number;
    costEur: number;
  };
  comparison: {
    specificationFrontEndFte: number;
    reported2024: { answeredWithinPct: number; lostPct: number } | null;
    /** The share of this plan's operators that reproduces the 2024 service level (its reading: answered within). */
    staffingShareMatching2024Pct: number | null;
  };
  /** §6.1's rows for the month under the reports' definitions, when asked for. */
  penalties?: SlaRow[];
  simulation?: {
    days: number;
    seed: number;
    handling: SimulationOptions['handling'];
    totals: { serviceLevelPct: number; answeredWithinPct: number; lostPct: number; occupancyPct: number };
    /** Whether the simulated month meets the targets the plan was made for. */
    meetsTargets: boolean;
    /** Half-hours where the simulation's service level is more than 3 points from the plan's. */
    differences: {
      day: PlanDay;
      start: string;
      planPct: number;
      simulatedPct: number;
      lostPlanPct: number;
      lostSimulatedPct: number;
    }[];
  };
  notes: string[];
}

/** What the API and `--format json` answer: the report, and with a roster evaluated, the plan that meets the targets as `needed`. */
export type StaffingAnswer = StaffingReport & { needed?: StaffingReport };

const r2 = (x: number) => Math.round(x * 100) / 100;
const p2 = (x: number) => r2(x * 100);

/** The report of a plan (or of a roster evaluated), as the command, the API and the page give it. */
export function staffingReport(
  plan: MonthPlan,
  extra: {
    simulation?: SimulationResult;
    penalties?: { definitions: KpiDefinitions; values: PeriodValues };
    /** The comparison of the plan that meets the targets, when `plan` is a roster being evaluated. */
    comparison?: StaffingReport['comparison'];
  } = {},
): StaffingReport {
  const d = plan.demand;
  const o = plan.options;
  const { plan: perHour, expected } = hourly(plan);
  const halfHours = {} as StaffingReport['halfHours'];
  const shifts = {} as StaffingReport['shifts'];
  for (const day of PLAN_DAYS) {
    halfHours[day] = plan.days[day].halfHours.map((h) => ({
      start: h.start,
      calls: r2(h.calls),
      onPhones: h.onPhones,
      scheduled: h.scheduled,
      serviceLevelPct: p2(reached(h, o.reading)),
      answeredWithinPct: p2(h.answeredWithin),
      lostPct: p2(h.lost),
      occupancyPct: p2(h.occupancy),
      meanWaitS: Number.isFinite(h.meanWaitS) ? r2(h.meanWaitS) : null,
    }));
    shifts[day] = plan.days[day].shifts;
  }
  const m = plan.month;
  const ref = REFERENCE[d.line];
  const report: StaffingReport = {
    line: d.line,
    month: d.month,
    source: d.source,
    model: o.model === 'erlang-c' || d.patienceS === null ? 'erlang-c' : 'erlang-a',
    inputs: {
      ahtS: r2(d.ahtS),
      patienceS: o.model === 'erlang-c' || d.patienceS === null ? null : r2(d.patienceS),
      wrapUpShare: r2(d.wrapUpShare),
      bookingShare: r2(d.bookingShare),
      targetS: o.targetS,
      serviceLevelPct: p2(o.serviceLevel),
      reading: o.reading,
      maxLostPct: p2(o.maxLost),
      maxOccupancyPct: p2(o.maxOccupancy),
      shrinkagePct: p2(o.shrinkage),
      shiftHours: o.shiftHours,
      hourCostEur: o.hourCostEur,
      fteHoursPerWeek: o.fteHoursPerWeek,
    },
    days: d.days,
    plan: perHour,
    expected,
    halfHours,
    shifts,
    totals: {
      calls: Math.round(m.calls),
      serviceLevelPct: p2(reached(m, o.reading)),
      answeredWithinPct: p2(m.answeredWithin),
      answeredOrLostWithinPct: p2(m.answeredOrLostWithin),
      lostPct: p2(m.lost),
      occupancyPct: p2(m.occupancy),
      phoneHours: r2(m.phoneHours),
      scheduledHours: r2(m.scheduledHours),
      shiftHoursPaid: r2(m.shiftHoursPaid),
      fte: r2(m.fte),
      costEur: r2(m.shiftHoursPaid * o.hourCostEur),
    },
    comparison: extra.comparison ?? {
      specificationFrontEndFte: ref.frontEndFte,
      reported2024: ref.reported2024,
      staffingShareMatching2024Pct: ref.reported2024
        ? shareMatching(plan, ref.reported2024.answeredWithinPct / 100)
        : null,
    },
    notes: [...d.notes],
  };
  if (extra.penalties) report.penalties = expectedPenalties(plan, extra.penalties.definitions, extra.penalties.values);
  if (extra.simulation) {
    const s = extra.simulation;
    const sl = reached(s.month, o.reading);
    const differences: NonNullable<StaffingReport['simulation']>['differences'] = [];
    for (const day of PLAN_DAYS) {
      const byStart = new Map(s.days[day].map((x) => [x.start, x]));
      for (const h of plan.days[day].halfHours) {
        const x = byStart.get(h.start);
        if (!x) continue;
        const planned = reached(h, o.reading);
        const simulated = reached(x, o.reading);
        if (Math.abs(planned - simulated) > 0.03) {
          differences.push({
            day,
            start: h.start,
            planPct: p2(planned),
            simulatedPct: p2(simulated),
            lostPlanPct: p2(h.lost),
            lostSimulatedPct: p2(x.lost),
          });
        }
      }
    }
    report.simulation = {
      days: s.options.days,
      seed: s.options.seed,
      handling: s.options.handling,
      totals: {
        serviceLevelPct: p2(sl),
        answeredWithinPct: p2(s.month.answeredWithin),
        lostPct: p2(s.month.lost),
        occupancyPct: p2(s.month.occupancy),
      },
      meetsTargets: sl >= o.serviceLevel && s.month.lost <= o.maxLost,
      differences,
    };
  }
  return report;
}

/**
 * The share of a plan's operators (every half-hour scaled alike, rounded) at which the month's
 * answered-within share falls to `target`: how understaffed a reported figure implies the line was.
 */
function shareMatching(plan: MonthPlan, target: number): number | null {
  const roster = rosterOf(plan);
  const at = (f: number) => {
    const scaled = Object.fromEntries(PLAN_DAYS.map((d) => [d, roster[d].map((n) => Math.round(n * f))])) as Record<
      PlanDay,
      number[]
    >;
    return evaluateRoster(plan.demand, scaled, plan.options).month.answeredWithin;
  };
  if (at(1) < target) return null;
  let lo = 0.05;
  let hi = 1;
  for (let k = 0; k < 20; k++) {
    const mid = (lo + hi) / 2;
    if (at(mid) >= target) hi = mid;
    else lo = mid;
  }
  return r2(hi * 100);
}

/** The plan's half-hours as CSV (semicolons and decimal commas, as Italian spreadsheets open it). */
export function staffingCsv(report: StaffingReport): string {
  const num = (x: number | null) => (x === null ? '' : String(x).replace('.', ','));
  const lines = [
    'linea;mese;giorno;mezz_ora;chiamate;operatori_al_telefono;operatori_in_turno;livello_servizio_pct;risposte_entro_limite_pct;perse_pct;occupazione_pct;attesa_media_s',
  ];
  for (const day of PLAN_DAYS) {
    for (const h of report.halfHours[day]) {
      lines.push(
        [
          report.line,
          report.month,
          day,
          h.start,
          num(h.calls),
          h.onPhones,
          h.scheduled,
          num(h.serviceLevelPct),
          num(h.answeredWithinPct),
          num(h.lostPct),
          num(h.occupancyPct),
          num(h.meanWaitS),
        ].join(';'),
      );
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Everything one request or command asks: plan (or evaluate a roster), optionally simulate and price. */
export function runStaffing(
  demand: Demand,
  options: Partial<PlanOptions>,
  extra: {
    roster?: RosterInput;
    simulate?: Partial<SimulationOptions>;
    penalties?: { definitions: KpiDefinitions; values: PeriodValues };
  } = {},
): { report: StaffingReport; needed: StaffingReport | undefined } {
  const needed = planMonth(demand, options);
  const evaluated = extra.roster ? evaluateRoster(demand, rosterFromInput(extra.roster), options) : needed;
  const simulation = extra.simulate
    ? simulate(demand, rosterOf(evaluated), { targetS: evaluated.options.targetS, ...extra.simulate })
    : undefined;
  // The 2024 comparison is the plan's (a bisection over it): made once, shown with both.
  const neededReport = extra.roster ? staffingReport(needed, { penalties: extra.penalties }) : undefined;
  const report = staffingReport(evaluated, {
    simulation,
    penalties: extra.penalties,
    comparison: neededReport?.comparison,
  });
  return { report, needed: neededReport };
}
