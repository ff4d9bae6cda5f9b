import { z } from 'zod';
import { INFORMATION_OUTCOME_CODES, OUT_OF_SCOPE } from '../domain/contacts/outcome-codes.js';
import { defineWorker } from './framework/define.js';

/**
 * Records how an information contact was closed: outcome code from the catalogue and
 * whether it was solved at the first contact, with the operator who closed it.
 */
export const recordContactOutcome = defineWorker({
  taskType: 'record-contact-outcome',
  permission: 'cup:contact',
  description:
    "Registra l'esito del contatto informativo (codice dal catalogo, risolto al primo contatto) per la misura della FCR.",
  variables: z.object({
    outcomeCode: z.enum(INFORMATION_OUTCOME_CODES),
    resolvedFirstContact: z.boolean().default(false),
    closingNote: z.string().max(1000).nullish(),
    channel: z.string().min(1).default('telefono'),
    openedAt: z.string().datetime(),
    /** Set by the task inbox when the operator completes the closing task. */
    taskCompletedBy: z.string().min(1).nullish(),
  }),
  headers: z.object({ line: z.enum(['cup', 'csb']).default('cup') }),
  async handler({ variables: v, headers, job, deps }) {
    const outOfScope = OUT_OF_SCOPE.includes(v.outcomeCode);
    await deps.db.query(
      `INSERT INTO contact_outcomes (process_instance_key, line, channel, outcome_code, resolved_first_contact, out_of_scope,
         operator, note, opened_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (process_instance_key) DO NOTHING`,
      [
        job.processInstanceKey,
        headers.line,
        v.channel,
        v.outcomeCode,
        v.resolvedFirstContact && !outOfScope,
        outOfScope,
        v.taskCompletedBy ?? null,
        v.closingNote ?? null,
        v.openedAt,
      ],
    );
    return { contactRecorded: true };
  },
});
