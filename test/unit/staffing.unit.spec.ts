import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CONTRACT_DEFINITIONS } from '../../domain/kpi/definitions.js';
import { HALF_HOURS, PLAN_DAYS, seedDemand, type Demand, type PlanDay } from '../../domain/staffing/demand.js';
import { erlangAFigures, erlangB, erlangC, erlangCFigures } from '../../domain/staffing/erlang.js';
import { evaluateRoster, expectedPenalties, operatorsNeeded, planMonth } from '../../domain/staffing/planner.js';
import { rosterFromInput, rosterOf, runStaffing, staffingCsv } from '../../domain/staffing/report.js';
import { coverWithShifts } from '../../domain/staffing/shifts.js';
import { simulate } from '../../domain/staffing/simulation.js';

const run = promisify(execFile);

/** One weekday with `calls` in each half-hour from 08:00 to 20:00, every other day closed. */
function flatDemand(callsPerHalfHour: number, o: Partial<Demand> = {}): Demand {
  const calls = Object.fromEntries(PLAN_DAYS.map((d) => [d, new Array<number>(HALF_HOURS).fill(0)])) as Record<
    PlanDay,
    number[]
  >;
  for (let i = 16; i < 40; i++) calls.mon[i] = callsPerHalfHour;
  return {
    line: 'cup',
    month: '2024-10',
    source: 'seed',
    calls,
    days: { mon: 1, tue: 0, wed: 0, thu: 0, fri: 0, sat: 0 },
    ahtS: 180,
    wrapUpShare: 0,
    patienceS: null,
    bookingShare: 0,
    notes: [],
    ...o,
  };
}

describe('Erlang B and C: published figures', () => {
  it('gives the Erlang B table value and the Erlang C probability of waiting', () => {
    // Erlang B tables: 5 Erlangs on 10 lines block 1.84 % of calls.
    expect(erlangB(10, 5)).toBeCloseTo(0.018385, 5);
    // Erlang C from B: P(wait) = B / (1 − ρ(1 − B)); 10 Erlangs on 14 agents wait 17.41 %.
    expect(erlangC(14, 10)).toBeCloseTo(0.1741, 4);
    expect(erlangC(10, 10)).toBe(1);
  });

  it('100 calls in 30 minutes, 3-minute handle time, 20 s target: 15 on the phones for 90 %, 22 scheduled with 30 % shrinkage', () => {
    const t = { calls: 100, periodS: 1800, ahtS: 180, patienceS: null, targetS: 20 };
    // The classic worked example: 14 agents answer 88.9 % within 20 s at 71.4 % occupancy…
    const fourteen = erlangCFigures(t, 14);
    expect(fourteen.answeredWithin).toBeCloseTo(0.8884, 3);
    expect(fourteen.occupancy).toBeCloseTo(0.7143, 3);
    expect(fourteen.meanWaitS).toBeCloseTo(7.8, 1);
    // … so 90 % needs 15 (94.2 %).
    expect(erlangCFigures(t, 15).answeredWithin).toBeCloseTo(0.9415, 3);
    const d = flatDemand(100);
    const needed = operatorsNeeded(d, { ...planMonth(d).options, model: 'erlang-c', maxOccupancy: 1 }, 100);
    expect(needed.servers).toBe(15);
    const plan = planMonth(d, { model: 'erlang-c', shrinkage: 0.3 });
    expect(plan.days.mon.halfHours.every((h) => h.onPhones === 15 && h.scheduled === 22)).toBe(true);
  });

  it('gives nobody in time when the operators cannot carry the load, and counts the calls beyond them lost', () => {
    const f = erlangCFigures({ calls: 100, periodS: 1800, ahtS: 180, patienceS: null, targetS: 20 }, 8);
    expect(f.answeredWithin).toBe(0);
    expect(f.meanWaitS).toBe(Number.POSITIVE_INFINITY);
    expect(f.lost).toBeCloseTo(0.2, 10);
  });

  it('finds the fewest operators also under heavy load, where fewer than the Erlangs can do (contract reading)', () => {
    const d = flatDemand(400, { ahtS: 240, patienceS: 60 });
    const o = { ...planMonth(flatDemand(1)).options, reading: 'contract' as const };
    const f = operatorsNeeded(d, o, 400);
    const erlangs = (400 / 1800) * 240;
    expect(f.servers).toBeLessThan(erlangs);
    const fewer = erlangAFigures({ calls: 400, periodS: 1800, ahtS: 240, patienceS: 60, targetS: 20 }, f.servers - 1);
    expect(fewer.answeredOrLostWithin < 0.9 || fewer.lost > 0.1 || fewer.occupancy > 0.95).toBe(true);
  });
});

