import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { parseWith } from '../problems.js';
import { NotFoundError } from '../../domain/errors.js';
import { actorOf } from '../actor.js';

const smsQuery = z.object({
  reference: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/**
 * What the platform recorded: SMS sent, deployments, and one process instance with its
 * tasks and job outcomes (the history the bare broker cannot answer).
 */
export function recordRoutes({ db, smsMessages, incidents }: ApiDeps): Router {
  const r = Router();
  /** Retries the job of an incident once its cause is fixed (see IncidentService). */
  r.post('/incidents/:jobKey/retry', async (req, res) => {
    const { jobKey } = parseWith(
      z.object({ jobKey: z.string().regex(/^\d{1,20}$/, 'chiave del job non valida') }),
      req.params,
    );
    res.status(202).json(await incidents.retry(jobKey, actorOf(req).id));
  });
  r.get('/sms/messages', async (req, res) => {
    res.json({ items: await smsMessages.list(parseWith(smsQuery, req.query)) });
  });
  r.get('/deployments', async (_req, res) => {
    const rows: unknown[] = await db.query(
      `SELECT id::text, resource_name AS "resourceName", resource_type AS "resourceType", resource_id AS "resourceId",
              resource_key AS "resourceKey", version, source, status, problem, deployed_by AS "deployedBy", comment,
              created_at AS "createdAt"
         FROM resource_deployments ORDER BY id DESC LIMIT 200`,
    );
    res.json({ items: rows });
  });
  r.get('/process-instances/:key', async (req, res) => {
    const { key } = parseWith(z.object({ key: z.string().regex(/^\d{1,20}$/) }), req.params);
    const instances: unknown[] = await db.query(
      `SELECT process_instance_key AS "processInstanceKey", bpmn_process_id AS "bpmnProcessId", version,
              business_key AS "businessKey", started_by AS "startedBy", started_at AS "startedAt"
         FROM process_instances WHERE process_instance_key = $1`,
      [key],
    );
    const instance = instances[0];
    const jobs: unknown[] = await db.query(
      `SELECT job_key AS "jobKey", task_type AS "taskType", element_id AS "elementId", outcome, error_code AS "errorCode",
              message, retries_left AS "retriesLeft", duration_ms AS "durationMs", created_at AS "at"
         FROM job_outcomes WHERE process_instance_key = $1 ORDER BY id`,
      [key],
    );
    const tasks: unknown[] = await db.query(
      `SELECT job_key AS key, name, element_id AS "elementId", state, assignee, created_at AS "createdAt",
              completed_at AS "completedAt", completed_by AS "completedBy"
         FROM user_tasks WHERE process_instance_key = $1 ORDER BY created_at`,
      [key],
    );
    if (!instance && jobs.length === 0 && tasks.length === 0) throw new NotFoundError('Istanza non trovata.');
    res.json({ instance: instance ?? null, jobs, tasks });
  });
  return r;
}
