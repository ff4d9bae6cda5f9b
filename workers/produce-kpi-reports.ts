import { z } from 'zod';
import { Kpis } from '../domain/kpi/kpis.js';
import { defineWorker } from './framework/define.js';

/**
 * K4: stores the SLA reports whose period has ended — weekly for the first four months after
 * go-live, then monthly — each once per kind, line and start (a unique key: a retry or a
 * second node stores nothing twice), computed with the current definitions and kept with
 * their version. The go-live day is a property of the model's step, so changing it is a new,
 * tracked version of the flow like the schedule itself.
 */
export const produceKpiReports = defineWorker({
  taskType: 'produce-kpi-reports',
  permission: 'kpi:publish',
  description: 'Produce e conserva i report settimanali e mensili dei livelli di servizio scaduti.',
  variables: z.object({}).passthrough(),
  headers: z.object({
    goLive: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'goLive: AAAA-MM-GG'),
  }),
  async handler({ headers, deps }) {
    const stored = await new Kpis(deps.db, deps.now).produceDue(headers.goLive);
    return { reportsStored: stored };
  },
});
