import { z } from 'zod';
import { TicketRejectedError, TicketsUnavailableError, TICKET_STATUSES } from '../adapters/tickets/tickets.js';
import { PermanentError, TransientError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';

/**
 * Moves a ticket to another queue (the `queue` header, or the `departmentQueue` variable for a
 * third-level department) and/or sets its status (the `status` header), with the `note`
 * header (or the `ticketNote` variable) as an internal comment. Setting a queue or a status is
 * the same whatever the retries; the comment is added once per visit of the step.
 */
export const updateTicket = defineWorker({
  taskType: 'update-ticket',
  permission: 'helpdesk:manage',
  description:
    "Sposta il ticket in un'altra coda (anche di un ufficio di terzo livello) e/o ne cambia lo stato, con una nota interna; la nota una sola volta per passaggio.",
  variables: z
    .object({
      ticketId: z.string().min(1),
      departmentQueue: z.string().min(1).optional(),
      ticketNote: z.string().max(4000).optional(),
    })
    .passthrough(),
  headers: z.object({
    queue: z.string().min(1).optional(),
    status: z.enum(TICKET_STATUSES as [string, ...string[]]).optional(),
    note: z.string().min(1).optional(),
  }),
  async handler({ variables, headers, deps, job }) {
    const queue = headers.queue ?? variables.departmentQueue;
    const status = headers.status as (typeof TICKET_STATUSES)[number] | undefined;
    const note = [headers.note, variables.ticketNote].filter(Boolean).join('\n\n');
    try {
      if (note) {
        await deps.tickets.addMessage(variables.ticketId, {
          kind: 'comment',
          content: note,
          requestKey: `${job.processInstanceKey}:${job.elementInstanceKey ?? job.elementId}`,
        });
      }
      const ticket =
        queue || status
          ? await deps.tickets.update(variables.ticketId, {
              ...(queue ? { queue } : {}),
              ...(status ? { status } : {}),
            })
          : await deps.tickets.get(variables.ticketId);
      if (!ticket) throw new TicketRejectedError(`ticket ${variables.ticketId} inesistente`);
      // When the ticket last changed by our hand: what the department writes comes after.
      return { ticketQueue: ticket.queue, ticketStatus: ticket.status, ticketUpdatedAt: ticket.lastUpdated };
    } catch (err) {
      if (err instanceof TicketRejectedError) {
        throw new PermanentError(
          `Request Tracker ha rifiutato la modifica del ticket ${variables.ticketId}: ${err.message}. Verificare la coda e i permessi, poi riprovare.`,
        );
      }
      if (err instanceof TicketsUnavailableError) throw new TransientError(err.message);
      throw err;
    }
  },
});
