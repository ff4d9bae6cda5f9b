import { z } from 'zod';
import { HELPDESK_OUTCOME_CODES, INFORMATION_OUTCOME_CODES, OUT_OF_SCOPE } from '../domain/contacts/outcome-codes.js';
import { PermanentError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';

/** Each line closes its contacts with its own catalogue. */
const CATALOGUES: Record<'cup' | 'csb', readonly string[]> = {
  cup: INFORMATION_OUTCOME_CODES,
  csb: HELPDESK_OUTCOME_CODES,
};

/**
 * Records how an information contact was closed: outcome code from the catalogue and
 * whether it was solved at the first contact, with the operator who closed it.
 */
export const recordContactOutcome = defineWorker({
  taskType: 'record-contact-outcome',
  permission: 'cup:contact',
  description:
    "Registra l'esito del contatto (codice dal catalogo della linea CUP o help desk, risolto al primo contatto) per la misura della FCR.",
  variables: z.object({
    outcomeCode: z.string().min(1),
    resolvedFirstContact: z.boolean().default(false),
    closingNote: z.string().max(1000).nullish(),
    channel: z.string().min(1).default('telefono'),
    openedAt: z.string().datetime(),
    /** Set by the task inbox when the operator completes the closing task. */
    taskCompletedBy: z.string().min(1).nullish(),
  }),
  headers: z.object({ line: z.enum(['cup', 'csb']).default('cup') }),
  async handler({ variables: v, headers, job, deps }) {
    if (!CATALOGUES[headers.line].includes(v.outcomeCode)) {
      throw new PermanentError(
        `Codice di esito ${v.outcomeCode} fuori dal catalogo della linea ${headers.line}: correggere il modulo del modello.`,
      );
    }
    const outOfScope = (OUT_OF_SCOPE as readonly string[]).includes(v.outcomeCode);
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
