import type { DataSource } from 'typeorm';
import type { Queryable } from '../../platform/database/query.js';

/** One row of the deployment history (`resource_deployments`), as the modeler lists it. */
export interface DeploymentRow {
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
  /** Who approved a deploy that needed permissions its deployer lacks (four eyes). */
  approvedBy: string | null;
  comment: string | null;
  createdAt: Date;
  content?: string;
}

const DEPLOYMENT_COLUMNS = `id::text, resource_name AS "resourceName", resource_type AS "resourceType",
  resource_id AS "resourceId", resource_key AS "resourceKey", version, source, status, problem,
  deployed_by AS "deployedBy", approved_by AS "approvedBy", comment, created_at AS "createdAt"`;

/**
 * Reads the history of what was deployed (the Deployer writes it): the latest version of
 * each process and form, the versions of one, one version with its content, the latest
 * attempts of all.
 */
export class ModelRepository {
  constructor(private readonly db: DataSource | Queryable) {}

  /** The newest deployed version of every process and form. */
  async latestVersions(): Promise<DeploymentRow[]> {
    return (await this.db.query(
      `SELECT DISTINCT ON (resource_type, resource_id) ${DEPLOYMENT_COLUMNS}
         FROM resource_deployments WHERE status = 'deployed'
        ORDER BY resource_type, resource_id, version DESC`,
    )) as DeploymentRow[];
  }

  /** Every deployment of a process or form, the newest first (rejected attempts included). */
  async versionsOf(resourceId: string): Promise<DeploymentRow[]> {
    return (await this.db.query(
      `SELECT ${DEPLOYMENT_COLUMNS} FROM resource_deployments
        WHERE resource_id = $1 OR (resource_id IS NULL AND resource_name IN ($1 || '.bpmn', $1 || '.form'))
        ORDER BY resource_deployments.id DESC LIMIT 200`,
      [resourceId],
    )) as DeploymentRow[];
  }

  /** One deployment with its content. */
  async deployment(id: string): Promise<(DeploymentRow & { content: string }) | undefined> {
    const rows = (await this.db.query(`SELECT ${DEPLOYMENT_COLUMNS}, content FROM resource_deployments WHERE id = $1`, [
      id,
    ])) as (DeploymentRow & { content: string })[];
    return rows[0];
  }

  /** The content of the newest deployed version of a process or form, if any. */
  async latestContent(
    type: 'process' | 'form',
    resourceId: string,
  ): Promise<(DeploymentRow & { content: string }) | undefined> {
    const rows = (await this.db.query(
      `SELECT ${DEPLOYMENT_COLUMNS}, content FROM resource_deployments
        WHERE resource_type = $1 AND resource_id = $2 AND status = 'deployed'
        ORDER BY version DESC LIMIT 1`,
      [type, resourceId],
    )) as (DeploymentRow & { content: string })[];
    return rows[0];
  }

  /** The history row of a deployed definition (its engine key), e.g. right after deploying it. */
  async deployedByKey(resourceKey: string): Promise<DeploymentRow | undefined> {
    const rows = (await this.db.query(
      `SELECT ${DEPLOYMENT_COLUMNS} FROM resource_deployments WHERE resource_key = $1 AND status = 'deployed'`,
      [resourceKey],
    )) as DeploymentRow[];
    return rows[0];
  }

  /** The latest 200 deploy attempts of every file, rejected ones included, the newest first (the records page). */
  async recent(): Promise<DeploymentRow[]> {
    return (await this.db.query(
      `SELECT ${DEPLOYMENT_COLUMNS} FROM resource_deployments ORDER BY resource_deployments.id DESC LIMIT 200`,
    )) as DeploymentRow[];
  }

  /** The ids of the forms deployed (what a model's user tasks may name). */
  async deployedFormIds(): Promise<string[]> {
    const rows = (await this.db.query(
      `SELECT DISTINCT resource_id FROM resource_deployments WHERE resource_type = 'form' AND status = 'deployed'`,
    )) as { resource_id: string }[];
    return rows.map((r) => r.resource_id).sort();
  }
}
