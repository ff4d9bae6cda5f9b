import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { parseWith } from '../problems.js';
import { allow, auditRead, hasPermission } from '../auth/access.js';
import { maskPersonal } from '../../domain/access/personal-data.js';
import { NotFoundError } from '../../domain/errors.js';

const listQuery = z.object({
  process: z.string().min(1).max(120).optional(),
  state: z.enum(['ACTIVE', 'INCIDENT', 'COMPLETED', 'CANCELED']).optional(),
  businessKey: z.string().min(1).max(120).optional(),
  key: z
    .string()
    .regex(/^\d{1,20}$/)
    .optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
const keyParam = z.object({ key: z.string().regex(/^\d{1,20}$/, 'chiave di istanza non valida') });

/** An incident is open while its job has no 'retried' record after it. */
const OPEN_INCIDENTS = `SELECT count(*) FROM job_outcomes o
  WHERE o.process_instance_key = i.process_instance_key AND o.outcome = 'incident'
    AND NOT EXISTS (SELECT 1 FROM job_outcomes x WHERE x.job_key = o.job_key AND x.outcome = 'retried')`;

/**
 * Process instances from the platform's own records (what Operate would show): started
 * instances, instances seen by a job or a task, the end listener's completion, job
 * outcomes, tasks and incidents.
 */
export function instanceRoutes({ db }: ApiDeps): Router {
  const r = Router();
  r.use(allow('instances:view'));
  r.get('/', async (req, res) => {
    const q = parseWith(listQuery, req.query);
    const rows: unknown[] = await db.query(
      `SELECT * FROM (
         SELECT i.process_instance_key AS key, i.bpmn_process_id AS "bpmnProcessId", i.version,
                i.process_definition_key AS "processDefinitionKey", i.business_key AS "businessKey",
                i.started_by AS "startedBy", i.started_at AS "startedAt", i.ended_at AS "endedAt",
                (${OPEN_INCIDENTS})::int AS incidents,
                (SELECT count(*) FROM user_tasks t WHERE t.process_instance_key = i.process_instance_key
                   AND t.state = 'CREATED')::int AS "openTasks",
                CASE WHEN i.state = 'ACTIVE' AND (${OPEN_INCIDENTS}) > 0 THEN 'INCIDENT' ELSE i.state END AS state
           FROM process_instances i
          WHERE ($1::text IS NULL OR i.bpmn_process_id = $1)
            AND ($2::text IS NULL OR i.business_key ILIKE $2 || '%')
            AND ($3::text IS NULL OR i.process_instance_key = $3)
            AND ($4::timestamptz IS NULL OR i.started_at >= $4)
            AND ($5::timestamptz IS NULL OR i.started_at < $5)
       ) x
       WHERE ($6::text IS NULL OR x.state = $6)
       ORDER BY x."startedAt" DESC, x.key DESC
       LIMIT $7 OFFSET $8`,
      [
        q.process ?? null,
        q.businessKey ?? null,
        q.key ?? null,
        q.from ?? null,
        q.to ?? null,
        q.state ?? null,
        q.limit,
        q.offset,
      ],
    );
    res.json({ items: rows });
  });

  r.get('/:key', async (req, res) => {
    const { key } = parseWith(keyParam, req.params);
    const instances: (Record<string, unknown> & { variables: Record<string, unknown> })[] = await db.query(
      `SELECT i.process_instance_key AS key, i.bpmn_process_id AS "bpmnProcessId", i.version,
              i.process_definition_key AS "processDefinitionKey", i.business_key AS "businessKey",
              i.started_by AS "startedBy", i.started_at AS "startedAt", i.ended_at AS "endedAt", i.variables,
              CASE WHEN i.state = 'ACTIVE' AND (${OPEN_INCIDENTS}) > 0 THEN 'INCIDENT' ELSE i.state END AS state
         FROM process_instances i WHERE i.process_instance_key = $1`,
      [key],
    );
    const instance = instances[0];
    if (!instance) throw new NotFoundError('Istanza non trovata.');
    const jobs: { jobKey: string; outcome: string }[] = await db.query(
      `SELECT job_key AS "jobKey", task_type AS "taskType", element_id AS "elementId", outcome, error_code AS "errorCode",
              message, retries_left AS "retriesLeft", duration_ms AS "durationMs", created_at AS "at"
         FROM job_outcomes WHERE process_instance_key = $1 ORDER BY id`,
      [key],
    );
    const retried = new Set(jobs.filter((j) => j.outcome === 'retried').map((j) => j.jobKey));
    const incidents = jobs.filter((j) => j.outcome === 'incident' && !retried.has(j.jobKey));
    const tasks: unknown[] = await db.query(
      `SELECT job_key AS key, name, element_id AS "elementId", state, assignee, candidate_groups AS "candidateGroups",
              created_at AS "createdAt", completed_at AS "completedAt", completed_by AS "completedBy"
         FROM user_tasks WHERE process_instance_key = $1 ORDER BY created_at`,
      [key],
    );
    const personal = hasPermission(req, 'personal:read');
    if (personal) await auditRead(req, 'process-instance', key);
    res.json({
      instance: { ...instance, variables: personal ? instance.variables : maskPersonal(instance.variables) },
      variablesMasked: !personal,
      jobs,
      tasks,
      incidents,
    });
  });
  return r;
}
