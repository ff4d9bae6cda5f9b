import express, { Router, type Response } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { actorOf, allow, hasPermission } from '../auth/access.js';
import { parseWith, sendProblem } from '../problems.js';
import { importContacts, parseContactsCsv } from '../../domain/kpi/contact-import.js';
import { Kpis } from '../../domain/kpi/kpis.js';
import { contactsCsv, slaReportCsv } from '../../domain/kpi/render/csv.js';
import { slaReportPdf } from '../../domain/kpi/render/pdf.js';
import {
  ANSWERED_WITHIN_VARIANTS,
  DISTRIBUTION_BUCKETS,
  KPI_LINES,
  SLA_IDS,
  SOLUTION_TIME_FROM,
  type SlaReport,
} from '../../domain/kpi/types.js';
import { KpiBoards } from '../../domain/kpi/wallboard.js';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'data non valida: AAAA-MM-GG');
const line = z.enum(KPI_LINES, { error: 'linea non valida: cup o csb' });
/** The longest period asked at once: five years (the benchmark's history). */
const MAX_DAYS = 5 * 366;

const periodQuery = z
  .object({
    line,
    from: day,
    to: day,
    answeredWithin: z.enum(ANSWERED_WITHIN_VARIANTS).optional(),
    shortAbandonS: z.coerce.number().int().min(0).max(120).optional(),
    solutionTimeFrom: z.enum(SOLUTION_TIME_FROM).optional(),
    definitions: z.string().max(64).optional(),
  })
  .refine((q) => q.from <= q.to, { message: 'il periodo finisce prima di cominciare', path: ['to'] })
  .refine((q) => (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 < MAX_DAYS, {
    message: 'periodo troppo lungo (al massimo cinque anni)',
    path: ['to'],
  });
const exportQuery = z.object({ format: z.enum(['csv', 'pdf'], { error: 'formato: csv o pdf' }) });
const drillQuery = z.object({
  sla: z.enum(SLA_IDS, { error: 'SLA non valido' }),
  status: z.enum(['met', 'missed', 'pending']),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});
const distributionQuery = z.object({ line, from: day, to: day, by: z.enum(DISTRIBUTION_BUCKETS) });
const reportsQuery = z.object({ line: line.optional(), kind: z.enum(['weekly', 'monthly']).optional() });
const idParam = z.object({ id: z.string().uuid('report non valido') });
const euro = z.number().min(0).max(1e12).nullable();
const serviceValueBody = z.object({ serviceValueEur: euro, outboundValueEur: euro });
const serviceValueParams = z.object({
  line,
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'mese non valido: AAAA-MM'),
});
const maintenanceBody = z.object({
  startsAt: z.coerce.date({ error: 'inizio non valido (ISO 8601)' }),
  endsAt: z.coerce.date({ error: 'fine non valida (ISO 8601)' }),
  reason: z.string().trim().min(3, 'indicare il motivo').max(500),
});
const definitionsBody = z.object({ definitions: z.unknown(), note: z.string().max(1000).nullable().optional() });
const importQuery = z.object({ name: z.string().max(200).optional() });

const fileName = (r: SlaReport, ext: string) => `sla-${r.line}-${r.from}-${r.to}.${ext}`;

async function sendReport(res: Response, report: SlaReport, format: 'csv' | 'pdf'): Promise<void> {
  if (format === 'csv') {
    res.type('text/csv; charset=utf-8').attachment(fileName(report, 'csv')).send(slaReportCsv(report));
  } else {
    res
      .type('application/pdf')
      .attachment(fileName(report, 'pdf'))
      .send(await slaReportPdf(report));
  }
}

/**
 * The KPIs (K1–K4): the SLA table with its drill-down and exports, the wallboard (also live),
 * the distributions, the stored reports and their publication, the contact-record import and
 * what configures the penalties (service values, maintenance windows, definitions).
 */
