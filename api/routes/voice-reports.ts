import express, { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { actorOf, allow } from '../auth/access.js';
import { parseWith, sendProblem } from '../problems.js';
import { twilioSigned } from '../twilio-signature.js';
import { ValidationError } from '../../domain/errors.js';
import { INBOUND_CALL_PROCESS } from '../../domain/voice/ivr.js';
import { DEFAULT_LINES, type LineId } from '../../domain/voice/lines.js';
import { Occupancy } from '../../domain/voice/occupancy.js';
import { PROBE_PATH, VoiceProbes } from '../../domain/voice/probe.js';

const LINE_IDS = DEFAULT_LINES.map((l) => l.id) as [LineId, ...LineId[]];
const occupancyQuery = z.object({
  line: z.enum(LINE_IDS, { error: `linea non valida: ${LINE_IDS.join(', ')}` }),
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'mese non valido: AAAA-MM'),
});
const alertsQuery = z.object({
  open: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
const alertParam = z.object({ id: z.coerce.number().int().positive('avviso non valido') });
const instant = z.coerce.date({ error: 'data e ora non valide (ISO 8601)' });
const probesQuery = z.object({
  from: instant.optional(),
  to: instant.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

/** The longest period the availability is asked for at once: a quarter. */
const MAX_PROBE_PERIOD_MS = 93 * 86_400_000;

/** How long the probe endpoint waits for the engine and the database before it answers 503. */
const CHECK_TIMEOUT_MS = 5_000;

/**
 * The supervisors' reports on the telephone: channel occupancy per line and month (V7), the
 * saturation alerts and their acknowledgment, and the IVR continuity probes with the
 * availability the §6.3 service level reads. All need `voice:supervise`.
 */
export function voiceReportRoutes(deps: ApiDeps): Router {
  // Reads only: the channels each band had are stored with it; the report's "now" is the line's minimum.
  const occupancy = new Occupancy(deps.db, { lines: DEFAULT_LINES });
  const probes = new VoiceProbes(deps.db, deps.voiceWebhook);
  const r = Router();
  r.get('/occupancy', allow('voice:supervise'), async (req, res) => {
    const q = parseWith(occupancyQuery, req.query);
    res.json(await occupancy.month(q.line, q.month));
  });
  r.get('/alerts', allow('voice:supervise'), async (req, res) => {
    const q = parseWith(alertsQuery, req.query);
    res.json({ alerts: await occupancy.alerts({ open: q.open === 'true', limit: q.limit }) });
  });
  r.post('/alerts/:id/acknowledge', allow('voice:supervise'), async (req, res) => {
    const { id } = parseWith(alertParam, req.params);
    const { alert, changed } = await occupancy.acknowledge(id, actorOf(req).id);
    if (changed) {
      await req.audit?.({
        action: 'voice-alert.acknowledged',
        subjectType: 'voice-alert',
        subjectId: String(id),
        detail: { line: alert.line, bandStart: alert.bandStart },
      });
    }
    res.json(alert);
  });
  r.get('/probes', allow('voice:supervise'), async (req, res) => {
    const q = parseWith(probesQuery, req.query);
    const to = q.to ?? new Date();
    const from = q.from ?? new Date(to.getTime() - 86_400_000);
    if (from.getTime() >= to.getTime() || to.getTime() - from.getTime() > MAX_PROBE_PERIOD_MS) {
      throw new ValidationError('Periodo non valido.', [
        { field: 'from', message: "l'inizio precede la fine, al più 93 giorni prima" },
      ]);
    }
    res.json(await probes.report(from, to, q.limit));
  });
  return r;
}

/**
 * What the IVR continuity probe calls: Twilio-signed like every voice webhook (403 otherwise,
 * nothing read), it answers an empty TwiML `<Response/>` when the database answers and the
 * `inbound-call` process is deployed, the two things every call needs, and 503 otherwise.
 * Mounted under `/webhooks`, before the session layer.
 */
export function voiceProbeWebhookRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.post(
    PROBE_PATH.replace(/^\/webhooks/, ''),
    express.urlencoded({ extended: false, limit: '16kb' }),
    twilioSigned(deps.voiceWebhook, deps.log),
    async (_req, res) => {
      const [engine, database] = await Promise.all([
        within(deps.engine.latestDefinition(INBOUND_CALL_PROCESS), CHECK_TIMEOUT_MS).then(
          (d) => (d ? undefined : `processo ${INBOUND_CALL_PROCESS} non distribuito`),
          (err: Error) => `motore non raggiungibile (${err.message.slice(0, 100)})`,
        ),
        within(deps.db.query('SELECT 1'), CHECK_TIMEOUT_MS).then(
          () => undefined,
          (err: Error) => `database non raggiungibile (${err.message.slice(0, 100)})`,
        ),
      ]);
      const failures = [engine, database].filter((f): f is string => f !== undefined);
      if (failures.length > 0) {
        deps.log.warn({ failures }, 'the IVR continuity probe found the voice endpoint unable to take calls');
        sendProblem(res, { status: 503, title: 'Servizio non disponibile', detail: failures.join('; ') });
        return;
      }
      res.status(200).type('text/xml').send('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    },
  );
  return r;
}

/** `p`, or a rejection after `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
