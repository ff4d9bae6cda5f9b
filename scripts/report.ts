import { parseArgs } from 'node:util';
import { Kpis } from '../domain/kpi/kpis.js';
import { slaReportCsv } from '../domain/kpi/render/csv.js';
import { slaReportPdf } from '../domain/kpi/render/pdf.js';
import { ANSWERED_WITHIN_VARIANTS, KPI_LINES, SOLUTION_TIME_FROM } from '../domain/kpi/types.js';
import type { AnsweredWithinVariant, KpiLine, SolutionTimeFrom } from '../domain/kpi/types.js';
import { commandDatabase } from './kpi-database.js';

const USAGE = `usage: npm run report -- sla --line cup|csb --from YYYY-MM-DD --to YYYY-MM-DD [--format json|csv|pdf]
       [--answered-within contract|strict|exclude-short] [--short-abandon-s N] [--solution-time-from call-start|answer]
       [--definitions VERSION] [--output FILE]
Dates are Europe/Rome days, both included. PDF goes to --output or to stdout.`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

/** `npm run report -- sla …`: the §6 SLA report of a line and period, as JSON, CSV or PDF. */
async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        line: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        format: { type: 'string', default: 'json' },
        'answered-within': { type: 'string' },
        'short-abandon-s': { type: 'string' },
        'solution-time-from': { type: 'string' },
        definitions: { type: 'string' },
        output: { type: 'string' },
      },
    });
  } catch (err) {
    fail((err as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (positionals[0] !== 'sla' || positionals.length !== 1) fail('the only report is `sla`');
  const line = v.line as KpiLine;
  if (!(KPI_LINES as readonly string[]).includes(line ?? '')) fail('--line must be cup or csb');
  const day = /^\d{4}-\d{2}-\d{2}$/;
  if (!v.from || !day.test(v.from) || Number.isNaN(Date.parse(v.from))) fail('--from must be a day YYYY-MM-DD');
  if (!v.to || !day.test(v.to) || Number.isNaN(Date.parse(v.to))) fail('--to must be a day YYYY-MM-DD');
  if (v.from > v.to) fail('--from is after --to');
  if (!['json', 'csv', 'pdf'].includes(v.format ?? '')) fail('--format must be json, csv or pdf');
  const aw = v['answered-within'];
  if (aw !== undefined && !(ANSWERED_WITHIN_VARIANTS as readonly string[]).includes(aw)) {
    fail(`--answered-within must be one of ${ANSWERED_WITHIN_VARIANTS.join(', ')}`);
  }
  const stf = v['solution-time-from'];
  if (stf !== undefined && !(SOLUTION_TIME_FROM as readonly string[]).includes(stf)) {
    fail(`--solution-time-from must be one of ${SOLUTION_TIME_FROM.join(', ')}`);
  }
  const sas = v['short-abandon-s'];
  if (sas !== undefined && !/^\d{1,3}$/.test(sas)) fail('--short-abandon-s must be a whole number of seconds');
  const { db, close } = await commandDatabase();
  try {
    const report = await new Kpis(db).slaReport(
      { line, from: v.from, to: v.to },
      {
        answeredWithin: aw as AnsweredWithinVariant | undefined,
        shortAbandonS: sas === undefined ? undefined : Number(sas),
        solutionTimeFrom: stf as SolutionTimeFrom | undefined,
      },
      v.definitions,
    );
    const out =
      v.format === 'json'
        ? `${JSON.stringify(report, null, 2)}\n`
        : v.format === 'csv'
          ? slaReportCsv(report)
          : await slaReportPdf(report);
    if (v.output) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(v.output, out);
      process.stderr.write(`written ${v.output}\n`);
    } else process.stdout.write(out);
  } finally {
    await close();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
