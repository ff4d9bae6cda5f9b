import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { parseWith } from '../problems.js';
import { allow } from '../auth/access.js';
import { ROLES } from '../../domain/access/roles.js';
import { USERNAME } from '../../domain/access/users.js';

const roles = z.array(z.enum(ROLES)).min(1, 'assegnare almeno un ruolo');
const createBody = z.object({
  username: z.string().trim().min(2).max(63),
  displayName: z.string().trim().min(1).max(120),
  roles,
});
const updateBody = z.object({
  displayName: z.string().trim().min(1).max(120).optional(),
  roles: roles.optional(),
  active: z.boolean().optional(),
  /** Lets the next sign-on with the name of an account not yet bound to a provider identity bind it. */
  allowExternalBinding: z.boolean().optional(),
});
const usernameParam = z.object({ username: z.string().regex(USERNAME, 'nome utente non valido') });
const auditQuery = z.object({
  actor: z.string().min(1).optional(),
  action: z.string().min(1).optional(),
  subjectId: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

/** Accounts and roles (administrators), and the audit trail. */
export function userRoutes({ users, audit }: ApiDeps): Router {
  const r = Router();
  r.get('/users', allow('users:manage'), async (_req, res) => {
    res.json({ items: await users.list() });
  });
  r.post('/users', allow('users:manage'), async (req, res) => {
    const body = parseWith(createBody, req.body ?? {});
    const { account, initialPassword } = await users.create(body);
    await req.audit?.({
      action: 'user.created',
      subjectType: 'user',
      subjectId: account.username,
      detail: { roles: body.roles },
    });
    res.status(201).json({ account, initialPassword });
  });
  r.patch('/users/:username', allow('users:manage'), async (req, res) => {
    const { username } = parseWith(usernameParam, req.params);
    const change = parseWith(updateBody, req.body ?? {});
    const account = await users.update(username, change);
    await req.audit?.({ action: 'user.updated', subjectType: 'user', subjectId: username, detail: change });
    res.json(account);
  });
  r.post('/users/:username/password-reset', allow('users:manage'), async (req, res) => {
    const { username } = parseWith(usernameParam, req.params);
    const password = await users.resetPassword(username);
    await req.audit?.({ action: 'user.password-reset', subjectType: 'user', subjectId: username });
    res.json({ initialPassword: password });
  });
  r.get('/audit', allow('audit:view'), async (req, res) => {
    res.json({ items: await audit.list(parseWith(auditQuery, req.query)) });
  });
  return r;
}
