import type { Logger } from '../../platform/logger.js';
import type { Metrics } from '../../platform/metrics.js';
import type { ZeebeClient } from '../../platform/engine/client.js';
import { USER_TASK_JOB_TYPE, type TaskInbox } from '../../domain/tasks/inbox.js';
import type { RunningWorkers } from './runner.js';

/**
 * Activates job-worker user tasks and stores them in the inbox; the job is left open
 * (forwarded) until a person completes the task through the API. After the activation
 * timeout the engine offers open tasks again and the capture only refreshes `last_seen_at`,
 * which is also how tasks activated by a process that stopped come back.
 */
export function startUserTaskCapture(opts: {
  zeebe: ZeebeClient;
  inbox: TaskInbox;
  metrics: Metrics;
  log: Logger;
  timeoutMs: number;
}): RunningWorkers {
  const worker = opts.zeebe.createWorker({
    taskType: USER_TASK_JOB_TYPE,
    timeout: opts.timeoutMs,
    maxJobsToActivate: 100,
    loglevel: 'ERROR',
    stdout: { debug: () => undefined, info: () => undefined, error: () => undefined },
    taskHandler: async (job) => {
      try {
        const isNew = await opts.inbox.capture({
          key: job.key,
          processInstanceKey: job.processInstanceKey,
          // The SDK's Job type omits it, but the activated job from the gateway carries it.
          processDefinitionKey: String((job as unknown as { processDefinitionKey: string }).processDefinitionKey),
          bpmnProcessId: job.bpmnProcessId,
          processDefinitionVersion: job.processDefinitionVersion,
          elementId: job.elementId,
          elementInstanceKey: job.elementInstanceKey,
          customHeaders: job.customHeaders,
          variables: job.variables,
        });
        if (isNew) opts.metrics.userTasksCaptured.inc();
      } catch (err) {
        // The engine offers the task again after the timeout; nothing is lost.
        opts.log.error({ jobKey: job.key, err: { name: (err as Error).name } }, 'could not capture user task');
      }
      return job.forward();
    },
  });
  return { close: () => worker.close(5000).then(() => undefined) };
}
