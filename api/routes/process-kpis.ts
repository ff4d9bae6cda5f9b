import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { parseWith } from '../problems.js';
import { allow } from '../auth/access.js';
import { ENGINE_ID } from './instances.js';
import { ProcessKpis } from '../../domain/kpi/process-kpis.js';

/** A calendar day that exists (`2026-02-31` does not: Date would roll it over to March). */
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'giorno non valido (AAAA-MM-GG)')
  .refine((d) => {
    const t = new Date(`${d}T00:00:00Z`);
    return !Number.isNaN(t.getTime()) && t.toISOString().slice(0, 10) === d;
  }, 'giorno inesistente');
const period = { from: day.optional(), to: day.optional() };
const fromNotAfterTo = (q: { from?: string | undefined; to?: string | undefined }) =>
  !q.from || !q.to || q.from <= q.to;
const PERIOD_ORDER = { message: "l'inizio del periodo non può seguirne la fine", path: ['from'] };

const listQuery = z
  .object({
    process: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,119}$/, 'chiave di processo non valida')
      .optional(),
    ...period,
  })
  .refine(fromNotAfterTo, PERIOD_ORDER);
const elementsQuery = z.object(period).refine(fromNotAfterTo, PERIOD_ORDER);
const definitionParam = z.object({
  processDefinitionId: z.string().regex(ENGINE_ID, 'versione di processo non valida'),
});

/**
 * Process KPIs (K5) from the engine's history: per process version, and per element of one
 * version for the diagram's heatmap. The diagram itself comes from
 * `GET /api/process-definitions/:id/xml` (models routes), which every role with `kpi:view`
 * may read through `models:view`.
 */
export function processKpiRoutes({ engine }: ApiDeps): Router {
  const kpis = new ProcessKpis(engine);
  const r = Router();
  r.use(allow('kpi:view', 'models:view'));

  r.get('/', async (req, res) => {
    const q = parseWith(listQuery, req.query);
    res.json(await kpis.versions({ process: q.process, period: { from: q.from, to: q.to } }));
  });

  r.get('/:processDefinitionId/elements', async (req, res) => {
    const { processDefinitionId } = parseWith(definitionParam, req.params);
    const q = parseWith(elementsQuery, req.query);
    res.json(await kpis.elements(processDefinitionId, { from: q.from, to: q.to }));
  });
  return r;
}
