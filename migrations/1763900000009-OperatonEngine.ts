import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The move to Operaton: user tasks, instance state and variables, and incidents now come
 * from the engine itself (its task service and history), so the platform's copies go.
 * `process_instances` keeps who started an instance from the platform and with which
 * business key; `job_outcomes` keeps every worker outcome (the KPI work reads it).
 * Engine ids are UUIDs, not Zeebe's numeric keys; the text columns take both.
 */
export class OperatonEngine1763900000009 implements MigrationInterface {
  name = 'OperatonEngine1763900000009';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE user_tasks;
      DROP INDEX process_instances_process_idx;
      ALTER TABLE process_instances DROP COLUMN state, DROP COLUMN ended_at, DROP COLUMN variables;
      CREATE INDEX process_instances_process_idx ON process_instances (bpmn_process_id, started_at DESC);
      -- Deployment history: which engine deployment a resource version came from.
      ALTER TABLE resource_deployments ADD COLUMN deployment_id text;
    `);
  }

  down(): Promise<void> {
    return Promise.reject(new Error('the move to Operaton cannot be undone by a migration: restore a backup instead'));
  }
}
