/**
 * Errors a use case reports to its caller. The API renders each as problem+json with the
 * status below; the messages are for people (Italian) and contain no personal data.
 */
export abstract class DomainError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
}

export class NotFoundError extends DomainError {
  override name = 'NotFoundError';
  readonly status = 404;
  readonly title = 'Non trovato';
}

export class ConflictError extends DomainError {
  override name = 'ConflictError';
  readonly status = 409;
  readonly title = 'Conflitto';
}

export class ForbiddenError extends DomainError {
  override name = 'ForbiddenError';
  readonly status = 403;
  readonly title = 'Operazione non consentita';
}

export class ValidationError extends DomainError {
  override name = 'ValidationError';
  readonly status = 400;
  readonly title = 'Dati non validi';
  constructor(
    message: string,
    readonly errors: { field: string; message: string; label?: string }[] = [],
  ) {
    super(message);
  }
}

/** A service the use case depends on (the engine, the CUP) is not reachable now. */
export class UnavailableError extends DomainError {
  override name = 'UnavailableError';
  readonly status = 503;
  readonly title = 'Servizio non disponibile';
}

/** The caller is not signed in (or the session has expired). */
export class UnauthorizedError extends DomainError {
  override name = 'UnauthorizedError';
  readonly status = 401;
  readonly title = 'Accesso richiesto';
}
