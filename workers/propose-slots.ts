import { z } from 'zod';
import { BpmnError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';
import { BPMN_ERRORS } from './framework/bpmn-errors.js';
import { beyondPriorityLimit, maxWaitHours, PRIORITY_CLASSES, PRIORITY_LABELS } from '../domain/cup/priority.js';

const TIME_ZONE = 'Europe/Rome';
const label = new Intl.DateTimeFormat('it-IT', {
  timeZone: TIME_ZONE,
  weekday: 'short',
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** Finds the earliest free slots across the region and offers them to the operator's form. */
export const proposeSlots = defineWorker({
  taskType: 'propose-slots',
  description:
    "Cerca i primi slot liberi per la prestazione in tutta la regione (o in una struttura) e li propone all'operatore.",
  variables: z.object({
    serviceCode: z.string().min(1),
    structureId: z.string().min(1).optional(),
    priorityClass: z.enum(PRIORITY_CLASSES).optional(),
  }),
  headers: z.object({ limit: z.coerce.number().int().min(1).max(50).default(8) }),
  async handler({ variables, headers, deps }) {
    const offers = await deps.cup.findEarliestSlots({
      serviceCode: variables.serviceCode,
      structureId: variables.structureId,
      after: deps.now(),
      limit: headers.limit,
    });
    if (offers.length === 0) throw new BpmnError('NO_FREE_SLOT', BPMN_ERRORS.NO_FREE_SLOT);
    const first = offers[0];
    const kind = first ? (await deps.cup.getSlot(first.slotId))?.serviceKind : undefined;
    const priority = variables.priorityClass;
    // A first offer later than the class allows is a complex case for the back office (C5).
    const late =
      priority !== undefined &&
      kind !== undefined &&
      first !== undefined &&
      beyondPriorityLimit(priority, kind, deps.now(), new Date(first.start));
    return {
      beyondPriorityLimit: late,
      escalationReason: late
        ? `Il primo slot disponibile (${label.format(new Date(first.start))}) supera il limite della classe ${priority}: ${PRIORITY_LABELS[priority]}, ${Math.round(maxWaitHours(priority, kind) / 24)} giorni.`
        : null,
      slotOptions: offers.map((o) => ({
        value: o.slotId,
        label: `${label.format(new Date(o.start))} - ${o.structureName}`,
      })),
      earliestSlotStart: offers[0]?.start,
    };
  },
});