describe('Erlang A from its birth–death chain', () => {
  const t = { calls: 100, periodS: 1800, ahtS: 180, patienceS: 90, targetS: 20 };

  it('becomes Erlang C when callers never hang up', () => {
    for (const n of [11, 13, 15, 20]) {
      const a = erlangAFigures({ ...t, patienceS: 1e9 }, n);
      const c = erlangCFigures({ ...t, patienceS: null }, n);
      expect(a.answeredWithin).toBeCloseTo(c.answeredWithin, 4);
      expect(a.waitProbability).toBeCloseTo(c.waitProbability, 4);
      expect(a.lost).toBeLessThan(1e-5);
    }
  });

  it('keeps a stable queue even with fewer operators than Erlangs, and balances what is answered with what the operators do', () => {
    const f = erlangAFigures(t, 8);
    expect(f.lost).toBeGreaterThan(0.1);
    expect(f.lost).toBeLessThan(1);
    // Answered calls per second × handle time = busy operators: occupancy × n.
    expect((100 / 1800) * (1 - f.lost) * 180).toBeCloseTo(f.occupancy * 8, 6);
    // More operators: more answered in time, fewer lost; more patience: fewer lost.
    expect(erlangAFigures(t, 12).answeredWithin).toBeGreaterThan(erlangAFigures(t, 11).answeredWithin);
    expect(erlangAFigures(t, 12).lost).toBeLessThan(erlangAFigures(t, 11).lost);
    expect(erlangAFigures({ ...t, patienceS: 300 }, 11).lost).toBeLessThan(erlangAFigures(t, 11).lost);
  });

  it('with nobody on the phones loses every call, a fifth of them within 20 s (patience 90 s), and nobody is busy', () => {
    const f = erlangAFigures(t, 0);
    expect(f).toMatchObject({ answeredWithin: 0, lost: 1, occupancy: 0 });
    expect(f.answeredOrLostWithin).toBeCloseTo(1 - Math.exp(-20 / 90), 10);
    // The limit of the chain: one operator for a whole half-hour of 100 calls loses nearly all.
    expect(erlangAFigures(t, 1).lost).toBeGreaterThan(0.9);
  });

  it('agrees with a simulation of the same queue in steady state (one exponential handle time)', () => {
    // A long flat day: each half-hour's figures are those of the steady state but its first.
    const d = flatDemand(100, { patienceS: 90 });
    const roster = Object.fromEntries(PLAN_DAYS.map((x) => [x, new Array<number>(HALF_HOURS).fill(12)])) as Record<
      PlanDay,
      number[]
    >;
    const s = simulate(d, roster, { days: 60, seed: 7, handling: 'exponential' });
    const f = erlangAFigures(t, 12);
    const rows = s.days.mon.slice(2);
    const mean = (k: 'answeredWithin' | 'lost' | 'answeredOrLostWithin') =>
      rows.reduce((x, r) => x + r[k], 0) / rows.length;
    expect(mean('answeredWithin')).toBeCloseTo(f.answeredWithin, 1);
    expect(Math.abs(mean('answeredWithin') - f.answeredWithin)).toBeLessThan(0.015);
    expect(Math.abs(mean('lost') - f.lost)).toBeLessThan(0.01);
    expect(Math.abs(mean('answeredOrLostWithin') - f.answeredOrLostWithin)).toBeLessThan(0.015);
  });
});

describe('the simulation of a day', () => {
  it('answers booking calls before the others when operators are short', () => {
    const d = flatDemand(100, { patienceS: 90, bookingShare: 0.5 });
    // Nine operators for ten Erlangs: a queue all day.
    const roster = Object.fromEntries(PLAN_DAYS.map((x) => [x, new Array<number>(HALF_HOURS).fill(9)])) as Record<
      PlanDay,
      number[]
    >;
    const rows = simulate(d, roster, { days: 20, seed: 5 }).days.mon;
    const mean = (f: (r: (typeof rows)[number]) => number) => rows.reduce((x, r) => x + f(r), 0) / rows.length;
    const booking = mean((r) => r.bookingAnsweredWithin ?? 0);
    const all = mean((r) => r.answeredWithin);
    // Half the calls book: they reach the next free operator first (about 67 % within 20 s,
    // when one frees every 20 s), the others wait behind them (about 55 %).
    const others = 2 * all - booking;
    expect(booking - others).toBeGreaterThan(0.08);
  });

  it('lets the queue of a busy half-hour spill into a quieter one, which the formulas do not see', () => {
    const d = flatDemand(0, { patienceS: 300 });
    for (let i = 16; i < 40; i++) d.calls.mon[i] = i === 16 ? 200 : 20;
    const roster = Object.fromEntries(PLAN_DAYS.map((x) => [x, new Array<number>(HALF_HOURS).fill(0)])) as Record<
      PlanDay,
      number[]
    >;
    roster.mon.fill(4, 16, 40);
    const s = simulate(d, roster, { days: 20, seed: 2, handling: 'exponential' });
    const plan = evaluateRoster(d, roster, { model: 'erlang-a' });
    const second = (x: { start: string; answeredWithin: number }[]) =>
      x.find((h) => h.start === '08:30')?.answeredWithin ?? 1;
    // Four operators carry 20 calls a half-hour easily, but not after a burst of 200.
    expect(second(plan.days.mon.halfHours)).toBeGreaterThan(0.8);
    expect(second(s.days.mon)).toBeLessThan(0.7);
  });
});

