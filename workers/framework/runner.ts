import { performance } from 'node:perf_hooks';
import type { z } from 'zod';
import type { Logger } from '../../platform/logger.js';
import type { Metrics } from '../../platform/metrics.js';
import type { ZeebeClient } from '../../platform/engine/client.js';
import type { EffectStore } from './idempotency.js';
import type { JobInfo, WorkerDefinition, WorkerDeps } from './define.js';
import { INSTANCE_END_JOB_TYPE, trackInstance } from '../../domain/processes/instances.js';
import { BpmnError, PermanentError, TransientError } from './errors.js';

/** A job as it comes from the engine, before its variables are checked. */
export interface IncomingJob extends JobInfo {
  variables: unknown;
  customHeaders: unknown;
  /** The task's element instance; an incident retry terminates and re-activates it. */
  elementInstanceKey?: string | undefined;
  processDefinitionKey?: string | undefined;
  processDefinitionVersion?: number | undefined;
}

/** The three outcomes (plus success), decided in this one place. */
export type Outcome =
  | { kind: 'completed'; variables: Record<string, unknown> }
  | { kind: 'bpmn_error'; code: string; message: string; variables: Record<string, unknown> }
  | { kind: 'retry'; message: string; retries: number; backoffMs: number }
  | { kind: 'incident'; message: string };

const MAX_BACKOFF_MS = 60_000;

/** Exponential backoff by the number of retries already spent (of the usual 3). */
export function backoffMs(retriesLeft: number): number {
  const spent = Math.max(0, 3 - retriesLeft);
  return Math.min(MAX_BACKOFF_MS, 2000 * 2 ** Math.max(0, spent - 1));
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(radice)'}: ${i.message}`)
    .join('; ');
}

/** Runs a handler and turns what happened into an outcome. Never throws. */
export async function decideOutcome(
  def: WorkerDefinition,
  job: IncomingJob,
  deps: WorkerDeps,
  effects: EffectStore,
): Promise<Outcome> {
  const vars = def.variables.safeParse(job.variables ?? {});
  if (!vars.success) {
    return {
      kind: 'incident',
      message: `Variabili non valide per ${def.taskType} (${describeIssues(vars.error)}). Correggere le variabili dell'istanza e riprovare.`,
    };
  }
  const headers = def.headers.safeParse(job.customHeaders ?? {});
  if (!headers.success) {
    return {
      kind: 'incident',
      message: `Intestazioni del task ${job.elementId} non valide per ${def.taskType} (${describeIssues(headers.error)}). Correggere il modello BPMN e ridistribuirlo.`,
    };
  }
  try {
    const out = await def.handler({
      variables: vars.data,
      headers: headers.data,
      job,
      deps,
      once: (key, effect) =>
        effects.once(`${def.taskType}:${key ?? `job:${job.key}`}`, { taskType: def.taskType, jobKey: job.key }, effect),
    });
    return { kind: 'completed', variables: out };
  } catch (err) {
    if (err instanceof BpmnError) {
      return { kind: 'bpmn_error', code: err.code, message: err.message, variables: err.variables };
    }
    if (err instanceof PermanentError) return { kind: 'incident', message: err.message };
    const message =
      err instanceof TransientError
        ? err.message
        : `Errore imprevisto (${(err as Error).name}): ${(err as Error).message}`;
    const retries = job.retries - 1;
    if (retries <= 0) {
      return {
        kind: 'incident',
        message: `Tentativi esauriti per ${def.taskType}: ${message}. Verificare il servizio e riprovare.`,
      };
    }
    return { kind: 'retry', message, retries, backoffMs: backoffMs(retries) };
  }
}

export interface RunningWorkers {
  close(): Promise<void>;
}

/**
 * Registers one engine worker per definition; the registry is the explicit list passed in.
 * Each job's outcome is applied to the engine, counted in the metrics and recorded in
 * `job_outcomes` (the history the instance view reads).
 */
