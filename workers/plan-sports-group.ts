import { z } from 'zod';
import { CupUnavailableError, type Cup, type SlotOffer } from '../adapters/cup/cup.js';
import { isCalendarDay, planOnFewestDays, type FreeSlot } from '../domain/cup/sports-group.js';
import { dayInRome, startOfDayInRome, TIME_ZONE } from '../domain/time.js';
import type { Queryable } from '../platform/database/query.js';
import { BpmnError, TransientError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';
import { BPMN_ERRORS } from './framework/bpmn-errors.js';

const DAY_MS = 86_400_000;
/** Page size of the slot search: the FHIR Slot search of the CUP serves at most 100 at a time. */
const PAGE = 100;

const dayLabel = new Intl.DateTimeFormat('it-IT', {
  timeZone: TIME_ZONE,
  weekday: 'short',
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
});
const timeLabel = new Intl.DateTimeFormat('it-IT', { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit' });

/**
 * The `plan` process variable: one slot per athlete at one structure. `planId` scopes the
 * booking request keys, so that a new plan never reuses the bookings of a cancelled one.
 */
export const sportsGroupPlanSchema = z.object({
  planId: z.string().min(1),
  structureId: z.string().min(1),
  structureName: z.string(),
  days: z.array(z.object({ day: z.string(), athletes: z.number().int().min(1) })),
  assignments: z
    .array(z.object({ patientId: z.string().min(1), slotId: z.string().min(1), start: z.string().min(1) }))
    .min(1),
});

export type SportsGroupPlanVariable = z.infer<typeof sportsGroupPlanSchema>;

/** Patient ids of the club's athletes, each once (the API refuses repeats). */
export const athletesSchema = z
  .array(z.string().min(1))
  .min(1)
  .max(200)
  .refine((a) => new Set(a).size === a.length, 'atleti ripetuti nella lista');

/**
 * Free slots of one structure for a service in [from, to), reading the CUP page by page.
 * Each page asks again from just before the last start seen, so that slots starting at the
 * same time in another agenda of the structure are not skipped; repeats are dropped.
 */
async function freeSlotsInWindow(
  cup: Cup,
  q: { serviceCode: string; structureId: string; from: Date; to: Date; max: number },
): Promise<SlotOffer[]> {
  const seen = new Map<string, SlotOffer>();
  let after = new Date(q.from.getTime() - 1);
  for (;;) {
    const page = await cup.findEarliestSlots({
      serviceCode: q.serviceCode,
      structureId: q.structureId,
      after,
      limit: PAGE,
    });
    let fresh = 0;
    for (const o of page) {
      if (o.structureId !== q.structureId || Date.parse(o.start) >= q.to.getTime() || seen.has(o.slotId)) continue;
      seen.set(o.slotId, o);
      fresh += 1;
    }
    const last = page.at(-1);
    if (!last || page.length < PAGE || fresh === 0 || seen.size >= q.max || Date.parse(last.start) >= q.to.getTime()) {
      break;
    }
    after = new Date(Date.parse(last.start) - 1);
  }
  return [...seen.values()].sort((a, b) => Date.parse(a.start) - Date.parse(b.start)).slice(0, q.max);
}

/**
 * Plans the sports-medicine visits of a club's athletes at one structure on as few days as
 * possible, and records the plan for the back office to confirm.
 */
export const planSportsGroup = defineWorker({
  taskType: 'plan-sports-group',
  permission: 'cup:contact',
  description:
    'Pianifica le visite di medicina dello sport degli atleti di una società nel minor numero di giornate presso una struttura.',
  variables: z.object({
    businessKey: z.string().min(1),
    clubName: z.string().min(1),
    serviceCode: z.string().min(1),
    structureId: z.string().min(1),
    athletes: athletesSchema,
    // The form's date field gives AAAA-MM-GG; a date-time is cut to its day.
    notBefore: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}/, 'data nel formato AAAA-MM-GG')
      .transform((s) => s.slice(0, 10))
      .refine(isCalendarDay, 'data inesistente')
      .nullish(),
  }),
  headers: z.object({
    /** How many days from the first useful day the plan may use. */
    horizonDays: z.coerce.number().int().min(1).max(365).default(60),
    /** The most free slots read from the CUP for one plan. */
    maxSlots: z.coerce.number().int().min(1).max(5000).default(1500),
  }),
  async handler({ variables: v, headers, job, deps }) {
    const now = deps.now();
    const chosenStart = v.notBefore ? startOfDayInRome(v.notBefore) : undefined;
    const from = chosenStart && chosenStart > now ? chosenStart : now;
    const to = new Date(from.getTime() + headers.horizonDays * DAY_MS);
    let offers: SlotOffer[];
    try {
      offers = await freeSlotsInWindow(deps.cup, {
        serviceCode: v.serviceCode,
        structureId: v.structureId,
        from,
        to,
        max: headers.maxSlots,
      });
    } catch (err) {
      if (err instanceof CupUnavailableError) throw new TransientError(err.message);
      throw err;
    }
    const structureName = offers[0]?.structureName ?? v.structureId;
    const slots: FreeSlot[] = offers.map((o) => ({ slotId: o.slotId, start: o.start }));
    const result = planOnFewestDays(slots, v.athletes);
    const period = `dal ${dayLabel.format(from)} al ${dayLabel.format(new Date(to.getTime() - 1))}`;

    if (!result.fits) {
      await record(deps.db, job.processInstanceKey, v, { status: 'no-room', plan: null, days: [] });
      throw new BpmnError('SPORTS_GROUP_NO_ROOM', BPMN_ERRORS.SPORTS_GROUP_NO_ROOM, {
        plan: null,
        planDays: 0,
        planSummary:
          `**Posti insufficienti.** Nel periodo ${period}, ${structureName} ha ${result.available} posti liberi ` +
          `per ${result.needed} atleti. Concordare con la struttura e con la società una data da cui ripianificare, ` +
          'oppure annullare la richiesta.',
      });
    }

    const plan: SportsGroupPlanVariable = {
      // The job key is the same on every delivery of this job and new for every planning round.
      planId: job.key,
      structureId: v.structureId,
      structureName,
      days: result.days,
      assignments: result.assignments,
    };
    await record(deps.db, job.processInstanceKey, v, {
      status: 'planned',
      plan,
      days: result.days.map((d) => d.day),
    });
    const lines = result.days.map((d) => {
      const starts = result.assignments
        .filter((a) => dayInRome(new Date(a.start)) === d.day)
        .map((a) => new Date(a.start));
      const first = starts[0];
      const last = starts.at(-1);
      return `- ${dayLabel.format(startOfDayInRome(d.day))}: ${d.athletes} ${d.athletes === 1 ? 'atleta' : 'atleti'}${
        first && last ? `, dalle ${timeLabel.format(first)} alle ${timeLabel.format(last)}` : ''
      }`;
    });
    return {
      plan,
      planDays: result.days.length,
      planSummary:
        `**${v.athletes.length} ${v.athletes.length === 1 ? 'atleta' : 'atleti'}** di ${v.clubName} in ` +
        `**${result.days.length} ${result.days.length === 1 ? 'giornata' : 'giornate'}** presso ${structureName} ` +
        `(periodo consultato ${period}):\n\n${lines.join('\n')}`,
    };
  },
});

/**
 * Writes the plan on the group's record. The API writes the record before the instance
 * starts; the upsert covers an instance started without it. A booked or cancelled group
 * is final, so a late re-delivery does not overwrite it.
 */
async function record(
  db: Queryable,
  processInstanceKey: string,
  v: {
    businessKey: string;
    clubName: string;
    serviceCode: string;
    structureId: string;
    athletes: string[];
    notBefore?: string | null | undefined;
  },
  r: { status: 'planned' | 'no-room'; plan: SportsGroupPlanVariable | null; days: string[] },
): Promise<void> {
  await db.query(
    `INSERT INTO cup_sports_groups (business_key, process_instance_key, club_name, service_code, structure_id, athletes,
       not_before, status, plan, planned_days)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::date[])
     ON CONFLICT (business_key) DO UPDATE
       SET process_instance_key = EXCLUDED.process_instance_key, not_before = EXCLUDED.not_before,
           status = EXCLUDED.status, plan = EXCLUDED.plan, planned_days = EXCLUDED.planned_days, updated_at = now()
     WHERE cup_sports_groups.status NOT IN ('booked', 'cancelled')`,
    [
      v.businessKey,
      processInstanceKey,
      v.clubName,
      v.serviceCode,
      v.structureId,
      v.athletes,
      v.notBefore ?? null,
      r.status,
      r.plan === null ? null : JSON.stringify(r.plan),
      r.days,
    ],
  );
}
