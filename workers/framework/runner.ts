import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { z } from 'zod';
import type { Logger } from '../../platform/logger.js';
import type { Metrics } from '../../platform/metrics.js';
import { EngineError, versionOf, type EngineClient, type LockedExternalTask } from '../../platform/engine/operaton.js';
import { fromEngineVariables } from '../../platform/engine/variables.js';
import { ENGINE_PROGRESS_CHANNEL } from '../../domain/tasks/inbox.js';
import type { EffectStore } from './idempotency.js';
import type { JobInfo, WorkerDefinition, WorkerDeps } from './define.js';
import { BpmnError, PermanentError, TransientError } from './errors.js';

/** An external task as it comes from the engine, before its variables are checked. */
export interface IncomingJob extends JobInfo {
  variables: unknown;
  /** The task's extension properties (`camunda:properties`): its static configuration. */
  customHeaders: unknown;
  /** The task's activity instance. */
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

/** Attempts of a task whose worker does not say otherwise. */
export const DEFAULT_RETRIES = 3;

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

export interface WorkerOptions {
  engine: EngineClient;
  definitions: readonly WorkerDefinition[];
  deps: WorkerDeps;
  effects: EffectStore;
  metrics: Metrics;
  log: Logger;
  /** External tasks this process runs at once, over all topics. */
  maxTasks: number;
  /** Long polling: how long the engine may hold a fetch-and-lock open while nothing is there. */
  pollMs: number;
  /** How long a fetched task stays locked to this worker; extended while the handler runs. */
  lockMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

/**
 * Runs the workers on the engine's external tasks: one fetch-and-lock loop per engine node
 * (long polling does not cross nodes), all topics of the registry in one request, at most
 * `maxTasks` in flight. The lock is extended while a handler runs, so a long batch keeps
 * its task, while a worker that dies loses it after `lockMs` and another takes it over (the
 * idempotency store keeps effects once). Each outcome is applied to the engine, counted in
 * the metrics and recorded in `job_outcomes`.
 */
export function startWorkers(opts: WorkerOptions): RunningWorkers {
  const { engine, deps, effects, metrics, log } = opts;
  const byTopic = new Map(opts.definitions.map((d) => [d.taskType, d]));
  const workerId = `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const stop = new AbortController();
  const running = new Set<Promise<void>>();
  // Poll loops (one per node) waiting for a free slot.
  const waiting: (() => void)[] = [];
  const wakeAll = () => {
    for (const w of waiting.splice(0)) w();
  };

  const topics = opts.definitions.map((d) => ({
    topicName: d.taskType,
    lockDuration: opts.lockMs,
    includeExtensionProperties: true,
  }));

  const handle = async (task: LockedExternalTask): Promise<void> => {
    const def = byTopic.get(task.topicName);
    if (!def) return;
    const started = performance.now();
    const job: IncomingJob = {
      key: task.id,
      type: task.topicName,
      processInstanceKey: task.processInstanceId,
      bpmnProcessId: task.processDefinitionKey,
      elementId: task.activityId,
      elementInstanceKey: task.activityInstanceId,
      processDefinitionKey: task.processDefinitionId,
      processDefinitionVersion: versionOf(task.processDefinitionId),
      retries: task.retries ?? def.retries ?? DEFAULT_RETRIES,
      variables: fromEngineVariables(task.variables),
      customHeaders: task.extensionProperties ?? {},
    };
    const logFields = { type: def.taskType, jobKey: task.id, processInstanceKey: task.processInstanceId };
    // Keep the lock while the handler works; a lost extension only means another worker may
    // take the task over, which the idempotency store makes harmless.
    const extender = setInterval(
      () => void engine.extendLock(task.id, workerId, opts.lockMs).catch(() => undefined),
      Math.max(500, Math.floor(opts.lockMs / 3)),
    );
    extender.unref();
    let outcome: Outcome;
    try {
      outcome = await decideOutcome(def, job, deps, effects);
    } finally {
      clearInterval(extender);
    }
    const seconds = (performance.now() - started) / 1000;
    metrics.handlerSeconds.observe({ type: def.taskType }, seconds);
    await recordOutcome(deps, job, outcome, Math.round(seconds * 1000)).catch((err: Error) =>
      log.error({ ...logFields, err: { name: err.name } }, 'could not record job outcome'),
    );
    try {
      switch (outcome.kind) {
        case 'completed':
          await engine.completeExternalTask(task.id, workerId, outcome.variables);
          metrics.jobsHandled.inc({ type: def.taskType, outcome: 'completed' });
          announceProgress(deps, task.processInstanceId);
          return;
        case 'bpmn_error':
          await engine.externalTaskBpmnError(task.id, workerId, outcome);
          metrics.jobsHandled.inc({ type: def.taskType, outcome: 'bpmn_error' });
          announceProgress(deps, task.processInstanceId);
          log.info({ ...logFields, errorCode: outcome.code }, 'job ended with a BPMN error');
          return;
        case 'retry':
          await engine.externalTaskFailure(task.id, workerId, {
            message: outcome.message,
            retries: outcome.retries,
            retryTimeoutMs: outcome.backoffMs,
          });
          metrics.jobsFailed.inc({ type: def.taskType, outcome: 'retry' });
          log.warn({ ...logFields, retries: outcome.retries, backoffMs: outcome.backoffMs }, 'job failed, will retry');
          return;
        case 'incident':
          await engine.externalTaskFailure(task.id, workerId, {
            message: outcome.message,
            retries: 0,
            retryTimeoutMs: 0,
          });
          metrics.jobsFailed.inc({ type: def.taskType, outcome: 'incident' });
          log.error(logFields, 'job raised an incident');
          return;
      }
    } catch (err) {
      // The task was taken over (lock expired) or its instance ended: the engine refuses the
      // outcome, and whoever holds the task now decides. Anything else: the lock expires and
      // the task comes again; effects already done are not repeated.
      const e = err as Error;
      log.warn({ ...logFields, err: { name: e.name, message: e.message.slice(0, 200) } }, 'outcome not accepted');
    }
  };

  const poll = async (node: number): Promise<void> => {
    let failures = 0;
    while (!stop.signal.aborted) {
      const capacity = opts.maxTasks - running.size;
      if (capacity <= 0) {
        await new Promise<void>((resolve) => waiting.push(resolve));
        continue;
      }
      let tasks: LockedExternalTask[];
      try {
        // Not cut short on stop: the engine does not notice a client that left a long poll and
        // would still lock tasks for it, which then wait out their lock. The last poll answers
        // within pollMs, and what it locked is handed back below.
        tasks = await engine.fetchAndLock(
          { workerId, maxTasks: capacity, asyncResponseTimeout: opts.pollMs, topics },
          { node },
        );
        failures = 0;
      } catch (err) {
        if (stop.signal.aborted) return;
        failures++;
        // A node may answer 500 under concurrency (ENGINE-16004): ask again soon. A node that
        // cannot be reached: back off, up to 5 s.
        const quick = err instanceof EngineError && err.status >= 500;
        if (failures === 1 || failures % 20 === 0) {
          log.warn(
            { node, err: { name: (err as Error).name, message: (err as Error).message.slice(0, 200) } },
            'fetch-and-lock failed',
          );
        }
        await sleep(quick ? 50 + Math.random() * 150 : Math.min(5000, 250 * 2 ** Math.min(failures, 5)));
        continue;
      }
      if (stop.signal.aborted) {
        await Promise.allSettled(tasks.map((t) => engine.unlockExternalTask(t.id)));
        return;
      }
      for (const task of tasks) {
        const p = handle(task).finally(() => {
          running.delete(p);
          wakeAll();
        });
        running.add(p);
      }
    }
  };

  const loops = Array.from({ length: engine.nodes }, (_, node) => poll(node));
  return {
    close: async () => {
      stop.abort();
      wakeAll();
      await Promise.allSettled(loops);
      await Promise.race([Promise.allSettled([...running]), sleep(10_000)]);
    },
  };
}

/** The instance moved on and may now wait at a user task: open tasklists look at once. */
function announceProgress(deps: WorkerDeps, processInstanceId: string): void {
  void deps.db.query('SELECT pg_notify($1, $2)', [ENGINE_PROGRESS_CHANNEL, processInstanceId]).catch(() => undefined);
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
}
