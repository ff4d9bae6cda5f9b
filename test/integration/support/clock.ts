import { inject } from 'vitest';
import { EngineClient } from '../../../platform/engine/operaton.js';

/** A REST client of the run's engine, for tests that drive the engine directly. */
export function testEngine(): EngineClient {
  return new EngineClient({
    urls: [inject('engineUrl')],
    user: inject('engineUser'),
    password: inject('enginePassword'),
  });
}

/**
 * Fires the timer of a process now, through the engine's own job (`POST /job/{id}/execute`):
 * a timer start event (`processDefinitionKey`) or a timer of a running instance
 * (`processInstanceId`). Nothing waits for the real time to come. Returns the jobs fired.
 */
export async function fireTimers(
  where: { processDefinitionKey: string } | { processInstanceId: string },
  engine = testEngine(),
): Promise<number> {
  const jobs = await engine.jobs({ ...where, timers: true });
  for (const j of jobs) await engine.executeJob(j.id);
  return jobs.length;
}
