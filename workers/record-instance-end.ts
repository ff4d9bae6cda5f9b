import { z } from 'zod';
import { INSTANCE_END_JOB_TYPE } from '../domain/processes/instances.js';
import { defineWorker } from './framework/define.js';

/**
 * The end listener of every process: the runner records the instance as completed when this
 * job completes (see trackInstance); the handler has nothing else to do.
 */
export const recordInstanceEnd = defineWorker({
  taskType: INSTANCE_END_JOB_TYPE,
  description: "Registra la conclusione dell'istanza di processo per la vista delle istanze.",
  variables: z.object({}).passthrough(),
  headers: z.object({}).passthrough(),
  handler() {
    return Promise.resolve({});
  },
});
