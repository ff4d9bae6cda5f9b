import { MailSendError } from '../adapters/mail/mail-transport.js';
import { MailInDoubtError } from '../domain/helpdesk/mail-sender.js';
import { EffectInProgressError, PermanentError, TransientError } from './framework/errors.js';

/**
 * How a help-desk mail that could not be sent ends its job: a send in doubt waits without
 * spending an attempt, a refusal goes to a person (`refused` says, in Italian, what to fix),
 * anything passing is retried.
 */
export function jobErrorOfMail(err: unknown, refused: (reason: string) => string): unknown {
  if (err instanceof MailInDoubtError) return new EffectInProgressError(err.message, err.retryAfterMs);
  if (err instanceof MailSendError && err.permanent) return new PermanentError(refused(err.message));
  if (err instanceof MailSendError) return new TransientError(err.message);
  return err;
}
