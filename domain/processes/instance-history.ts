import type { DataSource } from 'typeorm';
import { maskPersonal } from '../access/personal-data.js';
import { NotFoundError } from '../errors.js';
import { engineDate, isoFromEngine } from '../tasks/inbox.js';
import { fromEngine } from './engine-call.js';
import { activeActivityIds, type EngineClient, type HistoricProcessInstance } from '../../platform/engine/operaton.js';
import { processScopeVariables } from '../../platform/engine/variables.js';

export type InstanceState = 'ACTIVE' | 'INCIDENT' | 'COMPLETED' | 'CANCELED';

/** Which instances to list, the most recently started first. */
export interface InstanceFilter {
  /** The process (its BPMN id). */
  process?: string | undefined;
  state?: InstanceState | undefined;
  /** The start of the business key. */
  businessKey?: string | undefined;
  /** One instance, by its key. */
  key?: string | undefined;
  /** Started after / before. */
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  offset: number;
}

function stateOf(h: HistoricProcessInstance, openIncidents: number): InstanceState {
  if (h.state === 'COMPLETED') return 'COMPLETED';
  if (h.state === 'EXTERNALLY_TERMINATED' || h.state === 'INTERNALLY_TERMINATED') return 'CANCELED';
  return openIncidents > 0 ? 'INCIDENT' : 'ACTIVE';
}

/**
 * Process instances from the engine's history (what ran, where the tokens are, incidents,
 * last variables), with who started each from the platform (`process_instances`) and every
 * worker outcome the platform recorded (`job_outcomes`).
 */
export class InstanceHistory {
  constructor(
    private readonly engine: EngineClient,
    private readonly db: DataSource,
  ) {}

  /** The list's rows: open incidents and tasks per instance, who started it. */
  async list(filter: InstanceFilter) {
    const query: Record<string, unknown> = { sorting: [{ sortBy: 'startTime', sortOrder: 'desc' }] };
    if (filter.process) query['processDefinitionKey'] = filter.process;
    if (filter.businessKey) query['processInstanceBusinessKeyLike'] = `${filter.businessKey}%`;
    if (filter.key) query['processInstanceId'] = filter.key;
    if (filter.from) query['startedAfter'] = engineDate(filter.from);
    if (filter.to) query['startedBefore'] = engineDate(filter.to);
    if (filter.state === 'ACTIVE') query['active'] = true;
    // `withIncidents` alone counts resolved incidents too.
    if (filter.state === 'INCIDENT') {
      Object.assign(query, { unfinished: true, withIncidents: true, incidentStatus: 'open' });
    }
    if (filter.state === 'COMPLETED') query['completed'] = true;
    if (filter.state === 'CANCELED') query['externallyTerminated'] = true;
    const found = await fromEngine(() =>
      this.engine.historicProcessInstances(query, { first: filter.offset, max: filter.limit }),
    );
    return this.summarise(found, filter.state);
  }

