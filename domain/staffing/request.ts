import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { CONTRACT_DEFINITIONS } from '../kpi/definitions.js';
import type { Kpis } from '../kpi/kpis.js';
import type { KpiDefinitions } from '../kpi/types.js';
import { countByWeekday, measuredDemand, openDays, seedDemand, type ClosedDay, type Demand } from './demand.js';
import type { PlanOptions } from './planner.js';
import { runStaffing, type RosterInput, type StaffingReport } from './report.js';

const share = z.number().min(0).max(1);
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'una data AAAA-MM-GG')
  .refine((d) => new Date(`${d}T12:00:00Z`).toISOString().slice(0, 10) === d, 'una data che esiste nel calendario');

/**
 * What a staffing plan is asked with, the same for the command (`npm run staffing`), the API
 * and the page. Shares are fractions (0.3 = 30 %). Every field but line and month has a default.
 */
export const staffingRequestSchema = z
  .object({
    line: z.enum(['cup', 'csb']),
    month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'un mese AAAA-MM'),
    /** `seed`: the specification's volumes and curves; `records`: the contact records of [from, to). */
    source: z.enum(['seed', 'records']).default('seed'),
    from: day.optional(),
    to: day.optional(),
    ahtS: z.number().min(10).max(7200).optional(),
    /** Mean patience of a waiting caller; 0 or null: nobody hangs up (Erlang C). */
    patienceS: z.number().min(0).max(3600).nullable().optional(),
    model: z.enum(['erlang-a', 'erlang-c']).optional(),
    targetS: z.number().min(1).max(3600).optional(),
    serviceLevel: share.optional(),
    reading: z.enum(['answered', 'contract']).optional(),
    maxLost: share.optional(),
    maxOccupancy: z.number().min(0.3).max(1).optional(),
    shrinkage: z.number().min(0).max(0.9).optional(),
    shiftHours: z.array(z.number().min(1).max(12)).min(1).max(6).optional(),
    hourCostEur: z.number().min(0).max(1000).optional(),
    fteHoursPerWeek: z.number().min(1).max(60).optional(),
    bookingShare: share.optional(),
    /** A roster to evaluate instead of the plan: per weekday, `HH` or `HH:MM` → operators on the phones. */
    roster: z.record(z.string(), z.record(z.string(), z.number().int().min(0).max(10_000))).optional(),
    /** Simulate this many days of each weekday (0: no simulation; a hundred at most, a few seconds). */
    simulateDays: z.number().int().min(0).max(100).default(0),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31)
      .default(1),
    /** The month's service value in € (penalties are a share of it); otherwise the one configured for the line and month. */
    serviceValueEur: z.number().min(0).max(1e10).nullable().optional(),
  })
  .superRefine((r, ctx) => {
    if (r.source === 'records' && (!r.from || !r.to || r.from >= r.to)) {
      ctx.addIssue({
        code: 'custom',
        path: ['from'],
        message: 'indicare il periodo dei contatti: dal (from) e al (to), al escluso',
      });
    }
  });
export type StaffingRequest = z.infer<typeof staffingRequestSchema>;
/** What a client sends (defaults may be left out). */
export type StaffingRequestInput = z.input<typeof staffingRequestSchema>;

/**
 * The voice configuration's closures (`VOICE_CLOSED_DAYS`: `YYYY-MM-DD,…`; `VOICE_YEARLY_CLOSURES`:
 * `MM-DD,…`) as the planner's closed days, beyond the national holidays.
 */
export function closuresOf(config: {
  VOICE_CLOSED_DAYS?: string | undefined;
  VOICE_YEARLY_CLOSURES?: string | undefined;
}): ClosedDay {
  const list = (raw: string | undefined) =>
    (raw ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const days = new Set(list(config.VOICE_CLOSED_DAYS));
  const each = new Set(list(config.VOICE_YEARLY_CLOSURES));
  return (d) => days.has(d) || each.has(d.slice(5));
}

/**
 * Plans (or evaluates the roster of) one request: the demand from the seed or the records,
 * the definitions and the month's service value for the penalties from the KPI settings when
 * a database is given, the contract's otherwise.
 */
export async function staffingFor(
  r: StaffingRequest,
  deps: { db?: DataSource; kpis?: Kpis; closed?: ClosedDay },
): Promise<{ report: StaffingReport; needed: StaffingReport | undefined }> {
  let demand: Demand | null;
  if (r.source === 'records') {
    if (!deps.db) throw new RangeError('per la domanda misurata serve il database della piattaforma');
    demand = await measuredDemand(deps.db, r.line, r.from ?? '', r.to ?? '', { closed: deps.closed });
    if (!demand) throw new RangeError(`nessuna chiamata della linea ${r.line} nel periodo dal ${r.from} al ${r.to}`);
    // The period measured the demand of an average day; the plan is for the month asked.
    demand = {
      ...demand,
      month: r.month,
      days: countByWeekday(openDays(r.month, deps.closed)),
      ...(r.ahtS !== undefined ? { ahtS: r.ahtS } : {}),
      ...(r.patienceS !== undefined ? { patienceS: r.patienceS || null } : {}),
      ...(r.bookingShare !== undefined ? { bookingShare: r.bookingShare } : {}),
    };
  } else {
    demand = seedDemand(r.line, r.month, {
      ahtS: r.ahtS,
      patienceS: r.patienceS === undefined ? undefined : r.patienceS || null,
      bookingShare: r.bookingShare,
      closed: deps.closed,
    });
  }
  const options: Partial<PlanOptions> = {};
  for (const k of [
    'model',
    'targetS',
    'serviceLevel',
    'reading',
    'maxLost',
    'maxOccupancy',
    'shrinkage',
    'shiftHours',
    'hourCostEur',
    'fteHoursPerWeek',
  ] as const) {
    if (r[k] !== undefined) (options as Record<string, unknown>)[k] = r[k];
  }
  if (demand.patienceS === null && options.model === undefined) options.model = 'erlang-c';
  let definitions: KpiDefinitions = CONTRACT_DEFINITIONS;
  let serviceEur: number | null = r.serviceValueEur ?? null;
  if (deps.kpis) {
    definitions = await deps.kpis.currentDefinitions();
    if (r.serviceValueEur === undefined) {
      const [y, m] = r.month.split('-').map(Number) as [number, number];
      const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
      serviceEur = (
        await deps.kpis.periodValues({
          line: r.line,
          from: `${r.month}-01`,
          to: `${r.month}-${String(last).padStart(2, '0')}`,
        })
      ).serviceEur;
    }
  }
  return runStaffing(demand, options, {
    roster: r.roster as RosterInput | undefined,
    simulate: r.simulateDays > 0 ? { days: r.simulateDays, seed: r.seed } : undefined,
    penalties: { definitions, values: { serviceEur, outboundEur: null } },
  });
}
