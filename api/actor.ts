import type { Request } from 'express';
import type { Actor } from '../domain/tasks/inbox.js';
import { ValidationError } from '../domain/errors.js';

/**
 * Who is calling. Until sign-in and roles land (sessions, OIDC), the identity comes from
 * the `X-User` and `X-User-Groups` headers, which is why the API binds to loopback by
 * default. This is the one place to replace.
 */
export function actorOf(req: Request): Actor {
  const id = req.header('x-user')?.trim();
  if (!id || !/^[\w.@-]{1,64}$/.test(id)) {
    throw new ValidationError("Intestazione X-User mancante o non valida: indicare l'utente che opera.");
  }
  const groups = (req.header('x-user-groups') ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  return { id, groups };
}
