import express, { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { parseWith } from '../problems.js';
import { twilioSigned } from '../twilio-signature.js';

/** The form Twilio posts to a message's StatusCallback. */
const smsStatus = z.object({
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-f]{32}$/),
  MessageStatus: z.enum([
    'accepted',
    'scheduled',
    'queued',
    'sending',
    'sent',
    'failed',
    'delivered',
    'undelivered',
    'read',
    'canceled',
  ]),
  ErrorCode: z
    .string()
    .regex(/^\d{1,6}$/)
    .optional(),
});

/**
 * Webhooks from providers. Each request is authenticated by the provider's signature over
 * the public URL and the posted parameters before anything is read from it.
 */
export function webhookRoutes({ smsMessages, twilioWebhook, log }: ApiDeps): Router {
  const r = Router();
  r.use(express.urlencoded({ extended: false, limit: '64kb' }));
  r.post('/twilio/sms-status', twilioSigned(twilioWebhook, log), async (req, res) => {
    const params = (req.body ?? {}) as Record<string, string>;
    const body = parseWith(smsStatus, params);
    await smsMessages.updateStatus(body.MessageSid, body.MessageStatus, body.ErrorCode);
    // Unknown sids are acknowledged too: Twilio would otherwise retry a callback we cannot use.
    res.status(204).end();
  });
  return r;
}
