import { z } from 'zod';

/**
 * What Twilio posts to a voice webhook (application/x-www-form-urlencoded, PascalCase, every
 * value a string: docs/research/twilio-voice.md §1). Only what the IVR uses is read; Twilio
 * may add parameters at any time, so the rest is ignored, never refused.
 */
const callSid = z.string().regex(/^CA[0-9a-f]{32}$/, 'CallSid non valido');
/** E.164, or `client:<identity>` for a call from the browser softphone; `anonymous` for a withheld caller ID. */
const party = z.string().min(1).max(64);

export const CALL_STATUSES = [
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
] as const;

/** A new call, or any later request of the same call (the standard parameters). */
export const incomingCall = z.object({
  CallSid: callSid,
  AccountSid: z.string().regex(/^AC[0-9a-f]{32}$/, 'AccountSid non valido'),
  From: party,
  To: party,
  CallStatus: z.enum(CALL_STATUSES),
  Direction: z.enum(['inbound', 'outbound-api', 'outbound-dial']),
  ForwardedFrom: party.optional(),
});
export type IncomingCall = z.infer<typeof incomingCall>;

/** A `<Gather>`'s answer: keys, or Italian speech with its confidence; both empty when nothing came. */
export const gatherResult = incomingCall.extend({
  Digits: z
    .string()
    .regex(/^[0-9*#]{0,32}$/, 'Digits non validi')
    .optional(),
  FinishedOnKey: z
    .string()
    .regex(/^[0-9*#]?$/)
    .optional(),
  SpeechResult: z.string().max(2000).optional(),
  Confidence: z.coerce.number().min(0).max(1).optional(),
});
export type GatherResult = z.infer<typeof gatherResult>;

/** A status callback: the call's progress; `SequenceNumber` orders callbacks that arrive out of order. */
export const callStatus = incomingCall.extend({
  CallDuration: z.coerce.number().int().min(0).optional(),
  Timestamp: z.string().max(64).optional(),
  SequenceNumber: z.coerce.number().int().min(0).optional(),
});
export type CallStatusUpdate = z.infer<typeof callStatus>;

/** What `<Enqueue waitUrl>` posts while the caller waits in a queue. */
export const queueWait = incomingCall.extend({
  QueueSid: z.string().regex(/^QU[0-9a-f]{32}$/),
  QueuePosition: z.coerce.number().int().min(1),
  QueueTime: z.coerce.number().int().min(0),
  AvgQueueTime: z.coerce.number().int().min(0),
  CurrentQueueSize: z.coerce.number().int().min(0),
});
export type QueueWait = z.infer<typeof queueWait>;
