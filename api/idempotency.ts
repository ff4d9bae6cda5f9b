import { createHash, randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { DataSource } from 'typeorm';
import { ConflictError, ValidationError } from '../domain/errors.js';
import { actorOf } from './auth/access.js';

/** A key a client may choose: a UUID, or any short token of safe characters. */
const KEY = /^[A-Za-z0-9_.:-]{8,100}$/;
/**
 * A request still marked in progress after this long died with its process: it may run again.
 * Well beyond what a request may take (RT and the engine each time out in well under a minute).
 */
const STALE_MS = 10 * 60_000;

/**
 * `Idempotency-Key` for requests that create something (a contact, a PEC request, a campaign):
 * the same key from the same person on the same route gives the first answer again instead of
 * a second contact or instance, so a double click or a retry after a lost answer is harmless.
 * Only successful answers are kept (for a day); a refusal can be corrected and sent again with
 * the same key. A request without the header is served as before. The body must be the same:
 * another body under a used key is refused.
 */
export function idempotent(db: DataSource): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const key = req.get('idempotency-key');
    if (key === undefined) return next();
    if (!KEY.test(key)) {
      next(
        new ValidationError('Intestazione Idempotency-Key non valida: da 8 a 100 caratteri tra lettere, cifre e _.:-'),
      );
      return;
    }
    const actor = actorOf(req).id;
    const route = `${req.method} ${req.baseUrl}${req.path}`;
    const fingerprint = createHash('sha256')
      .update(JSON.stringify(req.body ?? null))
      .digest('hex');
    void (async () => {
      await db.query(`DELETE FROM api_requests WHERE created_at < now() - interval '1 day'`);
      // This request's claim: only its holder may record the answer or give the key back.
      const token = randomUUID();
      let seen: { status: number | null; body: unknown; fingerprint: string } | undefined;
      for (let attempt = 0; attempt < 3; attempt++) {
        const claimed: unknown[] = await db.query(
          `INSERT INTO api_requests (actor, route, key, fingerprint, claim) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (actor, route, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, claim = EXCLUDED.claim,
                  created_at = now()
             WHERE api_requests.status IS NULL AND api_requests.created_at < now() - $6 * interval '1 millisecond'
           RETURNING 1`,
          [actor, route, key, fingerprint, token, STALE_MS],
        );
        if (claimed.length > 0) {
          seen = undefined;
          break;
        }
        [seen] = await db.query<{ status: number | null; body: unknown; fingerprint: string }[]>(
          `SELECT status, body, fingerprint FROM api_requests WHERE actor = $1 AND route = $2 AND key = $3`,
          [actor, route, key],
        );
        // Given back between the two statements (the first attempt failed): claim it again.
        if (seen) break;
      }
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          throw new ConflictError('Questa Idempotency-Key è già stata usata per una richiesta diversa.');
        }
        if (seen.status === null)
          throw new ConflictError('La stessa richiesta è ancora in corso: attendere la sua risposta.');
        res.setHeader('Idempotent-Replayed', 'true');
        res.status(seen.status).json(seen.body);
        return;
      }
      // The answer is kept when it is a success; otherwise the key is given back.
      const json = res.json.bind(res);
      res.json = (body: unknown) => {
        const status = res.statusCode;
        const mine = [actor, route, key, token];
        const keep =
          status >= 200 && status < 300
            ? db.query(
                `UPDATE api_requests SET status = $5, body = $6::jsonb
                  WHERE actor = $1 AND route = $2 AND key = $3 AND claim = $4`,
                [...mine, status, JSON.stringify(body ?? null)],
              )
            : db.query(`DELETE FROM api_requests WHERE actor = $1 AND route = $2 AND key = $3 AND claim = $4`, mine);
        void keep.then(
          () => json(body),
          (err: unknown) => {
            res.json = json;
            next(err);
          },
        );
        return res;
      };
      next();
    })().catch(next);
  };
}