export function kpiRoutes(deps: ApiDeps): Router {
  const kpis = new Kpis(deps.db, deps.now);
  const boards = new KpiBoards(deps.db, kpis, deps.now);
  const r = Router();
  const overridesOf = (q: z.infer<typeof periodQuery>) => ({
    answeredWithin: q.answeredWithin,
    shortAbandonS: q.shortAbandonS,
    solutionTimeFrom: q.solutionTimeFrom,
  });

  r.get('/sla', allow('kpi:view'), async (req, res) => {
    const q = parseWith(periodQuery, req.query);
    res.json(await kpis.slaReport(q, overridesOf(q), q.definitions));
  });
  r.get('/sla/export', allow('kpi:view'), async (req, res) => {
    const q = parseWith(periodQuery, req.query);
    const { format } = parseWith(exportQuery, req.query);
    await sendReport(res, await kpis.slaReport(q, overridesOf(q), q.definitions), format);
  });
  r.get('/sla/contacts', allow('kpi:view'), async (req, res) => {
    const q = parseWith(periodQuery, req.query);
    const d = parseWith(drillQuery, req.query);
    const personal = hasPermission(req, 'personal:read');
    const page = await kpis.drill(q, d.sla, d.status, { offset: d.offset, limit: d.limit }, personal, overridesOf(q));
    if (personal && page.contacts.some((c) => c.caller)) {
      await req.audit?.({
        action: 'kpi.contacts.read',
        subjectType: 'kpi-contacts',
        subjectId: `${q.line}:${q.from}:${q.to}:${d.sla}:${d.status}`,
      });
    }
    if (req.query.format === 'csv') {
      res
        .type('text/csv; charset=utf-8')
        .attachment(`contatti-${d.sla}-${d.status}.csv`)
        .send(contactsCsv(page.contacts));
      return;
    }
    res.json(page);
  });

  r.get('/wallboard', allow('kpi:view'), async (req, res) => {
    const { line: l } = parseWith(z.object({ line }), req.query);
    res.json(await boards.wallboard(l));
  });
  r.get('/wallboard/stream', allow('kpi:view'), async (req, res) => {
    const { line: l } = parseWith(z.object({ line }), req.query);
    if (!deps.kpiEvents) {
      sendProblem(res, {
        status: 503,
        title: 'Aggiornamenti non disponibili',
        detail: 'Il cruscotto in tempo reale non è attivo su questo nodo.',
      });
      return;
    }
    await deps.kpiEvents.subscribe(req, res, l);
  });
  r.get('/distribution', allow('kpi:view'), async (req, res) => {
    const q = parseWith(distributionQuery, req.query);
    if (q.from > q.to) {
      sendProblem(res, { status: 400, title: 'Dati non validi', detail: 'Il periodo finisce prima di cominciare.' });
      return;
    }
    res.json(await boards.distribution(q.line, q.from, q.to, q.by));
  });

  r.get('/reports', allow('kpi:view'), async (req, res) => {
    const q = parseWith(reportsQuery, req.query);
    res.json({ reports: await kpis.reports(q) });
  });
  r.get('/reports/:id', allow('kpi:view'), async (req, res) => {
    const { id } = parseWith(idParam, req.params);
    const report = await kpis.report(id);
    if (!report) sendProblem(res, { status: 404, title: 'Non trovato', detail: 'Report non trovato.' });
    else res.json(report);
  });
  r.get('/reports/:id/export', allow('kpi:view'), async (req, res) => {
    const { id } = parseWith(idParam, req.params);
    const { format } = parseWith(exportQuery, req.query);
    const report = await kpis.report(id);
    if (!report) sendProblem(res, { status: 404, title: 'Non trovato', detail: 'Report non trovato.' });
    else await sendReport(res, report, format);
  });
  r.post('/reports/:id/publish', allow('kpi:publish'), async (req, res) => {
    const { id } = parseWith(idParam, req.params);
    const summary = await kpis.publish(id, actorOf(req).id);
    if (!summary) {
      sendProblem(res, { status: 404, title: 'Non trovato', detail: 'Report non trovato.' });
      return;
    }
    await req.audit?.({ action: 'kpi-report.published', subjectType: 'kpi-report', subjectId: id });
    res.json(summary);
  });

  r.post(
    '/contacts/import',
    allow('kpi:manage'),
    express.text({ type: ['text/csv', 'text/plain', 'application/csv'], limit: '64mb' }),
    async (req, res) => {
      const { name } = parseWith(importQuery, req.query);
      if (typeof req.body !== 'string' || req.body.length === 0) {
        sendProblem(res, {
          status: 400,
          title: 'Dati non validi',
          detail: 'Inviare il file CSV come corpo della richiesta (content-type text/csv).',
        });
        return;
      }
      const file = name ?? 'upload.csv';
      const result = await importContacts(deps.db, file, parseContactsCsv(req.body));
      await req.audit?.({ action: 'kpi.contacts.imported', subjectType: 'contact-import', subjectId: file });
      res.json(result);
    },
  );

  r.get('/service-values', allow('kpi:view'), async (_req, res) => {
    res.json({ values: await kpis.serviceValues() });
  });
  r.put('/service-values/:line/:month', allow('kpi:manage'), async (req, res) => {
    const p = parseWith(serviceValueParams, req.params);
    const b = parseWith(serviceValueBody, req.body);
    await kpis.setServiceValue(p.line, p.month, b.serviceValueEur, b.outboundValueEur, actorOf(req).id);
    await req.audit?.({
      action: 'kpi.service-value.set',
      subjectType: 'service-value',
      subjectId: `${p.line}:${p.month}`,
    });
    res.json({ values: await kpis.serviceValues() });
  });
  r.get('/maintenance-windows', allow('kpi:view'), async (_req, res) => {
    res.json({ windows: await kpis.maintenanceWindows() });
  });
  r.post('/maintenance-windows', allow('kpi:manage'), async (req, res) => {
    const b = parseWith(maintenanceBody, req.body);
    const id = await kpis.addMaintenanceWindow(b.startsAt, b.endsAt, b.reason, actorOf(req).id);
    await req.audit?.({ action: 'kpi.maintenance-window.added', subjectType: 'maintenance-window', subjectId: id });
    res.status(201).json({ windows: await kpis.maintenanceWindows() });
  });
  r.get('/definitions', allow('kpi:view'), async (_req, res) => {
    res.json({ current: await kpis.currentDefinitions(), versions: await kpis.definitionVersions() });
  });
  r.post('/definitions', allow('kpi:manage'), async (req, res) => {
    const b = parseWith(definitionsBody, req.body);
    const defs = await kpis.addDefinitions(b.definitions, b.note ?? null, actorOf(req).id);
    await req.audit?.({ action: 'kpi.definitions.added', subjectType: 'kpi-definitions', subjectId: defs.version });
    res.status(201).json({ current: await kpis.currentDefinitions(), versions: await kpis.definitionVersions() });
  });
  return r;
}
