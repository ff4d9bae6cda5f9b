import type { ErrorRequestHandler, Response } from 'express';
import type { z } from 'zod';
import { DomainError, ValidationError } from '../domain/errors.js';
import type { Logger } from '../platform/logger.js';
import { fieldLabel } from '../domain/validation-messages.js';

/** Sends an RFC 9457 problem document. */
export function sendProblem(
  res: Response,
  p: { status: number; title: string; detail?: string; type?: string; errors?: { field: string; message: string }[] },
): void {
  res
    .status(p.status)
    .type('application/problem+json')
    .json({ type: p.type ?? 'about:blank', title: p.title, status: p.status, detail: p.detail, errors: p.errors });
}

/** Parses a request part with a zod schema; a mismatch is a 400 listing each field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new ValidationError(
      'La richiesta contiene dati non validi.',
      r.error.issues.map((i) => {
        const field = i.path.join('.') || '(corpo)';
        return { field, label: fieldLabel(field), message: i.message };
      }),
    );
  }
  return r.data;
}

/** Domain errors become their status; anything else a 500 without a stack trace. */
export function problemHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    // A failure while a file was streaming: the answer has begun and can only be cut short.
    if (res.headersSent) {
      log.warn({ err: { name: (err as Error).name }, path: req.path }, 'answer cut short');
      res.destroy();
      return;
    }
    if (err instanceof DomainError) {
      sendProblem(res, {
        status: err.status,
        title: err.title,
        detail: err.message,
        ...(err instanceof ValidationError ? { errors: err.errors } : {}),
      });
      return;
    }
    const e = err as { type?: string; status?: number; name?: string };
    if (e.type === 'entity.parse.failed') {
      sendProblem(res, {
        status: 400,
        title: 'Dati non validi',
        detail: 'Il corpo della richiesta non è JSON valido.',
      });
      return;
    }
    if (e.type === 'entity.too.large') {
      sendProblem(res, { status: 413, title: 'Richiesta troppo grande' });
      return;
    }
    if (databaseUnavailable(err)) {
      // PostgreSQL restarting or failing over: the request was not carried out; the same again shortly.
      log.warn(
        { err: { name: e.name, message: (err as Error).message?.slice(0, 200) }, path: req.path },
        'database unavailable',
      );
      res.setHeader('retry-after', '5');
      sendProblem(res, {
        status: 503,
        title: 'Servizio momentaneamente non disponibile',
        detail: 'Il database non risponde. Riprovare tra qualche istante.',
      });
      return;
    }
    log.error(
      {
        err: { name: e.name, message: (err as Error).message?.slice(0, 300) },
        method: req.method,
        path: req.route ? String((req.route as { path: unknown }).path) : undefined,
      },
      'unhandled API error',
    );
    sendProblem(res, { status: 500, title: 'Errore interno', detail: 'Si è verificato un errore imprevisto.' });
  };
}

/** Connection failures and PostgreSQL's "shutting down / cannot connect now" (class 08, 57P01–57P03). */
const UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03']);

/** The database cannot be reached now (as opposed to a query it refused). */
function databaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; driverError?: { code?: unknown }; message?: unknown } | undefined;
  const raw = e?.driverError?.code ?? e?.code;
  const code = typeof raw === 'string' ? raw : '';
  if (UNAVAILABLE.has(code) || code.startsWith('08')) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /^Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/.test(message);
}
