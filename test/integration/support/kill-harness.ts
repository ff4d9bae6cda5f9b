import type { AppOverrides, RunningApp } from '../../../app.js';
import type { Cup } from '../../../adapters/cup/cup.js';
import type { SmsGateway } from '../../../adapters/sms/sms.js';
import { SmsSender } from '../../../domain/sms/sms-sender.js';
import type { ProcessStarter } from '../../../domain/processes/process-starter.js';
import type { Tickets } from '../../../adapters/tickets/tickets.js';
import type { MailTransport } from '../../../adapters/mail/mail-transport.js';
import type { Mailbox } from '../../../adapters/mail/mailbox.js';
import type { PecProvider } from '../../../adapters/pec/pec-provider.js';
import type { LockedExternalTask } from '../../../platform/engine/operaton.js';
import { createLogger } from '../../../platform/logger.js';
import { Metrics } from '../../../platform/metrics.js';
import type { WorkerDefinition, WorkerDeps } from '../../../workers/framework/define.js';
import { EffectStore, type Json } from '../../../workers/framework/idempotency.js';
import { decideOutcome, jobOf, startWorkers } from '../../../workers/framework/runner.js';
import { testEngine } from './clock.js';
import { waitFor } from './test-app.js';

/**
 * Where the worker process dies, for a task it has locked:
 * - `after-claim`: the effect's key is claimed in the effect store, the effect not begun;
 * - `before-effect`: inside the adapter call (CUP, SMS, process start), before it leaves;
 * - `after-effect`: the adapter call took effect, nothing recorded after it;
 * - `after-done`: the effect store recorded the result, the handler has not returned;
 * - `before-complete`: the handler returned, the engine was not told.
 * The first and fourth exist only for workers that go through `once`.
 */
export const KILL_POINTS = ['after-claim', 'before-effect', 'after-effect', 'after-done', 'before-complete'] as const;
export type KillPoint = (typeof KILL_POINTS)[number];

/**
 * Where a worker's effect happens: the CUP, the SMS provider, a process start, our own
 * database, the ticket system, the SMTP server, a mailbox (moving a message), or the PEC
 * provider's postmaster.
 */
export type EffectSite =
  'cup' | 'sms' | 'starter' | 'db' | 'db-transaction' | 'tickets' | 'mail' | 'mailbox' | 'pec' | 'voice';

/** The calls that change something, per site. */
const EFFECT_CALLS: Record<EffectSite, (method: PropertyKey, args: unknown[]) => boolean> = {
  cup: (m) => (['book', 'cancel', 'move'] satisfies (keyof Cup)[]).includes(m as 'book'),
  sms: (m) => (['send'] satisfies (keyof SmsGateway)[]).includes(m as 'send'),
  starter: (m) => (['start'] satisfies (keyof ProcessStarter)[]).includes(m as 'start'),
  tickets: (m) => (['create', 'addMessage', 'update'] satisfies (keyof Tickets)[]).includes(m as 'create'),
  mail: (m) => (['send'] satisfies (keyof MailTransport)[]).includes(m as 'send'),
  mailbox: (m) => (['archive'] satisfies (keyof Mailbox)[]).includes(m as 'archive'),
  pec: (m) =>
    (
      [
        'createMailbox',
        'updateHolder',
        'changeQuota',
        'deleteMailbox',
        'issuePasswordReset',
      ] satisfies (keyof PecProvider)[]
    ).includes(m as 'createMailbox'),
  db: (m, args) => m === 'query' && /^\s*(WITH\b.*?)?\b(INSERT|UPDATE|DELETE)\b/is.test(String(args[0])),
  /** Writes made as one transaction (the contact record's event and its projection). */
  'db-transaction': (m) => m === 'transaction',
  /** Twilio's Voice API: a call placed (surveys). */
  voice: (m) => m === 'call',
};

/** A promise that never settles: what a dead process's call looks like to everyone else. */
const death = <T>(): Promise<T> => new Promise<T>(() => undefined);

/** The lock the doomed delivery takes: short, so the next delivery comes soon after the death. */
const DOOMED_LOCK_MS = 3000;

/**
 * Locks the worker's task of one instance as a worker that will die at `point`, runs the
 * real handler with the real adapters up to that point, and leaves it there, as a killed
 * process leaves it: no cleanup runs, the lock is not extended, the engine is not told.
 * Resolves with whether the point was reached (a worker without `once` has no claim).
 */
