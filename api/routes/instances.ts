import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { parseWith } from '../problems.js';
import { allow, auditRead, hasPermission } from '../auth/access.js';
import { maskPersonal } from '../../domain/access/personal-data.js';
import { NotFoundError } from '../../domain/errors.js';
import { fromEngine } from '../../domain/processes/engine-call.js';
import { engineDate, isoFromEngine } from '../../domain/tasks/inbox.js';
import { activeActivityIds, type EngineClient, type HistoricProcessInstance } from '../../platform/engine/operaton.js';
import { processScopeVariables } from '../../platform/engine/variables.js';

/** Engine ids: UUIDs (and the numeric ids of engines with the default id generator). */
export const ENGINE_ID = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/;

const listQuery = z.object({
  process: z.string().min(1).max(120).optional(),
  state: z.enum(['ACTIVE', 'INCIDENT', 'COMPLETED', 'CANCELED']).optional(),
  businessKey: z.string().min(1).max(120).optional(),
  key: z.string().regex(ENGINE_ID).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
const keyParam = z.object({ key: z.string().regex(ENGINE_ID, 'chiave di istanza non valida') });

type State = 'ACTIVE' | 'INCIDENT' | 'COMPLETED' | 'CANCELED';

function stateOf(h: HistoricProcessInstance, openIncidents: number): State {
  if (h.state === 'COMPLETED') return 'COMPLETED';
  if (h.state === 'EXTERNALLY_TERMINATED' || h.state === 'INTERNALLY_TERMINATED') return 'CANCELED';
  return openIncidents > 0 ? 'INCIDENT' : 'ACTIVE';
}

/**
 * Process instances from the engine's history (what ran, where the tokens are, incidents,
 * last variables), with who started each from the platform and every worker outcome the
 * platform recorded.
 */
export function instanceRoutes({ db, engine }: ApiDeps): Router {
  const r = Router();
  r.use(allow('instances:view'));
  r.get('/', async (req, res) => {
    const q = parseWith(listQuery, req.query);
    const query: Record<string, unknown> = { sorting: [{ sortBy: 'startTime', sortOrder: 'desc' }] };
    if (q.process) query['processDefinitionKey'] = q.process;
    if (q.businessKey) query['processInstanceBusinessKeyLike'] = `${q.businessKey}%`;
    if (q.key) query['processInstanceId'] = q.key;
    if (q.from) query['startedAfter'] = engineDate(q.from);
    if (q.to) query['startedBefore'] = engineDate(q.to);
    if (q.state === 'ACTIVE') query['active'] = true;
    // `withIncidents` alone counts resolved incidents too.
    if (q.state === 'INCIDENT') Object.assign(query, { unfinished: true, withIncidents: true, incidentStatus: 'open' });
    if (q.state === 'COMPLETED') query['completed'] = true;
    if (q.state === 'CANCELED') query['externallyTerminated'] = true;
    const found = await fromEngine(() => engine.historicProcessInstances(query, { first: q.offset, max: q.limit }));
    res.json({ items: await summarise(db, engine, found, q.state) });
  });

  r.get('/:key', async (req, res) => {
    const { key } = parseWith(keyParam, req.params);
    const h = await fromEngine(() => engine.historicProcessInstance(key));
    if (!h) throw new NotFoundError('Istanza non trovata (mai esistita, o rimossa dalla pulizia dello storico).');
    const [activities, incidents, tree, variables, tasks, jobs, starts] = await Promise.all([
      fromEngine(() => engine.historicActivities(key)),
      fromEngine(() => engine.historicIncidents({ processInstanceId: key, open: true })),
      h.endTime ? Promise.resolve(undefined) : fromEngine(() => engine.activityInstanceTree(key)),
      fromEngine(() => engine.historicVariables({ processInstanceId: key })),
      fromEngine(() =>
        engine.historicTasks({ processInstanceId: key, sorting: [{ sortBy: 'startTime', sortOrder: 'asc' }] }),
      ),
      db.query<unknown[]>(
        `SELECT job_key AS "jobKey", task_type AS "taskType", element_id AS "elementId", outcome, error_code AS "errorCode",
                message, retries_left AS "retriesLeft", duration_ms AS "durationMs", created_at AS "at"
           FROM job_outcomes WHERE process_instance_key = $1 ORDER BY id`,
        [key],
      ),
      db.query<{ started_by: string | null }[]>(
        `SELECT started_by FROM process_instances WHERE process_instance_key = $1`,
        [key],
      ),
    ]);
    const incidentElements = [...new Set(incidents.map((i) => i.activityId))];
    // Only scopes (processes, sub-processes, multi-instance bodies) wrap other activities;
    // what is marked is what actually ran.
    const ran = activities.filter((a) => !a.canceled && !/^(multiInstanceBody|subProcess)$/.test(a.activityType));
    const current = activeActivityIds(tree).filter((id) => !incidentElements.includes(id));
    const done = [...new Set(ran.filter((a) => a.endTime).map((a) => a.activityId))].filter(
      (id) => !incidentElements.includes(id) && !current.includes(id),
    );
    const personal = hasPermission(req, 'personal:read');
    if (personal) await auditRead(req, 'process-instance', key);
    const vars = processScopeVariables(variables, key);
    res.json({
      instance: {
        key: h.id,
        bpmnProcessId: h.processDefinitionKey,
        version: h.processDefinitionVersion,
        processDefinitionKey: h.processDefinitionId,
        businessKey: h.businessKey,
        startedBy: starts[0]?.started_by ?? h.startUserId,
        startedAt: isoFromEngine(h.startTime),
        endedAt: isoFromEngine(h.endTime),
        removalAt: isoFromEngine(h.removalTime),
        state: stateOf(h, incidents.length),
        variables: personal ? vars : maskPersonal(vars),
      },
      variablesMasked: !personal,
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
    });
  });
  return r;
}

/** The list's rows: open incidents and tasks per instance, who started it, in three queries. */
async function summarise(
  db: ApiDeps['db'],
  engine: EngineClient,
  found: HistoricProcessInstance[],
  wanted: State | undefined,
) {
  if (found.length === 0) return [];
  const ids = found.map((h) => h.id);
  const [incidents, tasks, starts] = await Promise.all([
    fromEngine(() => engine.incidents({ processInstanceIdIn: ids.join(','), maxResults: 5000 })),
    fromEngine(() => engine.tasks({ processInstanceIdIn: ids }, { max: 5000 })),
    db.query<{ key: string; started_by: string | null }[]>(
      `SELECT process_instance_key AS key, started_by FROM process_instances WHERE process_instance_key = ANY ($1)`,
      [ids],
    ),
  ]);
  const count = (list: { processInstanceId: string }[], id: string) =>
    list.filter((x) => x.processInstanceId === id).length;
  const startedBy = new Map(starts.map((s) => [s.key, s.started_by]));
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
