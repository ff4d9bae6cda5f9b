import { z } from 'zod';
import { BpmnError } from './framework/errors.js';
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
    const rows: { id: string }[] = await deps.db.query(
      `SELECT a.id FROM cup_appointments a JOIN cup_slots s ON s.id = a.slot_id
        WHERE s.schedule_id = $1 AND a.status = 'booked' AND s.starts_at >= $2 AND s.starts_at < $3
        ORDER BY s.starts_at, a.id`,
      [variables.scheduleId, variables.from, variables.to],
    );
    if (rows.length === 0) throw new BpmnError('NOTHING_TO_CLEAN', BPMN_ERRORS.NOTHING_TO_CLEAN);
    const packages: string[][] = [];
    for (let i = 0; i < rows.length; i += headers.packageSize) {
      packages.push(rows.slice(i, i + headers.packageSize).map((r) => r.id));
    }
    return { packages, contactsTotal: rows.length };
  },
});
