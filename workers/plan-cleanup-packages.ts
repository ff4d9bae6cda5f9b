import { z } from 'zod';
import { CupUnavailableError } from '../adapters/cup/cup.js';
import { BpmnError, TransientError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';
import { BPMN_ERRORS } from './framework/bpmn-errors.js';

/**
 * Splits the bookings of an agenda in a period into packages of contacts (100 by
 * contract, §6.2) for a "pulitura agende" campaign; packages are worked one after another.
 */
export const planCleanupPackages = defineWorker({
  taskType: 'plan-cleanup-packages',
  permission: 'cup:manage',
  description:
    "Divide le prenotazioni dell'agenda nel periodo in pacchetti di contatti (100 da contratto) per la pulitura.",
  variables: z.object({
    scheduleId: z.string().min(1),
    from: z.string().datetime({ offset: true }),
    to: z.string().datetime({ offset: true }),
  }),
  headers: z.object({ packageSize: z.coerce.number().int().min(1).max(500).default(100) }),
  async handler({ variables, headers, deps }) {
    // Through the Cup: the local CUP's tables, or the region's CUP over FHIR.
    const rows = await deps.cup
      .agendaBookings({ scheduleId: variables.scheduleId, from: new Date(variables.from), to: new Date(variables.to) })
      .catch((err: unknown) => {
        throw err instanceof CupUnavailableError ? new TransientError(err.message) : err;
      });
    if (rows.length === 0) throw new BpmnError('NOTHING_TO_CLEAN', BPMN_ERRORS.NOTHING_TO_CLEAN);
    const packages: string[][] = [];
    for (let i = 0; i < rows.length; i += headers.packageSize) {
      packages.push(rows.slice(i, i + headers.packageSize).map((r) => r.id));
    }
    return { packages, contactsTotal: rows.length };
  },
});
