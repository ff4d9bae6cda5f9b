import { describe, expect, it } from 'vitest';
import { isCalendarDay, planOnFewestDays, type FreeSlot } from '../../domain/cup/sports-group.js';

let nextId = 1;
/** `count` slots of 20 minutes from 08:30 Europe/Rome (winter: UTC+1) on a January day. */
function daySlots(day: string, count: number): FreeSlot[] {
  return Array.from({ length: count }, (_, i) => ({
    slotId: String(nextId++),
    start: new Date(Date.parse(`${day}T07:30:00Z`) + i * 20 * 60_000).toISOString(),
  }));
}
const athletes = (n: number) => Array.from({ length: n }, (_, i) => `ath-${String(i + 1).padStart(3, '0')}`);

function fitted(plan: ReturnType<typeof planOnFewestDays>) {
  if (!plan.fits) throw new Error('expected the athletes to fit');
  return plan;
}

describe('planning a sports club list on the fewest days (C6)', () => {
  it('uses the days with the most free slots, filling them, and the earliest slots of the last day', () => {
    const d12 = daySlots('2026-01-12', 5);
    const d13 = daySlots('2026-01-13', 12);
    const d14 = daySlots('2026-01-14', 9);
    const d15 = daySlots('2026-01-15', 12);
    const plan = fitted(planOnFewestDays([...d12, ...d13, ...d14, ...d15], athletes(15)));

    expect(plan.days).toEqual([
      { day: '2026-01-13', athletes: 12 },
      { day: '2026-01-15', athletes: 3 },
    ]);
    const used = new Set(plan.assignments.map((a) => a.slotId));
    expect(d13.every((s) => used.has(s.slotId))).toBe(true);
    expect(d15.slice(0, 3).every((s) => used.has(s.slotId))).toBe(true);
    expect(used.size).toBe(15);
  });

  it('breaks ties between equally free days by the earlier date', () => {
    const plan = fitted(
      planOnFewestDays(
        [...daySlots('2026-01-16', 6), ...daySlots('2026-01-14', 6), ...daySlots('2026-01-15', 6)],
        athletes(8),
      ),
    );
    expect(plan.days).toEqual([
      { day: '2026-01-14', athletes: 6 },
      { day: '2026-01-15', athletes: 2 },
    ]);
  });

  it('gives each athlete one slot, in list order and start order, whatever the order of the slots', () => {
    const slots = [...daySlots('2026-01-20', 12), ...daySlots('2026-01-21', 12)].reverse();
    const list = athletes(14);
    const plan = fitted(planOnFewestDays(slots, list));
    expect(plan.assignments.map((a) => a.patientId)).toEqual(list);
    const starts = plan.assignments.map((a) => Date.parse(a.start));
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
    expect(new Set(plan.assignments.map((a) => a.slotId)).size).toBe(14);
    expect(plan.assignments[0]?.start).toBe('2026-01-20T07:30:00.000Z');
  });

  it('counts days in Europe/Rome, not in UTC', () => {
    // 23:30 UTC on the 9th is 00:30 on the 10th in Rome: both slots are on the same day.
    const plan = fitted(
      planOnFewestDays(
        [
          { slotId: 'a', start: '2026-01-09T23:30:00Z' },
          { slotId: 'b', start: '2026-01-10T08:00:00Z' },
        ],
        ['x', 'y'],
      ),
    );
    expect(plan.days).toEqual([{ day: '2026-01-10', athletes: 2 }]);
  });

  it('says when the athletes do not fit, ignoring repeated slots', () => {
    const slots = daySlots('2026-01-12', 3);
    expect(planOnFewestDays([...slots, ...slots], athletes(4))).toEqual({ fits: false, needed: 4, available: 3 });
  });

  it('refuses a list with the same athlete twice', () => {
    expect(() => planOnFewestDays(daySlots('2026-01-12', 5), ['a', 'b', 'a'])).toThrow(RangeError);
  });

  it('reaches the least number of days on any availability (exhaustive check)', () => {
    // A small deterministic generator, so that a failure can be replayed.
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 200; round++) {
      const counts = Array.from({ length: 1 + Math.floor(random() * 7) }, () => Math.floor(random() * 13));
      const slots = counts.flatMap((n, i) => daySlots(`2026-02-${String(i + 2).padStart(2, '0')}`, n));
      const n = 1 + Math.floor(random() * 30);
      let best: number | undefined;
      for (let mask = 1; mask < 2 ** counts.length; mask++) {
        const chosen = counts.filter((_, i) => mask & (1 << i));
        const room = chosen.reduce((a, b) => a + b, 0);
        if (room >= n && (best === undefined || chosen.length < best)) best = chosen.length;
      }
      const plan = planOnFewestDays(slots, athletes(n));
      if (best === undefined) expect(plan.fits).toBe(false);
      else expect(fitted(plan).days.length, `counts ${counts.join(',')} for ${n}`).toBe(best);
    }
  });

  it('checks calendar days', () => {
    expect(isCalendarDay('2026-02-28')).toBe(true);
    expect(isCalendarDay('2026-02-31')).toBe(false);
    expect(isCalendarDay('2026-13-01')).toBe(false);
  });
});
