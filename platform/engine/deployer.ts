import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { EngineError, type EngineClient } from './operaton.js';

export interface DeployProblem {
  file: string;
  element: string | undefined;
  reason: string;
}

export interface DeployedResource {
  file: string;
  type: 'process' | 'form';
  /** Process id or form id. */
  resourceId: string;
  /** Process definition id (`key:version:uuid`), or `form:<id>:<deployment>` for a form. */
  key: string;
  version: number;
}

export interface RepositoryDeployReport {
  deployed: DeployedResource[];
  unchanged: string[];
  problems: DeployProblem[];
}

export interface ResourceToDeploy {
  /** File name, e.g. `cup-booking.bpmn` or `cup-choose-slot.form`. */
  name: string;
  content: string;
  source: 'repository' | 'modeler';
  deployedBy?: string;
  /** Who approved it, when its workers need permissions the deployer lacks (model approvals). */
  approvedBy?: string;
  comment?: string;
}

export function checksum(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}

function resourceType(name: string): 'process' | 'form' {
  if (name.endsWith('.bpmn')) return 'process';
  if (name.endsWith('.form')) return 'form';
  throw new Error(`not a deployable resource: ${name}`);
}

interface ParseDetails {
  [resource: string]: {
    errors?: { message: string; mainElementId?: string | null; elementIds?: string[] }[];
  };
}

/**
 * Turns the engine's rejection (HTTP 400, `ParseException` with `details` per resource, each
 * error with its element) into file / element / reason entries.
 */
export function parseRejection(file: string, err: EngineError): DeployProblem[] {
  const details = (err.details ?? {}) as ParseDetails;
  const problems: DeployProblem[] = [];
  for (const r of Object.values(details)) {
    for (const e of r.errors ?? []) {
      problems.push({
        file,
        element: e.mainElementId ?? e.elementIds?.[0] ?? undefined,
        reason: e.message.replace(/\s*\|\s*[^|]*\| line \d+ \| column \d+\s*$/, '').trim(),
      });
    }
  }
  if (problems.length === 0) problems.push({ file, element: undefined, reason: err.message });
  return problems;
}

/**
 * Deploys BPMN models and forms to the engine and keeps the history of what was deployed,
 * from where, by whom, with the content, in `resource_deployments`. Each file is its own
 * deployment named after the file: the engine's duplicate filtering compares it with the
 * last deployment of that name and makes a new version only when the content changed.
 */
export class Deployer {
  constructor(
    private readonly engine: EngineClient,
    private readonly db: DataSource,
  ) {}

  /**
   * Deploys one resource. Engine rejections come back as problems rather than exceptions,
   * so that one bad model does not stop the others.
   */
  async deploy(r: ResourceToDeploy): Promise<{ deployed?: DeployedResource; problems: DeployProblem[] }> {
    const type = resourceType(r.name);
    const sum = checksum(r.content);
    const id = r.name.replace(/\.(bpmn|form)$/, '');
    let deployed: DeployedResource;
    try {
      // One deployment source for the repository and the modeler: the engine's duplicate
      // filtering compares with the last deployment of the same name *and source*, so a
      // rollback to what the modeler once deployed, after a newer repository version, is new.
      const d = await this.engine.deploy({
        name: r.name,
        source: 'contact-center',
        resources: [{ name: r.name, content: r.content }],
      });
      if (type === 'process') {
        const fresh = Object.values(d.deployedProcessDefinitions ?? {})[0];
        const def = fresh ?? (await this.engine.latestDefinition(id));
        if (!def) throw new Error(`the engine accepted ${r.name} but has no process «${id}»`);
        deployed = { file: r.name, type, resourceId: def.key, key: def.id, version: def.version };
      } else {
        deployed = await this.formVersion(id, r.name, sum, d.id);
      }
    } catch (err) {
      if (!(err instanceof EngineError) || err.status !== 400) throw err;
      const problems = parseRejection(r.name, err);
      await this.db.query(
        `INSERT INTO resource_deployments (resource_name, resource_type, checksum, source, status, problem, content, deployed_by, comment)
         VALUES ($1, $2, $3, $4, 'rejected', $5, $6, $7, $8)`,
        [r.name, type, sum, r.source, JSON.stringify(problems), r.content, r.deployedBy ?? null, r.comment ?? null],
      );
      return { problems };
    }
    // Content identical to the latest version gives back the existing definition: the
    // history keeps the first deployment of each version.
    await this.db.query(
      `INSERT INTO resource_deployments
         (resource_name, resource_type, resource_id, resource_key, version, checksum, source, status, content,
          deployed_by, comment, approved_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'deployed', $8, $9, $10, $11)
       ON CONFLICT (resource_key) WHERE status = 'deployed' DO NOTHING`,
      [
        r.name,
        type,
        deployed.resourceId,
        deployed.key,
        deployed.version,
        sum,
        r.source,
        r.content,
        r.deployedBy ?? null,
        r.comment ?? null,
        r.approvedBy ?? null,
      ],
    );
    if (r.source === 'repository') {
      await this.db.query(
        `INSERT INTO repository_files (resource_name, checksum) VALUES ($1, $2)
         ON CONFLICT (resource_name) DO UPDATE SET checksum = EXCLUDED.checksum, deployed_at = now()`,
        [r.name, sum],
      );
    }
    return { deployed, problems: [] };
  }