  /**
   * One instance: its activities and where it stands (the markers of its diagram), its tasks,
   * open incidents, worker outcomes and process variables, personal ones masked unless
   * `personalData` (the reader may read them).
   */
  async detail(key: string, opts: { personalData: boolean }) {
    const h = await fromEngine(() => this.engine.historicProcessInstance(key));
    if (!h) throw new NotFoundError('Istanza non trovata (mai esistita, o rimossa dalla pulizia dello storico).');
    const [activities, incidents, tree, variables, tasks, jobs, startedBy] = await Promise.all([
      fromEngine(() => this.engine.historicActivities(key)),
      fromEngine(() => this.engine.historicIncidents({ processInstanceId: key, open: true })),
      h.endTime ? Promise.resolve(undefined) : fromEngine(() => this.engine.activityInstanceTree(key)),
      fromEngine(() => this.engine.historicVariables({ processInstanceId: key })),
      fromEngine(() =>
        this.engine.historicTasks({ processInstanceId: key, sorting: [{ sortBy: 'startTime', sortOrder: 'asc' }] }),
      ),
      this.db.query<unknown[]>(
        `SELECT job_key AS "jobKey", task_type AS "taskType", element_id AS "elementId", outcome, error_code AS "errorCode",
                message, retries_left AS "retriesLeft", duration_ms AS "durationMs", created_at AS "at"
           FROM job_outcomes WHERE process_instance_key = $1 ORDER BY id`,
        [key],
      ),
      this.startedBy([key]),
    ]);
    const incidentElements = [...new Set(incidents.map((i) => i.activityId))];
    // Only scopes (processes, sub-processes, multi-instance bodies) wrap other activities;
    // what is marked is what actually ran.
    const ran = activities.filter((a) => !a.canceled && !/^(multiInstanceBody|subProcess)$/.test(a.activityType));
    const current = activeActivityIds(tree).filter((id) => !incidentElements.includes(id));
    const done = [...new Set(ran.filter((a) => a.endTime).map((a) => a.activityId))].filter(
      (id) => !incidentElements.includes(id) && !current.includes(id),
    );
    const vars = processScopeVariables(variables, key);
    return {
      instance: {
        key: h.id,
        bpmnProcessId: h.processDefinitionKey,
        version: h.processDefinitionVersion,
        processDefinitionKey: h.processDefinitionId,
        businessKey: h.businessKey,
        startedBy: startedBy.get(key) ?? h.startUserId,
        startedAt: isoFromEngine(h.startTime),
        endedAt: isoFromEngine(h.endTime),
        removalAt: isoFromEngine(h.removalTime),
        state: stateOf(h, incidents.length),
        variables: opts.personalData ? vars : maskPersonal(vars),
      },
      variablesMasked: !opts.personalData,
      markers: { done, current, incident: incidentElements },
      activities: ran.map((a) => ({
        elementId: a.activityId,
        name: a.activityName,
        type: a.activityType,
        startedAt: isoFromEngine(a.startTime),
        endedAt: isoFromEngine(a.endTime),
      })),
      jobs,
      tasks: tasks.map((t) => ({
        key: t.id,
        name: t.name ?? t.taskDefinitionKey,
        elementId: t.taskDefinitionKey,
        state: !t.endTime ? 'CREATED' : t.deleteReason === 'completed' ? 'COMPLETED' : 'CANCELED',
        assignee: t.assignee,
        createdAt: isoFromEngine(t.startTime),
        completedAt: isoFromEngine(t.endTime),
        completedBy: t.deleteReason === 'completed' ? t.assignee : null,
      })),
      incidents: incidents.map((i) => ({
        id: i.id,
        elementId: i.activityId,
        type: i.incidentType,
        message: i.incidentMessage,
        at: isoFromEngine(i.createTime),
      })),
    };
  }

  /** Open incidents and tasks per instance, who started it, in three queries. */
  private async summarise(found: HistoricProcessInstance[], wanted: InstanceState | undefined) {
    if (found.length === 0) return [];
    const ids = found.map((h) => h.id);
    const [incidents, tasks, startedBy] = await Promise.all([
      fromEngine(() => this.engine.incidents({ processInstanceIdIn: ids.join(','), maxResults: 5000 })),
      fromEngine(() => this.engine.tasks({ processInstanceIdIn: ids }, { max: 5000 })),
      this.startedBy(ids),
    ]);
    const count = (list: { processInstanceId: string }[], id: string) =>
      list.filter((x) => x.processInstanceId === id).length;
    return found
      .map((h) => {
        const open = count(incidents, h.id);
        return {
          key: h.id,
          bpmnProcessId: h.processDefinitionKey,
          version: h.processDefinitionVersion,
          processDefinitionKey: h.processDefinitionId,
          businessKey: h.businessKey,
          startedBy: startedBy.get(h.id) ?? h.startUserId,
          startedAt: isoFromEngine(h.startTime),
          endedAt: isoFromEngine(h.endTime),
          incidents: open,
          openTasks: count(tasks, h.id),
          state: stateOf(h, open),
        };
      })
      .filter((i) => wanted !== 'ACTIVE' || i.state === 'ACTIVE');
  }

  /** Who started each of these instances from the platform (the engine knows no user then). */
  private async startedBy(keys: string[]): Promise<Map<string, string | null>> {
    const rows = await this.db.query<{ key: string; started_by: string | null }[]>(
      `SELECT process_instance_key AS key, started_by FROM process_instances WHERE process_instance_key = ANY ($1)`,
      [keys],
    );
    return new Map(rows.map((s) => [s.key, s.started_by]));
  }
}
