import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { actorOf, allow, auditRead, hasPermission } from '../auth/access.js';
import { parseWith } from '../problems.js';
import { maskPersonal } from '../../domain/access/personal-data.js';
import { ForbiddenError } from '../../domain/errors.js';
import { ENGINE_ID } from './instances.js';

const listQuery = z.object({
  group: z.string().min(1).optional(),
  assignee: z.string().min(1).optional(),
  process: z.string().min(1).optional(),
  state: z.enum(['CREATED', 'COMPLETED', 'CANCELED']).optional(),
  priorityMin: z.coerce.number().int().min(0).max(100).optional(),
  dueBefore: z.coerce.date().optional(),
  claim: z.enum(['unassigned', 'mine']).optional(),
  sort: z.enum(['priority', 'due', 'created']).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  offset: z.coerce.number().int().min(0).optional(),
});
const keyParam = z.object({ key: z.string().regex(ENGINE_ID, 'chiave del compito non valida') });
const completeBody = z.object({ variables: z.record(z.string(), z.unknown()).default({}) });

/**
 * The user-task inbox: list, read (with form), claim, unclaim, complete. A person sees the
 * tasks they may work; supervisors and the Regione see all (the Regione without claiming).
 */
export function taskRoutes({ inbox }: ApiDeps): Router {
  const r = Router();
  r.use(allow('tasks:work', 'tasks:view-all'));
  r.get('/', async (req, res) => {
    const q = parseWith(listQuery, req.query);
    const actor = actorOf(req);
    const all = hasPermission(req, 'tasks:view-all');
    res.json({ items: await inbox.list({ ...q, visibleTo: all && q.claim !== 'mine' ? undefined : actor }) });
  });
  r.get('/:key', async (req, res) => {
    const task = await inbox.get(parseWith(keyParam, req.params).key);
    const actor = actorOf(req);
    if (!hasPermission(req, 'tasks:view-all') && !inbox.mayWork(task, actor)) {
      throw new ForbiddenError('Il compito è riservato ad altri gruppi.');
    }
    const personal = hasPermission(req, 'personal:read');
    if (personal) await auditRead(req, 'user-task', task.key, { process: task.bpmnProcessId, element: task.elementId });
    res.json({
      ...task,
      variables: personal ? task.variables : maskPersonal(task.variables),
      form: (await inbox.form(task)) ?? null,
    });
  });
  r.post('/:key/claim', allow('tasks:work'), async (req, res) => {
    res.json(await inbox.claim(parseWith(keyParam, req.params).key, actorOf(req)));
  });
  r.post('/:key/unclaim', allow('tasks:work'), async (req, res) => {
    res.json(await inbox.unclaim(parseWith(keyParam, req.params).key, actorOf(req)));
  });
  r.post('/:key/complete', allow('tasks:work'), async (req, res) => {
    const { key } = parseWith(keyParam, req.params);
    const { variables } = parseWith(completeBody, req.body ?? {});
    res.json(await inbox.complete(key, actorOf(req), variables));
  });
  return r;
}
