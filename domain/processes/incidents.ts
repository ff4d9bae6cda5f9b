import type { DataSource } from 'typeorm';
import { EngineError, type EngineClient } from '../../platform/engine/operaton.js';
import { ConflictError, NotFoundError, UnavailableError } from '../errors.js';

/**
 * Retries what raised an incident, once the cause is fixed (a corrected phone number, a CUP
 * back online): the engine's own incident is resolved by giving its external task (or job)
 * retries again, and the task is offered to the workers anew. Workers key their side effects
 * on the business (booking and purpose, request key), so the new attempt does not repeat
 * what already happened. With a database, the new attempt is recorded in the instance's job
 * outcomes as `retried`, with who asked for it.
 */
export class IncidentService {
  constructor(
    private readonly engine: EngineClient,
    private readonly db?: DataSource,
  ) {}

  async retry(incidentId: string, actorId?: string): Promise<{ processInstanceKey: string; elementId: string }> {
    let incident;
    let resolved;
    try {
      incident = await this.engine.incident(incidentId);
      resolved = incident ? undefined : (await this.engine.historicIncidents({ incidentId }))[0];
    } catch {
      throw new UnavailableError('Il motore dei processi non è raggiungibile; riprovare.');
    }
    if (resolved) throw new ConflictError(`L'incidente ${incidentId} è già stato risolto: nulla da riprovare.`);
    if (!incident) throw new NotFoundError(`Nessun incidente ${incidentId}.`);
    if (!incident.configuration) throw new ConflictError("L'incidente non indica il compito da riprovare.");
    const { configuration } = incident;
    if (this.db && incident.incidentType === 'failedExternalTask') {
      // Recorded in the same transaction as the engine call: the row's id comes before the
      // new attempt's outcome, and no row is left when the engine refuses.
      await this.db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO job_outcomes (job_key, task_type, process_instance_key, bpmn_process_id, element_id, outcome,
             message, duration_ms, element_instance_key)
           SELECT job_key, task_type, process_instance_key, bpmn_process_id, element_id, 'retried', $2, 0,
                  element_instance_key
             FROM job_outcomes WHERE job_key = $1 AND outcome = 'incident' ORDER BY id DESC LIMIT 1`,
          [configuration, `Nuovo tentativo richiesto da ${actorId ?? 'sistema'}`],
        );
        await this.giveRetries(incident.incidentType, configuration);
      });
    } else {
      await this.giveRetries(incident.incidentType, configuration);
    }
    return { processInstanceKey: incident.processInstanceId, elementId: incident.activityId };
  }

  private async giveRetries(incidentType: string, configuration: string): Promise<void> {
    try {
      if (incidentType === 'failedExternalTask') {
        await this.engine.setExternalTaskRetries(configuration, 3);
      } else if (incidentType === 'failedJob') {
        await this.engine.setJobRetries(configuration, 3);
      } else {
        throw new ConflictError(`Incidente di tipo ${incidentType}: si risolve dal modello, non riprovando.`);
      }
    } catch (err) {
      if (err instanceof ConflictError) throw err;
      if (err instanceof EngineError && err.status === 404) {
        throw new ConflictError('Il compito non esiste più nel motore: nulla da riprovare.');
      }
      if (err instanceof EngineError)
        throw new ConflictError(`Il motore ha rifiutato il nuovo tentativo: ${err.message}`);
      throw new UnavailableError('Il motore dei processi non è raggiungibile; riprovare.');
    }
  }
}
