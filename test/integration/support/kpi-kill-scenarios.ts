import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import type { RunningApp } from '../../../app.js';
import { addDays, dayInRome } from '../../../domain/time.js';
import { produceKpiReports } from '../../../workers/produce-kpi-reports.js';
import type { KillScenario } from './kill-harness.js';

/**
 * The report flow as a copy of its own whose service starts on Monday 2 January 2040: its
 * periods are no other test's, and each run below, a week later than the one before, finds
 * one more week ended, so every run has a report to store (and a point to die at).
 */
const GO_LIVE = '2040-01-02';
const PROCESS_ID = 'kpi-reports-kill';
let clock = new Date('2040-01-02T10:00:00Z');
let deployed = false;

async function deployCopy(app: RunningApp): Promise<void> {
  if (deployed) return;
  const model = (await readFile('processes/kpi-reports.bpmn', 'utf8'))
    .replace('<bpmn:process id="kpi-reports"', `<bpmn:process id="${PROCESS_ID}"`)
    .replace('name="kpi-reports-manual-run"', 'name="kpi-reports-kill-manual-run"')
    .replace('bpmnElement="kpi-reports"', `bpmnElement="${PROCESS_ID}"`)
    .replace('name="goLive" value="2026-09-01"', `name="goLive" value="${GO_LIVE}"`);
  if (!model.includes(`value="${GO_LIVE}"`)) throw new Error('the report flow no longer has a goLive of 2026-09-01');
  await app.engine.deploy({
    name: 'kill-test-kpi-reports',
    source: 'test',
    resources: [{ name: `${PROCESS_ID}.bpmn`, content: model }],
  });
  deployed = true;
}

/** The weeks (Monday to Sunday) from go-live's week that ended before `day`. */
function weeksEndedBefore(day: string): string[] {
  const weeks: string[] = [];
  for (let from = GO_LIVE; addDays(from, 6) < day; from = addDays(from, 7)) weeks.push(from);
  return weeks;
}

export const KPI_KILL_SCENARIOS: KillScenario[] = [
  {
    worker: produceKpiReports,
    // The stored report: one row per kind, line and period, the key refusing a second.
    site: 'db',
    now: () => clock,
    async reach(app) {
      await deployCopy(app);
      clock = new Date(clock.getTime() + 7 * 86_400_000);
      const s = await app.workerDeps.starter.start({
        bpmnProcessId: PROCESS_ID,
        businessKey: `REPORT-KILL-${dayInRome(clock)}`,
        variables: {},
        startedBy: 'test',
        startAt: 'manual-run',
      });
      return s.processInstanceKey;
    },
    async verify(app) {
      // Every week ended by the last run's day is stored, for each line, once.
      const rows: { kind: string; line: string; from: string }[] = await app.db.query(
        `SELECT kind, line, period_from::text AS "from"
           FROM kpi_reports WHERE period_from >= $1 ORDER BY period_from, line`,
        [GO_LIVE],
      );
      const expected = weeksEndedBefore(dayInRome(clock)).flatMap((from) =>
        ['csb', 'cup'].map((line) => ({ kind: 'weekly', line, from })),
      );
      expect(expected.length).toBeGreaterThanOrEqual(10);
      expect(rows).toEqual(expected);
    },
  },
];
