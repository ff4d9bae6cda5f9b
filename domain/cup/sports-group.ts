import { TIME_ZONE } from '../time.js';

// One formatter for the whole plan: building one per slot dominates the planning time.
const romeDay = new Intl.DateTimeFormat('en-CA', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/**
 * Sports-medicine visits for the athletes of a sports club (C6): the club sends its list,
 * the back office books them at one structure on as few days as possible, so that the
 * club brings its athletes together.
 */

/** One free slot of the structure's agenda for the service. */
export interface FreeSlot {
  slotId: string;
  /** ISO instant. */
  start: string;
}

/** One athlete and the slot the plan gives them. */
export interface SportsGroupAssignment {
  patientId: string;
  slotId: string;
  start: string;
}

/** A day of the plan (`YYYY-MM-DD` in Europe/Rome) and how many athletes come that day. */
export interface SportsGroupDay {
  day: string;
  athletes: number;
}

export type SportsGroupPlan =
  | {
      fits: true;
      /** The days used, in date order. */
      days: SportsGroupDay[];
      /** One slot per athlete, in start order. */
      assignments: SportsGroupAssignment[];
    }
  | {
      fits: false;
      /** Athletes to book. */
      needed: number;
      /** Free slots seen. */
      available: number;
    };

/**
 * Chooses one slot per athlete so that the athletes come on as few days as possible:
 * the days with the most free slots first (ties: the earlier day), and on each day its
 * earliest slots. Taking the largest days first is optimal for the number of days (no
 * k days can hold more athletes than the k largest). Athletes are given the chosen slots
 * in list order, earliest slot first. Pure: no clock, no I/O.
 *
 * @param slots free slots of one structure for the service (any order; duplicates ignored)
 * @param athletes patient ids, each once
 * @throws RangeError when an athlete appears twice (the API refuses such a list)
 */
export function planOnFewestDays(slots: readonly FreeSlot[], athletes: readonly string[]): SportsGroupPlan {
  if (new Set(athletes).size !== athletes.length) throw new RangeError('the athlete list has duplicates');
  const unique = [...new Map(slots.map((s) => [s.slotId, s])).values()];
  if (unique.length < athletes.length) return { fits: false, needed: athletes.length, available: unique.length };

  const byDay = new Map<string, FreeSlot[]>();
  for (const s of unique) {
    const day = romeDay.format(new Date(s.start));
    const list = byDay.get(day) ?? [];
    list.push(s);
    byDay.set(day, list);
  }
  const days = [...byDay.entries()]
    .map(([day, list]) => ({ day, slots: list.sort(byStart) }))
    .sort((a, b) => b.slots.length - a.slots.length || a.day.localeCompare(b.day));

  const chosen: FreeSlot[] = [];
  const used: SportsGroupDay[] = [];
  for (const d of days) {
    const missing = athletes.length - chosen.length;
    if (missing <= 0) break;
    const take = d.slots.slice(0, missing);
    chosen.push(...take);
    used.push({ day: d.day, athletes: take.length });
  }
  chosen.sort(byStart);
  return {
    fits: true,
    days: used.sort((a, b) => a.day.localeCompare(b.day)),
    assignments: athletes.map((patientId, i) => {
      // chosen has exactly athletes.length slots: the list fits (checked above).
      const slot = chosen[i] as FreeSlot;
      return { patientId, slotId: slot.slotId, start: slot.start };
    }),
  };
}

function byStart(a: FreeSlot, b: FreeSlot): number {
  return Date.parse(a.start) - Date.parse(b.start) || a.slotId.localeCompare(b.slotId, 'en', { numeric: true });
}

/** True for an existing calendar day `AAAA-MM-GG` (not 2026-02-31, which Date would roll over). */
export function isCalendarDay(day: string): boolean {
  const d = new Date(`${day}T12:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === day;
}
