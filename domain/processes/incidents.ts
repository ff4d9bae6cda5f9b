import type { DataSource } from 'typeorm';
import type { ZeebeClient } from '../../platform/engine/client.js';
import { ConflictError, NotFoundError, UnavailableError } from '../errors.js';

/**
 * Retries a job that raised an incident, after the cause was fixed (a corrected phone
 * number, a CUP back online). A bare broker does not tell the incident's key, so the retry is
 * a process instance modification: the failed task's element instance is terminated (which
 * resolves its incident) and the task is activated again, with a new job. Workers key their
 * side effects on the business (booking and purpose, request key), so the new job does not
 * repeat what already happened.
 */
export class IncidentService {
  constructor(
    private readonly db: DataSource,
    private readonly zeebe: ZeebeClient,
  ) {}

  async retry(jobKey: string, actorId: string): Promise<{ processInstanceKey: string; elementId: string }> {
    const rows: {
      process_instance_key: string;
      element_id: string;
      element_instance_key: string | null;
      task_type: string;
      bpmn_process_id: string;
    }[] = await this.db.query(
      `SELECT process_instance_key, element_id, element_instance_key, task_type, bpmn_process_id FROM job_outcomes
          WHERE job_key = $1 AND outcome = 'incident' ORDER BY id DESC LIMIT 1`,
      [jobKey],
    );
    const incident = rows[0];
    if (!incident) throw new NotFoundError(`Nessun incidente registrato per il job ${jobKey}.`);
    if (!incident.element_instance_key) {
      throw new ConflictError(
        "L'incidente è stato registrato senza l'istanza dell'elemento: impossibile riprovarlo da qui.",
      );
    }
    const retried: unknown[] = await this.db.query(
      `SELECT 1 FROM job_outcomes WHERE job_key = $1 AND outcome = 'retried'`,
      [jobKey],
    );
    if (retried.length > 0) throw new ConflictError('Questo incidente è già stato riprovato.');
    try {
      await this.zeebe.modifyProcessInstance({
        processInstanceKey: incident.process_instance_key,
        activateInstructions: [
          { elementId: incident.element_id, ancestorElementInstanceKey: '-1', variableInstructions: [] },
        ],
        terminateInstructions: [{ elementInstanceKey: incident.element_instance_key }],
      });
    } catch (err) {
      const e = err as { code?: number; details?: string; message?: string };
      if (e.code === 5)
        throw new ConflictError("L'istanza o l'elemento non esistono più nel motore: nulla da riprovare.");
      if (e.code === 3 || e.code === 9) {
        throw new ConflictError(`Il motore ha rifiutato il nuovo tentativo: ${e.details ?? e.message ?? ''}`.trim());
      }
      throw new UnavailableError('Il motore dei processi non è raggiungibile; riprovare.');
    }
    await this.db.query(
      `INSERT INTO job_outcomes (job_key, task_type, process_instance_key, bpmn_process_id, element_id, outcome, message,
         duration_ms, element_instance_key)
       VALUES ($1, $2, $3, $4, $5, 'retried', $6, 0, $7)`,
      [
        jobKey,
        incident.task_type,
        incident.process_instance_key,
        incident.bpmn_process_id,
        incident.element_id,
        `Nuovo tentativo richiesto da ${actorId}`,
        incident.element_instance_key,
      ],
    );
    return { processInstanceKey: incident.process_instance_key, elementId: incident.element_id };
  }
}
