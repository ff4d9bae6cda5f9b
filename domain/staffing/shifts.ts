import { halfHourLabel } from './demand.js';

/** Operators starting together on a shift of one length. */
export interface Shift {
  /** `HH:MM`, Europe/Rome. */
  start: string;
  end: string;
  hours: number;
  count: number;
}

/**
 * Shifts of the allowed lengths (hours) that give at least `required[i]` operators in every
 * half-hour i between `openHour` and `closeHour`, starting on half-hours. Greedy from the
 * opening: at the first half-hour still short, one more shift starts, of the length (and, near
 * the closing, the start) that covers most half-hours still short for the fewest already
 * covered; the longer on a tie. Not an optimum, but close for the smooth curves of a line; the
 * plan reports the hours paid beside the hours needed so the difference is seen.
 */
export function coverWithShifts(required: number[], openHour: number, closeHour: number, lengths: number[]): Shift[] {
  const open = Math.round(openHour * 2);
  const close = Math.round(closeHour * 2);
  const cover = new Array<number>(required.length).fill(0);
  const halves = [...new Set(lengths.map((h) => Math.round(h * 2)))].sort((a, b) => b - a);
  const placed = new Map<string, Shift>();
  for (let s = open; s < close; s++) {
    while ((cover[s] ?? 0) < (required[s] ?? 0)) {
      let best: { start: number; len: number; score: number } | undefined;
      for (const len of halves) {
        // Ends by the closing if it can; otherwise ends at the closing, started earlier.
        const start = s + len <= close ? s : Math.max(open, close - len);
        let score = 0;
        for (let t = start; t < start + len; t++) score += (cover[t] ?? 0) < (required[t] ?? 0) ? 1 : -1;
        if (!best || score > best.score) best = { start, len, score };
      }
      if (!best) return [];
      for (let t = best.start; t < best.start + best.len; t++) cover[t] = (cover[t] ?? 0) + 1;
      const key = `${best.start}:${best.len}`;
      const shift = placed.get(key) ?? {
        start: halfHourLabel(best.start),
        end: halfHourLabel(best.start + best.len),
        hours: best.len / 2,
        count: 0,
      };
      shift.count++;
      placed.set(key, shift);
    }
  }
  return [...placed.values()].sort((a, b) => a.start.localeCompare(b.start) || b.hours - a.hours);
}
