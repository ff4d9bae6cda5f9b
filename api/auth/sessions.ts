import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import { perMinute } from '../rate-limits.js';
import connectPgSimple from 'connect-pg-simple';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { UserDirectory } from '../../domain/access/users.js';
import type { AuditLog } from '../../domain/access/audit.js';
import { ForbiddenError } from '../../domain/errors.js';
import { sameSecret } from './access.js';

declare module 'express-session' {
  interface SessionData {
    username: string;
    csrfToken: string;
    /** Set while a sign-in through OpenID Connect is under way. */
    oidc: { state: string; nonce: string; codeVerifier: string; returnTo: string };
  }
}

export const SESSION_COOKIE = 'cc.sid';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface SessionOptions {
  db: DataSource;
  users: UserDirectory;
  audit: AuditLog;
  secret: string;
  /** Send the cookie only over HTTPS (on when the public address is https). */
  secureCookie: boolean;
  /** Idle time after which a session ends. */
  idleTimeoutMs: number;
  /** Failed password sign-ins and changes accepted from one client address per minute (see `signInLimit`). */
  signInLimitPerMinute: number;
  /** Uploads accepted from one user per minute (see `uploadLimit`). */
  uploadLimitPerMinute: number;
  /** Webhook requests accepted from one address per minute (see `webhookLimit`). */
  webhookLimitPerMinute: number;
}

/**
 * The session layer in front of the API: a server-side session in PostgreSQL (so any API
 * process of a cluster knows it) behind an httpOnly, SameSite=Lax cookie; the signed-in
 * person loaded fresh on each request (a disabled account or a changed role takes effect at
 * once); and the CSRF check: every state-changing request carries the session's token in
 * `X-CSRF-Token`, which a page of another site cannot read nor send.
 */
export function sessionLayer(o: SessionOptions): { handlers: RequestHandler[]; close: () => void } {
  const PgStore = connectPgSimple(session);
  const store = new PgStore({
    pool: (o.db.driver as unknown as { master: Pool }).master,
    tableName: 'http_sessions',
    createTableIfMissing: false,
    pruneSessionInterval: 15 * 60,
    errorLog: () => undefined,
  });
  const sessions = session({
    name: SESSION_COOKIE,
    secret: o.secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'lax', secure: o.secureCookie, maxAge: o.idleTimeoutMs, path: '/' },
  });
  const loadPrincipal: RequestHandler = (req, _res, next) => {
    const username = req.session.username;
    req.audit = (e) => o.audit.record({ ...e, actor: req.principal?.id ?? 'anonimo', ip: req.ip });
    if (!username) return next();
    o.users
      .principal(username)
      .then((p) => {
        if (p) req.principal = p;
        else delete req.session.username;
        next();
      })
      .catch(next);
  };
  return { handlers: [sessions, loadPrincipal, csrfCheck], close: () => store.close() };
}

/** The session's CSRF token, created on first use. */
export function csrfTokenOf(req: Request): string {
  req.session.csrfToken ??= randomBytes(32).toString('base64url');
  return req.session.csrfToken;
}

function csrfCheck(req: Request, _res: Response, next: NextFunction): void {
  if (SAFE_METHODS.has(req.method)) return next();
  // A system calling with a bearer token and no session cookie is not a browser: nothing to forge.
  if (req.get('authorization')?.startsWith('Bearer ') && !req.session.username) return next();
  const sent = req.get('x-csrf-token') ?? '';
  const expected = req.session.csrfToken ?? '';
  const ok = expected !== '' && sameSecret(sent, expected);
  if (!ok) {
    throw new ForbiddenError(
      'Richiesta rifiutata: token di sicurezza (CSRF) mancante o scaduto. Ricaricare la pagina e riprovare.',
    );
  }
  next();
}

/**
 * Guards the password checks (sign-in, and a change of one's password, which proves the
 * current one): past `perMinute` failed attempts from one client address in a minute, the
 * next ones answer 429 with `Retry-After` until the minute is over, before any password is
 * checked (each check is a 32 MB scrypt). The routes that share one limiter share the count. Successful sign-ins do not count, so a
 * shift signing in behind one office address is not held up; the per-account lockout
 * (domain/access/users.ts) still stops guessing at one account from many addresses.
 * The client address is `req.ip`: the connection's, or `X-Forwarded-For` from a proxy on this
 * host (`trust proxy` is `loopback` in api/app.ts); behind a proxy elsewhere every client
 * would share the proxy's address. The count is kept in this process's memory: in a cluster
 * each API process counts on its own, so an address gets `perMinute` tries on each.
 */
export function signInLimit(limit: number): RequestHandler {
  return perMinute(
    limit,
    'Troppi tentativi',
    (seconds) => `Troppi tentativi di accesso da questo indirizzo. Riprovare tra ${seconds} secondi.`,
    { skipSuccessfulRequests: true },
  );
}

/** Starts a fresh session for a person who just proved who they are (no session fixation). */
export async function signIn(req: Request, username: string): Promise<string> {
  await new Promise<void>((resolve, reject) =>
    req.session.regenerate((err?: Error) => (err ? reject(err) : resolve())),
  );
  req.session.username = username;
  const token = csrfTokenOf(req);
  await new Promise<void>((resolve, reject) => req.session.save((err?: Error) => (err ? reject(err) : resolve())));
  return token;
}

export async function signOut(req: Request): Promise<void> {
  await new Promise<void>((resolve, reject) => req.session.destroy((err?: Error) => (err ? reject(err) : resolve())));
}
