import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { allow } from '../auth/access.js';
import { parseWith } from '../problems.js';
import { ValidationError } from '../../domain/errors.js';
import { Kpis } from '../../domain/kpi/kpis.js';
import { KPI_LINES } from '../../domain/kpi/types.js';
import { staffingCsv } from '../../domain/staffing/report.js';
import { staffingFor, staffingRequestSchema } from '../../domain/staffing/request.js';
import type { ClosedDay } from '../../domain/staffing/demand.js';

const formatQuery = z.object({ format: z.enum(['json', 'csv'], { error: 'formato: json o csv' }).default('json') });
const lineQuery = z.object({ line: z.enum(KPI_LINES, { error: 'linea non valida: cup o csb' }) });
/** The queues whose operators answer each line (domain/voice/skills.ts). */
const LINE_QUEUES: Record<(typeof KPI_LINES)[number], string[]> = {
  cup: ['cup', 'cup-second-level'],
  csb: ['csb', 'tributi'],
};

/**
 * The staffing planner (issue 14) for supervisors and the Regione: the plan of a line's month
 * (or what a roster of theirs reaches and costs in penalties), optionally checked by the
 * simulation, as JSON or CSV; and how many operators are on the phones now, to start a roster from.
 */
export function staffingRoutes(deps: ApiDeps): Router {
  const kpis = new Kpis(deps.db, deps.now);
  const closed: ClosedDay = deps.closedDays ?? (() => false);
  const r = Router();

  r.post('/plan', allow('kpi:view'), async (req, res) => {
    const { format } = parseWith(formatQuery, req.query);
    const request = parseWith(staffingRequestSchema, req.body);
    const { report, needed } = await staffingFor(request, { db: deps.db, kpis, closed }).catch((err: unknown) => {
      // A roster or a period the planner cannot take: the reason, in Italian.
      if (err instanceof RangeError) throw new ValidationError(err.message, []);
      throw err;
    });
    if (format === 'csv') {
      res
        .type('text/csv; charset=utf-8')
        .attachment(`dimensionamento-${report.line}-${report.month}.csv`)
        .send(staffingCsv(report));
      return;
    }
    res.json(needed ? { ...report, needed } : report);
  });

  r.get('/presence', allow('kpi:view'), async (req, res) => {
    const { line } = parseWith(lineQuery, req.query);
    const rows = await deps.db.query<{ on_phones: number; paused: number }[]>(
      `SELECT count(*) FILTER (WHERE presence IN ('disponibile', 'in-conversazione', 'post-chiamata'))::int AS on_phones,
              count(*) FILTER (WHERE presence = 'pausa')::int AS paused
         FROM voice_operators WHERE skills && $1::text[]`,
      [LINE_QUEUES[line]],
    );
    res.json({
      line,
      onPhones: rows[0]?.on_phones ?? 0,
      paused: rows[0]?.paused ?? 0,
      at: (deps.now?.() ?? new Date()).toISOString(),
    });
  });

  return r;
}
