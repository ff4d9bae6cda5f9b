import type { DataSource } from 'typeorm';
import type { ZeebeClient } from '../../platform/engine/client.js';
import type { Deployer } from '../../platform/engine/deployer.js';
import { readBpmn } from '../../platform/engine/bpmn-model.js';
import { returning } from '../../platform/database/query.js';
import { ConflictError, ForbiddenError, NotFoundError, UnavailableError, ValidationError } from '../errors.js';
import { validateSubmission } from './form-validation.js';
import { trackInstance } from '../processes/instances.js';

/** The job type Zeebe gives job-worker user tasks. */
export const USER_TASK_JOB_TYPE = 'io.camunda.zeebe:userTask';

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
  /** Only tasks this person may work: their candidate groups, candidate user, assignee, or open to all. */
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

/** A user-task job as activated from the engine. */
export interface UserTaskJob {
  key: string;
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  processDefinitionVersion: number;
  elementId: string;
  elementInstanceKey: string;
  customHeaders: Record<string, unknown>;
  variables: Record<string, unknown>;
}

const COLUMNS = `job_key AS key, name, process_instance_key AS "processInstanceKey",
  process_definition_key AS "processDefinitionKey", bpmn_process_id AS "bpmnProcessId",
  process_version AS "processVersion", element_id AS "elementId", candidate_groups AS "candidateGroups",
  candidate_users AS "candidateUsers", assignee, form_key AS "formKey", due_date AS "dueDate",
  follow_up_date AS "followUpDate", priority, business_key AS "businessKey", state, created_at AS "createdAt",
  claimed_at AS "claimedAt", completed_at AS "completedAt", completed_by AS "completedBy",
  variables->>'escalationReason' AS reason`;

type Row = Omit<UserTask, 'dueDate' | 'followUpDate' | 'createdAt' | 'claimedAt' | 'completedAt'> & {
  dueDate: Date | null;
  followUpDate: Date | null;
  createdAt: Date;
  claimedAt: Date | null;
  completedAt: Date | null;
  variables?: Record<string, unknown>;
};

const isoOrNull = (d: Date | null): string | null => (d ? d.toISOString() : null);

function toTask(r: Row): UserTask {
  const { variables: _v, ...rest } = r;
  return {
    ...rest,
    dueDate: isoOrNull(r.dueDate),
    followUpDate: isoOrNull(r.followUpDate),
    createdAt: r.createdAt.toISOString(),
    claimedAt: isoOrNull(r.claimedAt),
    completedAt: isoOrNull(r.completedAt),
  };
}

