import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { z } from 'zod';
import type { Logger } from '../../platform/logger.js';
import type { Metrics } from '../../platform/metrics.js';
import {
  EngineError,
  EngineUnavailableError,
  versionOf,
  type EngineClient,
  type LockedExternalTask,
} from '../../platform/engine/operaton.js';
import { fromEngineVariables } from '../../platform/engine/variables.js';
import { announceProgress } from '../../domain/tasks/inbox.js';
import type { EffectStore } from './idempotency.js';
import type { JobInfo, WorkerDefinition, WorkerDeps } from './define.js';
import { BpmnError, EffectInProgressError, PermanentError, TransientError } from './errors.js';
import '../../domain/validation-messages.js';

/** An external task as it comes from the engine, before its variables are checked. */
export interface IncomingJob extends JobInfo {
  variables: unknown;
  /** The task's extension properties (`camunda:properties`): its static configuration. */
  customHeaders: unknown;
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

/** The job a handler sees for a task the engine locked: its identifiers, variables and headers. */
export function jobOf(task: LockedExternalTask, def: WorkerDefinition): IncomingJob {
  return {
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
    if (err instanceof EffectInProgressError) {
      return { kind: 'retry', message: err.message, retries: job.retries, backoffMs: err.retryAfterMs };
    }
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
    const job = jobOf(task, def);
    const logFields = { type: def.taskType, jobKey: task.id, processInstanceKey: task.processInstanceId };
    // Keep the lock while the handler works, renewing it four times per lock so that a busy
    // event loop or a slow engine answer does not let it lapse; a lost extension only means
    // another worker may take the task over, which the idempotency store makes harmless.
    const extender = setInterval(
      () => void engine.extendLock(task.id, workerId, opts.lockMs).catch(() => undefined),
      Math.max(100, Math.floor(opts.lockMs / 4)),
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
    const accepted = await applyOutcome(task, def.taskType, outcome);
    if (!accepted) return;
    // Recorded once the engine took it: the KPI work reads only what happened.
    await recordOutcome(deps, job, accepted, Math.round(seconds * 1000)).catch((err: Error) =>
      log.error({ ...logFields, err: { name: err.name } }, 'could not record job outcome'),
    );
    switch (accepted.kind) {
      case 'completed':
      case 'bpmn_error':
        metrics.jobsHandled.inc({ type: def.taskType, outcome: accepted.kind });
        void announceProgress(deps.db, task.processInstanceId);
        if (accepted.kind === 'bpmn_error') {
          log.info({ ...logFields, errorCode: accepted.code }, 'job ended with a BPMN error');
        }
        return;
      case 'retry':
        metrics.jobsFailed.inc({ type: def.taskType, outcome: 'retry' });
        log.warn({ ...logFields, retries: accepted.retries, backoffMs: accepted.backoffMs }, 'job failed, will retry');
        return;
      case 'incident':
        metrics.jobsFailed.inc({ type: def.taskType, outcome: 'incident' });
        log.error(logFields, 'job raised an incident');
        return;
    }
  };

  const send = (task: LockedExternalTask, outcome: Outcome): Promise<void> => {
    switch (outcome.kind) {
      case 'completed':
        return engine.completeExternalTask(task.id, workerId, outcome.variables);
      case 'bpmn_error':
        return engine.externalTaskBpmnError(task.id, workerId, outcome);
      case 'retry':
        return engine.externalTaskFailure(task.id, workerId, {
          message: outcome.message,
          retries: outcome.retries,
          retryTimeoutMs: outcome.backoffMs,
        });
      case 'incident':
        return engine.externalTaskFailure(task.id, workerId, {
          message: outcome.message,
          retries: 0,
          retryTimeoutMs: 0,
        });
    }
  };

  /**
   * Tells the engine the outcome; returns what it accepted, or undefined. A busy engine (its
   * optimistic lock, a dropped connection) is asked again. A task taken over meanwhile is left
   * to whoever holds it now. An outcome the engine itself refuses (a condition of the model
   * that fails on these variables) becomes an incident with the engine's reason, instead of the
   * handler running again at every lock expiry.
   */
  const applyOutcome = async (
    task: LockedExternalTask,
    topic: string,
    outcome: Outcome,
  ): Promise<Outcome | undefined> => {
    let current = outcome;
    const fields = { type: topic, jobKey: task.id, processInstanceKey: task.processInstanceId };
    for (let attempt = 1; attempt <= CONCURRENT_UPDATE_ATTEMPTS; attempt++) {
      try {
        await send(task, current);
        return current;
      } catch (err) {
        const e = err as Error;
        if (lockLost(err)) {
          log.warn({ ...fields, err: { message: e.message.slice(0, 200) } }, 'task taken over before its outcome');
          return undefined;
        }
        // Another transaction changed the instance at the same moment (a message, a timer, a
        // sibling branch): the engine's optimistic lock. Asking again is the remedy; it is never
        // the model's fault, so never an incident. Should it go on, the lock lapses and the task
        // comes back, its effect kept once by the idempotency store.
        if (concurrentUpdate(err)) {
          if (attempt < CONCURRENT_UPDATE_ATTEMPTS) {
            await sleep(50 * 2 ** attempt + Math.random() * 50);
            continue;
          }
          log.warn({ ...fields, attempts: attempt }, 'outcome refused by concurrent updates, left for the next lock');
          return undefined;
        }
        const busy = err instanceof EngineUnavailableError || (err instanceof EngineError && err.status >= 500);
        if (busy && attempt < 3) {
          await sleep(100 * 2 ** attempt);
          continue;
        }
        if (err instanceof EngineError && current.kind !== 'incident') {
          current = {
            kind: 'incident',
            message: `Il motore non ha accettato l'esito di ${topic}: ${err.message.slice(0, 400)}. Correggere il modello o le variabili e riprovare.`,
          };
          continue;
        }
        log.warn({ ...fields, err: { name: e.name, message: e.message.slice(0, 200) } }, 'outcome not accepted');
        return undefined;
      }
    }
    return undefined;
  };

  // Each node's loop has its share of the slots, so several nodes never exceed maxTasks together.
  const share = Math.max(1, Math.ceil(opts.maxTasks / engine.nodes));
  const poll = async (node: number): Promise<void> => {
    let failures = 0;
    const mine = new Set<Promise<void>>();
    while (!stop.signal.aborted) {
      const capacity = Math.min(share - mine.size, opts.maxTasks - running.size);
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
        // A node may answer 500 under concurrency (ENGINE-16004): ask again soon, then less
        // soon. A node that cannot be reached: back off, up to 5 s.
        const quick = err instanceof EngineError && err.status >= 500;
        if (failures === 1 || failures % 20 === 0) {
          log.warn(
            { node, err: { name: (err as Error).name, message: (err as Error).message.slice(0, 200) } },
            'fetch-and-lock failed',
          );
        }
        await sleep(
          quick
            ? Math.min(2000, 50 * 2 ** Math.min(failures - 1, 6)) + Math.random() * 100
            : Math.min(5000, 250 * 2 ** Math.min(failures, 5)),
        );
        continue;
      }
      if (stop.signal.aborted) {
        await Promise.allSettled(tasks.map((t) => engine.unlockExternalTask(t.id)));
        return;
      }
      // With a very short long-polling time an empty answer comes at once: do not spin.
      if (tasks.length === 0 && opts.pollMs < 1000) await sleep(250);
      for (const task of tasks) {
        const p = handle(task).finally(() => {
          running.delete(p);
          mine.delete(p);
          wakeAll();
        });
        running.add(p);
        mine.add(p);
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

/** How often an outcome refused by the engine's optimistic lock is sent again. */
const CONCURRENT_UPDATE_ATTEMPTS = 8;

/** The engine's optimistic lock (ENGINE-03005, `OptimisticLockingException`): someone else changed the same rows first. */
function concurrentUpdate(err: unknown): boolean {
  return (
    err instanceof EngineError &&
    (err.type === 'OptimisticLockingException' || /ENGINE-03005|OptimisticLocking/i.test(err.message))
  );
}

/**
 * The engine refuses an outcome because the task is no longer this worker's: completed by
 * another after this lock expired, or its instance ended or was cancelled.
 */
function lockLost(err: unknown): boolean {
  if (!(err instanceof EngineError)) return false;
  return (
    err.status === 404 ||
    /locked by worker|cannot be completed by worker|does not exist|not found|is not locked/i.test(err.message)
  );
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