export function startWorkers(opts: {
  zeebe: ZeebeClient;
  definitions: readonly WorkerDefinition[];
  deps: WorkerDeps;
  effects: EffectStore;
  metrics: Metrics;
  log: Logger;
  maxJobsToActivate: number;
}): RunningWorkers {
  const { zeebe, deps, effects, metrics, log } = opts;
  const sdkLog = {
    debug: () => undefined,
    info: () => undefined,
    error: (m: string) => log.warn({ sdk: safeSdkMessage(m) }, 'zeebe worker'),
  };
  const workers = opts.definitions.map((def) =>
    zeebe.createWorker({
      taskType: def.taskType,
      maxJobsToActivate: opts.maxJobsToActivate,
      timeout: def.timeoutMs ?? 60_000,
      stdout: sdkLog,
      loglevel: 'ERROR',
      taskHandler: async (job) => {
        const started = performance.now();
        const info: IncomingJob = {
          key: job.key,
          type: job.type,
          processInstanceKey: job.processInstanceKey,
          bpmnProcessId: job.bpmnProcessId,
          elementId: job.elementId,
          elementInstanceKey: job.elementInstanceKey,
          // On the wire (ActivatedJob) but missing from the SDK's type.
          processDefinitionKey: String((job as unknown as { processDefinitionKey: string }).processDefinitionKey),
          processDefinitionVersion: job.processDefinitionVersion,
          retries: job.retries,
          variables: job.variables,
          customHeaders: job.customHeaders,
        };
        const outcome = await decideOutcome(def, info, deps, effects);
        const seconds = (performance.now() - started) / 1000;
        metrics.handlerSeconds.observe({ type: def.taskType }, seconds);
        await recordOutcome(deps, info, outcome, Math.round(seconds * 1000)).catch((err: Error) =>
          log.error({ type: def.taskType, jobKey: job.key, err: { name: err.name } }, 'could not record job outcome'),
        );
        const logFields = { type: def.taskType, jobKey: job.key, processInstanceKey: job.processInstanceKey };
        switch (outcome.kind) {
          case 'completed':
            metrics.jobsHandled.inc({ type: def.taskType, outcome: 'completed' });
            return job.complete(outcome.variables as never);
          case 'bpmn_error':
            metrics.jobsHandled.inc({ type: def.taskType, outcome: 'bpmn_error' });
            log.info({ ...logFields, errorCode: outcome.code }, 'job ended with a BPMN error');
            return job.error({
              errorCode: outcome.code,
              errorMessage: outcome.message,
              variables: outcome.variables as never,
            });
          case 'retry':
            metrics.jobsFailed.inc({ type: def.taskType, outcome: 'retry' });
            log.warn(
              { ...logFields, retries: outcome.retries, backoffMs: outcome.backoffMs },
              'job failed, will retry',
            );
            return job.fail({
              errorMessage: outcome.message,
              retries: outcome.retries,
              retryBackOff: outcome.backoffMs,
            });
          case 'incident':
            metrics.jobsFailed.inc({ type: def.taskType, outcome: 'incident' });
            log.error(logFields, 'job raised an incident');
            return job.fail({ errorMessage: outcome.message, retries: 0 });
        }
      },
    }),
  );
  return {
    close: async () => {
      await Promise.all(workers.map((w) => w.close(5000)));
    },
  };
}

async function recordOutcome(deps: WorkerDeps, job: IncomingJob, o: Outcome, durationMs: number): Promise<void> {
  const errorCode = o.kind === 'bpmn_error' ? o.code : null;
  const message = o.kind === 'completed' ? null : o.message;
  const retriesLeft = o.kind === 'retry' ? o.retries : o.kind === 'incident' ? 0 : job.retries;
  await deps.db.query(
    `INSERT INTO job_outcomes (job_key, task_type, process_instance_key, bpmn_process_id, element_id, outcome,
       error_code, message, retries_left, duration_ms, element_instance_key)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      job.key,
      job.type,
      job.processInstanceKey,
      job.bpmnProcessId,
      job.elementId,
      o.kind,
      errorCode,
      message,
      retriesLeft,
      durationMs,
      job.elementInstanceKey ?? null,
    ],
  );
  if (job.processDefinitionKey !== undefined) {
    const variables = { ...(job.variables as Record<string, unknown>), ...('variables' in o ? o.variables : {}) };
    await trackInstance(deps.db, {
      processInstanceKey: job.processInstanceKey,
      bpmnProcessId: job.bpmnProcessId,
      processDefinitionKey: job.processDefinitionKey,
      version: job.processDefinitionVersion ?? 0,
      variables,
      ended: job.type === INSTANCE_END_JOB_TYPE && o.kind === 'completed',
    });
  }
}

/** The SDK's log lines are JSON with a `message`; keep only that, never variables. */
function safeSdkMessage(line: string): string {
  try {
    const parsed = JSON.parse(line) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message.slice(0, 500) : 'sdk log line';
  } catch {
    return line.slice(0, 200);
  }
}
