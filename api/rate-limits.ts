import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { sendProblem } from './problems.js';

/**
 * Per-minute limits (express-rate-limit), each answering 429 as problem+json in Italian with
 * the seconds to wait. Counted in this process's memory: in a cluster each API process counts
 * on its own. The client address is `req.ip` (see `trust proxy` in api/app.ts).
 */
export function perMinute(
  limit: number,
  title: string,
  detail: (seconds: number) => string,
  opts: { skipSuccessfulRequests?: boolean; key?: (req: Request) => string } = {},
): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit,
    skipSuccessfulRequests: opts.skipSuccessfulRequests ?? false,
    ...(opts.key ? { keyGenerator: opts.key } : {}),
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (req, res) => {
      const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000));
      sendProblem(res, { status: 429, title, detail: detail(seconds) });
    },
  });
}

/** Webhooks (Twilio's), per sending address: a flood is refused before its signature is checked. */
export function webhookLimit(limit: number): RequestHandler {
  return perMinute(
    limit,
    'Troppe richieste',
    (s) => `Troppe richieste da questo indirizzo. Riprovare tra ${s} secondi.`,
  );
}

/**
 * Uploads (contact-record files, campaign lists, a call's documents), per signed-in user (or
 * address): each is parsed and checked whole, so many at once would hold the process.
 */
export function uploadLimit(limit: number): RequestHandler {
  return perMinute(
    limit,
    'Troppi caricamenti',
    (s) => `Troppi file caricati in un minuto. Riprovare tra ${s} secondi.`,
    {
      key: (req) => {
        const user = (req as Request & { session?: { username?: string } }).session?.username;
        return user ? `user:${user}` : `ip:${ipKeyGenerator(req.ip ?? '')}`;
      },
    },
  );
}
