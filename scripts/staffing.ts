import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import '../domain/validation-messages.js';
import { Kpis } from '../domain/kpi/kpis.js';
import { closuresOf, staffingFor, staffingRequestSchema } from '../domain/staffing/request.js';
import { staffingCsv, type StaffingReport } from '../domain/staffing/report.js';
import { PLAN_DAYS } from '../domain/staffing/demand.js';
import { loadConfig } from '../platform/config.js';

const USAGE = `usage: npm run staffing -- --line cup|csb --month YYYY-MM [options]

How many operators each half-hour needs to answer the month's calls in time (Erlang A or C),
what they cost, and what a roster of your own would reach and cost in penalties (§6.1).

  --aht-s S            average handle time, talk and after-call work (default: the specification's)
  --patience-s S       callers' mean patience before hanging up; 0: nobody hangs up (Erlang C)
  --shrinkage X        share of paid time off the phones, 0–0.9 (default 0.3)
  --service-level X    share answered within the limit (default 0.9)   --target-s S  the limit (20)
  --max-lost X         largest share of lost calls (0.1)   --max-occupancy X  (0.95)
  --reading answered|contract   answered within over all calls (default), or a call lost
                       within the limit counted as met (the reports' contract reading)
  --model erlang-a|erlang-c     --shift-hours 4,6,8   --hour-cost EUR (22)   --fte-hours H (40)
  --source seed|records --from YYYY-MM-DD --to YYYY-MM-DD   demand measured on the contact
                       records (DATABASE_URL or the embedded database) instead of the seed's
  --roster FILE        evaluate this roster (JSON: {"mon": {"08": 20, "08:30": 22, …}, …}; an hour
                       sets both its halves; a day or hour left out has nobody on the phones)
  --simulate DAYS      check with a simulation of DAYS days of each weekday  --seed N
  --service-value EUR  the month's service value for the penalty in € (else the configured one)
  --format json|text|csv   (default text)

Exit 0 with the plan; 2 on bad usage (the reason is printed).`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

const numberOf = (name: string, v: string | undefined) => {
  if (v === undefined) return undefined;
  const n = Number(v.replace(',', '.'));
  if (!Number.isFinite(n)) fail(`--${name} must be a number, not "${v}"`);
  return n;
};

/** `npm run staffing`: the staffing plan of a line for a month. */
async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        line: { type: 'string' },
        month: { type: 'string' },
        'aht-s': { type: 'string' },
        'patience-s': { type: 'string' },
        shrinkage: { type: 'string' },
        'service-level': { type: 'string' },
        'target-s': { type: 'string' },
        'max-lost': { type: 'string' },
        'max-occupancy': { type: 'string' },
        reading: { type: 'string' },
        model: { type: 'string' },
        'shift-hours': { type: 'string' },
        'hour-cost': { type: 'string' },
        'fte-hours': { type: 'string' },
        'booking-share': { type: 'string' },
        source: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        roster: { type: 'string' },
        simulate: { type: 'string' },
        seed: { type: 'string' },
        'service-value': { type: 'string' },
        format: { type: 'string', default: 'text' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const format = values.format ?? 'text';
  if (!['json', 'text', 'csv'].includes(format)) fail('--format must be json, text or csv');
  let roster: unknown;
  if (values.roster) {
    try {
      roster = JSON.parse(await readFile(values.roster, 'utf8'));
    } catch (err) {
      fail(`--roster ${values.roster}: ${(err as Error).message}`);
    }
  }
  const parsed = staffingRequestSchema.safeParse({
    line: values.line,
    month: values.month,
    source: values.source,
    from: values.from,
    to: values.to,
    ahtS: numberOf('aht-s', values['aht-s']),
    patienceS: numberOf('patience-s', values['patience-s']),
    model: values.model,
    targetS: numberOf('target-s', values['target-s']),
    serviceLevel: numberOf('service-level', values['service-level']),
    reading: values.reading,
    maxLost: numberOf('max-lost', values['max-lost']),
    maxOccupancy: numberOf('max-occupancy', values['max-occupancy']),
    shrinkage: numberOf('shrinkage', values.shrinkage),
    shiftHours: values['shift-hours']?.split(',').map((h) => numberOf('shift-hours', h.trim()) as number),
    hourCostEur: numberOf('hour-cost', values['hour-cost']),
    fteHoursPerWeek: numberOf('fte-hours', values['fte-hours']),
    bookingShare: numberOf('booking-share', values['booking-share']),
    roster,
    simulateDays: numberOf('simulate', values.simulate),
    seed: numberOf('seed', values.seed),
    serviceValueEur: numberOf('service-value', values['service-value']),
  });
  if (!parsed.success) fail(z.prettifyError(parsed.error));
  const request = parsed.data;
  const config = loadConfig(process.env, []);
  const closed = closuresOf(config);
  let result;
  if (request.source === 'records') {
    const { commandDatabase } = await import('./kpi-database.js');
    const { db, close } = await commandDatabase();
    try {
      result = await staffingFor(request, { db, kpis: new Kpis(db), closed });
    } finally {
      await close();
    }
  } else {
    try {
      result = await staffingFor(request, { closed });
    } catch (err) {
      if (err instanceof RangeError) fail(err.message);
      throw err;
    }
  }
  const { report, needed } = result;
  if (format === 'json') process.stdout.write(`${JSON.stringify(needed ? { ...report, needed } : report, null, 2)}\n`);
  else if (format === 'csv') process.stdout.write(staffingCsv(report));
  else process.stdout.write(text(report, needed));
}

