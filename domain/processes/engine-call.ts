import { EngineError } from '../../platform/engine/operaton.js';
import { UnavailableError } from '../errors.js';

/**
 * Runs an engine call for a person's request: the engine's own refusals (4xx) pass as they
 * are, anything else (unreachable, 5xx) becomes a 503 saying to try again.
 */
export async function fromEngine<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof EngineError && err.status < 500) throw err;
    throw new UnavailableError('Il motore dei processi non è raggiungibile; riprovare.');
  }
}
