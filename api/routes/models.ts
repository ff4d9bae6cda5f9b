import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { parseWith } from '../problems.js';
import { allow, principalOf } from '../auth/access.js';
import { lintModel, type LintProblem } from '../../platform/engine/model-lint.js';
import { readBpmn } from '../../platform/engine/bpmn-model.js';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import { ENGINE_ID } from './instances.js';
import { unsafeConstructs } from '../../domain/processes/model-safety.js';

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

interface DeploymentRow {
  id: string;
  resourceName: string;
  resourceType: 'process' | 'form';
  resourceId: string | null;
  resourceKey: string | null;
  version: number | null;
  source: string;
  status: string;
  problem: string | null;
  deployedBy: string | null;
  comment: string | null;
  createdAt: Date;
  content?: string;
}

const DEPLOYMENT_COLUMNS = `id::text, resource_name AS "resourceName", resource_type AS "resourceType",
  resource_id AS "resourceId", resource_key AS "resourceKey", version, source, status, problem,
  deployed_by AS "deployedBy", comment, created_at AS "createdAt"`;

/**
 * Processes and forms for the modeler: what is deployed, version history, the files of
 * `processes/`, deploy (only when the platform's rules pass, or with a confirmed override),
 * rollback by redeploying an earlier version.
 */
export function modelRoutes({ db, deployer, lintContext, processesDir }: ApiDeps): Router {
  const r = Router();

  r.get('/models', allow('models:view'), async (_req, res) => {
    const rows: DeploymentRow[] = await db.query(
      `SELECT DISTINCT ON (resource_type, resource_id) ${DEPLOYMENT_COLUMNS}
         FROM resource_deployments WHERE status = 'deployed'
        ORDER BY resource_type, resource_id, version DESC`,
    );
    res.json({ items: rows });
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
  r.get('/models/:resourceId/versions', allow('models:view'), async (req, res) => {
    const { resourceId } = parseWith(resourceParam, req.params);
    const rows: DeploymentRow[] = await db.query(
      `SELECT ${DEPLOYMENT_COLUMNS} FROM resource_deployments
        WHERE resource_id = $1 OR (resource_id IS NULL AND resource_name IN ($1 || '.bpmn', $1 || '.form'))
        ORDER BY resource_deployments.id DESC LIMIT 200`,
      [resourceId],
    );
    res.json({ items: rows });
  });
  r.get('/models/deployments/:id', allow('models:view'), async (req, res) => {
    const { id } = parseWith(idParam, req.params);
    const rows: DeploymentRow[] = await db.query(
      `SELECT ${DEPLOYMENT_COLUMNS}, content FROM resource_deployments WHERE id = $1`,
      [id],
    );
    if (!rows[0]) throw new NotFoundError('Versione non trovata.');
    res.json(rows[0]);
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

  const deploy = async (
    req: Request,
    input: { name: string; content: string; comment: string; override: boolean; rollbackOf?: string },
  ) => {
    const user = principalOf(req);
    const found = await checkResource(input.name, input.content, await lintContext());
    const problems = found.filter((p) => p.category === 'error');
    if (problems.length > 0 && !input.override) {
      throw new ValidationError(
        'Il modello non supera i controlli della piattaforma: correggere o confermare la distribuzione forzata.',
        problems.map((p) => ({ field: p.element || input.name, message: p.message })),
      );
    }
    const result = await deployer.deploy({
      name: input.name,
      content: input.content,
      source: 'modeler',
      deployedBy: user.id,
      comment: input.override && problems.length > 0 ? `${input.comment} [distribuito con avvisi]` : input.comment,
    });
    if (!result.deployed) {
      throw new ValidationError(
        'Il motore ha rifiutato il modello.',
        result.problems.map((p) => ({ field: p.element ?? input.name, message: p.reason })),
      );
    }
    await req.audit?.({
      action: input.rollbackOf ? 'model.rolled-back' : 'model.deployed',
      subjectType: result.deployed.type,
      subjectId: result.deployed.resourceId,
      detail: {
        version: result.deployed.version,
        override: input.override && problems.length > 0,
        ...(input.rollbackOf ? { from: input.rollbackOf } : {}),
      },
    });
    return { deployed: result.deployed, warnings: found };
  };

  r.post('/models/deploy', allow('models:deploy'), async (req, res) => {
    const body = parseWith(deployBody, req.body ?? {});
    res.status(201).json(await deploy(req, body));
  });
  r.post('/models/deployments/:id/rollback', allow('models:deploy'), async (req, res) => {
    const { id } = parseWith(idParam, req.params);
    const { comment } = parseWith(rollbackBody, req.body ?? {});
    const rows: { resource_name: string; content: string; version: number | null; status: string }[] = await db.query(
      `SELECT resource_name, content, version, status FROM resource_deployments WHERE id = $1`,
      [id],
    );
    const row = rows[0];
    if (row?.status !== 'deployed') throw new NotFoundError('Versione distribuita non trovata.');
    res.status(201).json(
      await deploy(req, {
        name: row.resource_name,
        content: row.content,
        comment: `${comment} (ripristino della versione ${row.version ?? '?'})`,
        override: true,
        rollbackOf: id,
      }),
    );
  });
  return r;
}

/** The platform's checks before a deploy: file name = id, forms well-formed, BPMN lint rules. */
async function checkResource(
  name: string,
  content: string,
  ctx: Awaited<ReturnType<ApiDeps['lintContext']>>,
): Promise<LintProblem[]> {
  const id = name.replace(/\.(bpmn|form)$/, '');
  if (name.endsWith('.form')) {
    let schema: unknown;
    try {
      schema = JSON.parse(content);
    } catch {
      throw new ValidationError('Il modulo non è un JSON valido.');
    }
    const s = schema as { id?: unknown; components?: unknown };
    if (s.id !== id) throw new ValidationError(`L'id del modulo deve essere «${id}», come il nome del file.`);
    if (!Array.isArray(s.components)) throw new ValidationError('Il modulo non ha componenti.');
    return [];
  }
  // What the engine would run beyond the variables is refused, override or not.
  const unsafe = unsafeConstructs(content);
  if (unsafe.length > 0) {
    throw new ValidationError('Il modello chiede al motore di eseguire ciò che la piattaforma non ammette.', unsafe);
  }
  const processes = await readBpmn(content).catch((err: Error) => {
    throw new ValidationError(`Il file non è un BPMN valido: ${err.message}`);
  });
  if (!processes.some((p) => p.id === id)) {
    throw new ValidationError(`Il file ${name} deve contenere il processo con id «${id}».`);
  }
  return lintModel(content, ctx);
}