  /**
   * A form's version: the engine resolves `formRef` by the form's id (binding `latest`);
   * the platform numbers the distinct contents it deployed, the same content keeping its
   * version.
   */
  private async formVersion(
    formId: string,
    file: string,
    sum: string,
    deploymentId: string,
  ): Promise<DeployedResource> {
    const rows: { resource_key: string; version: number; checksum: string }[] = await this.db.query(
      `SELECT resource_key, version, checksum FROM resource_deployments
        WHERE resource_type = 'form' AND status = 'deployed' AND resource_id = $1
        ORDER BY version DESC LIMIT 1`,
      [formId],
    );
    const latest = rows[0];
    if (latest && latest.checksum === sum) {
      return { file, type: 'form', resourceId: formId, key: latest.resource_key, version: latest.version };
    }
    return {
      file,
      type: 'form',
      resourceId: formId,
      key: `form:${formId}:${deploymentId}`,
      version: (latest?.version ?? 0) + 1,
    };
  }

  /**
   * Deploys `processes/*.form` then `processes/*.bpmn`, each only when its content differs
   * from what was last deployed from the repository, so that a newer version an analyst
   * deployed from the modeler is not overwritten by a restart.
   */
  async deployRepository(dir: string): Promise<RepositoryDeployReport> {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.bpmn') || f.endsWith('.form')).sort();
    const ordered = [...files.filter((f) => f.endsWith('.form')), ...files.filter((f) => f.endsWith('.bpmn'))];
    const last = await this.lastRepositoryChecksums();
    const report: RepositoryDeployReport = { deployed: [], unchanged: [], problems: [] };
    for (const file of ordered) {
      const content = await readFile(path.join(dir, file), 'utf8');
      // Unchanged since its last deployment from the repository, and still in the engine
      // (an engine whose database was reset gets everything again).
      if (last.get(file) === checksum(content) && (await this.stillDeployed(file))) {
        report.unchanged.push(file);
        continue;
      }
      const result = await this.deploy({ name: file, content, source: 'repository' });
      if (result.deployed) report.deployed.push(result.deployed);
      report.problems.push(...result.problems);
    }
    return report;
  }

  private async stillDeployed(file: string): Promise<boolean> {
    if (!file.endsWith('.bpmn')) {
      const found = await this.engine.request<unknown[]>('GET', '/deployment', {
        query: { name: file, maxResults: 1 },
      });
      return found.length > 0;
    }
    return (await this.engine.latestDefinition(file.replace(/\.bpmn$/, ''))) !== undefined;
  }

  private async lastRepositoryChecksums(): Promise<Map<string, string>> {
    const rows: { resource_name: string; checksum: string }[] = await this.db.query(
      'SELECT resource_name, checksum FROM repository_files',
    );
    return new Map(rows.map((r) => [r.resource_name, r.checksum]));
  }

  /** The BPMN XML of a deployed process definition, from the engine (whoever deployed it). */
  async processXml(processDefinitionId: string): Promise<string | undefined> {
    return this.engine.definitionXml(processDefinitionId);
  }
}
