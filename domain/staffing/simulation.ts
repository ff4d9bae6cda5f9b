import { seededRandom } from '../../platform/seeded-random.js';
import {
  HALF_HOUR_S,
  HALF_HOURS,
  halfHourLabel,
  openHalfHours,
  PLAN_DAYS,
  type Demand,
  type PlanDay,
} from './demand.js';

/**
 * A discrete-event simulation of whole days of a line, to check the analytic plan where the
 * Erlang formulas assume what a day is not: each half-hour on its own and in steady state.
 * Here the queue carries over from one half-hour to the next, the operators on the phones
 * change at the half-hours (one leaving finishes their call first) and stay after the closing
 * until the queue is empty; calls arrive as a Poisson process at each half-hour's rate;
 * booking calls are answered before the others (seed §2.1), first come first served within a
 * class; an operator is held for the talk and then the after-call work (each exponential, or
 * the whole handle time as one exponential, as Erlang assumes); a waiting caller hangs up at an
 * exponential patience.
 */
export interface SimulationOptions {
  /** Simulated days of each weekday (replications). */
  days: number;
  seed: number;
  targetS: number;
  /** `talk-wrap`: talk and after-call work, each exponential; `exponential`: one exponential handle time. */
  handling: 'talk-wrap' | 'exponential';
}

export const DEFAULT_SIMULATION: SimulationOptions = { days: 30, seed: 1, targetS: 20, handling: 'talk-wrap' };

interface Tally {
  offered: number;
  answeredWithin: number;
  lostWithin: number;
  lost: number;
  bookingOffered: number;
  bookingAnsweredWithin: number;
  waitTotal: number;
  busyS: number;
  staffedS: number;
}

const tally = (): Tally => ({
  offered: 0,
  answeredWithin: 0,
  lostWithin: 0,
  lost: 0,
  bookingOffered: 0,
  bookingAnsweredWithin: 0,
  waitTotal: 0,
  busyS: 0,
  staffedS: 0,
});

export interface SimulatedHalfHour {
  start: string;
  /** Calls offered in the half-hour, on average over the simulated days. */
  calls: number;
  answeredWithin: number;
  answeredOrLostWithin: number;
  lost: number;
  occupancy: number;
  meanWaitS: number;
  /** The booking calls' own answered-within share (they go first). */
  bookingAnsweredWithin: number | null;
}

export interface SimulationResult {
  days: Record<PlanDay, SimulatedHalfHour[]>;
  /** The month weighted by each weekday's open days, as the plan's month figures are. */
  month: { calls: number; answeredWithin: number; answeredOrLostWithin: number; lost: number; occupancy: number };
  options: SimulationOptions;
}

const exp = (rnd: () => number, mean: number) => -mean * Math.log(1 - rnd());

function poisson(rnd: () => number, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 60) {
    // Normal approximation with continuity correction, for speed at large means.
    const u = Math.max(1e-12, rnd());
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
  }
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rnd();
  } while (p > l);
  return k - 1;
}

