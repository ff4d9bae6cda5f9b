import type { RequestHandler } from 'express';
import twilio from 'twilio';
import type { Logger } from '../platform/logger.js';
import { sendProblem } from './problems.js';

/**
 * Twilio's webhooks (SMS status, voice) are authenticated by `X-Twilio-Signature`: an HMAC of
 * the public URL Twilio called (the deployment's `PUBLIC_BASE_URL` and the path with its
 * query) and the posted parameters. Nothing of a request is read before this passes; without
 * the configuration the webhooks do not exist (404).
 */
export function twilioSigned(
  webhook: { authToken: string; publicBaseUrl: string } | undefined,
  log: Logger,
): RequestHandler {
  return (req, res, next) => {
    if (!webhook) {
      sendProblem(res, {
        status: 404,
        title: 'Non trovato',
        detail: 'Callback Twilio non configurate (PUBLIC_BASE_URL).',
      });
      return;
    }
    const signature = req.header('x-twilio-signature') ?? '';
    const url = `${webhook.publicBaseUrl.replace(/\/$/, '')}${req.originalUrl}`;
    const params = (req.body ?? {}) as Record<string, string>;
    if (!twilio.validateRequest(webhook.authToken, signature, url, params)) {
      log.warn({ path: req.path }, 'rejected a callback with an invalid Twilio signature');
      sendProblem(res, { status: 403, title: 'Operazione non consentita', detail: 'Firma Twilio non valida.' });
      return;
    }
    next();
  };
}
