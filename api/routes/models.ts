import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { parseWith } from '../problems.js';
import { allow, principalOf } from '../auth/access.js';
import { NotFoundError } from '../../domain/errors.js';
import { ENGINE_ID } from './instances.js';
import { ModelDeploys, type Audit, type DeployOutcome } from '../../domain/processes/model-approvals.js';
import { WORKERS } from '../../workers/registry.js';

const RESOURCE_NAME = /^[a-z0-9][a-z0-9-]{0,80}\.(bpmn|form)$/;
const nameParam = z.object({ name: z.string().regex(RESOURCE_NAME, 'nome di file non valido') });
const idParam = z.object({ id: z.string().regex(/^\d{1,18}$/, 'identificativo non valido') });
const keyParam = z.object({ key: z.string().regex(ENGINE_ID, 'chiave non valida') });
const resourceParam = z.object({
  resourceId: z.string().regex(/^[A-Za-z0-9_.-]{1,120}$/, 'identificativo non valido'),
});
const deployBody = z.object({
  name: z.string().regex(RESOURCE_NAME, 'il nome deve essere <id>.bpmn o <id>.form'),
  content: z.string().min(1).max(2_000_000),
  comment: z.string().trim().min(3, 'descrivere la modifica (almeno 3 caratteri)').max(500),
  /** The analyst confirmed deploying despite the platform's lint errors. */
  override: z.boolean().default(false),
});
const rollbackBody = z.object({ comment: z.string().trim().min(3).max(500) });
const approveBody = z.object({ note: z.string().trim().max(500).optional() });
const refuseBody = z.object({
  note: z.string().trim().min(3, 'spiegare il rifiuto (almeno 3 caratteri)').max(500),
});

/** The person's audit trail for the domain service (each route sits behind a session). */
const auditOf =
  (req: Request): Audit =>
  async (e) => {
    await req.audit?.(e);
  };

/** 201 with the deployed version, or 202 when it waits for another person's approval (and why). */
const statusOf = (outcome: DeployOutcome) => (outcome.status === 'deployed' ? 201 : 202);

/**
 * Processes and forms for the modeler: what is deployed, version history, the files of
 * `processes/`, deploy (only when the platform's rules pass, or with a confirmed override,
 * and after another person's approval when the model's workers need permissions the
 * deployer lacks), approvals, rollback by redeploying an earlier version.
 */
export function modelRoutes({ db, deployer, lintContext, processesDir }: ApiDeps): Router {
  const r = Router();
  const models = new ModelDeploys({ db, deployer, lintContext, workers: WORKERS });

  r.get('/models', allow('models:view'), async (_req, res) => {
    res.json({ items: await models.repository.latestVersions() });
  });
  r.get('/models/lint-context', allow('models:view'), async (_req, res) => {
    res.json(await lintContext());
  });
  r.get('/models/files', allow('models:view'), async (_req, res) => {
    const files = (await readdir(processesDir)).filter((f) => RESOURCE_NAME.test(f)).sort();
    res.json({ items: files });
  });
  r.get('/models/files/:name', allow('models:view'), async (req, res) => {
    const { name } = parseWith(nameParam, req.params);
    const content = await readFile(path.join(processesDir, name), 'utf8').catch(() => {
      throw new NotFoundError(`Il file ${name} non esiste in processes/.`);
    });
    res.json({ name, content });
  });
  r.get('/models/approvals', allow('models:view'), async (req, res) => {
    res.json({ items: await models.pending(principalOf(req)) });
  });
  r.get('/models/approvals/:id', allow('models:view'), async (req, res) => {
    const { id } = parseWith(idParam, req.params);
    res.json(await models.approval(id, principalOf(req)));
  });
  r.post('/models/approvals/:id/approve', allow('models:view'), async (req, res) => {
    const { id } = parseWith(idParam, req.params);
    const { note } = parseWith(approveBody, req.body ?? {});
    res.status(201).json(await models.approve(id, principalOf(req), note || undefined, auditOf(req)));
  });
  r.post('/models/approvals/:id/refuse', allow('models:view'), async (req, res) => {
    const { id } = parseWith(idParam, req.params);
    const { note } = parseWith(refuseBody, req.body ?? {});
    res.json(await models.refuse(id, principalOf(req), note, auditOf(req)));
  });
  r.get('/models/:resourceId/versions', allow('models:view'), async (req, res) => {
    const { resourceId } = parseWith(resourceParam, req.params);
    res.json({ items: await models.repository.versionsOf(resourceId) });
  });
  r.get('/models/deployments/:id', allow('models:view'), async (req, res) => {
    const { id } = parseWith(idParam, req.params);
    const row = await models.repository.deployment(id);
    if (!row) throw new NotFoundError('Versione non trovata.');
    res.json(row);
  });
  /** The diagram of a deployed process version (task page, instance page). */
  r.get(
    '/process-definitions/:key/xml',
    allow('tasks:work', 'tasks:view-all', 'instances:view', 'models:view'),
    async (req, res) => {
      const { key } = parseWith(keyParam, req.params);
      const xml = await deployer.processXml(key);
      if (!xml) throw new NotFoundError('Diagramma non disponibile: processo non distribuito.');
      res.type('application/xml').send(xml);
    },
  );

  r.post('/models/deploy', allow('models:deploy'), async (req, res) => {
    const body = parseWith(deployBody, req.body ?? {});
    const outcome = await models.deploy(principalOf(req), body, auditOf(req));
    res.status(statusOf(outcome)).json(outcome);
  });
  r.post('/models/deployments/:id/rollback', allow('models:deploy'), async (req, res) => {
    const { id } = parseWith(idParam, req.params);
    const { comment } = parseWith(rollbackBody, req.body ?? {});
    const outcome = await models.rollback(principalOf(req), id, comment, auditOf(req));
    res.status(statusOf(outcome)).json(outcome);
  });
  return r;
}