export async function dieAt(
  app: RunningApp,
  def: WorkerDefinition,
  site: EffectSite,
  processInstanceId: string,
  point: KillPoint,
  /** Which of the site's effect calls the process dies around (the second booking of a group, …). */
  nth = 1,
  /** The worker's clock, where the scenario moves it (what is due depends on the day). */
  now?: () => Date,
): Promise<boolean> {
  const engine = testEngine();
  // fetchAndLock filters by business key, not by instance (a `processInstanceId` there is ignored).
  const businessKey = (await engine.historicProcessInstance(processInstanceId))?.businessKey;
  if (!businessKey) throw new Error(`instance ${processInstanceId} has no business key to lock its task by`);
  const locked = await waitFor(async () => {
    const tasks = await engine.request<LockedExternalTask[]>('POST', '/external-task/fetchAndLock', {
      body: {
        workerId: `doomed-${point}`,
        maxTasks: 1,
        topics: [
          { topicName: def.taskType, lockDuration: DOOMED_LOCK_MS, businessKey, includeExtensionProperties: true },
        ],
      },
    });
    return tasks[0];
  }, `the ${def.taskType} task of ${processInstanceId}`);
  if (locked.processInstanceId !== processInstanceId) {
    throw new Error(`locked the ${def.taskType} task of ${locked.processInstanceId}, not of ${processInstanceId}`);
  }
  const job = jobOf(locked, def);

  let reached = false;
  let effects = 0;
  const die = <T>(): Promise<T> => {
    reached = true;
    return death<T>();
  };
  const real = app.workerDeps;
  /** The site's first effect call is where the process dies (before or after it). */
  const dying = <T extends object>(target: T, at: EffectSite): T => {
    if (at !== site) return target;
    return new Proxy(target, {
      get(t, prop, receiver) {
        const value = Reflect.get(t, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        const fn = value as (...a: unknown[]) => Promise<unknown>;
        return async (...args: unknown[]) => {
          if (reached) return death();
          if (!EFFECT_CALLS[site](prop, args) || ++effects < nth) return fn.apply(t, args);
          if (point === 'before-effect') return die();
          const result = await fn.apply(t, args);
          return point === 'after-effect' ? die() : result;
        };
      },
    });
  };
  const db = dying(dying(real.db, 'db'), 'db-transaction');
  const sms = dying(real.sms, 'sms');
  const transport = dying(real.mail.transport, 'mail');
  const deps: WorkerDeps = {
    ...real,
    ...(now ? { now } : {}),
    db,
    cup: dying(real.cup, 'cup'),
    sms,
    smsSender: new SmsSender(db, sms, app.config.WORKER_LOCK_MS),
    starter: dying(real.starter, 'starter'),
    tickets: dying(real.tickets, 'tickets'),
    pec: dying(real.pec, 'pec'),
    voice: dying(real.voice, 'voice'),
    mail: {
      ...real.mail,
      transport,
      sender: real.mail.sender.over(db, transport),
      mailboxes: new Map([...real.mail.mailboxes].map(([name, m]) => [name, dying(m, 'mailbox')])),
    },
  };
  class DyingEffects extends EffectStore {
    override async once<T extends Json | undefined>(
      key: string,
      meta: { taskType: string; jobKey: string },
      effect: () => Promise<T>,
    ): Promise<T> {
      if (point === 'after-claim') return super.once(key, meta, () => die<T>());
      const value = await super.once(key, meta, effect);
      return point === 'after-done' ? die<T>() : value;
    }
  }
  const outcome = decideOutcome(def, job, deps, new DyingEffects(real.db, app.config.WORKER_LOCK_MS));
  // The handler either reaches its point and hangs there for good, or returns: then the
  // process dies before telling the engine (the last point, or where an earlier one does not apply).
  const returned = await Promise.race([
    outcome.then((o) => o),
    waitFor(() => Promise.resolve(reached || undefined), `${def.taskType} at ${point}`, 30_000).then(() => undefined),
  ]);
  if (point === 'before-complete') return returned !== undefined;
  if (!reached && returned) lastOutcomes.set(`${processInstanceId}:${point}`, returned);
  return reached;
}

/** What a handler returned when it did not reach its point (why a point was not reached). */
export const lastOutcomes = new Map<string, unknown>();

/** The worker, alone, as the process that comes after the dead one: real adapters, real store. */
export function nextWorker(app: RunningApp, def: WorkerDefinition, now?: () => Date): { close(): Promise<void> } {
  return startWorkers({
    engine: app.engine,
    definitions: [def],
    deps: now ? { ...app.workerDeps, now } : app.workerDeps,
    effects: new EffectStore(app.db, app.config.WORKER_LOCK_MS),
    metrics: new Metrics(),
    log: createLogger('silent'),
    maxTasks: 8,
    pollMs: 500,
    lockMs: app.config.WORKER_LOCK_MS,
  });
}

/** One side-effecting worker under the kill test: how to reach its task, and what "once" means. */
export interface KillScenario {
  worker: WorkerDefinition;
  /** Where its effect happens (the process dies around the first such call, or the `nth`). */
  site: EffectSite;
  nth?: number;
  /** The worker runs its effect through `once`: the claim and the store's record are points too. */
  once?: boolean;
  /** Starts what brings a new process instance to the worker's task; its id. */
  reach(app: RunningApp): Promise<string>;
  /** After the task completed: asserts the effect happened exactly once for that instance. */
  verify(app: RunningApp, processInstanceId: string): Promise<void>;
  /** Extra environment for the test app (a Twilio stand-in, …). */
  appOverrides?: () => AppOverrides;
  /** The workers' clock for this scenario, dying and next alike (the app keeps the real one). */
  now?: () => Date;
}
