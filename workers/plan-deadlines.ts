import { z } from 'zod';
import { addBusinessDays, addBusinessHours } from '../domain/business-calendar.js';
import { defineWorker } from './framework/define.js';

const count = z.coerce.number().positive().max(10_000);

/**
 * Works out the flow's deadlines on the contract's business calendar, from the model's
 * headers: `reminderBusinessDays` and `closeBusinessDays` (working days), `warnBusinessHours`
 * (business hours). Sets `reminderAt`, `closeAt`, `warnAt` (ISO instants) for the timers.
 */
export const planDeadlines = defineWorker({
  taskType: 'plan-deadlines',
  description:
    'Calcola le scadenze del flusso sul calendario lavorativo del contratto (promemoria, chiusura, avviso al responsabile) dalle intestazioni del modello.',
  variables: z.object({}).passthrough(),
  headers: z.object({
    reminderBusinessDays: count.optional(),
    closeBusinessDays: count.optional(),
    warnBusinessHours: count.optional(),
  }),
  // eslint-disable-next-line @typescript-eslint/require-await -- a pure computation, the framework awaits handlers
  async handler({ headers, deps }) {
    const now = deps.now();
    return {
      ...(headers.reminderBusinessDays
        ? { reminderAt: addBusinessDays(now, headers.reminderBusinessDays).toISOString() }
        : {}),
      ...(headers.closeBusinessDays ? { closeAt: addBusinessDays(now, headers.closeBusinessDays).toISOString() } : {}),
      ...(headers.warnBusinessHours ? { warnAt: addBusinessHours(now, headers.warnBusinessHours).toISOString() } : {}),
    };
  },
});
