/**
 * `npm run bench:staffing`: how long the staffing planner takes (issue 14), and whether its
 * plans hold in the simulation.
 *
 *   npm run bench:staffing                 # a year of both lines, Erlang A, then each month simulated
 *   npm run bench:staffing -- --year 2025 --days 30
 *
 * Prints: the time to plan the twelve months of the CUP and the contact center (Erlang A, the
 * seed's demand, shrinkage 30 %), the time of one month's simulation, and for every month the
 * plan's and the simulation's service level and lost calls, so a month whose plan does not hold
 * in the simulation is seen.
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { machineLine } from './platform.js';
import { seedDemand } from '../domain/staffing/demand.js';
import { planMonth } from '../domain/staffing/planner.js';
import { rosterOf } from '../domain/staffing/report.js';
import { simulate } from '../domain/staffing/simulation.js';

const { values } = parseArgs({
  options: { year: { type: 'string', default: '2024' }, days: { type: 'string', default: '20' } },
});
const year = Number(values.year);
const days = Number(values.days);
const out = (s: string) => process.stdout.write(`${s}\n`);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

out(machineLine());
const months = Array.from({ length: 12 }, (_, i) => `${year}-${String(i + 1).padStart(2, '0')}`);
const timings: string[] = [];
const rows: string[] = [];
let failed = 0;
for (const line of ['cup', 'csb'] as const) {
  // Warm-up (JIT), not timed.
  planMonth(seedDemand(line, months[0] ?? `${year}-01`));
  const t0 = performance.now();
  const plans = months.map((m) => planMonth(seedDemand(line, m)));
  const planMs = performance.now() - t0;
  let simMs = 0;
  for (const plan of plans) {
    const s0 = performance.now();
    const s = simulate(plan.demand, rosterOf(plan), { days, seed: 1 });
    simMs += performance.now() - s0;
    const holds = s.month.answeredWithin >= plan.options.serviceLevel && s.month.lost <= plan.options.maxLost;
    if (!holds) failed++;
    rows.push(
      `| ${line} | ${plan.demand.month} | ${Math.round(plan.month.calls)} | ${Math.round(plan.month.shiftHoursPaid)} | ${plan.month.fte.toFixed(1)} | ` +
        `${pct(plan.month.answeredWithin)} / ${pct(plan.month.lost)} | ${pct(s.month.answeredWithin)} / ${pct(s.month.lost)} | ${holds ? 'yes' : 'NO'} |`,
    );
  }
  timings.push(
    `| ${line} | ${planMs.toFixed(0)} ms (${(planMs / 12).toFixed(1)} ms a month) | ${(simMs / 12).toFixed(0)} ms a month (${days} days of each weekday) |`,
  );
}
out('\n| line | plan a year (Erlang A, 12 months × 6 weekdays × half-hours) | simulation |\n| --- | --- | --- |');
for (const t of timings) out(t);
out(
  '\n| line | month | calls | hours paid | FTE | plan: within 20 s / lost | simulated: within 20 s / lost | holds |\n| --- | --- | --- | --- | --- | --- | --- | --- |',
);
for (const r of rows) out(r);
if (failed > 0) {
  out(`\n${failed} month(s) whose plan did not hold in the simulation`);
  process.exitCode = 1;
}
