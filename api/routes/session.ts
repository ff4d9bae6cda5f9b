import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { parseWith } from '../problems.js';
import { principalOf } from '../auth/access.js';
import { csrfTokenOf, signIn, signInLimit, signOut } from '../auth/sessions.js';
import { ROLE_LABELS } from '../../domain/access/roles.js';
import { UnauthorizedError } from '../../domain/errors.js';

const signInBody = z.object({
  username: z.string().trim().min(1, 'indicare il nome utente').max(63),
  password: z.string().min(1, 'indicare la password').max(200),
});
const passwordBody = z.object({
  currentPassword: z.string().min(1).max(200),
  newPassword: z.string().min(1).max(200),
});

/** Sign-in, sign-out, who am I, change my password. */
export function sessionRoutes({ users, oidc, session }: ApiDeps): Router {
  const r = Router();
  // One allowance per address for every password checked here: a sign-in and a password change
  // each run a 32 MB scrypt, and a wrong current password is a guess like a wrong sign-in.
  const passwordAttempts = signInLimit(session.signInLimitPerMinute);
  r.get('/', (req, res) => {
    const p = req.principal;
    res.json({
      user: p
        ? {
            ...p,
            roleLabels: p.roles.map((role) => ROLE_LABELS[role]),
            mustChangePassword: p.mustChangePassword === true,
          }
        : null,
      csrfToken: csrfTokenOf(req),
      oidc: oidc !== undefined,
    });
  });
  r.post('/', passwordAttempts, async (req, res) => {
    const { username, password } = parseWith(signInBody, req.body ?? {});
    const p = await users.authenticate(username, password);
    if (!p) {
      await req.audit?.({ action: 'sign-in.failed', subjectType: 'user', subjectId: username.toLowerCase() });
      throw new UnauthorizedError('Nome utente o password non corretti (o account bloccato per troppi tentativi).');
    }
    const csrfToken = await signIn(req, p.id);
    req.principal = p;
    await req.audit?.({ action: 'sign-in', subjectType: 'user', subjectId: p.id });
    res.json({ user: p, csrfToken, mustChangePassword: p.mustChangePassword === true });
  });
  r.delete('/', async (req, res) => {
    if (req.principal) await req.audit?.({ action: 'sign-out', subjectType: 'user', subjectId: req.principal.id });
    await signOut(req);
    res.status(204).end();
  });
  r.post('/password', passwordAttempts, async (req, res) => {
    const p = principalOf(req);
    const body = parseWith(passwordBody, req.body ?? {});
    await users.changePassword(p.id, body.currentPassword, body.newPassword);
    await req.audit?.({ action: 'password.changed', subjectType: 'user', subjectId: p.id });
    res.status(204).end();
  });
  return r;
}
