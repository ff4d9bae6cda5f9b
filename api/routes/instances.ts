import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { parseWith } from '../problems.js';
import { allow, auditRead, hasPermission } from '../auth/access.js';
import { InstanceHistory } from '../../domain/processes/instance-history.js';

/** Engine ids: UUIDs (and the numeric ids of engines with the default id generator). */
export const ENGINE_ID = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/;

const listQuery = z.object({
  process: z.string().min(1).max(120).optional(),
  state: z.enum(['ACTIVE', 'INCIDENT', 'COMPLETED', 'CANCELED']).optional(),
  businessKey: z.string().min(1).max(120).optional(),
  key: z.string().regex(ENGINE_ID).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
const keyParam = z.object({ key: z.string().regex(ENGINE_ID, 'chiave di istanza non valida') });

/**
 * Process instances from the engine's history, with who started each from the platform and
 * every worker outcome the platform recorded (see InstanceHistory).
 */
export function instanceRoutes({ db, engine }: ApiDeps): Router {
  const history = new InstanceHistory(engine, db);
  const r = Router();
  r.use(allow('instances:view'));
  r.get('/', async (req, res) => {
    const q = parseWith(listQuery, req.query);
    res.json({ items: await history.list(q) });
  });

  r.get('/:key', async (req, res) => {
    const { key } = parseWith(keyParam, req.params);
    const personalData = hasPermission(req, 'personal:read');
    const detail = await history.detail(key, { personalData });
    if (personalData) await auditRead(req, 'process-instance', key);
    res.json(detail);
  });
  return r;
}
