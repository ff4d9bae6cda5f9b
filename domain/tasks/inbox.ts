import type { DataSource } from 'typeorm';
import {
  EngineError,
  versionOf,
  type EngineClient,
  type EngineTask,
  type HistoricTask,
} from '../../platform/engine/operaton.js';
import { processScopeVariables } from '../../platform/engine/variables.js';
import { readBpmn } from '../../platform/engine/bpmn-model.js';
import { ConflictError, ForbiddenError, NotFoundError, UnavailableError, ValidationError } from '../errors.js';
import { validateSubmission } from './form-validation.js';
import { fromEngine } from '../processes/engine-call.js';

export type TaskState = 'CREATED' | 'COMPLETED' | 'CANCELED';

export interface UserTask {
  key: string;
  name: string;
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  processVersion: number | null;
  elementId: string;
  candidateGroups: string[];
  candidateUsers: string[];
  assignee: string | null;
  formKey: string | null;
  dueDate: string | null;
  followUpDate: string | null;
  priority: number;
  businessKey: string | null;
  state: TaskState;
  createdAt: string;
  claimedAt: string | null;
  completedAt: string | null;
  completedBy: string | null;
  /** Why a case was escalated to the back office (the flow's `escalationReason`), if it was. */
  reason: string | null;
}

export interface UserTaskDetail extends UserTask {
  variables: Record<string, unknown>;
}

/** The PostgreSQL channel on which task changes are announced. */
export const TASK_EVENTS_CHANNEL = 'user_task_events';
/**
 * Workers announce here that an instance moved on (a task of theirs completed), so that the
 * API processes look for the user tasks it may have reached at once, not at their next poll.
 * The payload is the process instance id, nothing of the citizen.
 */
export const ENGINE_PROGRESS_CHANNEL = 'engine_progress';

/** Says on ENGINE_PROGRESS_CHANNEL that an instance moved on; a lost notice only delays the list. */
export async function announceProgress(db: DataSource, processInstanceId: string): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [ENGINE_PROGRESS_CHANNEL, processInstanceId]).catch(() => undefined);
}
export type TaskEventAction = 'created' | 'claimed' | 'unclaimed' | 'completed' | 'canceled';
export interface TaskEvent {
  key: string;
  action: TaskEventAction;
  by?: string;
}

/** Who acts on the inbox. */
export interface Actor {
  id: string;
  groups: string[];
}