describe('the plan of a month', () => {
  const demand = seedDemand('cup', '2024-10', { ahtS: 240, patienceS: 90 });

  it('spreads the specification’s month over its open days by weekday and hour', () => {
    // October 2024: 4 Mondays, 5 Tuesdays to Thursdays, 4 Fridays and Saturdays, no holiday.
    expect(demand.days).toEqual({ mon: 4, tue: 5, wed: 5, thu: 5, fri: 4, sat: 4 });
    const total = PLAN_DAYS.reduce((s, d) => s + demand.days[d] * demand.calls[d].reduce((a, b) => a + b, 0), 0);
    // 724,131 calls a year × 9.65 % in October (the hourly curves add up to 99.98–100 %).
    expect(total).toBeGreaterThan(724131 * 0.0965 * 0.999);
    expect(total).toBeLessThan(724131 * 0.0965 * 1.0001);
    expect(demand.calls.sat.slice(28).every((x) => x === 0)).toBe(true);
    // November: All Saints' Day is a holiday.
    expect(seedDemand('cup', '2024-11').days.fri).toBe(4);
  });

  it('meets the targets it was asked for, in the simulation of whole days too', () => {
    for (const reading of ['answered', 'contract'] as const) {
      const plan = planMonth(demand, { shrinkage: 0, reading });
      for (const day of PLAN_DAYS) {
        for (const h of plan.days[day].halfHours) {
          expect(reading === 'answered' ? h.answeredWithin : h.answeredOrLostWithin).toBeGreaterThanOrEqual(0.9);
          expect(h.lost).toBeLessThanOrEqual(0.1);
          // The fewest: one operator less misses.
          const fewer = evaluateRoster(demand, rosterWith(plan, day, h.start, -1), plan.options);
          const again = fewer.days[day].halfHours.find((x) => x.start === h.start);
          expect((reading === 'answered' ? again?.answeredWithin : again?.answeredOrLostWithin) ?? 1).toBeLessThan(
            0.9 + 1e-9,
          );
        }
      }
      const s = simulate(demand, rosterOf(plan), { days: 20, seed: 3 });
      const sl = reading === 'answered' ? s.month.answeredWithin : s.month.answeredOrLostWithin;
      expect(sl).toBeGreaterThanOrEqual(0.9);
      expect(s.month.lost).toBeLessThanOrEqual(0.1);
    }
  });

  it('covers the scheduled operators with shifts of the allowed lengths', () => {
    const plan = planMonth(demand, { shrinkage: 0.3, shiftHours: [4, 6] });
    for (const day of PLAN_DAYS) {
      const cover = new Map<string, number>();
      for (const s of plan.days[day].shifts) {
        expect([4, 6]).toContain(s.hours);
        const [h, m] = s.start.split(':').map(Number) as [number, number];
        for (let k = 0; k < s.hours * 2; k++) {
          const i = h * 2 + (m === 30 ? 1 : 0) + k;
          const label = `${String(Math.floor(i / 2)).padStart(2, '0')}:${i % 2 ? '30' : '00'}`;
          cover.set(label, (cover.get(label) ?? 0) + s.count);
        }
      }
      for (const h of plan.days[day].halfHours) expect(cover.get(h.start) ?? 0).toBeGreaterThanOrEqual(h.scheduled);
      expect(plan.days[day].shiftHoursPaid).toBeGreaterThanOrEqual(plan.days[day].scheduledHours);
    }
    // A requirement that fits one 4-hour shift exactly gets just that.
    const req = new Array<number>(48).fill(0);
    for (let i = 16; i < 24; i++) req[i] = 3;
    expect(coverWithShifts(req, 8, 12, [4, 8])).toEqual([{ start: '08:00', end: '12:00', hours: 4, count: 3 }]);
  });

  it('prices a short roster’s month with the contract’s penalties and the hours that would avoid them', () => {
    const plan = planMonth(demand, { shrinkage: 0 });
    const short = Object.fromEntries(
      PLAN_DAYS.map((d) => [d, rosterOf(plan)[d].map((n) => Math.round(n * 0.7))]),
    ) as Record<PlanDay, number[]>;
    const evaluated = evaluateRoster(demand, short, plan.options);
    const [within, lost] = expectedPenalties(evaluated, CONTRACT_DEFINITIONS, {
      serviceEur: 100_000,
      outboundEur: null,
    });
    expect(within?.ok).toBe(false);
    // 0.5 % of the service value for each point begun below 90 %.
    expect(within?.penaltyPoints).toBe(Math.ceil(90 - (within?.reachedPct ?? 0) - 1e-9));
    expect(within?.penaltyEur).toBeCloseTo(100_000 * (within?.penaltyPoints ?? 0) * 0.005, 2);
    expect(lost?.id).toBe('lost-calls');
    expect(evaluated.month.shiftHoursPaid).toBeLessThan(plan.month.shiftHoursPaid);
  });

  it('reads a written roster by hour or half-hour and refuses what it cannot be', () => {
    const r = rosterFromInput({ mon: { '08': 5, '08:30': 7, '19': 2 } });
    expect(r.mon.slice(16, 18)).toEqual([5, 7]);
    expect(r.mon.slice(38, 40)).toEqual([2, 2]);
    expect(() => rosterFromInput({ sun: { '08': 1 } } as never)).toThrow(/giorno sconosciuto: sun/);
    expect(() => rosterFromInput({ mon: { '8:15': 1 } })).toThrow(/ora non valida 8:15/);
    expect(() => rosterFromInput({ mon: { '08': -1 } })).toThrow(/intero da 0 a 10000/);
  });

  it('exports the half-hours as CSV for a spreadsheet', () => {
    const { report } = runStaffing(demand, { shrinkage: 0.3 });
    const csv = staffingCsv(report).trimEnd().split('\r\n');
    expect(csv[0]).toMatch(/^linea;mese;giorno;mezz_ora;chiamate;operatori_al_telefono;operatori_in_turno;/);
    // 24 half-hours on five weekdays, 12 on Saturday.
    expect(csv).toHaveLength(1 + 5 * 24 + 12);
    expect(csv[1]).toMatch(/^cup;2024-10;mon;08:00;140,\d+;\d+;\d+;/);
  });
});

