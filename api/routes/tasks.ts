import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { actorOf } from '../actor.js';
import { parseWith } from '../problems.js';

const listQuery = z.object({
  group: z.string().min(1).optional(),
  assignee: z.string().min(1).optional(),
  process: z.string().min(1).optional(),
  state: z.enum(['CREATED', 'COMPLETED', 'CANCELED']).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  offset: z.coerce.number().int().min(0).optional(),
});
const keyParam = z.object({ key: z.string().regex(/^\d{1,20}$/, 'chiave del compito non valida') });
const completeBody = z.object({ variables: z.record(z.string(), z.unknown()).default({}) });

/** The user-task inbox: list, read (with form), claim, unclaim, complete. */
export function taskRoutes({ inbox }: ApiDeps): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    res.json({ items: await inbox.list(parseWith(listQuery, req.query)) });
  });
  r.get('/:key', async (req, res) => {
    const task = await inbox.get(parseWith(keyParam, req.params).key);
    res.json({ ...task, form: (await inbox.form(task)) ?? null });
  });
  r.post('/:key/claim', async (req, res) => {
    res.json(await inbox.claim(parseWith(keyParam, req.params).key, actorOf(req)));
  });
  r.post('/:key/unclaim', async (req, res) => {
    res.json(await inbox.unclaim(parseWith(keyParam, req.params).key, actorOf(req)));
  });
  r.post('/:key/complete', async (req, res) => {
    const { key } = parseWith(keyParam, req.params);
    const { variables } = parseWith(completeBody, req.body ?? {});
    res.json(await inbox.complete(key, actorOf(req), variables));
  });
  return r;
}
