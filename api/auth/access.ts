import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Actor } from '../../domain/tasks/inbox.js';
import type { Principal } from '../../domain/access/users.js';
import type { Permission } from '../../domain/access/roles.js';
import type { AuditEntry } from '../../domain/access/audit.js';
import { ForbiddenError, UnauthorizedError } from '../../domain/errors.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The signed-in person, set by the session layer; undefined for anonymous callers. */
    principal?: Principal;
    /** Writes an audit entry for the signed-in person (set by the session layer). */
    audit?: (e: Omit<AuditEntry, 'actor' | 'ip'>) => Promise<void>;
  }
}

/** The signed-in person, or 401. */
export function principalOf(req: Request): Principal {
  if (!req.principal) throw new UnauthorizedError('Accedere per continuare.');
  return req.principal;
}

/** Who acts on the inbox and starts processes: the signed-in person and their groups. */
export function actorOf(req: Request): Actor {
  const p = principalOf(req);
  return { id: p.id, groups: p.groups };
}

export function hasPermission(req: Request, permission: Permission): boolean {
  return req.principal?.permissions.includes(permission) === true;
}

/**
 * Lets the request through when the signed-in person holds at least one of the
 * permissions; otherwise 401 (anonymous) or 403. Every route of the API sits behind one.
 */
export function allow(...permissions: Permission[]): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const p = principalOf(req);
    if (p.mustChangePassword) {
      throw new ForbiddenError('Cambiare la password provvisoria prima di continuare.');
    }
    if (!permissions.some((perm) => p.permissions.includes(perm))) {
      throw new ForbiddenError('Il tuo ruolo non consente questa operazione.');
    }
    next();
  };
}

/** Records that the signed-in person read a person's data (P3: every such read is audited). */
export async function auditRead(
  req: Request,
  subjectType: string,
  subjectId: string,
  detail?: Record<string, unknown>,
) {
  await req.audit?.({ action: 'personal-data.read', subjectType, subjectId, detail });
}

/** Constant-time comparison of a presented secret (a token, a CSRF token) with the expected one. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
