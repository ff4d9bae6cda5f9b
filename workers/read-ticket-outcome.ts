import { z } from 'zod';
import { TicketsUnavailableError } from '../adapters/tickets/tickets.js';
import { TransientError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';

/**
 * Reads what the department answered on the ticket once it reached its queue (the latest
 * reply or comment after `ticketUpdatedAt`), for the outcome mail or the call-back.
 */
export const readTicketOutcome = defineWorker({
  taskType: 'read-ticket-outcome',
  // It changes nothing, but an office's answer about a person is that person's data.
  permission: 'personal:read',
  description:
    "Legge la risposta dell'ufficio sul ticket (l'ultima risposta o nota dopo l'inoltro), per l'email di esito o la richiamata.",
  variables: z.object({ ticketId: z.string().min(1), ticketUpdatedAt: z.string().datetime().optional() }),
  headers: z.object({}).passthrough(),
  async handler({ variables, deps }) {
    try {
      const m = await deps.tickets.lastMessage(
        variables.ticketId,
        variables.ticketUpdatedAt ?? new Date(0).toISOString(),
      );
      return { outcomeText: m?.content.slice(0, 4000) ?? '' };
    } catch (err) {
      if (err instanceof TicketsUnavailableError) throw new TransientError(err.message);
      throw err;
    }
  },
});