const it = (x: number | null, digits = 1) =>
  x === null ? '—' : x.toLocaleString('it-IT', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The plan as a person reads it in a terminal (Italian, like the page). */
function text(r: StaffingReport, needed: StaffingReport | undefined): string {
  const out: string[] = [];
  out.push(
    `Linea ${r.line.toUpperCase()}, ${r.month} (${r.source === 'seed' ? 'domanda del capitolato' : 'domanda misurata'}; ${r.model === 'erlang-a' ? 'Erlang A' : 'Erlang C'})`,
  );
  out.push(
    `Obiettivo: ${it(r.inputs.serviceLevelPct, 0)} % entro ${r.inputs.targetS} s, perse ≤ ${it(r.inputs.maxLostPct, 0)} %; ` +
      `gestione ${it(r.inputs.ahtS, 0)} s, pazienza ${r.inputs.patienceS === null ? '—' : `${it(r.inputs.patienceS, 0)} s`}, shrinkage ${it(r.inputs.shrinkagePct, 0)} %`,
  );
  out.push('', `Operatori al telefono per ora (la maggiore delle due mezz'ore):`);
  out.push(
    `     ${Object.keys(r.plan.mon)
      .sort()
      .map((h) => h.padStart(4))
      .join('')}`,
  );
  for (const day of PLAN_DAYS) {
    out.push(
      `${day}  ${Object.keys(r.plan[day])
        .sort()
        .map((h) => String(r.plan[day][h]).padStart(4))
        .join('')}`,
    );
  }
  const t = r.totals;
  out.push(
    '',
    `Mese: ${t.calls.toLocaleString('it-IT')} chiamate; attese: ${it(t.serviceLevelPct)} % entro il limite, ${it(t.lostPct)} % perse, occupazione ${it(t.occupancyPct)} %.`,
    `Ore al telefono ${it(t.phoneHours, 0)}, in turno ${it(t.scheduledHours, 0)}, pagate nei turni ${it(t.shiftHoursPaid, 0)} (${it(t.fte)} FTE, ${it(t.costEur, 0)} €).`,
    `Capitolato: ${it(r.comparison.specificationFrontEndFte)} FTE di front end.` +
      (r.comparison.reported2024
        ? ` Nel 2024 (report 003): ${it(r.comparison.reported2024.answeredWithinPct, 2)} % entro 20 s, ${it(r.comparison.reported2024.lostPct, 2)} % perse` +
          (r.comparison.staffingShareMatching2024Pct === null
            ? '.'
            : `, come con il ${it(r.comparison.staffingShareMatching2024Pct, 0)} % degli operatori di questo piano.`)
        : ''),
  );
  for (const p of r.penalties ?? []) {
    out.push(
      `${p.indicator}: ${it(p.reachedPct, 2)} % (soglia ${it(p.thresholdPct, 0)} %) → ${p.penaltyPoints} punti, ${it(p.penaltyPct, 2)} %` +
        (p.penaltyEur === null ? ' (valore del servizio non indicato)' : `, ${it(p.penaltyEur, 2)} €`),
    );
  }
  if (needed) {
    const extra = needed.totals.shiftHoursPaid - t.shiftHoursPaid;
    out.push(
      `Per gli obiettivi servono ${it(needed.totals.shiftHoursPaid, 0)} ore pagate (${extra >= 0 ? '+' : ''}${it(extra, 0)} ore, ${it(extra * r.inputs.hourCostEur, 0)} €).`,
    );
  }
  if (r.simulation) {
    const s = r.simulation;
    out.push(
      `Simulazione (${s.days} giorni per giorno della settimana): ${it(s.totals.serviceLevelPct)} % entro il limite, ${it(s.totals.lostPct)} % perse: ` +
        `${s.meetsTargets ? 'obiettivi raggiunti' : 'obiettivi NON raggiunti'}; ${s.differences.length} mezz'ore differiscono di oltre 3 punti.`,
    );
  }
  out.push('', ...r.notes);
  return `${out.join('\n')}\n`;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