export interface TaskFilter {
  /** Only tasks this person may work: their candidate groups or assigned to them. */
  visibleTo?: Actor | undefined;
  group?: string | undefined;
  /** Tasks with at least this priority (0–100). */
  priorityMin?: number | undefined;
  /** Tasks due before this instant (overdue included). */
  dueBefore?: Date | undefined;
  /** `unassigned`: nobody has claimed it; `mine`: claimed by `visibleTo`. */
  claim?: 'unassigned' | 'mine' | undefined;
  sort?: 'priority' | 'due' | 'created' | undefined;
  assignee?: string | undefined;
  process?: string | undefined;
  state?: TaskState | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

/** The engine's REST takes dates as `yyyy-MM-dd'T'HH:mm:ss.SSSZ`. */
export function engineDate(d: Date): string {
  return d.toISOString().replace('Z', '+0000');
}

/** `2026-12-01T18:11:58.180+0100` → ISO 8601 in UTC. */
export function isoFromEngine(s: string | null | undefined): string | null {
  if (!s) return null;
  const d = new Date(s.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

const SORTING = {
  priority: [
    { sortBy: 'priority', sortOrder: 'desc' },
    { sortBy: 'dueDate', sortOrder: 'asc' },
    { sortBy: 'created', sortOrder: 'asc' },
  ],
  due: [
    { sortBy: 'dueDate', sortOrder: 'asc' },
    { sortBy: 'priority', sortOrder: 'desc' },
    { sortBy: 'created', sortOrder: 'asc' },
  ],
  created: [{ sortBy: 'created', sortOrder: 'desc' }],
} as const;

interface ElementFacts {
  name: string | undefined;
  candidateGroups: string[];
}

const splitList = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * The tasklist over the engine's own user tasks: candidate groups and assignee from the
 * model and the engine, claim and completion by the engine (whose optimistic locking lets
 * one of two racing claims win), the form from the deployed Camunda Form, completion only
 * with values the form allows. The engine's REST is never exposed: this is the gate, with
 * the platform's roles. Claims, releases and completions are announced on PostgreSQL
 * NOTIFY; new tasks by each API process's watcher (`newSince`).
 */
export class TaskInbox {
  private readonly models = new Map<string, Promise<Map<string, ElementFacts>>>();

  constructor(
    private readonly db: DataSource,
    private readonly engine: EngineClient,
  ) {}

  async list(f: TaskFilter = {}): Promise<UserTask[]> {
    if (f.state === 'COMPLETED' || f.state === 'CANCELED') return this.listFinished(f);
    const actor = f.visibleTo;
    const query: Record<string, unknown> = { sorting: SORTING[f.sort ?? 'priority'] };
    if (actor) {
      query['orQueries'] = [
        {
          assignee: actor.id,
          ...(actor.groups.length > 0 ? { candidateGroups: actor.groups, includeAssignedTasks: true } : {}),
        },
      ];
    }
    if (f.group) Object.assign(query, { candidateGroup: f.group, includeAssignedTasks: true });
    if (f.assignee) query['assignee'] = f.assignee;
    if (f.process) query['processDefinitionKey'] = f.process;
    if (f.priorityMin !== undefined) query['minPriority'] = f.priorityMin;
    if (f.dueBefore) query['dueBefore'] = engineDate(f.dueBefore);
    if (f.claim === 'unassigned') query['unassigned'] = true;
    if (f.claim === 'mine') query['assignee'] = actor?.id ?? '\u0000';
    const tasks = await fromEngine(() => this.engine.tasks(query, { first: f.offset ?? 0, max: f.limit ?? 100 }));
    return this.describe(tasks);
  }

  /** Completed or cancelled tasks, from the engine's history (only one's own without a view-all right). */
  private async listFinished(f: TaskFilter): Promise<UserTask[]> {
    const query: Record<string, unknown> = {
      finished: true,
      taskDeleteReason: f.state === 'COMPLETED' ? 'completed' : 'deleted',
      sorting: [{ sortBy: 'endTime', sortOrder: 'desc' }],
    };
    if (f.assignee) query['taskAssignee'] = f.assignee;
    // Without a view-all right, only one's own: another assignee asked for gives nothing.
    if (f.visibleTo) {
      if (f.assignee && f.assignee !== f.visibleTo.id) return [];
      query['taskAssignee'] = f.visibleTo.id;
    }
    if (f.process) query['processDefinitionKey'] = f.process;
    if (f.group) query['taskHadCandidateGroup'] = f.group;
    const tasks = await fromEngine(() =>
      this.engine.historicTasks(query, { first: f.offset ?? 0, max: f.limit ?? 100 }),
    );
    return this.describeFinished(tasks);
  }

  async get(key: string): Promise<UserTaskDetail> {
    const task = await fromEngine(() => this.engine.task(key));
    if (task) {
      const [described] = await this.describe([task]);
      const variables = await fromEngine(() => this.engine.taskVariables(key));
      if (!described) throw new NotFoundError(`Compito ${key} non trovato.`);
      return { ...described, variables };
    }
    const done = await fromEngine(() => this.engine.historicTasks({ taskId: key }, { max: 1 }));
    const h = done[0];
    if (!h) throw new NotFoundError(`Compito ${key} non trovato.`);
    const [described] = await this.describeFinished([h]);
    if (!described) throw new NotFoundError(`Compito ${key} non trovato.`);
    // The instance's own variables (not those of later steps' inner scopes).
    const variables = processScopeVariables(
      await fromEngine(() => this.engine.historicVariables({ processInstanceId: h.processInstanceId })),
      h.processInstanceId,
    );
    return { ...described, variables };
  }

  /** The form-js schema of a task (its `camunda:formRef`), if it has one. */
  async form(task: UserTask): Promise<unknown> {
    if (!task.formKey || task.state !== 'CREATED') return undefined;
    return fromEngine(() => this.engine.taskDeployedForm(task.key));
  }

  async claim(key: string, actor: Actor): Promise<UserTask> {
    const task = await this.openTask(key);
    this.assertMayWork(task, actor);
    if (task.assignee === actor.id) return task;
    if (task.assignee) throw new ConflictError('Il compito è già in carico a un altro utente.');
    try {
      await this.engine.claimTask(key, actor.id);
    } catch (err) {
      // The engine answers a lost race with TaskAlreadyClaimedException.
      if (err instanceof EngineError && /already claimed/i.test(err.message)) {
        throw new ConflictError('Il compito è già in carico a un altro utente.');
      }
      if (err instanceof EngineError && err.status === 404) throw new ConflictError('Il compito non è più aperto.');
      throw new UnavailableError('Il motore dei processi non ha confermato la presa in carico; riprovare.');
    }
    const now = await this.openTask(key);
    if (now.assignee !== actor.id) throw new ConflictError('Il compito è già in carico a un altro utente.');
    await this.notify(key, 'claimed', actor.id);
    return now;
  }

  async unclaim(key: string, actor: Actor): Promise<UserTask> {
    const task = await this.openTask(key);
    if (task.assignee !== actor.id) throw new ConflictError('Il compito non è in carico a te.');
    await fromEngine(() => this.engine.unclaimTask(key));
    await this.notify(key, 'unclaimed');
    return { ...task, assignee: null, claimedAt: null };
  }

  /**
   * Completes a task claimed by `actor` with the values of its form, checked against the
   * deployed form here (fields outside the form are refused). The engine completes a task
   * once: of two racing completions one finds it gone.
   */
  async complete(key: string, actor: Actor, submitted: Record<string, unknown>): Promise<UserTask> {
    const task = await this.openTask(key);
    if (task.assignee !== actor.id) throw new ConflictError('Prendere in carico il compito prima di completarlo.');
    const schema = task.formKey ? await fromEngine(() => this.engine.taskDeployedForm(key)) : undefined;
    if (task.formKey && schema === undefined) {
      throw new ConflictError('Il modulo di questo compito non è distribuito nel motore: impossibile validarlo.');
    }
    const variables = await fromEngine(() => this.engine.taskVariables(key));
    const errors = validateSubmission(schema ?? { components: [] }, submitted, variables);
    if (errors.length > 0) throw new ValidationError('Il modulo contiene errori.', errors);
    try {
      // Who completed the task travels with the form's values; the form cannot set it.
      await this.engine.completeTask(key, { ...submitted, taskCompletedBy: actor.id });
    } catch (err) {
      // A completion that lost a race (the same task completed meanwhile, by a second click or
      // another API process) finds the task gone: the engine may say 404, or 500 for its
      // optimistic lock. Only a task still open means the engine really failed.
      const stillOpen = await this.engine.task(key).then(
        (t) => (t ? 'open' : 'gone'),
        () => 'unknown',
      );
      if (stillOpen === 'unknown') {
        throw new UnavailableError('Il motore dei processi non ha confermato il completamento; riprovare.');
      }
      if (stillOpen === 'gone') {
        await this.notify(key, 'canceled', actor.id);
        throw new ConflictError('Il compito non esiste più nel processo (annullato o già completato).');
      }
      if (err instanceof EngineError && err.status < 500) {
        throw new ConflictError(`Il motore ha rifiutato il completamento: ${err.message}`);
      }
      throw new UnavailableError('Il motore dei processi non ha confermato il completamento; riprovare.');
    }
    await this.notify(key, 'completed', actor.id);
    return { ...task, state: 'COMPLETED', completedAt: new Date().toISOString(), completedBy: actor.id };
  }

  /** Ids of the open tasks created after `since` (for the live tasklist), oldest first. */
  async newSince(since: Date): Promise<{ key: string; created: string }[]> {
    const tasks = await this.engine.tasks(
      { createdAfter: engineDate(since), sorting: [{ sortBy: 'created', sortOrder: 'asc' }] },
      { max: 500 },
    );
    return tasks.map((t) => ({ key: t.id, created: isoFromEngine(t.created) ?? new Date().toISOString() }));
  }

  /** A person may work a task of one of their candidate groups, or one assigned to them. */
  mayWork(task: UserTask, actor: Actor): boolean {
    return (
      task.candidateUsers.includes(actor.id) ||
      task.candidateGroups.some((g) => actor.groups.includes(g)) ||
      task.assignee === actor.id
    );
  }

  private assertMayWork(task: UserTask, actor: Actor): void {
    if (!this.mayWork(task, actor)) throw new ForbiddenError('Il compito è riservato ad altri gruppi.');
  }

  private async openTask(key: string): Promise<UserTask> {
    const task = await fromEngine(() => this.engine.task(key));
    if (!task) {
      const done = await fromEngine(() => this.engine.historicTasks({ taskId: key }, { max: 1 }));
      if (done[0]) throw new ConflictError('Il compito non è più aperto.');
      throw new NotFoundError(`Compito ${key} non trovato.`);
    }
    const [described] = await this.describe([task]);
    if (!described) throw new NotFoundError(`Compito ${key} non trovato.`);
    return described;
  }

  private async describe(tasks: EngineTask[]): Promise<UserTask[]> {
    if (tasks.length === 0) return [];
    const facts = await this.instanceFacts([...new Set(tasks.map((t) => t.processInstanceId))]);
    return Promise.all(
      tasks.map(async (t) => {
        const element = await this.element(t.processDefinitionId, t.taskDefinitionKey);
        let groups = element?.candidateGroups ?? [];
        let users: string[] = [];
        if (!element || groups.length === 0) {
          const links = await this.engine.taskIdentityLinks(t.id).catch(() => []);
          groups = links.filter((l) => l.type === 'candidate' && l.groupId).map((l) => l.groupId ?? '');
          users = links.filter((l) => l.type === 'candidate' && l.userId).map((l) => l.userId ?? '');
        }
        const f = facts.get(t.processInstanceId);
        const form = t.operatonFormRef ?? t.camundaFormRef;
        return {
          key: t.id,
          name: t.name ?? element?.name ?? t.taskDefinitionKey,
          processInstanceKey: t.processInstanceId,
          processDefinitionKey: t.processDefinitionId,
          bpmnProcessId: t.processDefinitionId.split(':')[0] ?? '',
          processVersion: versionOf(t.processDefinitionId),
          elementId: t.taskDefinitionKey,
          candidateGroups: groups,
          candidateUsers: users,
          assignee: t.assignee,
          formKey: form?.key ?? t.formKey ?? null,
          dueDate: isoFromEngine(t.due),
          followUpDate: isoFromEngine(t.followUp),
          priority: t.priority,
          businessKey: f?.businessKey ?? null,
          state: 'CREATED' as const,
          createdAt: isoFromEngine(t.created) ?? new Date(0).toISOString(),
          claimedAt: t.assignee ? isoFromEngine((t as { lastUpdated?: string }).lastUpdated ?? t.created) : null,
          completedAt: null,
          completedBy: null,
          reason: f?.reason ?? null,
        };
      }),
    );
  }

  private async describeFinished(tasks: HistoricTask[]): Promise<UserTask[]> {
    if (tasks.length === 0) return [];
    const facts = await this.instanceFacts([...new Set(tasks.map((t) => t.processInstanceId))]);
    return Promise.all(
      tasks.map(async (t) => {
        const element = await this.element(t.processDefinitionId, t.taskDefinitionKey);
        const f = facts.get(t.processInstanceId);
        const completed = t.deleteReason === 'completed';
        return {
          key: t.id,
          name: t.name ?? element?.name ?? t.taskDefinitionKey,
          processInstanceKey: t.processInstanceId,
          processDefinitionKey: t.processDefinitionId,
          bpmnProcessId: t.processDefinitionKey,
          processVersion: versionOf(t.processDefinitionId),
          elementId: t.taskDefinitionKey,
          candidateGroups: element?.candidateGroups ?? [],
          candidateUsers: [],
          assignee: t.assignee,
          formKey: null,
          dueDate: isoFromEngine(t.due),
          followUpDate: null,
          priority: t.priority,
          businessKey: f?.businessKey ?? null,
          state: completed ? ('COMPLETED' as const) : ('CANCELED' as const),
          createdAt: isoFromEngine(t.startTime) ?? new Date(0).toISOString(),
          claimedAt: null,
          completedAt: isoFromEngine(t.endTime),
          completedBy: completed ? t.assignee : null,
          reason: f?.reason ?? null,
        };
      }),
    );
  }

  /** Business key and escalation reason of each instance, in one query. */
  private async instanceFacts(ids: string[]): Promise<Map<string, { businessKey?: string; reason?: string }>> {
    const out = new Map<string, { businessKey?: string; reason?: string }>();
    const vars = await this.engine.historicVariables({
      processInstanceIdIn: ids,
      variableNameIn: ['businessKey', 'escalationReason'],
    });
    for (const v of vars) {
      const entry = out.get(v.processInstanceId) ?? {};
      if (typeof v.value === 'string') {
        if (v.name === 'businessKey') entry.businessKey = v.value;
        if (v.name === 'escalationReason') entry.reason = v.value;
      }
      out.set(v.processInstanceId, entry);
    }
    return out;
  }

  /** Name and candidate groups of a user task, from the deployed model (cached per version). */
  private async element(processDefinitionId: string, elementId: string): Promise<ElementFacts | undefined> {
    let model = this.models.get(processDefinitionId);
    if (!model) {
      model = (async () => {
        const map = new Map<string, ElementFacts>();
        const xml = await this.engine.definitionXml(processDefinitionId);
        for (const p of xml ? await readBpmn(xml).catch(() => []) : []) {
          for (const e of p.elements) {
            const groups = e.candidateGroups?.includes('${') ? [] : splitList(e.candidateGroups);
            map.set(e.id, { name: e.name, candidateGroups: groups });
          }
        }
        return map;
      })();
      model.catch(() => this.models.delete(processDefinitionId));
      this.models.set(processDefinitionId, model);
    }
    return (await model).get(elementId);
  }

  /**
   * Tells every API process that a task changed (PostgreSQL NOTIFY), so open tasklists
   * refresh at once. The payload names the task and the colleague, nothing of the citizen.
   */
  private async notify(key: string, action: TaskEventAction, by?: string): Promise<void> {
    const event: TaskEvent = { key, action, ...(by ? { by } : {}) };
    await this.db
      .query('SELECT pg_notify($1, $2)', [TASK_EVENTS_CHANNEL, JSON.stringify(event)])
      .catch(() => undefined);
  }
}
