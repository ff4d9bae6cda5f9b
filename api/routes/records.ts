import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { parseWith } from '../problems.js';
import { actorOf, allow, auditRead } from '../auth/access.js';
import { ENGINE_ID } from './instances.js';
import { ModelRepository } from '../../domain/processes/model-repository.js';

const smsQuery = z.object({
  reference: z.string().min(1).optional(),
  /** Only the sends cut and not settled yet (`true`). */
  inDoubt: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/**
 * What the platform recorded: SMS sent, deployments; and the retry of an incident.
 */
export function recordRoutes({ db, smsMessages, incidents }: ApiDeps): Router {
  const deployments = new ModelRepository(db);
  const r = Router();
  /** Retries what raised an incident once its cause is fixed (see IncidentService). */
  r.post('/incidents/:id/retry', allow('incidents:retry'), async (req, res) => {
    const { id } = parseWith(
      z.object({ id: z.string().regex(ENGINE_ID, "identificativo dell'incidente non valido") }),
      req.params,
    );
    const retried = await incidents.retry(id, actorOf(req).id);
    await req.audit?.({ action: 'incident.retried', subjectType: 'incident', subjectId: id, detail: retried });
    res.status(202).json(retried);
  });
  r.get('/sms/messages', allow('personal:read'), async (req, res) => {
    const q = parseWith(smsQuery, req.query);
    await auditRead(req, 'sms-messages', q.reference ?? (q.inDoubt ? 'in-doubt' : '*'), { limit: q.limit });
    res.json({ items: await smsMessages.list(q) });
  });
  r.get('/deployments', allow('models:view'), async (_req, res) => {
    res.json({ items: await deployments.recent() });
  });
  return r;
}
