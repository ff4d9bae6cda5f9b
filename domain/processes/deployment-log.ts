import type { DataSource } from 'typeorm';
import type { DeploymentRow } from './model-repository.js';

/** One attempt to deploy a file, as the records page lists it (who approved it is not shown there). */
export type DeploymentAttempt = Omit<DeploymentRow, 'approvedBy' | 'content'>;

/** What the Deployer recorded (`resource_deployments`), every file and attempt, the newest first. */
export class DeploymentLog {
  constructor(private readonly db: DataSource) {}

  /** The latest 200 attempts, rejected ones included. */
  async recent(): Promise<DeploymentAttempt[]> {
    return this.db.query(
      `SELECT id::text, resource_name AS "resourceName", resource_type AS "resourceType", resource_id AS "resourceId",
              resource_key AS "resourceKey", version, source, status, problem, deployed_by AS "deployedBy", comment,
              created_at AS "createdAt"
         FROM resource_deployments ORDER BY resource_deployments.id DESC LIMIT 200`,
    );
  }
}
