import { EngineError, type EngineClient } from '../../platform/engine/operaton.js';
import { ConflictError, NotFoundError, UnavailableError } from '../errors.js';

/**
 * Retries what raised an incident, once the cause is fixed (a corrected phone number, a CUP
 * back online): the engine's own incident is resolved by giving its external task (or job)
 * retries again, and the task is offered to the workers anew. Workers key their side effects
 * on the business (booking and purpose, request key), so the new attempt does not repeat
 * what already happened.
 */
export class IncidentService {
  constructor(private readonly engine: EngineClient) {}

  async retry(incidentId: string): Promise<{ processInstanceKey: string; elementId: string }> {
    let incident;
    try {
      incident = await this.engine.incident(incidentId);
    } catch {
      throw new UnavailableError('Il motore dei processi non è raggiungibile; riprovare.');
    }
    if (!incident) throw new NotFoundError(`Nessun incidente aperto ${incidentId}: già risolto o mai esistito.`);
    if (!incident.configuration) throw new ConflictError("L'incidente non indica il compito da riprovare.");
    try {
      if (incident.incidentType === 'failedExternalTask') {
        await this.engine.setExternalTaskRetries(incident.configuration, 3);
      } else if (incident.incidentType === 'failedJob') {
        await this.engine.setJobRetries(incident.configuration, 3);
      } else {
        throw new ConflictError(`Incidente di tipo ${incident.incidentType}: si risolve dal modello, non riprovando.`);
      }
    } catch (err) {
      if (err instanceof ConflictError) throw err;
      if (err instanceof EngineError && err.status === 404) {
        throw new ConflictError("Il compito non esiste più nel motore: nulla da riprovare.");
      }
      if (err instanceof EngineError) throw new ConflictError(`Il motore ha rifiutato il nuovo tentativo: ${err.message}`);
      throw new UnavailableError('Il motore dei processi non è raggiungibile; riprovare.');
    }
    return { processInstanceKey: incident.processInstanceId, elementId: incident.activityId };
  }
}
