import { z } from 'zod';
import { defineWorker } from './framework/define.js';

/**
 * When a slot of a monitored agenda frees up, starts the recall (C4) that offers it to the
 * patients booked at day 31 (visits) or 61 (instrumental exams). Once per freed slot and
 * process instance.
 */
export const startRecall = defineWorker({
  taskType: 'start-recall',
  permission: 'cup:contact',
  description:
    "Se lo slot liberato appartiene a un'agenda monitorata, avvia il richiamo dei pazienti prenotati al 31°/61° giorno.",
  variables: z.object({
    freedSlotId: z.string().min(1).max(64).nullish(),
  }),
  headers: z.object({}),
  async handler({ variables, job, deps, once }) {
    const slotId = variables.freedSlotId;
    if (!slotId) return { recallStarted: false };
    const slot = await deps.cup.getSlot(slotId);
    if (!slot || !slot.monitored || slot.status !== 'free') return { recallStarted: false };
    const started = await once(`slot:${slotId}:pi:${job.processInstanceKey}`, async () => {
      const s = await deps.starter.start({
        bpmnProcessId: 'cup-recall',
        businessKey: `RICHIAMO-${slotId}`,
        variables: { freedSlotId: slotId },
        startedBy: `process:${job.processInstanceKey}`,
        // A delivery that started the recall and died before recording it starts none twice.
        idempotencyKey: `start-recall:${slotId}:${job.processInstanceKey}`,
      });
      return s.processInstanceKey;
    });
    return { recallStarted: true, recallProcessInstanceKey: started };
  },
});