function parseList(header: unknown): string[] {
  if (typeof header !== 'string' || header.trim() === '') return [];
  try {
    const parsed: unknown = JSON.parse(header);
    if (Array.isArray(parsed)) return parsed.map(String);
  } catch {
    // Older engines send a comma separated list.
  }
  return header
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function parseDate(header: unknown): Date | null {
  if (typeof header !== 'string' || header.trim() === '') return null;
  const d = new Date(header);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * The tasklist's store of job-worker user tasks. Tasks are captured from the engine into
 * PostgreSQL keyed by job key, so a task re-activated after a restart or a timeout is the
 * same row: never lost, never shown twice. Claiming is a conditional update; completing
 * validates against the task's form and completes the job in the engine.
 */
export class TaskInbox {
  private readonly names = new Map<string, Map<string, string>>();

  constructor(
    private readonly db: DataSource,
    private readonly zeebe: ZeebeClient,
    private readonly deployer: Deployer,
  ) {}

  /** Stores a task seen in the engine. Returns true the first time a task is seen. */
  async capture(job: UserTaskJob): Promise<boolean> {
    const h = job.customHeaders;
    const rawPriority = h['priority'];
    const priority = typeof rawPriority === 'string' ? Number.parseInt(rawPriority, 10) : Number.NaN;
    const rows: { inserted: boolean }[] = await this.db.query(
      `INSERT INTO user_tasks (job_key, process_instance_key, process_definition_key, bpmn_process_id, process_version,
         element_id, element_instance_key, name, candidate_groups, candidate_users, assignee, form_key, due_date,
         follow_up_date, priority, business_key, variables)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
       ON CONFLICT (job_key) DO UPDATE SET last_seen_at = now()
       RETURNING (xmax = 0) AS inserted`,
      [
        job.key,
        job.processInstanceKey,
        job.processDefinitionKey,
        job.bpmnProcessId,
        job.processDefinitionVersion,
        job.elementId,
        job.elementInstanceKey,
        await this.elementName(job.processDefinitionKey, job.elementId),
        parseList(h['io.camunda.zeebe:candidateGroups']),
        parseList(h['io.camunda.zeebe:candidateUsers']),
        typeof h['io.camunda.zeebe:assignee'] === 'string' && h['io.camunda.zeebe:assignee'] !== ''
          ? h['io.camunda.zeebe:assignee']
          : null,
        typeof h['io.camunda.zeebe:formKey'] === 'string' ? h['io.camunda.zeebe:formKey'] : null,
        parseDate(h['io.camunda.zeebe:dueDate']),
        parseDate(h['io.camunda.zeebe:followUpDate']),
        Number.isInteger(priority) ? Math.max(0, Math.min(100, priority)) : 50,
        typeof job.variables['businessKey'] === 'string' ? job.variables['businessKey'] : null,
        JSON.stringify(job.variables),
      ],
    );
    const inserted = rows[0]?.inserted === true;
    if (inserted) {
      await trackInstance(this.db, {
        processInstanceKey: job.processInstanceKey,
        bpmnProcessId: job.bpmnProcessId,
        processDefinitionKey: job.processDefinitionKey,
        version: job.processDefinitionVersion,
        variables: job.variables,
      });
      await this.notify(job.key, 'created');
    }
    return inserted;
  }

  async list(f: TaskFilter = {}): Promise<UserTask[]> {
    const order = {
      priority: 'priority DESC, due_date ASC NULLS LAST, created_at ASC',
      due: 'due_date ASC NULLS LAST, priority DESC, created_at ASC',
      created: 'created_at DESC',
    }[f.sort ?? 'priority'];
    const rows: Row[] = await this.db.query(
      `SELECT ${COLUMNS} FROM user_tasks
        WHERE state = $1
          AND ($2::text IS NULL OR $2 = ANY (candidate_groups))
          AND ($3::text IS NULL OR assignee = $3)
          AND ($4::text IS NULL OR bpmn_process_id = $4)
          AND ($7::text IS NULL OR assignee = $7 OR $7 = ANY (candidate_users) OR candidate_groups && $8::text[]
               OR (cardinality(candidate_groups) = 0 AND cardinality(candidate_users) = 0))
          AND ($9::int IS NULL OR priority >= $9)
          AND ($10::timestamptz IS NULL OR due_date < $10)
          AND ($11::text IS NULL OR ($11 = 'unassigned' AND assignee IS NULL) OR ($11 = 'mine' AND assignee = $7))
        ORDER BY ${order}, job_key ASC
        LIMIT $5 OFFSET $6`,
      [
        f.state ?? 'CREATED',
        f.group ?? null,
        f.assignee ?? null,
        f.process ?? null,
        f.limit ?? 100,
        f.offset ?? 0,
        f.visibleTo?.id ?? null,
        f.visibleTo?.groups ?? [],
        f.priorityMin ?? null,
        f.dueBefore ?? null,
        f.claim ?? null,
      ],
    );
    return rows.map(toTask);
  }

  async get(key: string): Promise<UserTaskDetail> {
    const rows: Row[] = await this.db.query(`SELECT ${COLUMNS}, variables FROM user_tasks WHERE job_key = $1`, [key]);
    const r = rows[0];
    if (!r) throw new NotFoundError(`Compito ${key} non trovato.`);
    return { ...toTask(r), variables: r.variables ?? {} };
  }

  /** The form-js schema of a task, when it has a form deployed through the platform. */
  async form(task: UserTask): Promise<unknown> {
    if (!task.formKey) return undefined;
    return (await this.deployer.formByKey(task.formKey))?.schema;
  }

  async claim(key: string, actor: Actor): Promise<UserTask> {
    const task = await this.get(key);
    this.assertMayWork(task, actor);
    const rows = await returning<Row>(
      this.db,
      `UPDATE user_tasks SET assignee = $2, claimed_at = now()
        WHERE job_key = $1 AND state = 'CREATED' AND (assignee IS NULL OR assignee = $2)
        RETURNING ${COLUMNS}`,
      [key, actor.id],
    );
    if (!rows[0]) {
      const now = await this.get(key);
      if (now.state !== 'CREATED') throw new ConflictError('Il compito non è più aperto.');
      throw new ConflictError('Il compito è già in carico a un altro utente.');
    }
    await this.notify(key, 'claimed', actor.id);
    return toTask(rows[0]);
  }

  async unclaim(key: string, actor: Actor): Promise<UserTask> {
    const rows = await returning<Row>(
      this.db,
      `UPDATE user_tasks SET assignee = NULL, claimed_at = NULL
        WHERE job_key = $1 AND state = 'CREATED' AND assignee = $2
        RETURNING ${COLUMNS}`,
      [key, actor.id],
    );
    if (!rows[0]) {
      await this.get(key);
      throw new ConflictError('Il compito non è in carico a te.');
    }
    await this.notify(key, 'unclaimed');
    return toTask(rows[0]);
  }

  /**
   * Completes a task claimed by `actor` with the values of its form. The row stays locked
   * while the engine is told, so two completions can never both go through.
   */
  async complete(key: string, actor: Actor, submitted: Record<string, unknown>): Promise<UserTask> {
    let vanished = false;
    const result = await this.db.transaction(async (tx) => {
      const rows: Row[] = await tx.query(`SELECT ${COLUMNS}, variables FROM user_tasks WHERE job_key = $1 FOR UPDATE`, [
        key,
      ]);
      const r = rows[0];
      if (!r) throw new NotFoundError(`Compito ${key} non trovato.`);
      if (r.state !== 'CREATED') throw new ConflictError('Il compito non è più aperto.');
      if (r.assignee !== actor.id) throw new ConflictError('Prendere in carico il compito prima di completarlo.');
      const schema = r.formKey ? (await this.deployer.formByKey(r.formKey))?.schema : undefined;
      if (r.formKey && schema === undefined) {
        throw new ConflictError(
          'Il modulo di questo compito non è stato distribuito dalla piattaforma: impossibile validarlo.',
        );
      }
      const errors = validateSubmission(schema ?? { components: [] }, submitted, r.variables ?? {});
      if (errors.length > 0) throw new ValidationError('Il modulo contiene errori.', errors);
      try {
        // Who completed the task travels with the form's values; the form cannot set it, since
        // fields outside the form are refused above.
        await this.zeebe.completeJob({ jobKey: key, variables: { ...submitted, taskCompletedBy: actor.id } });
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code === 5 || /NOT_FOUND/.test((err as Error).message)) {
          await tx.query(`UPDATE user_tasks SET state = 'CANCELED', completed_at = now() WHERE job_key = $1`, [key]);
          vanished = true;
          return undefined;
        }
        throw new UnavailableError('Il motore dei processi non ha confermato il completamento; riprovare.');
      }
      const done = await returning<Row>(
        tx,
        `UPDATE user_tasks SET state = 'COMPLETED', completed_at = now(), completed_by = $2
          WHERE job_key = $1 RETURNING ${COLUMNS}`,
        [key, actor.id],
      );
      return done[0] ? toTask(done[0]) : undefined;
    });
    await this.notify(key, vanished || !result ? 'canceled' : 'completed', actor.id);
    if (vanished || !result)
      throw new ConflictError('Il compito non esiste più nel processo (annullato o già completato).');
    return result;
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

  /** A task with candidates may be worked only by them; one without candidates by anyone. */
  mayWork(task: UserTask, actor: Actor): boolean {
    const open = task.candidateGroups.length === 0 && task.candidateUsers.length === 0;
    return (
      open ||
      task.candidateUsers.includes(actor.id) ||
      task.candidateGroups.some((g) => actor.groups.includes(g)) ||
      task.assignee === actor.id
    );
  }

  private assertMayWork(task: UserTask, actor: Actor): void {
    if (!this.mayWork(task, actor)) throw new ForbiddenError('Il compito è riservato ad altri gruppi.');
  }

  private async elementName(processDefinitionKey: string, elementId: string): Promise<string> {
    let names = this.names.get(processDefinitionKey);
    if (!names) {
      names = new Map();
      const xml = await this.deployer.processXml(processDefinitionKey);
      if (xml) {
        for (const p of await readBpmn(xml).catch(() => [])) {
          for (const e of p.elements) if (e.name) names.set(e.id, e.name);
        }
        this.names.set(processDefinitionKey, names);
      }
    }
    return names.get(elementId) ?? elementId;
  }
}