describe('npm run staffing', () => {
  const cli = (args: string[]) => run('npx', ['tsx', 'scripts/staffing.ts', ...args], { cwd: process.cwd() });

  it('prints the plan per weekday and hour as JSON', async () => {
    const { stdout } = await cli(
      '--line cup --month 2024-10 --aht-s 240 --patience-s 90 --shrinkage 0 --format json'.split(' '),
    );
    const out = JSON.parse(stdout) as {
      plan: Record<string, Record<string, number>>;
      expected: Record<string, Record<string, { serviceLevel: number }>>;
    };
    expect(Object.keys(out.plan)).toEqual(['mon', 'tue', 'wed', 'thu', 'fri', 'sat']);
    const hours = Array.from({ length: 12 }, (_, i) => String(8 + i).padStart(2, '0'));
    for (const day of Object.keys(out.plan)) expect(Object.keys(out.plan[day] ?? {}).sort()).toEqual(hours);
    // The peak of a Monday needs about 32 on the phones (206 calls a half-hour, 27.5 Erlangs).
    expect(out.plan.mon?.['09']).toBeGreaterThanOrEqual(30);
    expect(out.plan.mon?.['09']).toBeLessThanOrEqual(34);
    expect(out.plan.sat?.['15']).toBe(0);
    expect(out.expected.mon?.['09']?.serviceLevel).toBeGreaterThanOrEqual(90);
  }, 60_000);

  it('refuses bad options with the reason and exit code 2', async () => {
    const failed = await cli(['--line', 'cup', '--month', '2024-13']).catch(
      (e: unknown) => e as { code: number; stderr: string },
    );
    expect((failed as { code: number }).code).toBe(2);
    expect((failed as { stderr: string }).stderr).toMatch(/AAAA-MM/);
  }, 60_000);
});

/** The plan's roster with one half-hour changed by `delta`. */
function rosterWith(plan: ReturnType<typeof planMonth>, day: PlanDay, start: string, delta: number) {
  const r = rosterOf(plan);
  const [h, m] = start.split(':').map(Number) as [number, number];
  const i = h * 2 + (m === 30 ? 1 : 0);
  r[day][i] = Math.max(0, (r[day][i] ?? 0) + delta);
  return r;
}
