import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { ZeebeClient } from './client.js';

export interface DeployProblem {
  file: string;
  element: string | undefined;
  reason: string;
}

export interface DeployedResource {
  file: string;
  type: 'process' | 'form';
  resourceId: string;
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

/**
 * Turns Zeebe's rejection text into file / element / reason entries. Zeebe reports each
 * invalid element as "- Element: <id>" followed by "- ERROR: <reason>".
 */
export function parseRejection(file: string, message: string): DeployProblem[] {
  const problems: DeployProblem[] = [];
  const re = /Element: (\S+)\s*\n\s*- ERROR: ([^\n]+)/g;
  for (const m of message.matchAll(re)) {
    problems.push({ file, element: m[1], reason: (m[2] ?? '').trim() });
  }
  if (problems.length === 0) {
    const reason = message.replace(/^.*?rejected with code '[A-Z_]+': /s, '').trim();
    problems.push({ file, element: undefined, reason });
  }
  return problems;
}

/**
 * Deploys BPMN models and forms to Zeebe and keeps the history of what was deployed, from
 * where, by whom, with the content, in `resource_deployments`.
 */
export class Deployer {
  constructor(
    private readonly zeebe: ZeebeClient,
    private readonly db: DataSource,
  ) {}

  /**
   * Deploys one resource. Engine rejections come back as problems rather than exceptions,
   * so that one bad model does not stop the others.
   */
  async deploy(r: ResourceToDeploy): Promise<{ deployed?: DeployedResource; problems: DeployProblem[] }> {
    const type = resourceType(r.name);
    const sum = checksum(r.content);
    const buffer = Buffer.from(r.content);
    let deployed: DeployedResource;
    try {
      const res = await this.zeebe.deployResources([
        type === 'process' ? { process: buffer, name: r.name } : { form: buffer, name: r.name },
      ]);
      const first = res.deployments[0] as
        | { process?: { bpmnProcessId: string; processDefinitionKey: string; version: number } }
        | { form?: { formId: string; formKey: string; version: number } }
        | undefined;
      if (first && 'process' in first && first.process) {
        const p = first.process;
        deployed = {
          file: r.name,
          type,
          resourceId: p.bpmnProcessId,
          key: String(p.processDefinitionKey),
          version: p.version,
        };
      } else if (first && 'form' in first && first.form) {
        const f = first.form;
        deployed = { file: r.name, type, resourceId: f.formId, key: String(f.formKey), version: f.version };
      } else {
        throw new Error(`the engine accepted ${r.name} but returned no ${type}`);
      }
    } catch (err) {
      const message = (err as { details?: string; message?: string }).details ?? (err as Error).message;
      if (!/INVALID_ARGUMENT|rejected|Expected to deploy/i.test(message)) throw err;
      const problems = parseRejection(r.name, message);
      await this.db.query(
        `INSERT INTO resource_deployments (resource_name, resource_type, checksum, source, status, problem, content, deployed_by, comment)
         VALUES ($1, $2, $3, $4, 'rejected', $5, $6, $7, $8)`,
        [r.name, type, sum, r.source, JSON.stringify(problems), r.content, r.deployedBy ?? null, r.comment ?? null],
      );
      return { problems };
    }
    // Zeebe returns the existing key for content identical to the latest version: the
    // history keeps the first deployment of each engine key.
    await this.db.query(
      `INSERT INTO resource_deployments
         (resource_name, resource_type, resource_id, resource_key, version, checksum, source, status, content, deployed_by, comment)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'deployed', $8, $9, $10)
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
      if (last.get(file) === checksum(content)) {
        report.unchanged.push(file);
        continue;
      }
      const result = await this.deploy({ name: file, content, source: 'repository' });
      if (result.deployed) report.deployed.push(result.deployed);
      report.problems.push(...result.problems);
    }
    return report;
  }

  private async lastRepositoryChecksums(): Promise<Map<string, string>> {
    const rows: { resource_name: string; checksum: string }[] = await this.db.query(
      'SELECT resource_name, checksum FROM repository_files',
    );
    return new Map(rows.map((r) => [r.resource_name, r.checksum]));
  }

  /** The form-js schema deployed under an engine form key, if it was deployed through us. */
  async formByKey(formKey: string): Promise<{ formId: string; version: number; schema: unknown } | undefined> {
    const rows: { resource_id: string; version: number; content: string }[] = await this.db.query(
      `SELECT resource_id, version, content FROM resource_deployments
        WHERE resource_type = 'form' AND status = 'deployed' AND resource_key = $1`,
      [formKey],
    );
    const row = rows[0];
    return row
      ? { formId: row.resource_id, version: row.version, schema: JSON.parse(row.content) as unknown }
      : undefined;
  }

  /** The BPMN XML deployed under an engine process definition key, if deployed through us. */
  async processXml(processDefinitionKey: string): Promise<string | undefined> {
    const rows: { content: string }[] = await this.db.query(
      `SELECT content FROM resource_deployments
        WHERE resource_type = 'process' AND status = 'deployed' AND resource_key = $1`,
      [processDefinitionKey],
    );
    return rows[0]?.content;
  }
}