/** A binary min-heap of events by time. */
class Events<T extends { at: number }> {
  private readonly h: T[] = [];
  get size(): number {
    return this.h.length;
  }
  push(e: T): void {
    const h = this.h;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((h[p] as T).at <= e.at) break;
      h[i] = h[p] as T;
      i = p;
    }
    h[i] = e;
  }
  pop(): T | undefined {
    const h = this.h;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && (h[r] as T).at < (h[l] as T).at ? r : l;
        if ((h[c] as T).at >= last.at) break;
        h[i] = h[c] as T;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

type Event =
  | { at: number; kind: 'arrival'; booking: boolean }
  | { at: number; kind: 'done' }
  | { at: number; kind: 'staff'; half: number };

interface Waiting {
  arrivedAt: number;
  quitsAt: number;
  half: number;
  booking: boolean;
}

/** One simulated day of `day` with `roster[i]` operators on the phones in half-hour i; adds to the tallies. */
function simulateDay(
  d: Demand,
  day: PlanDay,
  roster: number[],
  o: SimulationOptions,
  rnd: () => number,
  out: Tally[],
): void {
  const events = new Events<Event>();
  const open = openHalfHours(d, day);
  if (open.length === 0) return;
  const first = open[0] ?? 0;
  const last = open.at(-1) ?? 0;
  for (const i of open) {
    const n = poisson(rnd, d.calls[day][i] ?? 0);
    for (let k = 0; k < n; k++) {
      events.push({ at: (i + rnd()) * HALF_HOUR_S, kind: 'arrival', booking: rnd() < d.bookingShare });
    }
  }
  for (let i = first; i <= last; i++) events.push({ at: i * HALF_HOUR_S, kind: 'staff', half: i });
  const queues: [Waiting[], Waiting[]] = [[], []];
  const heads = [0, 0];
  let target = 0;
  let onDuty = 0;
  let busy = 0;
  let clock = first * HALF_HOUR_S;
  const talkMean = d.ahtS * (1 - d.wrapUpShare);
  const wrapMean = d.ahtS * d.wrapUpShare;
  const handle = () =>
    o.handling === 'exponential' ? exp(rnd, d.ahtS) : exp(rnd, talkMean) + (wrapMean > 0 ? exp(rnd, wrapMean) : 0);
  const patience = () => (d.patienceS && d.patienceS > 0 ? exp(rnd, d.patienceS) : Number.POSITIVE_INFINITY);
  const bucket = (t: number) => Math.min(HALF_HOURS - 1, Math.max(0, Math.floor(t / HALF_HOUR_S)));

  /** Operators busy and on duty between the last event and `t`, split at the half-hours. */
  const advance = (t: number) => {
    while (clock < t) {
      const b = bucket(clock);
      const edge = b === HALF_HOURS - 1 ? t : Math.min(t, (b + 1) * HALF_HOUR_S);
      const slot = out[b] as Tally;
      slot.busyS += busy * (edge - clock);
      slot.staffedS += onDuty * (edge - clock);
      clock = edge;
    }
  };
  /** The next caller still waiting (booking calls first); those whose patience ran out are counted lost. */
  const next = (now: number): Waiting | undefined => {
    for (const c of [0, 1] as const) {
      const q = queues[c];
      while ((heads[c] ?? 0) < q.length) {
        const w = q[heads[c] ?? 0] as Waiting;
        heads[c] = (heads[c] ?? 0) + 1;
        if (w.quitsAt <= now) {
          lose(w);
          continue;
        }
        return w;
      }
    }
    return undefined;
  };
  const lose = (w: Waiting) => {
    const slot = out[w.half] as Tally;
    const waited = w.quitsAt - w.arrivedAt;
    slot.lost++;
    slot.waitTotal += waited;
    if (waited <= o.targetS) slot.lostWithin++;
  };
  const answer = (w: { arrivedAt: number; half: number; booking: boolean }, now: number) => {
    const slot = out[w.half] as Tally;
    const waited = now - w.arrivedAt;
    slot.waitTotal += waited;
    if (waited <= o.targetS) {
      slot.answeredWithin++;
      if (w.booking) slot.bookingAnsweredWithin++;
    }
    busy++;
    events.push({ at: now + handle(), kind: 'done' });
  };
  const serveWaiting = (now: number) => {
    while (busy < onDuty) {
      const w = next(now);
      if (!w) return;
      answer(w, now);
    }
  };

  for (let e = events.pop(); e; e = events.pop()) {
    advance(e.at);
    if (e.kind === 'staff') {
      target = Math.max(0, Math.round(roster[e.half] ?? 0));
      // Joining operators start at once; leaving ones go when free (the free ones now).
      if (target > onDuty) onDuty = target;
      else onDuty = Math.max(target, busy);
      serveWaiting(e.at);
    } else if (e.kind === 'arrival') {
      const half = bucket(e.at);
      const slot = out[half] as Tally;
      slot.offered++;
      if (e.booking) slot.bookingOffered++;
      const w = { arrivedAt: e.at, quitsAt: e.at + patience(), half, booking: e.booking };
      if (busy < onDuty && queuedCount() === 0) answer(w, e.at);
      else queues[e.booking ? 0 : 1].push(w);
      serveWaiting(e.at);
    } else {
      busy--;
      // After the closing the last half-hour's operators stay until the queue is empty.
      const staffNow = e.at >= (last + 1) * HALF_HOUR_S ? Math.max(target, 1) : target;
      if (onDuty > staffNow) onDuty--;
      serveWaiting(e.at);
    }
    if (events.size === 0) {
      // Nothing more will happen: whoever still waits hangs up at their patience.
      for (const c of [0, 1] as const) {
        const q = queues[c];
        for (let k = heads[c] ?? 0; k < q.length; k++) lose(q[k] as Waiting);
        heads[c] = q.length;
      }
    }
  }

  function queuedCount(): number {
    return queues[0].length - (heads[0] ?? 0) + queues[1].length - (heads[1] ?? 0);
  }
}

/**
 * Simulates `o.days` days of each weekday of the month with the roster (operators on the
 * phones per weekday and half-hour), and gives each half-hour's figures and the month's.
 */
export function simulate(
  d: Demand,
  roster: Record<PlanDay, number[]>,
  options: Partial<SimulationOptions> = {},
): SimulationResult {
  const o = { ...DEFAULT_SIMULATION, ...options };
  if (!(o.days >= 1 && o.days <= 10_000)) throw new RangeError('i giorni simulati devono essere da 1 a 10000');
  const rnd = seededRandom(o.seed);
  const days = {} as Record<PlanDay, SimulatedHalfHour[]>;
  const month = { calls: 0, within: 0, withinOrLost: 0, lost: 0, busy: 0, staffed: 0 };
  for (const day of PLAN_DAYS) {
    const t = Array.from({ length: HALF_HOURS }, tally);
    for (let k = 0; k < o.days; k++) simulateDay(d, day, roster[day] ?? [], o, rnd, t);
    const rows: SimulatedHalfHour[] = [];
    for (let i = 0; i < HALF_HOURS; i++) {
      if (!((d.calls[day][i] ?? 0) > 0)) continue;
      const x = t[i] as Tally;
      const offered = Math.max(1, x.offered);
      rows.push({
        start: halfHourLabel(i),
        calls: x.offered / o.days,
        answeredWithin: x.offered ? x.answeredWithin / offered : 1,
        answeredOrLostWithin: x.offered ? (x.answeredWithin + x.lostWithin) / offered : 1,
        lost: x.offered ? x.lost / offered : 0,
        occupancy: x.staffedS ? x.busyS / x.staffedS : 0,
        meanWaitS: x.offered ? x.waitTotal / offered : 0,
        bookingAnsweredWithin: x.bookingOffered ? x.bookingAnsweredWithin / x.bookingOffered : null,
      });
    }
    days[day] = rows;
    const w = d.days[day] / o.days;
    for (const x of t) {
      month.calls += w * x.offered;
      month.within += w * x.answeredWithin;
      month.withinOrLost += w * (x.answeredWithin + x.lostWithin);
      month.lost += w * x.lost;
      month.busy += w * x.busyS;
      month.staffed += w * x.staffedS;
    }
  }
  return {
    days,
    options: o,
    month: {
      calls: month.calls,
      answeredWithin: month.calls ? month.within / month.calls : 1,
      answeredOrLostWithin: month.calls ? month.withinOrLost / month.calls : 1,
      lost: month.calls ? month.lost / month.calls : 0,
      occupancy: month.staffed ? month.busy / month.staffed : 0,
    },
  };
}
