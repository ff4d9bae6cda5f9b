import { z } from 'zod';
import { Acd, DEFAULT_ACD_OPTIONS } from '../domain/voice/acd.js';
import { CALL_OUTCOMES, CallRecords } from '../domain/voice/call-records.js';
import { defineWorker } from './framework/define.js';

/**
 * The operator closed the call's contact task: its outcome and the end of after-call work go
 * into the contact record (V8), and the operator is available again. Closing the contact while
 * still talking ends the call first (Twilio hangs it up), so no next call rings a busy
 * operator. Each write is applied once (the event log keeps one `wrap-up-ended` per call) and
 * hanging up an ended call changes nothing, so a retry after a crash changes nothing.
 */
export const voiceWrapUp = defineWorker({
  taskType: 'voice-wrap-up',
  permission: 'voice:answer',
  description:
    "Registra l'esito della chiamata e la fine del post-chiamata nel registro del contatto; l'operatore torna disponibile.",
  variables: z.object({
    callSid: z.string().regex(/^CA[0-9a-f]{32}$/),
    operator: z.string().min(1),
    callOutcome: z.enum(CALL_OUTCOMES),
  }),
  headers: z.object({}),
  async handler({ variables: v, deps }) {
    const records = new CallRecords(deps.db);
    // Only the wrap-up's own writes: offers are made by the API nodes' routing, with their offer time.
    const acd = new Acd(deps.db, records, DEFAULT_ACD_OPTIONS, deps.now);
    const record = await records.get(v.callSid);
    if (record && !record.endedAt) {
      const leg = (await acd.entry(v.callSid))?.legCallSid;
      // Recorded first: Twilio's own report of the end (the Dial's action) comes while hanging up.
      await records.record({ callSid: v.callSid, at: deps.now(), type: 'disconnected', reason: 'operator' });
      await deps.voice.hangUp(leg ?? v.callSid);
    }
    const at = deps.now();
    await records.record({
      callSid: v.callSid,
      at,
      type: 'wrap-up-ended',
      operator: v.operator,
      outcome: v.callOutcome,
    });
    await acd.wrapUpEnded(v.operator, v.callSid);
    return { wrapUpEndedAt: at.toISOString() };
  },
});
